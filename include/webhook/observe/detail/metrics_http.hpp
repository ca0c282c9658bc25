#ifndef WEBHOOK_OBSERVE_DETAIL_METRICS_HTTP_HPP
#define WEBHOOK_OBSERVE_DETAIL_METRICS_HTTP_HPP

// What the metrics listener answers, decided without I/O: the format an Accept header asks
// for, and the response to a request (or to a request that could not be read).

#include <webhook/observe/detail/exposition.hpp>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <charconv>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace webhook {
class metrics_registry;
} // namespace webhook

namespace webhook::detail {

namespace metrics_http = boost::beast::http;

inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

inline std::string_view trim_ows(std::string_view s) noexcept {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

/// The `q` parameter of a media range's parameters (`;q=0.5;...`); 1 when absent or unreadable.
inline double media_quality(std::string_view params) noexcept {
    while (!params.empty()) {
        const auto semi = params.find(';');
        const auto param = trim_ows(params.substr(0, semi));
        params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
            double q = 1;
            const auto r = std::from_chars(param.data() + 2, param.data() + param.size(), q);
            return r.ec == std::errc{} ? std::clamp(q, 0.0, 1.0) : 1.0;
        }
    }
    return 1;
}

/** OpenMetrics when `accept` names `application/openmetrics-text` (any version) with a
    quality above 0 and at least that of the ranges that take the text format (`text/plain`
    and the wildcards); the text format otherwise, an absent or unrelated `Accept` included. */
inline exposition_format negotiate_format(std::string_view accept) noexcept {
    using boost::beast::iequals;
    double om = 0, text = 0;
    while (!accept.empty()) {
        const auto comma = accept.find(',');
        const auto range = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
        const auto semi = range.find(';');
        const auto type = trim_ows(range.substr(0, semi));
        const double q =
            semi == std::string_view::npos ? 1.0 : media_quality(range.substr(semi + 1));
        if (iequals(type, "application/openmetrics-text"))
            om = std::max(om, q);
        else if (iequals(type, "text/plain") || iequals(type, "text/*") || type == "*/*")
            text = std::max(text, q);
    }
    return om > 0 && om >= text ? exposition_format::openmetrics : exposition_format::prometheus;
}

using metrics_request = metrics_http::request<metrics_http::string_body>;
using metrics_response = metrics_http::response<metrics_http::string_body>;

inline metrics_response plain_response(metrics_http::status status, unsigned version,
                                       std::string body) {
    metrics_response res{status, version};
    res.set(metrics_http::field::content_type, "text/plain; charset=utf-8");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

/// The answer to a request the parser refused (nothing for a connection that just ended).
inline std::optional<metrics_response> answer_unreadable(const boost::system::error_code& ec) {
    namespace e = metrics_http;
    metrics_http::status status = metrics_http::status::bad_request;
    if (ec == e::error::header_limit)
        status = metrics_http::status::request_header_fields_too_large;
    else if (ec == e::error::body_limit)
        status = metrics_http::status::payload_too_large;
    else if (ec == e::error::end_of_stream || ec == e::error::partial_message ||
             ec.category() != e::make_error_code(e::error::bad_target).category())
        return std::nullopt; // the peer went away, or the socket failed: no one to answer
    auto res = plain_response(status, 11, std::string(obsolete_reason(status)) + "\n");
    res.keep_alive(false);
    return res;
}

/// The answer to `req`: the metrics of `registry` at `path`, or why not.
template <class Registry>
metrics_response answer_metrics(const metrics_request& req, const Registry& registry,
                                std::string_view path) {
    std::string_view target = req.target();
    target = target.substr(0, target.find('?'));
    const bool head = req.method() == metrics_http::verb::head;
    metrics_response res;
    if (target != path) {
        res = plain_response(metrics_http::status::not_found, req.version(), "not found\n");
    } else if (!head && req.method() != metrics_http::verb::get) {
        res = plain_response(metrics_http::status::method_not_allowed, req.version(),
                             "method not allowed\n");
        res.set(metrics_http::field::allow, "GET, HEAD");
    } else {
        const auto format = negotiate_format(req[metrics_http::field::accept]);
        const bool om = format == exposition_format::openmetrics;
        try {
            res = metrics_response{metrics_http::status::ok, req.version()};
            res.body() = om ? registry.openmetrics_text() : registry.prometheus_text();
            res.set(metrics_http::field::content_type,
                    om ? openmetrics_content_type : prometheus_content_type);
            res.prepare_payload();
        } catch (const std::exception& e) {
            res = plain_response(metrics_http::status::internal_server_error, req.version(),
                                 std::string("metrics: ") + e.what() + "\n");
        }
    }
    if (head)
        res.body().clear(); // Content-Length stays that of the body a GET would get
    res.keep_alive(req.keep_alive());
    return res;
}

} // namespace webhook::detail

#endif
