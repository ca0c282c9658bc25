#ifndef WEBHOOK_TESTS_SUPPORT_ENDPOINT_HELPERS_HPP
#define WEBHOOK_TESTS_SUPPORT_ENDPOINT_HELPERS_HPP

// What the tests of the endpoint configuration share (endpoint_*test.cpp): the problems
// `load_endpoint` and `validate` report as text, the printed form, and files to name.

#include <webhook/endpoint.hpp>

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace webhook::test {

/// The problems `load_endpoint(json)` reports, one `path: message` a line, or "loaded".
inline std::string problems_of(std::string_view json) {
    try {
        (void)webhook::load_endpoint(json);
        return "loaded";
    } catch (const webhook::config_error& e) {
        std::string lines;
        for (const auto& p : e.problems())
            lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
        return lines;
    }
}

/// The same for `validate(e)`, or "valid".
inline std::string problems_of(const webhook::endpoint& e) {
    std::string lines;
    for (const auto& p : webhook::validate(e))
        lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
    return lines.empty() ? "valid" : lines;
}

inline std::string what_of(std::string_view json) {
    try {
        (void)webhook::load_endpoint(json);
    } catch (const webhook::config_error& e) {
        return e.what();
    }
    return "loaded";
}

inline std::string printed(const webhook::endpoint& e) {
    std::ostringstream os;
    os << e;
    return os.str();
}

/// A file in the temporary directory, removed at the end of the test.
struct temp_file {
    std::filesystem::path path;
    temp_file(std::string_view name, std::string_view content)
        : path(std::filesystem::temp_directory_path() /
               ("webhook_endpoint_test_" + std::to_string(::getpid()) + "_" + std::string(name))) {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() { std::filesystem::remove(path); }
};

/// `path` in the temporary directory, for a file that is not there.
inline std::string missing_path(std::string_view name) {
    return (std::filesystem::temp_directory_path() /
            ("webhook_endpoint_test_" + std::to_string(::getpid()) + "_missing_" +
             std::string(name)))
        .string();
}

/// `text` with every `from` replaced by `to`.
inline std::string replaced(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

/// Readable TLS files, since validation checks that they open.
struct tls_files {
    temp_file ca{"ca.pem", "-----BEGIN CERTIFICATE-----\n"};
    temp_file certificate{"client.pem", "-----BEGIN CERTIFICATE-----\n"};
    temp_file key{"client.key", "-----BEGIN PRIVATE KEY-----\n"};
    std::string directory = std::filesystem::temp_directory_path().string();
};

inline webhook::endpoint minimal() {
    return webhook::endpoint{.url = "https://hooks.example.com/in"};
}

// Member by member: retry_policy has no operator== yet, so neither has endpoint.
inline bool same_retry(const webhook::retry_policy& a, const webhook::retry_policy& b) {
    return a.max_attempts == b.max_attempts && a.initial_delay == b.initial_delay &&
           a.multiplier == b.multiplier && a.max_delay == b.max_delay &&
           a.max_total_time == b.max_total_time && a.schedule == b.schedule &&
           a.retryable_statuses == b.retryable_statuses;
}

inline void check_same(const webhook::endpoint& a, const webhook::endpoint& b) {
    BOOST_TEST(a.url == b.url);
    BOOST_TEST((a.method == b.method));
    BOOST_TEST((a.data_format == b.data_format));
    BOOST_TEST(a.data_location == b.data_location);
    BOOST_TEST((a.authentication == b.authentication));
    BOOST_TEST((a.headers == b.headers));
    BOOST_TEST(a.user_agent == b.user_agent);
    BOOST_TEST((a.timeouts == b.timeouts));
    BOOST_TEST(same_retry(a.retry, b.retry));
    BOOST_TEST((a.tls == b.tls));
    BOOST_TEST(a.proxy == b.proxy);
    BOOST_TEST(a.max_in_flight == b.max_in_flight);
    BOOST_TEST(a.ordered == b.ordered);
    BOOST_TEST((a.queue == b.queue));
    BOOST_TEST((a.rate_limit == b.rate_limit));
    BOOST_TEST((a.batch == b.batch));
    BOOST_TEST((a.compression == b.compression));
    BOOST_TEST(a.max_body_size == b.max_body_size);
    BOOST_TEST(a.max_response_body == b.max_response_body);
    BOOST_TEST((a.circuit_breaker == b.circuit_breaker));
    BOOST_TEST((a.max_event_age == b.max_event_age));
    BOOST_TEST(a.insecure_allow_credentials_over_http == b.insecure_allow_credentials_over_http);
    BOOST_TEST((a.signing == b.signing));
    BOOST_TEST((a.destinations == b.destinations));
    BOOST_TEST((a.hosts == b.hosts));
}

} // namespace webhook::test

#endif
