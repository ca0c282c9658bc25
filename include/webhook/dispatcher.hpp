#ifndef WEBHOOK_DISPATCHER_HPP
#define WEBHOOK_DISPATCHER_HPP

#include <webhook/delivery.hpp>
#include <webhook/endpoint.hpp>
#include <webhook/json.hpp>
#include <webhook/spool.hpp>
#include <webhook/transport/beast_transport.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

namespace webhook {

/** Settings of a dispatcher that are not part of the endpoint's configuration. */
struct dispatcher_options {
    /** Called once for every event accepted by `post`, with its outcome, on the dispatcher's
        executor (keep it short; do not block in it). Events sent with `send`/`async_send`
        report to their caller instead. */
    std::function<void(const delivery&)> on_outcome;
    /// How long destruction waits for accepted events to settle before abandoning them.
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
};

namespace detail {
template <class Transport, class Timer>
class dispatch_core;
}

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
    they must not be called from a thread that runs the dispatcher's executor.

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

    /** A dispatcher with its own I/O thread.
        @throws config_error when `ep` is not valid. */
    explicit basic_dispatcher(endpoint ep, dispatcher_options options = {});

    /** A dispatcher whose I/O runs on `executor` (the caller runs its context).
        @throws config_error when `ep` is not valid. */
    basic_dispatcher(boost::asio::any_io_executor executor, endpoint ep,
                     dispatcher_options options = {});

    /** Stops accepting, waits up to `shutdown_timeout` for accepted events to settle, then
        reports every event still unsettled as `abandoned`. No event goes without an outcome. */
    ~basic_dispatcher();

    basic_dispatcher(const basic_dispatcher&) = delete;
    basic_dispatcher& operator=(const basic_dispatcher&) = delete;

    /** Checks that the endpoint URL's placeholders name members of `Event` that can go in a
        URL. `send`, `async_send` and `post` check it too, and reject an event that fails it.
        @throws config_error naming the placeholder. */
    template <class Event>
    void bind() const;

    /** Sends `event` and blocks until it settles (delivered, failed, gone or rejected). */
    template <class Event>
    delivery send(const Event& event);

    /** Sends `event`; completes with its `delivery` once it settles.
        Completion signature: `void(webhook::delivery)`. The event is serialized before this
        returns, so it need not outlive the call. Not batched. */
    template <class Event, class CompletionToken>
    auto async_send(const Event& event, CompletionToken&& token);

    /** Enqueues `event` for background delivery and returns its id, or why it was refused:
        `error::queue_full`, `error::dispatcher_stopped`, `error::request_body_too_large`,
        `error::url_placeholder_mismatch` or a serialization error; with a spool, also the
        spool's error (`error::spool_full`, an I/O error such as no space left on device).
        A refused event counts as `rejected`; an accepted one later reaches `on_outcome`
        exactly once (or, with a spool, stays there when the dispatcher shuts down first).
        With a spool, the event is in it when this returns, and the queue's capacity bounds
        only the events held in memory: the rest wait in the spool. */
    template <class Event>
    boost::system::result<event_id> post(const Event& event);

    /** Accepts `letter` (a record of `dispatcher_options::dead_letters`, or any spool record)
        for delivery once more, with its original id, and acknowledges it in the dead letters.
        Refused like `post`. */
    boost::system::result<event_id> requeue(const spool_record& letter);

    /** Waits until every accepted event has settled, or `timeout` has passed; batches waiting
        for their linger time are sent at once. @return true when nothing is left. */
    bool flush(std::chrono::milliseconds timeout);

    dispatcher_counters counters() const;
    const endpoint& config() const noexcept;
    Transport& transport() noexcept;
    executor_type get_executor() const noexcept;

private:
    std::unique_ptr<boost::asio::io_context> own_context_;
    std::shared_ptr<detail::dispatch_core<Transport, Timer>> core_;
    std::thread own_thread_;
};

/// The dispatcher over the built-in HTTP/HTTPS transport.
using dispatcher = basic_dispatcher<beast_transport>;

} // namespace webhook

#include <webhook/impl/dispatcher.hpp>

#endif
