#ifndef WEBHOOK_DISPATCH_ATTEMPT_RECORD_HPP
#define WEBHOOK_DISPATCH_ATTEMPT_RECORD_HPP

/** @file
    One record per attempt, for `dispatcher_options::on_attempt`: what was sent, what came
    back, and where the time went. */

#include <webhook/spool/event_id.hpp>

#include <boost/beast/http/verb.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace webhook {

/** One attempt of one request. The views are valid during the call of `on_attempt` only. */
struct attempt_record {
    /// `dispatcher_options::name`.
    std::string_view endpoint;
    /// The `webhook-id` sent: the event's, or a batch's first event's.
    event_id id;
    /// Events in the request (more than 1 in a batch).
    std::size_t events = 1;
    /// 1 for the first attempt of the request.
    std::size_t number = 1;
    boost::beast::http::verb method = boost::beast::http::verb::post;
    /// Where it went: the endpoint's URL (placeholders as configured), its query written as
    /// `?***` (it may hold a secret).
    std::string_view url;
    /// The HTTP status, or 0 when no response came (`error` says why).
    int status = 0;
    boost::system::error_code error;
    /// When the attempt started.
    std::chrono::system_clock::time_point started;
    /// From the acceptance of the (oldest) event to the start of this attempt: time in the
    /// queue, and for a retry the earlier attempts and delays too.
    std::chrono::nanoseconds queue_wait{};
    /// From the start of the attempt to its answer (or error), as the dispatcher saw it.
    std::chrono::nanoseconds total{};
    /// Whether the transport measured the phases below (the built-in one does: see
    /// `transport_timing`); zero when not.
    bool timed = false;
    /// Sent over a kept-alive connection.
    bool reused = false;
    std::chrono::nanoseconds resolve{}, connect{}, tls{}, first_byte{};
    /// Request bytes written (head and body).
    std::size_t bytes_sent = 0;
    /// With a trace context: its trace id and this attempt's span id (16 hex digits, new on
    /// every attempt, sent as the parent id of `traceparent`); empty without.
    std::string_view trace_id, span_id;
    /// The delay before the next attempt, when there will be one.
    std::optional<std::chrono::milliseconds> retry_delay;
};

/** `r` as one line of JSON (ending in `\n`), for logs: every field by its name, durations in
    microseconds (`queue_wait_us`, ...), `started` in RFC 3339 UTC, `error`
    as its message (absent without an error), the trace fields only with a trace context. */
std::string to_json_line(const attempt_record& r);

} // namespace webhook

#include <webhook/dispatch/impl/attempt_record.hpp>

#endif
