#ifndef WEBHOOK_DISPATCH_DISPATCHER_HPP
#define WEBHOOK_DISPATCH_DISPATCHER_HPP

#include <webhook/config/endpoint.hpp>
#include <webhook/dispatch/attempt_record.hpp>
#include <webhook/dispatch/delivery.hpp>
#include <webhook/json.hpp>
#include <webhook/observe/trace_context.hpp>
#include <webhook/spool/spool.hpp>
#include <webhook/transport/beast_transport.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhook {

class metrics_registry;

/** Settings of a dispatcher that are not part of the endpoint's configuration. */
struct dispatcher_options {
    /** Called once for every event accepted by `post`, with its outcome, on the dispatcher's
        executor (keep it short; do not block in it). Events sent with `send`/`async_send`
        report to their caller instead. */
    std::function<void(const delivery&)> on_outcome;
    /** How long destruction waits for accepted events to settle before abandoning them,
        unless `shutdown` was called before (see there). */
    std::chrono::milliseconds shutdown_timeout{5'000};
    /// Serialization policies (NaN, invalid UTF-8, empty optionals).
    json::write_options json;
    /** Called on every change of the endpoint's circuit breaker (see
        `endpoint::circuit_breaker`), on the dispatcher's executor. */
    std::function<void(circuit_state)> on_circuit_change;
    /** Where `post` keeps events until they settle, so that they survive a crash or restart
        (e.g. a `file_spool`). Events it holds from an earlier run are delivered again, with
        their ids, from construction on. Empty: events are kept in memory only. */
    any_spool spool;
    /** With a spool that several processes share (`any_spool::shared()`, e.g. `redis_spool`):
        how often it is read while it has nothing for this process. */
    std::chrono::milliseconds spool_poll_interval{100};
    /** Where posted events that fail for good (refused, gone, retries exhausted, expired) are
        written, with their last status and error, for `requeue` later. Empty: none kept. */
    any_spool dead_letters;
    /** The endpoint's name in attempt records and metrics (their `endpoint` label). Empty:
        the URL, its query written as `?***`. Unique among the dispatchers of one registry. */
    std::string name;
    /** Called after every attempt, with what was sent, what came back and where the time
        went (see `attempt_record`; `to_json_line` writes it for logs), on the dispatcher's
        executor (keep it short). */
    std::function<void(const attempt_record&)> on_attempt;
    /** The trace context of the caller, asked once per event on the thread that posts or
        sends it, for events that do not bring their own `traceparent` header (e.g. from
        OpenTelemetry's current span). Empty, or returning none: not traced. */
    std::function<std::optional<trace_context>()> current_trace;
    /** Where the dispatcher's metrics go (see docs/observability.md): attempts by status
        class, attempt latency and end-to-end delay histograms, events by outcome, and the
        queue, in-flight, spool, circuit and concurrency gauges, labelled with `name`. Its
        series are removed when the dispatcher is destroyed. Empty: none. */
    std::shared_ptr<metrics_registry> metrics;
};

/** One header of one event, e.g. `{"X-Event-Type", "incident.updated"}`: a name and a value,
    viewed for the duration of the call that takes it. */
using header_view = std::pair<std::string_view, std::string_view>;

/** The request headers of one event, added to the endpoint's for that event only:
    `d.post(ev, {{"X-Tenant", "acme"}})`. They are validated as the endpoint's headers are: a name
    must be an HTTP token that neither the library (`Host`, `Content-Length`, `webhook-id`, the
    signature's and authentication's headers, ...) nor the endpoint's `headers` set, and a value
    must hold no control character but tab; else the event is refused with
    `error::invalid_header_name`, `error::invalid_header_value` or `error::reserved_header`.
    A `traceparent` (with its `tracestate`) is the event's W3C trace context: checked
    (`error::invalid_traceparent`, `error::invalid_tracestate`), kept with the event in a spool,
    and sent on every attempt with a new span id as its parent id.
    A `webhook-ordering-key` (`ordering_key_header`) is the event's ordering key: events with
    the same key are delivered one at a time in the order accepted, different keys in parallel.
    Events with different headers never share a batch. Holds its own copy of the names and
    values, so it may be kept in a variable and outlive what it was made from. */
class event_headers {
public:
    /// One header, owned.
    using field = std::pair<std::string, std::string>;

    event_headers() = default;
    event_headers(std::initializer_list<header_view> fields)
        : fields_(fields.begin(), fields.end()) {}
    /// Any range of name/value pairs: a `std::vector<header_view>`, a `std::map<std::string,
    /// std::string>`, a `std::span`.
    template <std::ranges::input_range Range>
        requires std::is_convertible_v<std::ranges::range_reference_t<const Range&>, header_view>
        event_headers(const Range& fields) {
            for (header_view f : fields)
                fields_.emplace_back(f);
        }

    std::span<const field> fields() const noexcept { return fields_; }

private:
    std::vector<field> fields_;
};

namespace detail {
template <class Transport, class Timer>
class dispatch_core;
struct appender_ref;
} // namespace detail

template <class Transport, class Timer>
class basic_hub;

/** Delivers events to one endpoint: serializes each event under the endpoint's data location,
    sends it with the configured method, headers and authentication through `Transport`, and
    retries by the endpoint's policy until the event settles in exactly one outcome.

    Three ways to send:
    - `send(ev)` blocks until the event settles and returns its `delivery`.
    - `async_send(ev, token)` completes with the `delivery`, for any Asio completion token.
    - `post(ev)` enqueues and returns at once; the outcome goes to
      `dispatcher_options::on_outcome` and the counters. `flush` waits for the queue.

    Every accepted event gets an `event_id`, sent as the `webhook-id` header on every attempt.

    Threads: every member function may be called from any thread. The constructor without an
    executor starts one thread of the dispatcher's own for all I/O; the one with an executor
    runs all I/O there, and the caller runs it. `send`, `flush` and blocking `post` wait, so
    they must not be called from a thread that runs the dispatcher's executor (such as
    `on_outcome`): they fail at once there with `error::would_deadlock`.

    @tparam Transport a `webhook::transport`: an asynchronous one is used through
    `async_send`; a blocking-only one is run on a pool of `max_in_flight` threads.
    @tparam Timer the timer of retry delays, rate limits and lingering batches; tests use
    one over a manual clock. */
template <class Transport, class Timer = boost::asio::steady_timer>
class basic_dispatcher {
    static_assert(transport<Transport>,
                  "webhook::basic_dispatcher: Transport must satisfy webhook::transport "
                  "(a blocking send or an asynchronous async_send; see docs/transports.md)");

public:
    using transport_type = Transport;
    using executor_type = boost::asio::strand<boost::asio::any_io_executor>;
    using clock_type = typename Timer::clock_type;

    /** A dispatcher with its own I/O thread, and a transport it makes: from
        `(executor, beast_transport_options)` when `Transport` has that constructor (the
        options come from `ep`), else from `(executor)`, else default-constructed.
        @throws config_error when `ep` is not valid. */
    explicit basic_dispatcher(endpoint ep, dispatcher_options options = {});

    /** A dispatcher with its own I/O thread that sends through `transport`, which the caller
        may share (a recording fake in a unit test, one pool for several dispatchers). Its
        completions may run on any executor: the dispatcher takes them to its own.
        @throws config_error when `ep` is not valid, std::invalid_argument when `transport` is
        null. */
    basic_dispatcher(std::shared_ptr<Transport> transport, endpoint ep,
                     dispatcher_options options = {});

    /** A dispatcher whose I/O runs on `executor` (the caller runs its context), with a
        transport it makes as above.
        @throws config_error when `ep` is not valid. */
    basic_dispatcher(boost::asio::any_io_executor executor, endpoint ep,
                     dispatcher_options options = {});

    /** A dispatcher whose I/O runs on `executor`, sending through the caller's `transport`.
        @throws config_error when `ep` is not valid, std::invalid_argument when `transport` is
        null. */
    basic_dispatcher(boost::asio::any_io_executor executor, std::shared_ptr<Transport> transport,
                     endpoint ep, dispatcher_options options = {});

    /** `shutdown(options.shutdown_timeout)` unless `shutdown` was called before; then, with
        its own thread, stops that thread. No event goes without an outcome. With a caller-run
        executor it does not wait when called on that executor or when its `io_context` has
        stopped (nothing could settle meanwhile): call `shutdown` while the context still runs
        to give events time to settle. */
    ~basic_dispatcher();

    basic_dispatcher(const basic_dispatcher&) = delete;
    basic_dispatcher& operator=(const basic_dispatcher&) = delete;

    /** Checks that the endpoint URL's placeholders name members of `Event` that can go in a
        URL. `send`, `async_send` and `post` check it too, and reject an event that fails it.
        @throws config_error naming the placeholder. */
    template <class Event>
    void bind() const;

    /** Sends `event` and blocks until it settles (delivered, failed, gone or rejected); a
        refusal (queue full, body too large, shutting down, ...) is a `rejected` delivery with
        its reason. Retries follow the endpoint's `retry` policy, as for `post`: the default
        makes up to 8 attempts over about two minutes, which the caller waits for; give an
        endpoint for interactive senders a shorter policy or a `max_event_age`.
        Called on a thread that runs the dispatcher's executor, it returns at once, rejected
        with `error::would_deadlock`. */
    template <class Event>
    delivery send(const Event& event, event_headers headers = {});

    /** Sends `event`; completes with its `delivery` once it settles, or is refused (then
        with status `rejected` and the reason).
        Completion signature: `void(webhook::delivery)`. The event and its headers are
        serialized before this returns, so they need not outlive the call. Not batched. The
        handler runs on its associated executor, or the dispatcher's; never inside this call. */
    template <class Event, class CompletionToken>
    auto async_send(const Event& event, CompletionToken&& token);
    /// `async_send` with the event's own request headers.
    template <class Event, class CompletionToken>
    auto async_send(const Event& event, event_headers headers, CompletionToken&& token);

    /** Enqueues `event` for background delivery and returns its id, or why it was refused:
        `error::queue_full`, `error::dispatcher_stopped`, `error::request_body_too_large`,
        `error::url_placeholder_mismatch`, a header error (see `event_headers`) or a
        serialization error; `error::would_deadlock` when it would block on a full queue on
        a thread that runs the dispatcher's executor; with a spool, also the spool's error
        (`error::spool_full`, an I/O error such as no space left on device). With the `block`
        policy, a caller still waiting when the dispatcher shuts down gets
        `error::dispatcher_stopped`.
        A refused event counts as `rejected`; an accepted one later reaches `on_outcome`
        exactly once (or, with a spool, stays there when the dispatcher shuts down first).
        With a spool, the event is in it when this returns, and the queue's capacity bounds
        only the events held in memory: the rest wait in the spool. */
    template <class Event>
    boost::system::result<event_id> post(const Event& event, event_headers headers = {});

    /** Appends `event` through `appender` instead of keeping it here: typically into the
        caller's open transaction on a PostgreSQL outbox (`outbox->in_transaction(conn)`), so
        that the event exists exactly when that transaction commits. Serialized and checked
        as `post` does, with a new id; returns the id, or the refusal (as for `post`), or the
        appender's error. The dispatchers whose spool is that outbox deliver it once it is
        committed (this one among them when `options.spool` is it). Not counted as accepted
        here, since the transaction may still roll back. */
    template <class Event, class Appender>
        requires spool_appender<std::remove_cvref_t<Appender>> boost::system::result<event_id>
        post(const Event& event, Appender&& appender, event_headers headers = {});

    /** Accepts `letter` (a record of `dispatcher_options::dead_letters`, or any spool record)
        for delivery once more, with its original id, and acknowledges it in the dead letters.
        Refused like `post`. */
    boost::system::result<event_id> requeue(const spool_record& letter);

    /** Waits until every accepted event has settled, or `timeout` has passed; batches waiting
        for their linger time are sent at once. @return true when nothing is left.
        @throws boost::system::system_error with `error::would_deadlock` when called on a
        thread that runs the dispatcher's executor. */
    bool flush(std::chrono::milliseconds timeout);

    /** Shuts down for good, e.g. on SIGTERM: refuses new events from now on (callers blocked
        in `post` get `error::dispatcher_stopped`), waits up to `timeout` for the accepted
        ones to settle, and reports every event still unsettled as `abandoned` (to
        `on_outcome` or its `async_send` caller; with a spool, posted events stay there for
        the next run). Does not wait where waiting cannot help (see the destructor).
        @return the ids of the abandoned events; none when called again. */
    std::vector<event_id> shutdown(std::chrono::milliseconds timeout);

    /// `shutdown` without waiting: abandons at once what is unsettled.
    std::vector<event_id> stop() { return shutdown(std::chrono::milliseconds{0}); }

    dispatcher_counters counters() const;
    const endpoint& config() const noexcept;
    /// The transport (made by the dispatcher, or the one given to it).
    Transport& transport() noexcept;
    executor_type get_executor() const noexcept;

private:
    // A hub serializes an event once for all its endpoints: see `post_serialized`.
    friend class basic_hub<Transport, Timer>;

    basic_dispatcher(std::unique_ptr<boost::asio::io_context> own,
                     boost::asio::any_io_executor executor, std::shared_ptr<Transport> transport,
                     endpoint ep, dispatcher_options options);

    /// `post`: into the dispatcher (its queue or spool), or through `into` when not null.
    template <class Event>
    boost::system::result<event_id> post_into(const Event& event, const event_headers& headers,
                                              const detail::appender_ref* into);

    /// `post` of an event whose JSON (without the data location, written with `json` options
    /// equal to this dispatcher's) the caller wrote: only its target and headers are made here.
    template <class Event>
    boost::system::result<event_id> post_serialized(const Event& event, std::string_view payload,
                                                    const event_headers& headers);

    std::unique_ptr<boost::asio::io_context> own_context_;
    std::shared_ptr<detail::dispatch_core<Transport, Timer>> core_;
    std::thread own_thread_;
};

/// The dispatcher over the built-in HTTP/HTTPS transport.
using dispatcher = basic_dispatcher<beast_transport>;

} // namespace webhook

#include <webhook/dispatch/impl/dispatcher.hpp>

#include <webhook/dispatch/detail/instances.hpp>

#endif
