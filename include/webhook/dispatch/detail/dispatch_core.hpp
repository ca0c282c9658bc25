#ifndef WEBHOOK_DISPATCH_DETAIL_DISPATCH_CORE_HPP
#define WEBHOOK_DISPATCH_DETAIL_DISPATCH_CORE_HPP

#include <webhook/auth/authenticator.hpp>
#include <webhook/auth/detail/token_cache.hpp>
#include <webhook/config/circuit.hpp>
#include <webhook/config/detail/text.hpp>
#include <webhook/config/detail/url_template.hpp>
#include <webhook/config/endpoint.hpp>
#include <webhook/config/retry.hpp>
#include <webhook/detail/small_rng.hpp>
#include <webhook/dispatch/attempt_record.hpp>
#include <webhook/dispatch/delivery.hpp>
#include <webhook/dispatch/detail/adaptive_limit.hpp>
#include <webhook/dispatch/detail/attempt_machine.hpp>
#include <webhook/dispatch/detail/circuit_breaker.hpp>
#include <webhook/dispatch/detail/completion.hpp>
#include <webhook/dispatch/detail/dispatch_metrics.hpp>
#include <webhook/dispatch/detail/event_text.hpp>
#include <webhook/dispatch/detail/gzip.hpp>
#include <webhook/dispatch/detail/retry_after.hpp>
#include <webhook/dispatch/detail/ring_queue.hpp>
#include <webhook/dispatch/detail/token_bucket.hpp>
#include <webhook/observe/trace_context.hpp>
#include <webhook/signing/signing.hpp>
#include <webhook/spool.hpp>
#include <webhook/transport/detail/replace_field.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/timing.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace webhook::detail {

/** The machinery behind `basic_dispatcher`: the queue, the request slots, retries and
    outcomes. Shared with every pending handler, so that a late completion after shutdown
    finds it alive (and ignores itself).

    All state is guarded by `mutex_`. I/O steps run on `strand_` (or, when the dispatcher's
    own thread is the only one to run its context, on that context directly). Outcomes are
    reported outside the lock. Whether and when a request is sent, retried or settled is
    decided by the attempt machine (`attempt_machine.hpp`); this class carries it out. Its
    member functions are defined by concern in `impl/`: admission, requests, attempts,
    outcomes, the spool feed, and the life cycle. */
template <class Transport, class Timer>
class dispatch_core : public std::enable_shared_from_this<dispatch_core<Transport, Timer>> {
public:
    using clock = typename Timer::clock_type;
    using time_point = typename clock::time_point;
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
    using action = attempt_action<time_point>;

    /** `one_thread`: the executor's context is run by one thread only (the dispatcher's own).
        `transport`: the caller's, or null for one made here. */
    dispatch_core(boost::asio::any_io_executor executor, endpoint config,
                  dispatcher_options options, url_template url, bool one_thread,
                  std::shared_ptr<Transport> transport)
        : strand_(boost::asio::make_strand(std::move(executor))), one_thread_(one_thread),
          config_(std::move(config)), options_(std::move(options)), url_(std::move(url)),
          linger_timer_(std::in_place, strand_),
          bucket_(config_.rate_limit.per_second, std::max<std::size_t>(config_.rate_limit.burst, 1),
                  clock::now()),
          breaker_(config_.circuit_breaker), signer_(request_signer::make(config_.signing)),
          authenticator_(request_authenticator::make(config_.authentication)),
          limit_({.enabled = config_.adaptive_concurrency.enabled,
                  .ordered = config_.ordered,
                  .initial = config_.adaptive_concurrency.initial,
                  .ceiling = config_.max_in_flight}) {
        transport_ = transport ? std::move(transport) : make_transport();
        const request_headers headers = make_headers();
        if (authenticator_.needs_token())
            token_.emplace(authenticator_, headers);
        slot_capacity_ = config_.ordered ? 1 : config_.max_in_flight;
        prototype_ = make_request(config_.method, url_.url(), {}, headers);
        if (config_.compression == compression::gzip)
            prototype_.set(boost::beast::http::field::content_encoding, "gzip");
        slots_.reserve(slot_capacity_);
        if constexpr (!async_transport<Transport>)
            blocking_pool_.emplace(slot_capacity_);
        if (options_.spool && !shared_)
            count_replay();
    }

    /** Stops writing this dispatcher's gauges at scrapes: its dispatcher is gone, though this
        core may live on a little for handlers still under way (and a successor of the same
        name may write them now). */
    void detach_metrics() noexcept {
        if (metrics_)
            metrics_->detach();
    }

    /// Starts delivering what the spool kept from an earlier run. Once, after construction.
    void start() {
        if (options_.metrics)
            metrics_ = std::make_unique<dispatch_metrics>(
                options_.metrics, name_,
                [weak = this->weak_from_this()](metric_writer& w, const metric_labels& labels) {
                    if (const auto self = weak.lock())
                        write_dispatcher_gauges(w, labels, self->counters());
                });
        if (shared_) {
            // Woken by a spool that hears of records appended elsewhere (a PostgreSQL
            // NOTIFY on commit), besides the polling.
            wake_ = std::make_shared<const std::function<void()>>([weak = this->weak_from_this()] {
                if (const auto self = weak.lock())
                    self->schedule_pump();
            });
            options_.spool.on_ready(wake_);
        }
        if (unread_ > 0 || shared_) // a shared spool may hold events of other processes
            schedule_pump();
    }

    ~dispatch_core() {
        if (blocking_pool_)
            blocking_pool_->join();
    }

    const strand_type& strand() const noexcept { return strand_; }
    const endpoint& config() const noexcept { return config_; }
    const dispatcher_options& options() const noexcept { return options_; }
    const url_template& url() const noexcept { return url_; }
    Transport& transport() noexcept { return *transport_; }

    /** Accepts one serialized event (`payload` is its JSON without the data location;
        `target` its request target when the URL has placeholders; `headers` its own header
        lines). With `done`, the outcome goes there, even for a refusal, and the event is
        never batched; without, it goes to `on_outcome`. */
    boost::system::result<event_id> accept(const event_text& text, completion done = {},
                                           const event_id* id = nullptr);

    /// Accepts one posted event: through the spool when there is one, else into the queue.
    boost::system::result<event_id> accept_posted(const event_text& text,
                                                  const event_id* id = nullptr);

    /** Accepts one posted event through the spool: it is appended there (as durably as the
        spool promises) before this returns, and read back into memory when there is room.
        `id` is given for a requeued dead letter, else a new one is made. With `into` (the
        caller's transaction on an outbox), it is appended there instead, and not counted
        here: whoever reads that spool delivers it, if it commits. */
    boost::system::result<event_id> accept_spooled(const event_text& text,
                                                   const event_id* id = nullptr,
                                                   const appender_ref* into = nullptr);

    /// Counts an event refused before it reached `accept` (serialization, URL template).
    void count_rejected();

    dispatcher_counters counters() const;

    /// Waits until nothing is queued or in flight, or `timeout`.
    bool flush(std::chrono::milliseconds timeout);

    /** Whether this thread runs the dispatcher's executor, where waiting for a delivery
        would wait for this very thread. */
    bool on_own_executor() const noexcept;

    /** Shuts down, once: refuses new events (blocked callers of `post` get
        `dispatcher_stopped`), waits up to `timeout` for the accepted ones to settle, and
        reports the rest as abandoned. Waits only where waiting can help: not on the
        dispatcher's own executor, not with an `io_context` that has stopped, and not when
        a caller-run executor does not run a handler within `liveness_grace`.
        @return the ids of the abandoned events; none on later calls. */
    std::vector<event_id> shutdown(std::chrono::milliseconds timeout);

    /// How long shutdown waits for a sign that someone runs a caller's executor.
    static constexpr std::chrono::milliseconds liveness_grace{100};

    /** Reports every unsettled event as abandoned and returns their ids. Completions of
        requests still in flight find their slot's generation changed and do nothing. */
    std::vector<event_id> abandon_all();

    /** Destroys the I/O objects (timers, transport) while their execution context still
        exists; only once that context no longer runs. */
    void release_io();

private:
    /// One event waiting or being delivered.
    struct pending {
        event_id id;
        std::string payload;
        std::string target;
        /// Its own header lines (`name: value\r\n`), usually none.
        std::string headers;
        time_point accepted;
        completion done;
        std::chrono::system_clock::time_point created{};
        /// The spool's sequence number, when the event came through the spool.
        std::optional<std::uint64_t> sequence{};
    };

    /// A request in the making: up to `max_in_flight` of these exist.
    struct slot {
        explicit slot(const strand_type& ex) : timer(std::in_place, ex) {}

        http_request request;
        std::string compressed;
        std::vector<pending> events;
        boost::container::small_vector<attempt, 1> attempts;
        std::optional<Timer> timer;
        attempt_state<time_point> progress; // what the attempt machine knows, under the lock
        time_point attempt_start{};
        int last_status = 0;
        bool limited = false; // its attempt counts in `sending_` (adaptive concurrency)
        bool busy = false;
        bool circuit_wait = false;          // waiting for the circuit breaker to let it go
        std::string event_headers;          // the event's own headers that `request` carries
        std::optional<trace_context> trace; // the events' trace context, if they have one
        span_id_text span{};                // the span of the attempt in flight
        transport_timing timing;            // what the transport measured of that attempt
        std::uint64_t generation = 0;       // changes when abandoned: late completions are ignored
    };

    /** The token that requests carry when the authentication needs one
        (`request_authenticator::needs_token`): the request that obtains it, the cached token,
        who waits for it. */
    struct token_source {
        token_source(const request_authenticator& auth, const request_headers& headers)
            : request(auth.token_request(headers)), cache(auth.refresh_skew()) {}

        http_request request;                                 // sent as it is, on the strand
        token_cache<clock> cache;                             // under mutex_
        std::vector<std::pair<slot*, std::uint64_t>> waiters; // under mutex_
    };

    /// An outcome to report outside the lock, with its event (whose buffers are recycled
    /// once it is reported).
    struct settled {
        delivery outcome;
        pending event;
    };
    /// Usually one (a batch makes more): kept off the heap.
    using outcome_list = boost::container::small_vector<settled, 1>;

    /// Made from what its constructor takes (a transport need not be movable).
    std::shared_ptr<Transport> make_transport() const;

    request_headers make_headers() const;

    bool batching() const noexcept { return config_.batch.max_events > 1; }

    /// Whether a handler posted to the strand runs within `grace`.
    bool executor_runs(std::chrono::milliseconds grace);

    /// Whether the executor is an `io_context`'s that has stopped: nothing will run there.
    bool context_stopped() const noexcept;

    /// Nothing spooled, queued, in flight, or settled but not yet reported.
    bool idle_locked() const {
        return unread_ == 0 && drained_ == appends_ && queue_.empty() && in_flight_ == 0 &&
               reporting_ == 0;
    }

    /** Why an event of `payload` cannot be accepted now, if it cannot. A compressed body's
        size is known only once it is compressed, in `begin`. */
    boost::system::error_code refusal_locked(std::string_view payload, bool posted) const;

    /** How many bytes of JSON a batch may hold: a gzip body of that many bytes fits in
        `max_body_size` however badly it compresses (deflate's stored blocks add 5 bytes per
        16 KiB, gzip 18 bytes of header and trailer). */
    std::size_t batch_byte_limit() const noexcept;

    event_id new_id_locked();

    /** Counts what an earlier run left in the spool: those events are accepted already, and
        are read back in order before the ones posted now. */
    void count_replay();

    /** Reads spooled events into the queue while it has room. On the strand; the spool is
        read outside the lock, so that posting never waits for it. */
    void refill();

    /// Writes what a spool keeps of an event into `out`, reusing its buffers.
    void fill_record(spool_record& out, const event_id& id,
                     std::chrono::system_clock::time_point created, const event_text& text) const;

    /** The spool's part of settling posted events: acknowledged once delivered; a failure is
        written to the dead letters first. Abandoned events stay in the spool for the next
        run. Outside the lock, before the outcome is reported. */
    void settle_in_spools(const pending& ev, const delivery& outcome);

    /** Applies the overflow policy: no error once there is room, else why the event is
        refused. */
    boost::system::error_code make_room(std::unique_lock<std::mutex>& lock, bool posted,
                                        outcome_list& outcomes);

    /** Blocks a caller of `post` on a full queue until there is room, up to the queue's
        `block_timeout`. Callers are woken together once the queue has drained to its low-water
        mark, so that a producer faster than the receiver is not woken (and its event taken in)
        once per event; with a slow receiver, each caller still looks for room every 10 ms. */
    boost::system::error_code wait_for_room(std::unique_lock<std::mutex>& lock);

    /// Where blocked callers of `post` are woken: a quarter of the queue free.
    std::size_t low_water() const noexcept;

    event_id enqueue(const event_text& text, completion done, const event_id* given);

    std::string take_buffer();

    /** Keeps a settled event's payload buffer for the next event: as many as can be in use at
        once (queued, in flight, and settled but still being reported). */
    void recycle(pending&& p);

    /// Runs `pump` on the strand, once however many events arrive meanwhile.
    void schedule_pump();

    void post_pump();

    /// Moves queued events into free slots and starts them. On the strand.
    void pump();

    /** Moves the next request's events from the queue into `s`. False when a batch should
        wait for more events (its linger time has not passed). */
    bool take_batch(slot& s);
    /// The first queued event that no busy slot holds the ordering key of (see `keyed_`).
    std::size_t next_free_key() const;

    void arm_linger(time_point due);

    /// Builds the request of the events now in `s` and makes the first attempt. On the strand.
    void begin(slot& s);

    /// The endpoint-wide parts of the attempt machine. Under the lock.
    attempt_context<clock> attempt_context_locked();

    /// Asks the attempt machine whether `s` may go now, and carries out its answer.
    void attempt_now(slot& s, std::uint64_t generation);

    /// Slots whose attempt may go now that a request finished (adaptive concurrency).
    using waiter_list = boost::container::small_vector<std::pair<slot*, std::uint64_t>, 4>;

    /** Adaptive concurrency's say on the next attempt of `s`: true when it may go (counted
        in `sending_`), or must wait for a `Retry-After` pause to end (`next` becomes that
        wait); false when it waits in `limit_waiters_` for a request to finish. Under the
        lock. */
    bool limit_locked(slot& s, std::uint64_t generation, action& next, time_point now);

    /** Gives up the place of `s` in `sending_`: the waiting slots that may go now move to
        `ready`. Under the lock. */
    void release_locked(slot& s, waiter_list& ready);

    /// Makes the attempts of `ready`. On the strand, outside the lock.
    void resume(const waiter_list& ready);

    /** The part of an action that is done under the lock: the token into the request, or the
        request onto the token's waiters. */
    void prepare_locked(slot& s, std::uint64_t generation, const action& next, time_point now);

    /// Does what the attempt machine decided for `s`. On the strand, outside the lock.
    void carry_out(slot& s, std::uint64_t generation, const action& next);

    /// Signs (each attempt anew: its timestamp is when it is sent) and sends `s`'s request.
    void send_attempt(slot& s, std::uint64_t generation);

    /** Sends `request` through the transport; `done(ec, response)` runs on the strand. With
        `timing`, a transport that can (`timed_transport`) fills it in. */
    template <class Handler>
    void send_request(const origin& where, const http_request& request, Handler done,
                      transport_timing* timing = nullptr);

    /** Tells `on_attempt` and the metrics of the attempt `a` of `s` that just ended. On the
        strand, outside the lock. */
    void observe_attempt(const slot& s, const attempt& a, time_point accepted);

    /// Sends the request that obtains the token: one at a time. On the strand.
    void fetch_token();

    /** Resumes the requests that waited for the token. Without one, each of them fails
        its attempt with `error::token_request_failed` (the body of a non-2xx answer to the
        token request as the attempt's body excerpt), and the retry policy decides what comes
        next; a token request that the destination policy refuses fails them at once, as a
        refused receiver does (`error::address_not_allowed`). */
    void on_token(boost::system::error_code ec, http_response response);

    /// Records one attempt and carries out what the attempt machine decides. On the strand.
    void on_response(slot& s, std::uint64_t generation, boost::system::error_code ec,
                     http_response response);

    /// Ends the events of `s` with `status` and frees the slot. On the strand.
    void settle(slot& s, std::uint64_t generation, delivery_status status,
                boost::system::error_code ec);

    /** Tells the observer of a change of the circuit's state; on a close, the requests that
        waited for the circuit go at once instead of at their next poll. On the strand. */
    void report_circuit(std::optional<circuit_state> changed);

    /// The outcome of `ev`, which it takes along.
    settled outcome_of(pending&& ev, delivery_status status, boost::system::error_code ec,
                       int http_status, boost::container::small_vector<attempt, 1> attempts,
                       std::size_t batch, time_point now);

    /** Hands outcomes to their callers or to `on_outcome`. Never under the lock; they were
        counted in `reporting_` under it, so that `flush` returns only after they are out. */
    void report(outcome_list& outcomes);

    strand_type strand_;
    const bool one_thread_;
    const endpoint config_;
    const dispatcher_options options_;
    const url_template url_;
    const std::string url_text_ = redact_url(config_.url); // query and user info hidden
    const std::string name_ = options_.name.empty() ? url_text_ : options_.name;
    std::unique_ptr<dispatch_metrics> metrics_; // with `options_.metrics`, from `start` on
    small_rng span_rng_;                        // span ids, on the strand
    std::shared_ptr<Transport> transport_;
    std::optional<boost::asio::thread_pool> blocking_pool_;
    /** Made as the load needs them, up to `slot_capacity_` (an idle endpoint holds none:
        a hub has thousands), each with a copy of `prototype_`, the request without a body. */
    std::vector<std::unique_ptr<slot>> slots_;
    std::size_t slot_capacity_ = 0;
    http_request prototype_;
    std::optional<Timer> linger_timer_;
    gzip_compressor gzip_; // used on the strand only

    mutable std::mutex mutex_;
    std::condition_variable room_;    // the queue has room, or the dispatcher stops
    std::condition_variable settled_; // nothing queued or in flight
    ring_queue<pending> queue_;
    std::size_t blocked_ = 0; // callers of post waiting for room
    std::vector<std::string> spare_;
    dispatcher_counters counters_;
    token_bucket<clock> bucket_;
    circuit_breaker<clock> breaker_;
    const request_signer signer_;
    const request_authenticator authenticator_;
    sign_buffers sign_buffers_; // on the strand
    small_rng rng_;             // event ids (under the mutex), retry jitter
    bool stopping_ = false;
    bool shut_down_ = false;
    int flushing_ = 0;
    bool pump_scheduled_ = false;
    std::size_t busy_slots_ = 0;
    std::size_t in_flight_ = 0; // events in busy slots
    bool linger_armed_ = false;
    /** Some event had an ordering key (`webhook-ordering-key`): from then on a slot takes the
        first queued event whose key no other slot holds, looking this far down the queue
        (farther events wait, still in order). Without keys, the front, as always. */
    bool keyed_ = false;
    static constexpr std::size_t ordering_lookahead = 256;
    std::size_t reporting_ = 0;         // outcomes settled and not yet reported
    std::optional<token_source> token_; // when the authentication needs a token
    // Adaptive concurrency (when `config_.adaptive_concurrency.enabled` and not ordered):
    // attempts on the wire, and the slots whose attempt waits for one of them to finish.
    adaptive_limit<clock> limit_;
    std::size_t sending_ = 0;
    ring_queue<std::pair<slot*, std::uint64_t>> limit_waiters_;

    // The spool (when there is one): events appended or replayed and not yet read back.
    static constexpr std::size_t read_chunk = 256;
    std::uint64_t unread_ = 0;
    // A shared spool: its events are not counted (any process may take them). Appends made,
    // and those made before the last read that found nothing; equal when drained.
    const bool shared_ = options_.spool && options_.spool.shared();
    std::uint64_t appends_ = 0;
    // Subscribed to the spool's `on_ready` for as long as this lives.
    std::shared_ptr<const std::function<void()>> wake_;
    std::uint64_t drained_ = 0;
    std::uint64_t next_read_ = 0;            // on the strand
    std::vector<spool_record> spool_buffer_; // on the strand
};

} // namespace webhook::detail

#include <webhook/dispatch/detail/impl/admission.hpp>
#include <webhook/dispatch/detail/impl/attempts.hpp>
#include <webhook/dispatch/detail/impl/lifecycle.hpp>
#include <webhook/dispatch/detail/impl/outcomes.hpp>
#include <webhook/dispatch/detail/impl/requests.hpp>
#include <webhook/dispatch/detail/impl/spool_feed.hpp>

#endif
