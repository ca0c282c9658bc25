#ifndef WEBHOOK_DISPATCH_IMPL_ATTEMPT_RECORD_HPP
#define WEBHOOK_DISPATCH_IMPL_ATTEMPT_RECORD_HPP

#include <webhook/json/serialize.hpp>

#include <boost/describe/class.hpp>

#include <cstdint>

namespace webhook {

namespace detail {

/// The JSON line of an attempt record, written by the library's own serializer.
struct attempt_line {
    std::string_view endpoint, id;
    std::size_t events = 1, attempt = 1;
    std::string_view method, url;
    int status = 0;
    std::optional<std::string> error;
    std::chrono::system_clock::time_point started;
    std::int64_t queue_wait_us = 0, total_us = 0;
    bool timed = false, reused = false;
    std::optional<std::int64_t> resolve_us, connect_us, tls_us, first_byte_us;
    std::size_t bytes_sent = 0;
    std::optional<std::string_view> trace_id, span_id;
    std::optional<std::int64_t> retry_delay_ms;
};
BOOST_DESCRIBE_STRUCT(attempt_line, (),
                      (endpoint, id, events, attempt, method, url, status, error, started,
                       queue_wait_us, total_us, timed, reused, resolve_us, connect_us, tls_us,
                       first_byte_us, bytes_sent, trace_id, span_id, retry_delay_ms))

} // namespace detail

inline std::string to_json_line(const attempt_record& r) {
    using std::chrono::duration_cast;
    using std::chrono::microseconds;
    const auto us = [](std::chrono::nanoseconds d) {
        return static_cast<std::int64_t>(duration_cast<microseconds>(d).count());
    };
    const auto timed_us = [&](std::chrono::nanoseconds d) {
        return r.timed ? std::optional<std::int64_t>(us(d)) : std::nullopt;
    };
    const auto traced = [&](std::string_view v) {
        return v.empty() ? std::nullopt : std::optional<std::string_view>(v);
    };
    detail::attempt_line line{
        .endpoint = r.endpoint,
        .id = r.id.view(),
        .events = r.events,
        .attempt = r.number,
        .method = boost::beast::http::to_string(r.method),
        .url = r.url,
        .status = r.status,
        .error = r.error ? std::optional<std::string>(r.error.message()) : std::nullopt,
        .started = r.started,
        .queue_wait_us = us(r.queue_wait),
        .total_us = us(r.total),
        .timed = r.timed,
        .reused = r.reused,
        .resolve_us = timed_us(r.resolve),
        .connect_us = timed_us(r.connect),
        .tls_us = timed_us(r.tls),
        .first_byte_us = timed_us(r.first_byte),
        .bytes_sent = r.bytes_sent,
        .trace_id = traced(r.trace_id),
        .span_id = traced(r.span_id),
        .retry_delay_ms =
            r.retry_delay ? std::optional<std::int64_t>(r.retry_delay->count()) : std::nullopt,
    };
    std::string out = json::to_string(line);
    out.push_back('\n');
    return out;
}

} // namespace webhook

#endif
