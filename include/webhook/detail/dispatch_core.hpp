#ifndef WEBHOOK_DETAIL_DISPATCH_CORE_HPP
#define WEBHOOK_DETAIL_DISPATCH_CORE_HPP

#include <webhook/circuit.hpp>
#include <webhook/delivery.hpp>
#include <webhook/dispatch/detail/attempt_machine.hpp>
#include <webhook/detail/circuit_breaker.hpp>
#include <webhook/detail/gzip.hpp>
#include <webhook/detail/oauth.hpp>
#include <webhook/detail/replace_field.hpp>
#include <webhook/detail/ring_queue.hpp>
#include <webhook/detail/retry_after.hpp>
#include <webhook/detail/token_bucket.hpp>
#include <webhook/detail/url_template.hpp>
#include <webhook/endpoint.hpp>
#include <webhook/retry.hpp>
#include <webhook/signing.hpp>
#include <webhook/spool.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/system/system_error.hpp>
#include <boost/beast/http/field.hpp>

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

/** An `any_completion_handler<void(delivery)>` that can be move-assigned. Boost 1.81's own
    move assignment copies from an lvalue into a new handler that wraps the old one, without
    end: assigning a caller's completion crashed the process with a stack overflow. */
class completion {
public:
    completion() = default;
    template <class Handler>
        requires(!std::is_same_v<std::decay_t<Handler>, completion>)
    explicit completion(Handler&& h) : handler_(std::forward<Handler>(h)) {}
    completion(completion&&) noexcept = default;
    completion& operator=(completion&& other) noexcept {
        boost::asio::any_completion_handler<void(delivery)> taken(std::move(other.handler_));
        handler_.swap(taken);
        return *this;
    }

    explicit operator bool() const noexcept { return static_cast<bool>(handler_); }
    void operator()(delivery d) && { std::move(handler_)(std::move(d)); }

private:
    boost::asio::any_completion_handler<void(delivery)> handler_;
};

/// What an event is once prepared: views of its JSON, request target and own header lines.
struct event_text {
    std::string_view payload;
    std::string_view target;
    std::string_view headers;
};

/** Calls `f(name, value)` for each `name: value\r\n` line of `lines`, which the dispatcher
    wrote from validated headers. */
template <class F>
void for_each_header_line(std::string_view lines, F&& f) {
    while (!lines.empty()) {
        const std::size_t end = lines.find("\r\n");
        const std::string_view line = lines.substr(0, end);
        if (const std::size_t colon = line.find(": "); colon != std::string_view::npos)
            f(line.substr(0, colon), line.substr(colon + 2));
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
    }
}

/// The outcome of an event refused before it was accepted.
inline delivery refusal(boost::system::error_code why) {
    delivery d;
    d.status = delivery_status::rejected;
    d.error = why;
    return d;
}

/** The machinery behind `basic_dispatcher`: the queue, the request slots, retries and
    outcomes. Shared with every pending handler, so that a late completion after shutdown
    finds it alive (and ignores itself).

    All state is guarded by `mutex_`. I/O steps run on `strand_` (or, when the dispatcher's
    own thread is the only one to run its context, on that context directly). Outcomes are
    reported outside the lock. Retry decisions are the pure functions of `retry.hpp`; this class only
    carries them out. */
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
          config_(std::move(config)),
          options_(std::move(options)), url_(std::move(url)), linger_timer_(std::in_place, strand_),
          bucket_(config_.rate_limit.per_second, std::max<std::size_t>(config_.rate_limit.burst, 1),
                  clock::now()),
          breaker_(config_.circuit_breaker), signer_(request_signer::make(config_.signing)),
          rng_(std::random_device{}()) {
        transport_ = transport ? std::move(transport) : make_transport();
        const request_headers headers = make_headers();
        if (const auto* oauth = std::get_if<oauth2_client_credentials>(&config_.authentication))
            oauth_.emplace(*oauth, headers);
        const std::size_t slots = config_.ordered ? 1 : config_.max_in_flight;
        for (std::size_t i = 0; i < slots; ++i) {
            auto s = std::make_unique<slot>(strand_);
            s->request = make_request(config_.method, url_.url(), {}, headers);
            if (config_.compression == compression::gzip)
                s->request.set(boost::beast::http::field::content_encoding, "gzip");
            slots_.push_back(std::move(s));
        }
        if constexpr (!async_transport<Transport>)
            blocking_pool_.emplace(slots);
        if (options_.spool && !shared_)
            count_replay();
    }

    /// Starts delivering what the spool kept from an earlier run. Once, after construction.
    void start() {
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
                                           const event_id* id = nullptr) {
        const bool posted = !done;
        outcome_list outcomes;
        boost::system::result<event_id> result = make_error_code(error::queue_full);
        bool wake = false;
        {
            std::unique_lock lock(mutex_);
            boost::system::error_code refused = refusal_locked(text.payload, posted);
            if (!refused)
                refused = make_room(lock, posted, outcomes);
            if (refused) {
                result = refused;
            } else {
                result = enqueue(text, std::move(done), id);
                // With every slot busy, the next settle pumps: no need to wake the I/O thread.
                wake = busy_slots_ < slots_.size() && !pump_scheduled_;
                pump_scheduled_ = pump_scheduled_ || wake;
            }
            if (!result) {
                ++counters_.rejected;
                if (done) { // an asynchronous caller hears of the refusal as its outcome
                    pending event{};
                    event.done = std::move(done);
                    outcomes.push_back(settled{refusal(result.error()), std::move(event)});
                }
            }
            reporting_ += outcomes.size();
        }
        report(outcomes);
        if (wake)
            post_pump();
        return result;
    }

    /// Accepts one posted event: through the spool when there is one, else into the queue.
    boost::system::result<event_id> accept_posted(const event_text& text,
                                                  const event_id* id = nullptr) {
        return options_.spool ? accept_spooled(text, id) : accept(text, {}, id);
    }

    /** Accepts one posted event through the spool: it is appended there (as durably as the
        spool promises) before this returns, and read back into memory when there is room.
        `id` is given for a requeued dead letter, else a new one is made. */
    boost::system::result<event_id> accept_spooled(const event_text& text,
                                                   const event_id* id = nullptr) {
        thread_local spool_record record; // reused: appending allocates nothing after warm-up
        event_id given;
        {
            std::lock_guard lock(mutex_);
            if (const auto refused = refusal_locked(text.payload, true)) {
                ++counters_.rejected;
                return refused;
            }
            given = id ? *id : new_id_locked();
            // Counted before the append, so that a reader never sees more read than written.
            ++counters_.accepted;
            ++(shared_ ? appends_ : unread_);
        }
        fill_record(record, given, std::chrono::system_clock::now(), text);
        const auto appended = options_.spool.append(record);
        bool wake = false;
        {
            std::lock_guard lock(mutex_);
            if (!appended) {
                --counters_.accepted;
                --(shared_ ? appends_ : unread_);
                ++counters_.rejected;
                if (idle_locked())
                    settled_.notify_all();
                return appended.error();
            }
            wake = queue_.size() < config_.queue.capacity && !pump_scheduled_;
            pump_scheduled_ = pump_scheduled_ || wake;
        }
        if (wake)
            post_pump();
        return record.id;
    }

    /// Counts an event refused before it reached `accept` (serialization, URL template).
    void count_rejected() {
        std::lock_guard lock(mutex_);
        ++counters_.rejected;
    }

    dispatcher_counters counters() const {
        std::lock_guard lock(mutex_);
        dispatcher_counters c = counters_;
        c.queued = queue_.size();
        c.in_flight = in_flight_;
        c.spooled = unread_;
        return c;
    }

    /// Waits until nothing is queued or in flight, or `timeout`.
    bool flush(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        ++flushing_;
        lock.unlock();
        schedule_pump(); // lingering batches go now
        lock.lock();
        const bool done = settled_.wait_for(lock, timeout, [&] { return idle_locked(); });
        --flushing_;
        return done;
    }

    /** Whether this thread runs the dispatcher's executor, where waiting for a delivery
        would wait for this very thread. */
    bool on_own_executor() const noexcept {
        if (strand_.running_in_this_thread())
            return true;
        const boost::asio::any_io_executor& inner = strand_.get_inner_executor();
        if (const auto* io = inner.template target<boost::asio::io_context::executor_type>())
            return io->running_in_this_thread();
        if (const auto* pool = inner.template target<boost::asio::thread_pool::executor_type>())
            return pool->running_in_this_thread();
        return false;
    }

    /** Shuts down, once: refuses new events (blocked callers of `post` get
        `dispatcher_stopped`), waits up to `timeout` for the accepted ones to settle, and
        reports the rest as abandoned. Waits only where waiting can help: not on the
        dispatcher's own executor, not with an `io_context` that has stopped, and not when
        a caller-run executor does not run a handler within `liveness_grace`.
        @return the ids of the abandoned events; none on later calls. */
    std::vector<event_id> shutdown(std::chrono::milliseconds timeout) {
        {
            std::lock_guard lock(mutex_);
            if (shut_down_)
                return {};
            shut_down_ = stopping_ = true;
            room_.notify_all();
        }
        if (timeout.count() > 0 && !on_own_executor() && !context_stopped() &&
            (one_thread_ || executor_runs(std::min(timeout, liveness_grace))))
            flush(timeout);
        return abandon_all();
    }

    /// How long shutdown waits for a sign that someone runs a caller's executor.
    static constexpr std::chrono::milliseconds liveness_grace{100};

    /** Reports every unsettled event as abandoned and returns their ids. Completions of
        requests still in flight find their slot's generation changed and do nothing. */
    std::vector<event_id> abandon_all() {
        outcome_list outcomes;
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            const auto now = clock::now();
            while (!queue_.empty()) {
                outcomes.push_back(outcome_of(std::move(queue_.front()), delivery_status::abandoned,
                                              error::abandoned_at_shutdown, 0, {}, 1, now));
                queue_.pop_front();
                ++counters_.abandoned;
            }
            for (auto& s : slots_) {
                if (!s->busy)
                    continue;
                ++s->generation;
                s->busy = false;
                --busy_slots_;
                in_flight_ -= s->events.size();
                for (auto& ev : s->events) {
                    outcomes.push_back(outcome_of(std::move(ev), delivery_status::abandoned,
                                                  error::abandoned_at_shutdown, s->last_status,
                                                  s->attempts, s->events.size(), now));
                    ++counters_.abandoned;
                }
                s->events.clear();
            }
            reporting_ += outcomes.size();
        }
        std::vector<event_id> ids;
        for (const settled& o : outcomes)
            ids.push_back(o.outcome.id);
        report(outcomes);
        return ids;
    }

    /** Destroys the I/O objects (timers, transport) while their execution context still
        exists; only once that context no longer runs. */
    void release_io() {
        for (auto& s : slots_)
            s->timer.reset();
        linger_timer_.reset();
        transport_.reset();
    }

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
        bool busy = false;
        bool circuit_wait = false; // waiting for the circuit breaker to let it go
        std::string event_headers; // the event's own headers that `request` carries
        std::uint64_t generation = 0; // changes when abandoned: late completions are ignored
    };

    /// OAuth 2.0 client credentials: the token request, the cached token, who waits for it.
    struct oauth_client {
        oauth_client(const oauth2_client_credentials& c, const request_headers& headers)
            : token_url(endpoint_url(c.token_url)),
              request(make_token_request(c, token_url, headers)), cache(c.refresh_skew) {}

        endpoint_url token_url;
        http_request request;   // sent as it is, on the strand
        token_cache<clock> cache; // under mutex_
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
    std::shared_ptr<Transport> make_transport() const {
        // The inner executor, not the strand: a transport makes its own strand, and a strand
        // of a strand inside an any_io_executor costs a heap allocation on every copy.
        const boost::asio::any_io_executor ex = strand_.get_inner_executor();
        if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor,
                                              beast_transport_options>)
            return std::make_shared<Transport>(ex, transport_options(config_));
        else if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor>)
            return std::make_shared<Transport>(ex);
        else
            return std::make_shared<Transport>();
    }

    request_headers make_headers() const {
        request_headers h;
        if (const auto* basic = std::get_if<basic_auth>(&config_.authentication))
            h.basic_auth(basic->username, basic->password.reveal());
        else if (const auto* bearer = std::get_if<bearer_auth>(&config_.authentication))
            h.bearer_auth(bearer->token.reveal());
        for (const auto& f : config_.headers)
            h.add(f.name, f.value.reveal());
        if (!config_.user_agent.empty())
            h.user_agent(config_.user_agent);
        return h;
    }

    bool batching() const noexcept { return config_.batch.max_events > 1; }

    /// Whether a handler posted to the strand runs within `grace`.
    bool executor_runs(std::chrono::milliseconds grace) {
        auto ran = std::make_shared<std::promise<void>>();
        auto seen = ran->get_future();
        boost::asio::post(strand_, [ran] { ran->set_value(); });
        return seen.wait_for(grace) == std::future_status::ready;
    }

    /// Whether the executor is an `io_context`'s that has stopped: nothing will run there.
    bool context_stopped() const noexcept {
        const boost::asio::any_io_executor& inner = strand_.get_inner_executor();
        const auto* io = inner.template target<boost::asio::io_context::executor_type>();
        return io != nullptr && io->context().stopped();
    }


    /// Nothing spooled, queued, in flight, or settled but not yet reported.
    bool idle_locked() const {
        return unread_ == 0 && drained_ == appends_ && queue_.empty() && in_flight_ == 0 &&
               reporting_ == 0;
    }

    /** Why an event of `payload` cannot be accepted now, if it cannot. A compressed body's
        size is known only once it is compressed, in `begin`. */
    boost::system::error_code refusal_locked(std::string_view payload, bool posted) const {
        const std::size_t framing = config_.data_location.prefix().size() +
                                    config_.data_location.suffix().size() +
                                    (batching() && posted ? 2 : 0);
        if (stopping_)
            return error::dispatcher_stopped;
        if (config_.compression == compression::none &&
            payload.size() + framing > config_.max_body_size)
            return error::request_body_too_large;
        return {};
    }

    /** How many bytes of JSON a batch may hold: a gzip body of that many bytes fits in
        `max_body_size` however badly it compresses (deflate's stored blocks add 5 bytes per
        16 KiB, gzip 18 bytes of header and trailer). */
    std::size_t batch_byte_limit() const noexcept {
        std::size_t room = config_.max_body_size - config_.data_location.prefix().size() -
                           config_.data_location.suffix().size();
        if (config_.compression == compression::gzip) {
            const std::size_t overhead = 18 + 5 * (room / 16'383 + 1);
            room = room > overhead ? room - overhead : 0;
        }
        return std::min(config_.batch.max_bytes, room);
    }

    event_id new_id_locked() {
        std::uniform_int_distribution<std::uint64_t> bits;
        return event_id(std::chrono::system_clock::now(), bits(rng_), bits(rng_));
    }

    /** Counts what an earlier run left in the spool: those events are accepted already, and
        are read back in order before the ones posted now. */
    void count_replay() {
        std::uint64_t from = 0;
        for (;;) {
            if (const auto ec = options_.spool.read(from, read_chunk, spool_buffer_))
                throw boost::system::system_error(ec, "webhook: reading the spool");
            if (spool_buffer_.empty()) // a short read need not be the end
                break;
            unread_ += spool_buffer_.size();
            from = spool_buffer_.back().sequence + 1;
        }
        counters_.accepted += unread_;
        counters_.replayed = unread_;
    }

    /** Reads spooled events into the queue while it has room. On the strand; the spool is
        read outside the lock, so that posting never waits for it. */
    void refill() {
        std::size_t room = 0;
        std::uint64_t appends = 0;
        {
            std::lock_guard lock(mutex_);
            if ((unread_ == 0 && !shared_) || queue_.size() >= config_.queue.capacity)
                return;
            room = std::min(config_.queue.capacity - queue_.size(), read_chunk);
            if (shared_) {
                // Taken in small helpings, so that other processes share the work and a
                // process that dies leaves little for them to claim.
                if (queue_.size() >= slots_.size())
                    return;
                room = std::min(room, 2 * slots_.size());
            }
            appends = appends_;
        }
        if (options_.spool.read(next_read_, room, spool_buffer_)) {
            // Kept unread: tried again in a second (or at the next pump), so that a passing
            // I/O error does not leave the backlog waiting for the next post.
            std::lock_guard lock(mutex_);
            arm_linger(clock::now() + std::chrono::seconds(1));
            return;
        }
        const auto now = std::chrono::system_clock::now();
        std::lock_guard lock(mutex_);
        if (shared_ && spool_buffer_.empty()) {
            // Everything appended before this read was taken, by this process or another.
            drained_ = appends;
            if (idle_locked())
                settled_.notify_all();
            arm_linger(clock::now() + options_.spool_poll_interval);
            return;
        }
        for (spool_record& r : spool_buffer_) {
            const auto age =
                std::max(now - r.created, std::chrono::system_clock::duration::zero());
            pending p{r.id, take_buffer(), {}, {}, clock::now() -
                          std::chrono::duration_cast<typename clock::duration>(age),
                      {}, r.created, r.sequence};
            p.payload.swap(r.payload); // the record's buffer goes back to the spool's reads
            p.target.swap(r.target);
            p.headers.swap(r.headers);
            queue_.push_back(std::move(p));
            if (!shared_) {
                next_read_ = r.sequence + 1;
                --unread_;
            }
        }
    }

    /// Writes what a spool keeps of an event into `out`, reusing its buffers.
    void fill_record(spool_record& out, const event_id& id,
                     std::chrono::system_clock::time_point created, const event_text& text) const {
        out.id = id;
        out.endpoint.assign(config_.url);
        out.created = created;
        out.target.assign(text.target);
        out.payload.assign(text.payload);
        out.headers.assign(text.headers);
    }

    /** The spool's part of settling posted events: acknowledged once delivered; a failure is
        written to the dead letters first. Abandoned events stay in the spool for the next
        run. Outside the lock, before the outcome is reported. */
    void settle_in_spools(const pending& ev, const delivery& outcome) {
        if (outcome.status == delivery_status::abandoned || ev.done)
            return;
        if (outcome.status != delivery_status::delivered && options_.dead_letters) {
            thread_local spool_record letter;
            fill_record(letter, ev.id, ev.created, {ev.payload, ev.target, ev.headers});
            letter.last_status = outcome.http_status;
            letter.last_error = outcome.error.message();
            // Should this fail, the event stays in the spool and is tried again after a
            // restart: never acknowledged without its dead letter.
            if (!options_.dead_letters.append(letter))
                return;
        }
        if (ev.sequence)
            options_.spool.ack(*ev.sequence); // a lost ack only means a duplicate later
    }

    /** Applies the overflow policy: no error once there is room, else why the event is
        refused. */
    boost::system::error_code make_room(std::unique_lock<std::mutex>& lock, bool posted,
                                        outcome_list& outcomes) {
        if (queue_.size() < config_.queue.capacity)
            return {};
        switch (config_.queue.when_full) {
        case overflow_policy::reject:
            break;
        case overflow_policy::block:
            if (!posted) // an asynchronous caller must never be blocked
                break;
            if (on_own_executor()) // nothing would make room while this thread waits
                return error::would_deadlock;
            return wait_for_room(lock);
        case overflow_policy::drop_oldest:
            outcomes.push_back(outcome_of(std::move(queue_.front()), delivery_status::dropped,
                                          error::dropped_from_full_queue, 0, {}, 1,
                                          clock::now()));
            queue_.pop_front();
            ++counters_.dropped;
            return {};
        }
        return error::queue_full;
    }

    /** Blocks a caller of `post` on a full queue until there is room, up to the queue's
        `block_timeout`. Callers are woken together once the queue has drained to its low-water
        mark, so that a producer faster than the receiver is not woken (and its event taken in)
        once per event; with a slow receiver, each caller still looks for room every 10 ms. */
    boost::system::error_code wait_for_room(std::unique_lock<std::mutex>& lock) {
        constexpr std::chrono::milliseconds look_again{10};
        const std::size_t capacity = config_.queue.capacity;
        const auto deadline = std::chrono::steady_clock::now() + config_.queue.block_timeout;
        ++blocked_;
        for (;;) {
            const auto now = std::chrono::steady_clock::now();
            if (stopping_ || queue_.size() < capacity || now >= deadline)
                break;
            room_.wait_for(lock, std::min<std::chrono::steady_clock::duration>(deadline - now,
                                                                              look_again),
                           [&] { return stopping_ || queue_.size() <= low_water(); });
        }
        --blocked_;
        if (stopping_) // shutdown, not backpressure: a producer loop must see the difference
            return error::dispatcher_stopped;
        return queue_.size() < capacity ? boost::system::error_code{} : error::queue_full;
    }

    /// Where blocked callers of `post` are woken: a quarter of the queue free.
    std::size_t low_water() const noexcept {
        return config_.queue.capacity - std::max<std::size_t>(config_.queue.capacity / 4, 1);
    }

    event_id enqueue(const event_text& text, completion done, const event_id* given) {
        const event_id id = given ? *given : new_id_locked();
        pending p{id, take_buffer(), {}, {}, clock::now(), std::move(done),
                  std::chrono::system_clock::now()};
        p.payload.assign(text.payload);
        p.target.assign(text.target);
        p.headers.assign(text.headers);
        queue_.push_back(std::move(p));
        ++counters_.accepted;
        return id;
    }

    std::string take_buffer() {
        if (spare_.empty())
            return {};
        std::string s = std::move(spare_.back());
        spare_.pop_back();
        return s;
    }

    /** Keeps a settled event's payload buffer for the next event: as many as can be in use at
        once (queued, in flight, and settled but still being reported). */
    void recycle(pending&& p) {
        const std::size_t per_slot = std::max<std::size_t>(config_.batch.max_events, 1);
        if (spare_.size() < config_.queue.capacity + 2 * slots_.size() * per_slot) {
            p.payload.clear();
            spare_.push_back(std::move(p.payload));
        }
    }

    /// Runs `pump` on the strand, once however many events arrive meanwhile.
    void schedule_pump() {
        {
            std::lock_guard lock(mutex_);
            if (pump_scheduled_)
                return;
            pump_scheduled_ = true;
        }
        post_pump();
    }

    void post_pump() {
        boost::asio::post(strand_, [self = this->shared_from_this()] { self->pump(); });
    }

    /// Moves queued events into free slots and starts them. On the strand.
    void pump() {
        if (options_.spool) {
            {
                // Cleared before reading, so that an append that the read misses schedules
                // another pump.
                std::lock_guard lock(mutex_);
                pump_scheduled_ = false;
            }
            refill();
        }
        boost::container::small_vector<slot*, 16> started; // begin() may pump again
        {
            std::lock_guard lock(mutex_);
            pump_scheduled_ = false;
            for (auto& s : slots_) {
                if (s->busy)
                    continue;
                if (queue_.empty())
                    break;
                if (!take_batch(*s))
                    break;
                s->busy = true;
                ++busy_slots_;
                in_flight_ += s->events.size();
                started.push_back(s.get());
            }
        }
        for (slot* s : started)
            begin(*s);
    }

    /** Moves the next request's events from the queue into `s`. False when a batch should
        wait for more events (its linger time has not passed). */
    bool take_batch(slot& s) {
        if (!queue_.front().done && batching()) {
            const std::size_t limit = batch_byte_limit();
            std::size_t count = 0, bytes = 1; // '[' and then a ',' or ']' per event
            bool full = false;
            for (std::size_t i = 0; i < queue_.size(); ++i) {
                const pending& p = queue_[i];
                // One request has one set of headers: events with other ones go in the next.
                if (p.done || count == config_.batch.max_events ||
                    p.headers != queue_.front().headers ||
                    (count > 0 && bytes + p.payload.size() + 1 > limit)) {
                    full = true;
                    break;
                }
                bytes += p.payload.size() + 1;
                ++count;
            }
            const auto due = queue_.front().accepted + config_.batch.linger;
            if (!full && count < config_.batch.max_events && flushing_ == 0 && !stopping_ &&
                clock::now() < due) {
                arm_linger(due);
                return false;
            }
            for (std::size_t i = 0; i < count; ++i) {
                s.events.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        } else {
            s.events.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        if (blocked_ > 0 && queue_.size() <= low_water())
            room_.notify_all();
        return true;
    }

    void arm_linger(time_point due) {
        if (linger_armed_)
            return;
        linger_armed_ = true;
        linger_timer_->expires_at(due);
        linger_timer_->async_wait([self = this->shared_from_this()](boost::system::error_code) {
            {
                std::lock_guard lock(self->mutex_);
                self->linger_armed_ = false;
            }
            self->pump();
        });
    }

    /// Builds the request of the events now in `s` and makes the first attempt. On the strand.
    void begin(slot& s) {
        namespace http = boost::beast::http;
        std::string& body = s.request.body();
        const data_path& where = config_.data_location;
        body.assign(where.prefix());
        if (s.events.size() == 1 && !(batching() && !s.events.front().done)) {
            body.append(s.events.front().payload);
        } else {
            body.push_back('[');
            for (const auto& ev : s.events) {
                body.append(ev.payload);
                body.push_back(',');
            }
            body.back() = ']';
        }
        body.append(where.suffix());
        if (config_.compression == compression::gzip) {
            if (const auto ec = gzip_.compress(body, s.compressed))
                return settle(s, s.generation, delivery_status::failed, ec);
            body.swap(s.compressed);
            // What a receiver's limit means: the bytes it gets. Only a single event can be
            // over it here (batches are filled to a bound that fits); it is never sent.
            if (body.size() > config_.max_body_size)
                return settle(s, s.generation, delivery_status::failed,
                              error::request_body_too_large);
        }
        const pending& first = s.events.front();
        if (url_.has_placeholders())
            s.request.target(first.target);
        if (first.headers != s.event_headers) {
            for_each_header_line(s.event_headers,
                                 [&](std::string_view name, std::string_view) {
                                     s.request.erase(name);
                                 });
            for_each_header_line(first.headers, [&](std::string_view name, std::string_view value) {
                if (!check_header(name, value)) // read back from a spool: checked once more
                    s.request.insert(name, value);
            });
            s.event_headers.assign(first.headers);
        }
        // A batch goes under its first event's id: the same on every attempt of the batch.
        replace_field(s.request, "webhook-id", first.id.view());
        char length[24];
        const auto written = std::to_chars(std::begin(length), std::end(length), body.size());
        replace_field(s.request, boost::beast::http::field::content_length,
                      std::string_view(length, static_cast<std::size_t>(written.ptr - length)));
        s.attempts.clear();
        s.last_status = 0;
        {
            std::lock_guard lock(mutex_);
            s.progress.restart(first.accepted, clock::now());
        }
        attempt_now(s, s.generation);
    }

    /// The endpoint-wide parts of the attempt machine. Under the lock.
    attempt_context<clock> attempt_context_locked() {
        return {config_.max_event_age, config_.retry, breaker_,
                config_.rate_limit.per_second > 0 ? &bucket_ : nullptr,
                oauth_ ? &oauth_->cache : nullptr};
    }

    /// Asks the attempt machine whether `s` may go now, and carries out its answer.
    void attempt_now(slot& s, std::uint64_t generation) {
        const auto now = clock::now();
        action next;
        {
            std::lock_guard lock(mutex_);
            if (generation != s.generation)
                return; // abandoned while it waited
            next = before_attempt(attempt_context_locked(), s.progress, now);
            prepare_locked(s, generation, next, now);
        }
        carry_out(s, generation, next);
    }

    /** The part of an action that is done under the lock: the token into the request, or the
        request onto the token's waiters. */
    void prepare_locked(slot& s, std::uint64_t generation, const action& next, time_point now) {
        s.circuit_wait = next.step == attempt_step::wait && next.circuit_wait;
        if (next.step == attempt_step::send && next.authorize)
            s.request.set(boost::beast::http::field::authorization, oauth_->cache.authorization());
        if (next.step == attempt_step::fetch_token || next.step == attempt_step::await_token) {
            s.attempt_start = now; // a failed token request is this attempt's failure
            oauth_->waiters.emplace_back(&s, generation);
        }
    }

    /// Does what the attempt machine decided for `s`. On the strand, outside the lock.
    void carry_out(slot& s, std::uint64_t generation, const action& next) {
        report_circuit(next.circuit);
        switch (next.step) {
        case attempt_step::send:
            return send_attempt(s, generation);
        case attempt_step::wait:
            s.timer->expires_at(next.at);
            return s.timer->async_wait(
                [self = this->shared_from_this(), &s, generation](boost::system::error_code) {
                    self->attempt_now(s, generation);
                });
        case attempt_step::fetch_token:
            return fetch_token();
        case attempt_step::await_token:
            return;
        case attempt_step::settle:
            return settle(s, generation, next.status, next.error);
        }
    }

    /// Signs (each attempt anew: its timestamp is when it is sent) and sends `s`'s request.
    void send_attempt(slot& s, std::uint64_t generation) {
        s.attempt_start = clock::now();
        if (signer_.enabled())
            signer_.sign(s.request, s.events.front().id.view(),
                         std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count(),
                         s.request.body(), sign_buffers_);
        send_request(url_.origin(), s.request,
                     [self = this->shared_from_this(), &s, generation](
                         boost::system::error_code ec, http_response response) {
                         self->on_response(s, generation, ec, std::move(response));
                     });
    }

    /// Sends `request` through the transport; `done(ec, response)` runs on the strand.
    template <class Handler>
    void send_request(const origin& where, const http_request& request, Handler done) {
        if constexpr (async_transport<Transport>) {
            // With one thread, its context's executor serializes as well as the strand does,
            // and more cheaply: a strand of an any_io_executor allocates on every hand-off.
            if (one_thread_)
                transport_->async_send(
                    where, request,
                    boost::asio::bind_executor(strand_.get_inner_executor(), std::move(done)));
            else
                transport_->async_send(where, request,
                                       boost::asio::bind_executor(strand_, std::move(done)));
        } else {
            boost::asio::post(*blocking_pool_, [this, &where, &request,
                                                done = std::move(done)]() mutable {
                boost::system::error_code ec;
                http_response response = transport_->send(where, request, ec);
                boost::asio::post(strand_, [done = std::move(done), ec,
                                            response = std::move(response)]() mutable {
                    done(ec, std::move(response));
                });
            });
        }
    }

    /// Asks the token endpoint for a token: one request at a time. On the strand.
    void fetch_token() {
        send_request(oauth_->token_url.origin(), oauth_->request,
                     [self = this->shared_from_this()](boost::system::error_code ec,
                                                       http_response response) {
                         self->on_token(ec, std::move(response));
                     });
    }

    /** Resumes the requests that waited for the token. Without one, each of them fails
        its attempt with `error::token_request_failed` (the token endpoint's refusal as
        the attempt's body excerpt), and the retry policy decides what comes next; a token
        endpoint that the destination policy refuses fails them at once, as a refused
        receiver does (`error::address_not_allowed`). */
    void on_token(boost::system::error_code ec, http_response response) {
        const bool answered = !ec && response.result_int() / 100 == 2;
        const boost::system::error_code failure =
            ec == error::address_not_allowed ? ec : make_error_code(error::token_request_failed);
        const auto token = answered ? parse_token_response(response.body())
                                    : boost::system::result<oauth_token>(failure);
        http_response refusal;
        if (!ec && !answered) // never a 2xx body: it may hold a token
            refusal.body() = std::move(response.body());
        std::vector<std::pair<slot*, std::uint64_t>> waiters;
        {
            std::lock_guard lock(mutex_);
            if (token)
                oauth_->cache.fetched(*token, clock::now());
            else
                oauth_->cache.failed();
            waiters.swap(oauth_->waiters);
        }
        for (const auto& [s, generation] : waiters) {
            if (token)
                attempt_now(*s, generation);
            else
                on_response(*s, generation, token.error(), refusal);
        }
    }

    /// Records one attempt and carries out what the attempt machine decides. On the strand.
    void on_response(slot& s, std::uint64_t generation, boost::system::error_code ec,
                     http_response response) {
        const auto now = clock::now();
        attempt a;
        a.error = ec;
        a.status = ec ? 0 : static_cast<int>(response.result_int());
        a.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.attempt_start);
        // With an error, a body is the token endpoint's refusal (else there is none).
        a.body_excerpt.assign(response.body(), 0,
                              std::min(response.body().size(), delivery::body_excerpt_limit));
        attempt_answer answer{ec, a.status, {}, 0};
        if (!ec)
            if (const auto it = response.find(boost::beast::http::field::retry_after);
                it != response.end())
                answer.retry_after =
                    parse_retry_after(it->value(), std::chrono::system_clock::now());
        action next;
        {
            std::lock_guard lock(mutex_);
            if (generation != s.generation)
                return; // abandoned at shutdown, already reported
            answer.random01 = std::uniform_real_distribution<>{}(rng_);
            s.last_status = a.status;
            next = after_answer(attempt_context_locked(), s.progress, answer, now);
            if (next.retry_delay) {
                a.retry_delay = *next.retry_delay;
                ++counters_.retried_attempts;
            }
            s.attempts.push_back(std::move(a));
            prepare_locked(s, generation, next, now);
        }
        carry_out(s, generation, next);
    }

    /// Ends the events of `s` with `status` and frees the slot. On the strand.
    void settle(slot& s, std::uint64_t generation, delivery_status status,
                boost::system::error_code ec) {
        outcome_list outcomes;
        {
            std::lock_guard lock(mutex_);
            if (generation != s.generation)
                return;
            const auto now = clock::now();
            const std::size_t batch = s.events.size();
            for (auto& ev : s.events)
                outcomes.push_back(outcome_of(std::move(ev), status, ec, s.last_status,
                                              batch == 1 ? std::move(s.attempts) : s.attempts,
                                              batch, now));
            auto& count = status == delivery_status::delivered ? counters_.delivered
                                                                : counters_.failed;
            count += batch;
            s.events.clear();
            s.busy = false;
            --busy_slots_;
            in_flight_ -= batch;
            reporting_ += outcomes.size();
        }
        report(outcomes);
        pump();
    }

    /** Tells the observer of a change of the circuit's state; on a close, the requests that
        waited for the circuit go at once instead of at their next poll. On the strand. */
    void report_circuit(std::optional<circuit_state> changed) {
        if (!changed)
            return;
        if (*changed == circuit_state::closed)
            for (auto& s : slots_)
                if (s->busy && s->circuit_wait)
                    s->timer->cancel(); // its handler asks the breaker again
        {
            std::lock_guard lock(mutex_);
            counters_.circuit = *changed;
        }
        if (options_.on_circuit_change)
            options_.on_circuit_change(*changed);
    }

    /// The outcome of `ev`, which it takes along.
    settled outcome_of(pending&& ev, delivery_status status, boost::system::error_code ec,
                       int http_status, boost::container::small_vector<attempt, 1> attempts,
                       std::size_t batch, time_point now) {
        settled out{delivery{}, std::move(ev)};
        delivery& d = out.outcome;
        d.id = out.event.id;
        d.status = status;
        d.error = ec;
        d.http_status = http_status;
        d.attempts = std::move(attempts);
        d.total_time =
            std::chrono::duration_cast<std::chrono::nanoseconds>(now - out.event.accepted);
        d.batch_size = batch;
        return out;
    }

    /** Hands outcomes to their callers or to `on_outcome`. Never under the lock; they were
        counted in `reporting_` under it, so that `flush` returns only after they are out. */
    void report(outcome_list& outcomes) {
        if (outcomes.empty())
            return;
        for (auto& o : outcomes) {
            if (options_.spool || options_.dead_letters)
                settle_in_spools(o.event, o.outcome);
            if (o.event.done)
                std::move(o.event.done)(std::move(o.outcome));
            else if (options_.on_outcome)
                options_.on_outcome(o.outcome);
        }
        std::lock_guard lock(mutex_);
        reporting_ -= outcomes.size();
        for (auto& o : outcomes)
            recycle(std::move(o.event));
        if (idle_locked())
            settled_.notify_all();
    }

    strand_type strand_;
    const bool one_thread_;
    const endpoint config_;
    const dispatcher_options options_;
    const url_template url_;
    std::shared_ptr<Transport> transport_;
    std::optional<boost::asio::thread_pool> blocking_pool_;
    std::vector<std::unique_ptr<slot>> slots_;
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
    sign_buffers sign_buffers_; // on the strand
    std::mt19937_64 rng_;
    bool stopping_ = false;
    bool shut_down_ = false;
    int flushing_ = 0;
    bool pump_scheduled_ = false;
    std::size_t busy_slots_ = 0;
    std::size_t in_flight_ = 0;    // events in busy slots
    bool linger_armed_ = false;
    std::size_t reporting_ = 0; // outcomes settled and not yet reported
    std::optional<oauth_client> oauth_;

    // The spool (when there is one): events appended or replayed and not yet read back.
    static constexpr std::size_t read_chunk = 256;
    std::uint64_t unread_ = 0;
    // A shared spool: its events are not counted (any process may take them). Appends made,
    // and those made before the last read that found nothing; equal when drained.
    const bool shared_ = options_.spool && options_.spool.shared();
    std::uint64_t appends_ = 0;
    std::uint64_t drained_ = 0;
    std::uint64_t next_read_ = 0;             // on the strand
    std::vector<spool_record> spool_buffer_; // on the strand
};

} // namespace webhook::detail

#endif
