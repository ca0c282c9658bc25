// metrics: GET a dispatcher's /metrics listener and print the Prometheus text.

#include "commands.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>

#include <charconv>
#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

namespace webhookctl {

int metrics_command(const arguments& args) {
    namespace http = boost::beast::http;
    if (!args.operands().empty())
        throw usage_error("unexpected argument '" + args.operands().front() + "'");
    const std::string text = args.required("--url");
    const auto url = boost::urls::parse_uri(text);
    if (!url || url->scheme() != "http" || url->host().empty())
        throw usage_error("option '--url': '" + text +
                          "' is not an http:// URL (the listener serves plain HTTP)");
    std::chrono::milliseconds timeout{5000};
    if (const auto t = args.value("--timeout")) {
        long long ms = 0;
        const auto [end, ec] = std::from_chars(t->data(), t->data() + t->size(), ms);
        if (ec != std::errc{} || end != t->data() + t->size() || ms <= 0)
            throw usage_error("option '--timeout': '" + *t + "' is not a number of milliseconds");
        timeout = std::chrono::milliseconds(ms);
    }
    const std::string host = url->host_address();
    const std::string port = url->has_port() ? std::string(url->port()) : "80";
    const auto encoded_target = url->encoded_target();
    std::string target(encoded_target.data(), encoded_target.size());
    if (target.empty())
        target = "/";

    boost::asio::io_context io;
    boost::beast::tcp_stream stream(io);
    http::response<http::string_body> response;
    boost::system::error_code ec;
    const std::string where = host + ":" + port;
    {
        boost::asio::ip::tcp::resolver resolver(io);
        const auto addresses = resolver.resolve(host, port, ec);
        if (ec)
            throw failure(where + ": cannot resolve: " + ec.message());
        // One deadline for the whole exchange: connect, write, read.
        stream.expires_after(timeout);
        stream.async_connect(addresses, [&](boost::system::error_code e, const auto&) { ec = e; });
        io.run();
        if (ec)
            throw failure(where + ": cannot connect: " + ec.message());
        http::request<http::empty_body> request{http::verb::get, target, 11};
        const auto host_and_port = url->encoded_host_and_port();
        request.set(http::field::host,
                    std::string_view(host_and_port.data(), host_and_port.size()));
        request.set(http::field::user_agent, "webhookctl");
        request.set(http::field::accept, "text/plain");
        boost::beast::flat_buffer buffer;
        http::async_write(stream, request, [&](boost::system::error_code e, std::size_t) {
            if (e) {
                ec = e;
                return;
            }
            http::async_read(stream, buffer, response,
                             [&](boost::system::error_code e2, std::size_t) { ec = e2; });
        });
        io.restart();
        io.run();
        if (ec)
            throw failure(text + ": " + ec.message());
    }
    if (response.result_int() != 200)
        throw failure(text + ": HTTP " + std::to_string(response.result_int()) + " " +
                      std::string(response.reason()));
    const std::string filter = args.value("--filter").value_or("");
    std::string_view body = response.body();
    while (!body.empty()) {
        const std::size_t nl = body.find('\n');
        const std::string_view line = body.substr(0, nl);
        if (filter.empty() || line.find(filter) != std::string_view::npos)
            std::cout << line << '\n';
        body.remove_prefix(nl == std::string_view::npos ? body.size() : nl + 1);
    }
    return 0;
}

} // namespace webhookctl
