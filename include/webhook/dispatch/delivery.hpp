#ifndef WEBHOOK_DISPATCH_DELIVERY_HPP
#define WEBHOOK_DISPATCH_DELIVERY_HPP

#include <webhook/config/circuit.hpp>
#include <webhook/spool/event_id.hpp>

#include <boost/container/small_vector.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

namespace webhook {

/** The event header that carries an event's ordering key: events with equal keys reach the
    endpoint one at a time, in the order accepted, each settled (delivered or failed for good)
    before the next is sent; events with different keys, or none, go in parallel. It is sent
    with the request too. A hub sets it from the event type's key member. */
inline constexpr std::string_view ordering_key_header = "webhook-ordering-key";

/** How one event ended. Every accepted event ends in exactly one of these. */
enum class delivery_status {
    /// A 2xx response.
    delivered,
    /// Permanently refused, or the retries ran out.
    failed,
    /// 410 Gone: the endpoint no longer exists; reconfigure it.
    gone,
    /// Taken out of a full queue by `overflow_policy::drop_oldest`.
    dropped,
    /// Never accepted: the queue was full, or the event could not be prepared (serialization,
    /// body size, URL template), or the dispatcher was shutting down.
    rejected,
    /// Still undelivered when the dispatcher shut down.
    abandoned,
};

const char* to_string(delivery_status s) noexcept;
std::ostream& operator<<(std::ostream& os, delivery_status s);

/** One HTTP attempt of an event. */
struct attempt {
    /// The response's status, or 0 when there was none (see `error`).
    int status = 0;
    /// A transport error (timeout, connection refused, ...), or none.
    boost::system::error_code error;
    /// From the start of the request to its response or error.
    std::chrono::nanoseconds elapsed{};
    /// The start of the response body (at most `delivery::body_excerpt_limit` bytes).
    std::string body_excerpt;
    /// The wait decided before the next attempt (zero for the last one).
    std::chrono::milliseconds retry_delay{};
};

/** The outcome of one event: what happened on every attempt and how it ended. */
struct delivery {
    static constexpr std::size_t body_excerpt_limit = 20 * 1024;

    event_id id;
    delivery_status status = delivery_status::rejected;
    /** Why it was not delivered, and so what happened last: the last attempt's own error
        when it had one (connection refused, a certificate failure, a timeout,
        `error::address_not_allowed`, `error::token_request_failed`, ...); for an answer, what
        it meant (`error::rejected_by_receiver`, `error::endpoint_gone`, or
        `error::retries_exhausted` after a retried status such as 503, found in
        `http_status`); or the library's reason for rejected, dropped, expired and abandoned
        events. None when delivered. Printing the delivery says it all in one line. */
    boost::system::error_code error;
    /// The last response's status, or 0.
    int http_status = 0;
    /// Every attempt made, in order (none for rejected and dropped events).
    boost::container::small_vector<attempt, 1> attempts;
    /// From acceptance to the outcome.
    std::chrono::nanoseconds total_time{};
    /// Events carried by the request (more than one when batched).
    std::size_t batch_size = 1;

    bool ok() const noexcept { return status == delivery_status::delivered; }
};

/** One line for a log, e.g. `01J9... failed after 3 attempts: HTTP 503 (receiver kept
    answering with a status that is retried ...)`, `01J9... failed after 1 attempt: Connection
    refused`, `rejected: dispatcher queue is full`, `01J9... delivered after 1 attempt: HTTP
    204`. */
std::ostream& operator<<(std::ostream& os, const delivery& d);
/// The line `operator<<` writes.
std::string to_string(const delivery& d);

/** Counters of a dispatcher, since it was made. `accepted` = `delivered` + `failed` + `dropped`
    + `abandoned` + `in_flight` + `queued` + `spooled` at every moment; `rejected` events were
    never accepted. With a spool that several processes share (`redis_spool`,
    `postgres_spool`), an event is accepted by the process that reads it from the spool, which
    may not be the one that posted it (and an event taken over from a dead process is counted
    again by the one that takes it). */
struct dispatcher_counters {
    std::uint64_t accepted = 0;
    std::uint64_t delivered = 0;
    /// Failed, gone included.
    std::uint64_t failed = 0;
    std::uint64_t dropped = 0;
    std::uint64_t rejected = 0;
    std::uint64_t abandoned = 0;
    /// Attempts after the first, over all events.
    std::uint64_t retried_attempts = 0;
    /// Accepted, not yet settled, and being sent or waiting to retry.
    std::uint64_t in_flight = 0;
    /// Accepted and waiting in memory for their first attempt.
    std::uint64_t queued = 0;
    /// Accepted into the spool and not yet read back into memory (0 without a spool).
    std::uint64_t spooled = 0;
    /// Left unsettled in the spool by an earlier run and redelivered by this one (counted in
    /// `accepted` too).
    std::uint64_t replayed = 0;
    /// The endpoint's circuit breaker now.
    circuit_state circuit = circuit_state::closed;
    /** Requests that may be in flight at once now: `max_in_flight` (1 when ordered), or, with
        `endpoint::adaptive_concurrency`, the limit it has reached. */
    std::uint64_t concurrency_limit = 0;
    friend bool operator==(const dispatcher_counters&, const dispatcher_counters&) = default;
};

} // namespace webhook

#include <webhook/dispatch/impl/delivery.hpp>

#endif
