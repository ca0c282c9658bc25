#ifndef WEBHOOK_CONFIG_IMPL_ENDPOINT_HPP
#define WEBHOOK_CONFIG_IMPL_ENDPOINT_HPP

// The bodies of <webhook/endpoint.hpp>'s functions. They walk the Boost.Describe description
// of the settings (config/describe.hpp): each value's reader is in config/detail/readers.hpp
// and sections.hpp, its rules in rules.hpp, its printer in print.hpp.

#include <webhook/config/describe.hpp>
#include <webhook/config/detail/print.hpp>
#include <webhook/config/detail/reader.hpp>
#include <webhook/config/detail/readers.hpp>
#include <webhook/config/detail/rules.hpp>
#include <webhook/config/detail/sections.hpp>
#include <webhook/config/detail/text.hpp>
#include <webhook/detail/quote.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>
#include <webhook/transport/request.hpp>

#include <boost/json/object.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <ostream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace webhook {

namespace detail {

inline std::string format_config_problems(const std::vector<config_problem>& problems) {
    std::string m = "endpoint configuration has " + std::to_string(problems.size()) +
                    (problems.size() == 1 ? " problem:" : " problems:");
    for (const config_problem& p : problems) {
        m += '\n';
        if (!p.path.empty())
            m.append(p.path).append(": ");
        m += p.message;
    }
    return m;
}

/// Reads the document's keys into `e` (the description's members), then the rule that only a
/// document can break.
inline void read_endpoint(config_reader& r, const boost::json::value& root, endpoint& e) {
    read_value(r, root, "", e);
    // In code, `ordered` simply overrides max_in_flight. In a document, both written with
    // different meanings is a contradiction the operator should hear about.
    const bool max_in_flight_given =
        config_reader::given(root.get_object(), "max_in_flight") &&
        std::none_of(r.problems.begin(), r.problems.end(),
                     [](const config_problem& p) { return p.path == "max_in_flight"; });
    if (e.ordered && max_in_flight_given && e.max_in_flight != 1)
        r.problem("max_in_flight", "must be 1 or left out when ordered is true");
}

} // namespace detail

inline config_error::config_error(std::vector<config_problem> problems)
    : std::runtime_error(detail::format_config_problems(problems)), problems_(std::move(problems)) {
}

/// Every member's rules, in the order of the description (see config/detail/rules.hpp).
inline std::vector<config_problem> validate(const endpoint& e) {
    detail::config_checker checker{e};
    detail::check_value(checker, "", e);
    return std::move(checker.problems);
}

namespace detail {

/// Parses a configuration document (comments and trailing commas allowed).
/// @throws config_error naming the position of a syntax error, never the text there.
inline boost::json::value parse_config_document(std::string_view json_text) {
    boost::json::parse_options options;
    // Operators annotate configuration files; comments and trailing commas cost nothing.
    options.allow_comments = true;
    options.allow_trailing_commas = true;
    boost::json::stream_parser parser({}, options);
    boost::system::error_code ec;
    const std::size_t consumed = parser.write(json_text.data(), json_text.size(), ec);
    if (!ec)
        parser.finish(ec);
    if (ec) // the message names the position, never the text there: it may be a password
        throw config_error(
            {config_problem{"", "invalid JSON at " + detail::text_position(json_text, consumed) +
                                    ": " + ec.message()}});
    return parser.release();
}

/** Reads an endpoint from `root` (an object) into `e` and returns every problem (reading and
    validation), in the order the operator reads the document: by the position of the
    top-level key, a missing key (`url: is required`) last. */
inline std::vector<config_problem> read_endpoint_document(const boost::json::value& root,
                                                          endpoint& e) {
    detail::config_reader loader;
    detail::read_endpoint(loader, root, e);
    const std::size_t loaded = loader.problems.size();
    for (config_problem& p : validate(e)) {
        p.path = loader.json_path_of(p.path);
        // `"url": 5` leaves the URL empty: "is required" would say the same thing twice.
        const auto first = loader.problems.begin();
        if (std::none_of(first, first + static_cast<std::ptrdiff_t>(loaded),
                         [&](const config_problem& q) { return q.path == p.path; }))
            loader.problems.push_back(std::move(p));
    }
    const auto position = [&](const config_problem& p) {
        std::size_t i = 0;
        for (const auto& member : root.get_object()) {
            // As the path writes the key: `retry`, or `["odd key"]`.
            const std::string top = detail::config_reader::key_path("", member.key());
            if (p.path.starts_with(top) && (p.path.size() == top.size() ||
                                            p.path[top.size()] == '.' || p.path[top.size()] == '['))
                return i;
            ++i;
        }
        return i;
    };
    std::stable_sort(loader.problems.begin(), loader.problems.end(),
                     [&](const config_problem& a, const config_problem& b) {
                         return position(a) < position(b);
                     });
    return std::move(loader.problems);
}

} // namespace detail

inline endpoint load_endpoint(std::string_view json_text) {
    const boost::json::value root = detail::parse_config_document(json_text);
    if (!root.is_object()) // nothing else to say: every key would be missing
        throw config_error({config_problem{"", "the configuration must be a JSON object"}});
    endpoint e;
    auto problems = detail::read_endpoint_document(root, e);
    if (!problems.empty())
        throw config_error(std::move(problems));
    return e;
}

namespace detail {

/// The text of the configuration file at `path`. @throws config_error naming the path.
inline std::string read_config_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    std::string text;
    int failure = f ? 0 : errno;
    if (f) {
        char buffer[4096];
        std::size_t n = 0;
        while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0)
            text.append(buffer, n);
        if (std::ferror(f))
            failure = errno;
        std::fclose(f);
    }
    if (failure != 0)
        throw config_error({config_problem{"", "cannot read configuration file " +
                                                   detail::quote_for_message(path) + ": " +
                                                   std::generic_category().message(failure)}});
    return text;
}

} // namespace detail

inline endpoint load_endpoint_file(const std::string& path) {
    return load_endpoint(detail::read_config_file(path));
}

inline beast_transport_options transport_options(const endpoint& e) {
    beast_transport_options o;
    o.connect_timeout = e.timeouts.connect;
    o.handshake_timeout = e.timeouts.handshake;
    o.request_timeout = e.timeouts.request;
    o.idle_timeout = e.timeouts.idle;
    // Ordered delivery sends one request at a time: a second connection would sit idle.
    o.max_connections_per_origin = e.ordered ? 1 : e.max_in_flight;
    o.max_response_body = e.max_response_body;
    o.tls = e.tls;
    o.proxy = e.proxy;
    o.destinations = e.destinations;
    o.hosts = e.hosts;
    return o;
}

inline std::ostream& operator<<(std::ostream& os, const endpoint& e) {
    // Built apart and written once: the caller's stream flags do not change the numbers, and
    // the description reaches a shared log in one piece.
    return os << detail::describe_endpoint(e);
}

} // namespace webhook

#endif
