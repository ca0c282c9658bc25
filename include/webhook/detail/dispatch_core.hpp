#ifndef WEBHOOK_DETAIL_DISPATCH_CORE_HPP
#define WEBHOOK_DETAIL_DISPATCH_CORE_HPP

#include <webhook/delivery.hpp>
#include <webhook/detail/gzip.hpp>
#include <webhook/detail/retry_after.hpp>
#include <webhook/detail/token_bucket.hpp>
#include <webhook/detail/url_template.hpp>
#include <webhook/endpoint.hpp>
#include <webhook/retry.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/transport.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
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

    All state is guarded by `mutex_`. I/O steps run on `strand_`. Outcomes are reported
    outside the lock. Retry decisions are the pure functions of `retry.hpp`; this class only
    carries them out. */
template <class Transport, class Timer>
class dispatch_core : public std::enable_shared_from_this<dispatch_core<Transport, Timer>> {
public:
    using clock = typename Timer::clock_type;
    using time_point = typename clock::time_point;
    using strand_type = boost::asio::strand<boost::asio::any_io_executor>;
    using completion = boost::asio::any_completion_handler<void(delivery)>;

    dispatch_core(boost::asio::any_io_executor executor, endpoint config,
                  dispatcher_options options, url_template url)
        : strand_(boost::asio::make_strand(std::move(executor))), config_(std::move(config)),
          options_(std::move(options)), url_(std::move(url)), linger_timer_(std::in_place, strand_),
          bucket_(config_.rate_limit.per_second, std::max<std::size_t>(config_.rate_limit.burst, 1),
                  clock::now()),
          rng_(std::random_device{}()) {
        make_transport();
        const request_headers headers = make_headers();
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
        `target` its request target when the URL has placeholders). With `done`, the outcome
        goes there and the event is never batched; without, it goes to `on_outcome`. */
    boost::system::result<event_id> accept(std::string_view payload, std::string_view target,
                                           completion done = {}) {
        const bool posted = !done;
        outcome_list outcomes;
        boost::system::result<event_id> result = make_error_code(error::queue_full);
        bool wake = false;
        {
            std::unique_lock lock(mutex_);
            const std::size_t framing = config_.data_location.prefix().size() +
                                        config_.data_location.suffix().size() +
                                        (batching() && posted ? 2 : 0);
            if (stopping_)
                result = make_error_code(error::dispatcher_stopped);
            else if (payload.size() + framing > config_.max_body_size)
                result = make_error_code(error::request_body_too_large);
            else if (make_room(lock, posted, outcomes)) {
                result = enqueue(payload, target, std::move(done));
                // With every slot busy, the next settle pumps: no need to wake the I/O thread.
                wake = busy_slots_ < slots_.size() && !pump_scheduled_;
                pump_scheduled_ = pump_scheduled_ || wake;
            }
            if (!result) {
                ++counters_.rejected;
                if (done) { // an asynchronous caller hears of the refusal as its outcome
                    settled refused{delivery{}, std::move(done)};
                    refused.outcome.error = result.error();
                    outcomes.push_back(std::move(refused));
                }
            }
            reporting_ += outcomes.size();
        }
        report(outcomes);
        if (wake)
            post_pump();
        return result;
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

    /// Refuses new events from now on and wakes the callers blocked on a full queue.
    void stop_accepting() {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        room_.notify_all();
    }

    /** Reports every unsettled event as abandoned. Completions of requests still in flight
        find their slot's generation changed and do nothing. */
    void abandon_all() {
        outcome_list outcomes;
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
            const auto now = clock::now();
            while (!queue_.empty()) {
                outcomes.push_back(outcome_of(queue_.front(), delivery_status::abandoned,
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
                    outcomes.push_back(outcome_of(ev, delivery_status::abandoned,
                                                  error::abandoned_at_shutdown, s->last_status,
                                                  s->attempts, s->events.size(), now));
                    ++counters_.abandoned;
                }
                s->events.clear();
            }
            reporting_ += outcomes.size();
        }
        report(outcomes);
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
        time_point accepted;
        completion done;
    };

    /// A request in the making: up to `max_in_flight` of these exist.
    struct slot {
        explicit slot(const strand_type& ex) : timer(std::in_place, ex) {}

        http_request request;
        std::string compressed;
        std::vector<pending> events;
        boost::container::small_vector<attempt, 1> attempts;
        std::optional<Timer> timer;
        time_point first_start{};
        time_point attempt_start{};
        int last_status = 0;
        bool busy = false;
        std::uint64_t generation = 0; // changes when abandoned: late completions are ignored
    };

    /// An outcome to report outside the lock.
    struct settled {
        delivery outcome;
        completion done;
    };
    /// Usually one (a batch makes more): kept off the heap.
    using outcome_list = boost::container::small_vector<settled, 1>;

    /// Made in place (a transport need not be movable), from what its constructor takes.
    void make_transport() {
        // The inner executor, not the strand: a transport makes its own strand, and a strand
        // of a strand inside an any_io_executor costs a heap allocation on every copy.
        const boost::asio::any_io_executor ex = strand_.get_inner_executor();
        if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor,
                                              beast_transport_options>)
            transport_.emplace(ex, transport_options(config_));
        else if constexpr (std::is_constructible_v<Transport, boost::asio::any_io_executor>)
            transport_.emplace(ex);
        else
            transport_.emplace();
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


    /// Nothing queued, in flight, or settled but not yet reported.
    bool idle_locked() const {
        return queue_.empty() && in_flight_ == 0 && reporting_ == 0;
    }

    /// Applies the overflow policy. False: the event is refused (queue_full).
    bool make_room(std::unique_lock<std::mutex>& lock, bool posted,
                   outcome_list& outcomes) {
        const std::size_t capacity = config_.queue.capacity;
        if (queue_.size() < capacity)
            return true;
        switch (config_.queue.when_full) {
        case overflow_policy::reject:
            return false;
        case overflow_policy::block:
            if (!posted) // an asynchronous caller must never be blocked
                return false;
            room_.wait_for(lock, config_.queue.block_timeout,
                           [&] { return stopping_ || queue_.size() < capacity; });
            return !stopping_ && queue_.size() < capacity;
        case overflow_policy::drop_oldest:
            outcomes.push_back(outcome_of(queue_.front(), delivery_status::dropped,
                                          error::dropped_from_full_queue, 0, {}, 1,
                                          clock::now()));
            recycle(std::move(queue_.front()));
            queue_.pop_front();
            ++counters_.dropped;
            return true;
        }
        return false;
    }

    event_id enqueue(std::string_view payload, std::string_view target, completion done) {
        std::uniform_int_distribution<std::uint64_t> bits;
        const event_id id(std::chrono::system_clock::now(), bits(rng_), bits(rng_));
        pending p{id, take_buffer(), {}, clock::now(), std::move(done)};
        p.payload.assign(payload);
        p.target.assign(target);
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

    /// Keeps a settled event's payload buffer for the next event.
    void recycle(pending&& p) {
        if (spare_.size() < config_.queue.capacity + slots_.size()) {
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
            const std::size_t limit = std::min(config_.batch.max_bytes,
                                               config_.max_body_size -
                                                   config_.data_location.prefix().size() -
                                                   config_.data_location.suffix().size());
            std::size_t count = 0, bytes = 1; // '[' and then a ',' or ']' per event
            bool full = false;
            for (const auto& p : queue_) {
                if (p.done || count == config_.batch.max_events ||
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
        room_.notify_one();
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
        }
        const pending& first = s.events.front();
        if (url_.has_placeholders())
            s.request.target(first.target);
        // A batch goes under its first event's id: the same on every attempt of the batch.
        s.request.set("webhook-id", first.id.view());
        s.request.content_length(body.size());
        s.attempts.clear();
        s.last_status = 0;
        s.first_start = clock::now();
        attempt_now(s, s.generation);
    }

    /// Sends one attempt, after the rate limit allows it.
    void attempt_now(slot& s, std::uint64_t generation) {
        typename clock::duration wait{};
        const auto now = clock::now();
        {
            std::lock_guard lock(mutex_);
            if (generation != s.generation)
                return; // abandoned while it waited
            if (config_.rate_limit.per_second > 0)
                wait = bucket_.take(now);
        }
        if (wait.count() > 0) { // rate limited: try again when the next token is there
            s.timer->expires_at(now + wait);
            s.timer->async_wait(
                [self = this->shared_from_this(), &s, generation](boost::system::error_code) {
                    self->attempt_now(s, generation);
                });
            return;
        }
        s.attempt_start = clock::now();
        auto done = [self = this->shared_from_this(), &s, generation](
                        boost::system::error_code ec, http_response response) {
            self->on_response(s, generation, ec, std::move(response));
        };
        if constexpr (async_transport<Transport>) {
            transport_->async_send(url_.origin(), s.request,
                                   boost::asio::bind_executor(strand_, std::move(done)));
        } else {
            boost::asio::post(*blocking_pool_, [this, &s, done = std::move(done)]() mutable {
                boost::system::error_code ec;
                http_response response = transport_->send(url_.origin(), s.request, ec);
                boost::asio::post(strand_, [done = std::move(done), ec,
                                            response = std::move(response)]() mutable {
                    done(ec, std::move(response));
                });
            });
        }
    }

    /// Records one attempt and decides: settle, or wait and retry. On the strand.
    void on_response(slot& s, std::uint64_t generation, boost::system::error_code ec,
                     http_response response) {
        namespace http = boost::beast::http;
        const auto now = clock::now();
        attempt a;
        a.error = ec;
        a.status = ec ? 0 : static_cast<int>(response.result_int());
        a.elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.attempt_start);
        if (!ec)
            a.body_excerpt.assign(response.body(), 0,
                                  std::min(response.body().size(), delivery::body_excerpt_limit));

        std::optional<std::chrono::milliseconds> delay;
        attempt_class verdict = attempt_class::delivered;
        {
            std::lock_guard lock(mutex_);
            if (generation != s.generation)
                return; // abandoned at shutdown, already reported
            s.last_status = a.status;
            verdict = classify(ec, a.status, config_.retry.retryable_statuses);
            if (verdict == attempt_class::retryable) {
                std::optional<std::chrono::milliseconds> retry_after;
                if (!ec)
                    if (const auto it = response.find(http::field::retry_after);
                        it != response.end())
                        retry_after =
                            parse_retry_after(it->value(), std::chrono::system_clock::now());
                const auto elapsed =
                    std::chrono::duration_cast<std::chrono::milliseconds>(now - s.first_start);
                delay = next_retry_delay(config_.retry, s.attempts.size() + 1, elapsed,
                                         retry_after, std::uniform_real_distribution<>{}(rng_));
                if (delay)
                    ++counters_.retried_attempts;
            }
            if (delay)
                a.retry_delay = *delay;
            s.attempts.push_back(std::move(a));
        }
        switch (verdict) {
        case attempt_class::delivered:
            return settle(s, generation, delivery_status::delivered, {});
        case attempt_class::gone:
            return settle(s, generation, delivery_status::gone, error::endpoint_gone);
        case attempt_class::permanent:
            return settle(s, generation, delivery_status::failed, error::rejected_by_receiver);
        case attempt_class::retryable:
            break;
        }
        if (!delay)
            return settle(s, generation, delivery_status::failed, error::retries_exhausted);
        s.timer->expires_at(now + *delay); // from the response, however late this runs
        s.timer->async_wait(
            [self = this->shared_from_this(), &s, generation](boost::system::error_code) {
                self->attempt_now(s, generation);
            });
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
            for (auto& ev : s.events) {
                outcomes.push_back(outcome_of(ev, status, ec, s.last_status,
                                              batch == 1 ? std::move(s.attempts) : s.attempts,
                                              batch, now));
                recycle(std::move(ev));
            }
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

    /// The outcome of `ev`; moves its completion handler out.
    settled outcome_of(pending& ev, delivery_status status, boost::system::error_code ec,
                       int http_status, boost::container::small_vector<attempt, 1> attempts,
                       std::size_t batch, time_point now) {
        settled out{delivery{}, std::move(ev.done)};
        delivery& d = out.outcome;
        d.id = ev.id;
        d.status = status;
        d.error = ec;
        d.http_status = http_status;
        d.attempts = std::move(attempts);
        d.total_time = std::chrono::duration_cast<std::chrono::nanoseconds>(now - ev.accepted);
        d.batch_size = batch;
        return out;
    }

    /** Hands outcomes to their callers or to `on_outcome`. Never under the lock; they were
        counted in `reporting_` under it, so that `flush` returns only after they are out. */
    void report(outcome_list& outcomes) {
        if (outcomes.empty())
            return;
        for (auto& o : outcomes) {
            if (o.done)
                std::move(o.done)(std::move(o.outcome));
            else if (options_.on_outcome)
                options_.on_outcome(o.outcome);
        }
        std::lock_guard lock(mutex_);
        reporting_ -= outcomes.size();
        if (idle_locked())
            settled_.notify_all();
    }

    strand_type strand_;
    const endpoint config_;
    const dispatcher_options options_;
    const url_template url_;
    std::optional<Transport> transport_;
    std::optional<boost::asio::thread_pool> blocking_pool_;
    std::vector<std::unique_ptr<slot>> slots_;
    std::optional<Timer> linger_timer_;
    gzip_compressor gzip_; // used on the strand only

    mutable std::mutex mutex_;
    std::condition_variable room_;    // the queue has room, or the dispatcher stops
    std::condition_variable settled_; // nothing queued or in flight
    std::deque<pending> queue_;
    std::vector<std::string> spare_;
    dispatcher_counters counters_;
    token_bucket<clock> bucket_;
    std::mt19937_64 rng_;
    bool stopping_ = false;
    int flushing_ = 0;
    bool pump_scheduled_ = false;
    std::size_t busy_slots_ = 0;
    std::size_t in_flight_ = 0;    // events in busy slots
    bool linger_armed_ = false;
    std::size_t reporting_ = 0; // outcomes settled and not yet reported
};

} // namespace webhook::detail

#endif
