#ifndef WEBHOOK_TESTS_SUPPORT_SCRIPTED_TRANSPORT_HPP
#define WEBHOOK_TESTS_SUPPORT_SCRIPTED_TRANSPORT_HPP

// Deterministic pieces for dispatcher tests: a clock that moves only when the test says so,
// a timer over it, and a transport that answers from a script and records every request.

#include <webhook/transport/transport.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/http/field.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace webhook::test {

/** A steady clock that stands still until `advance`. One per program: tests that use it run
    one after another. */
struct manual_clock {
    using rep = std::int64_t;
    using period = std::nano;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<manual_clock>;
    static constexpr bool is_steady = true;

    static time_point now() noexcept { return time_point(duration(ticks_.load())); }
    static void advance(duration d) noexcept { ticks_ += d.count(); }

private:
    static inline std::atomic<rep> ticks_{0};
};

/** Makes Asio's reactor look at the manual clock at least every millisecond, so that a timer
    fires soon after `advance` passes its expiry (and never before). */
struct manual_wait_traits {
    static manual_clock::duration to_wait_duration(const manual_clock::duration& d) {
        return std::min<manual_clock::duration>(d, std::chrono::milliseconds(1));
    }
    static manual_clock::duration to_wait_duration(const manual_clock::time_point& t) {
        return to_wait_duration(t - manual_clock::now());
    }
};

using manual_timer = boost::asio::basic_waitable_timer<manual_clock, manual_wait_traits>;

/** One scripted answer. */
struct step {
    int status = 200;
    boost::system::error_code error{};
    std::vector<std::pair<std::string, std::string>> headers{};
    std::string body{};
    /// Keep the request in flight until `release` is called.
    bool hold = false;

    static step ok(int status = 200) { return step{status}; }
    static step fail(boost::system::error_code ec) { return step{0, ec}; }
    static step held(int status = 200) {
        step s{status};
        s.hold = true;
        return s;
    }
};

/** One request the transport was given. */
struct sent_request {
    http_request request;
    manual_clock::time_point at;
};

/** The shared record of a scripted transport; the test keeps a reference to it. */
class script {
public:
    void push(step s) {
        std::lock_guard lock(mutex_);
        steps_.push_back(std::move(s));
    }
    void push(std::initializer_list<step> steps) {
        for (const auto& s : steps)
            push(s);
    }
    /// The answer when the script is empty.
    void set_default(step s) {
        std::lock_guard lock(mutex_);
        default_ = std::move(s);
    }

    std::vector<sent_request> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }
    std::size_t request_count() const {
        std::lock_guard lock(mutex_);
        return requests_.size();
    }
    std::size_t held_count() const {
        std::lock_guard lock(mutex_);
        return held_.size();
    }
    /// The most requests that were in flight at once.
    std::size_t max_in_flight() const {
        std::lock_guard lock(mutex_);
        return max_in_flight_;
    }

    /// Waits (bounded) until at least `n` requests have arrived.
    bool wait_for_requests(std::size_t n,
                           std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return requests_.size() >= n; });
    }
    /// Waits (bounded) until at least `n` requests are held.
    bool wait_for_held(std::size_t n, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return held_.size() >= n; });
    }

    void drop_held() {
        std::deque<std::function<void()>> dropped;
        {
            std::lock_guard lock(mutex_);
            dropped.swap(held_);
        }
    }

    /// Completes the oldest held request with its scripted answer.
    void release() {
        std::function<void()> go;
        {
            std::lock_guard lock(mutex_);
            if (held_.empty())
                return;
            go = std::move(held_.front());
            held_.pop_front();
        }
        go();
    }

    /// Called by the transport: records `request`, and returns its answer.
    step record(const http_request& request) {
        std::lock_guard lock(mutex_);
        requests_.push_back({request, manual_clock::now()});
        ++in_flight_;
        max_in_flight_ = std::max(max_in_flight_, in_flight_);
        step s = default_;
        if (!steps_.empty()) {
            s = std::move(steps_.front());
            steps_.pop_front();
        }
        changed_.notify_all();
        return s;
    }
    void hold(std::function<void()> go) {
        std::lock_guard lock(mutex_);
        held_.push_back(std::move(go));
        changed_.notify_all();
    }
    void done() {
        std::lock_guard lock(mutex_);
        --in_flight_;
    }
    void answered() {
        std::lock_guard lock(mutex_);
        ++answers_;
        changed_.notify_all();
    }
    /** Waits (bounded) until `n` answers have been handled by the dispatcher: its retry timer
        is then set, and moving the clock cannot race with it. */
    bool wait_for_answers(std::size_t n,
                          std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return answers_ >= n; });
    }

private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<step> steps_;
    step default_{};
    std::vector<sent_request> requests_;
    std::deque<std::function<void()>> held_;
    std::size_t in_flight_ = 0;
    std::size_t answers_ = 0;
    std::size_t max_in_flight_ = 0;
};

/** An asynchronous transport that answers from a `script`. */
class scripted_transport {
public:
    using executor_type = boost::asio::any_io_executor;

    explicit scripted_transport(executor_type ex) : executor_(std::move(ex)) {}
    /// Requests still held are never answered (their handlers hold the script: a cycle).
    ~scripted_transport() { script_->drop_held(); }
    scripted_transport(const scripted_transport&) = delete;
    scripted_transport& operator=(const scripted_transport&) = delete;

    executor_type get_executor() const { return executor_; }
    script& log() noexcept { return *script_; }

    template <class CompletionToken>
    auto async_send(const origin&, const http_request& request, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken,
                                           void(boost::system::error_code, http_response)>(
            [this, &request](auto handler) {
                step s = script_->record(request);
                // Completes on the handler's executor, as an Asio operation does.
                const auto ex = boost::asio::get_associated_executor(handler, executor_);
                auto answer = [script = script_, s, handler = std::move(handler)]() mutable {
                    http_response response;
                    if (!s.error) {
                        response.result(static_cast<unsigned>(s.status));
                        for (const auto& [name, value] : s.headers)
                            response.set(name, value);
                        response.body() = s.body;
                    }
                    script->done();
                    std::move(handler)(s.error, std::move(response));
                    script->answered(); // the dispatcher has decided what comes next
                };
                if (s.hold) {
                    auto shared = std::make_shared<decltype(answer)>(std::move(answer));
                    script_->hold(
                        [ex, shared] { boost::asio::post(ex, [shared] { (*shared)(); }); });
                } else {
                    boost::asio::post(ex, std::move(answer));
                }
            },
            token);
    }

private:
    executor_type executor_;
    std::shared_ptr<script> script_ = std::make_shared<script>();
};

static_assert(async_transport<scripted_transport>);

} // namespace webhook::test

#endif
