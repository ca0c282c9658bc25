// send: one test event from a JSON file to an endpoint configured by a JSON file.

#include "commands.hpp"

#include <webhook/dispatcher.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace webhookctl {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw failure(path + ": cannot read the event file");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

} // namespace

int send_command(const arguments& args) {
    if (!args.operands().empty())
        throw usage_error("unexpected argument '" + args.operands().front() + "'");
    const std::string endpoint_path = args.required("--endpoint");
    const std::string event_path = args.required("--event");

    webhook::endpoint e;
    try {
        e = webhook::load_endpoint_file(endpoint_path);
    } catch (const webhook::config_error& error) {
        throw failure(error.what()); // every problem, one per line, secrets never quoted
    }
    if (e.url.find('{') != std::string::npos)
        throw failure(endpoint_path + ": the url has placeholders, which a JSON file cannot "
                                      "fill: give a url without them");
    boost::system::error_code ec;
    const boost::json::value event = boost::json::parse(read_file(event_path), ec);
    if (ec)
        throw failure(event_path + ": not a JSON document: " + ec.message());

    // The document is an event like any other: the dispatcher adds the data location, signing,
    // authentication and retries, and `send` waits until it settles.
    webhook::dispatcher d{e};
    const webhook::delivery r = d.send(event);
    if (r.status == webhook::delivery_status::rejected)
        throw failure("the event was refused: " + r.error.message());

    std::cout << r << '\n';
    for (std::size_t i = 0; i < r.attempts.size(); ++i) {
        const auto& a = r.attempts[i];
        std::cout << "  attempt " << i + 1 << ": "
                  << (a.error ? a.error.message() : "HTTP " + std::to_string(a.status)) << " in "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(a.elapsed).count()
                  << " ms";
        if (!a.body_excerpt.empty())
            std::cout << ": " << a.body_excerpt;
        std::cout << '\n';
    }
    return r.ok() ? 0 : 1;
}

} // namespace webhookctl
