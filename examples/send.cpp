// Sends one sample incident to a real endpoint, configured by a JSON file (see
// docs/configuration.md), and prints what happened on every attempt.
//
// Usage: webhook_send CONFIG.json [URL]     (URL replaces the file's "url")

#include "incident.hpp"

#include <webhook/dispatcher.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) try {
    if (argc < 2 || argc > 3) {
        std::cerr << "usage: webhook_send CONFIG.json [URL]\n";
        return 2;
    }
    webhook::endpoint e = webhook::load_endpoint_file(argv[1]);
    if (argc == 3)
        e.url = argv[2];
    std::cout << e << '\n'; // secrets print as ***
    webhook::dispatcher d{e};
    const webhook::delivery r = d.send(demo::sample_incident());
    std::cout << "outcome: " << r.status << ", id " << r.id << '\n';
    for (const auto& a : r.attempts)
        std::cout << "  " << (a.error ? a.error.message() : "HTTP " + std::to_string(a.status))
                  << " in "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(a.elapsed).count()
                  << " ms" << (a.body_excerpt.empty() ? "" : ": " + a.body_excerpt) << '\n';
    return r.ok() ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "webhook_send: " << e.what() << '\n';
    return 1;
}
