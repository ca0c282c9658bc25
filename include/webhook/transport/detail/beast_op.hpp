#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_OP_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_OP_HPP

#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/timing.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <new>
#include <optional>

namespace webhook::detail {

class beast_pool;
struct connection_base;

/// The phase of a request being timed: what `transport_timing` field its time goes to.
enum class timed_phase : unsigned char { none, resolve, connect, tls, exchange };

/** The state of one request that does not depend on its completion handler: what the pool
    works with. `send_op<Handler>` (impl/beast_transport.hpp) adds the handler. One heap block
    per request (recycled, see `recycled_memory`); the pool's steps pass its ownership (`op_ptr`)
    from one asynchronous operation's handler to the next. */
class send_op_base {
public:
    send_op_base(const send_op_base&) = delete;
    send_op_base& operator=(const send_op_base&) = delete;

    /// Frees the operation, then invokes its handler with `ec` and `response`.
    virtual void complete(boost::system::error_code ec, http_response&& response) = 0;
    /// Frees the operation without invoking its handler (it was abandoned).
    virtual void destroy() noexcept = 0;

    std::shared_ptr<beast_pool> pool; // kept alive until the operation ends
    const http_request* request = nullptr;
    void* entry = nullptr; // the pool's record of the origin
    std::shared_ptr<connection_base> conn;
    std::chrono::steady_clock::time_point deadline{};
    bool reused = false;
    /// Set while the pool runs the operation inside `async_send`: a completion is then posted.
    bool initiating = false;
    /// The waiter list this operation is in, if any; its timer wakes it (only waiters pay).
    void* waiting_in = nullptr;
    std::optional<boost::asio::steady_timer> wait_timer;
    /// A terminal cancellation of the handler's slot arrived: end with operation_aborted.
    bool cancelled = false;

    // Timing, only when the caller asked for it (`timing` set): untimed requests read no clock
    // for it. The pool's steps mark where each phase begins; the time since the previous mark
    // goes to the phase that ends.
    timed_phase phase = timed_phase::none;
    std::chrono::steady_clock::time_point phase_start{};
    transport_timing* timing = nullptr; // the caller's, valid until completion

    /// A connection was leased for a try (the first, or again after a stale connection): the
    /// timing starts over, for that try.
    void begin_try(bool reused_connection) noexcept {
        if (!timing)
            return;
        *timing = transport_timing{};
        timing->reused = reused_connection;
        phase = timed_phase::none;
    }

    /// Ends the current phase (its time is recorded) and begins `next`. The exchange is
    /// recorded by `response_head_parsed` only: a failed one leaves `first_byte` zero.
    void enter(timed_phase next) noexcept {
        if (!timing)
            return;
        const auto now = std::chrono::steady_clock::now();
        const auto spent = now - phase_start;
        switch (phase) {
        case timed_phase::resolve:
            timing->resolve += spent;
            break;
        case timed_phase::connect:
            timing->connect += spent;
            break;
        case timed_phase::tls:
            timing->tls += spent;
            break;
        case timed_phase::none:
        case timed_phase::exchange:
            break;
        }
        phase = next;
        phase_start = now;
    }

    /// Whether the head of the response is still awaited for `first_byte`.
    bool awaits_response_head() const noexcept { return phase == timed_phase::exchange; }

    void response_head_parsed() noexcept {
        timing->first_byte = std::chrono::steady_clock::now() - phase_start;
        phase = timed_phase::none;
    }

    /// The operation completes, whatever the outcome: the open phase is recorded.
    void end_timing() noexcept {
        if (!timing)
            return;
        enter(timed_phase::none);
        timing->reported = true;
    }

    void count_sent(std::size_t n) noexcept {
        if (timing)
            timing->bytes_sent += n;
    }

protected:
    send_op_base(std::shared_ptr<beast_pool> p, const http_request& r)
        : pool(std::move(p)), request(&r) {}
    ~send_op_base();
};

struct op_deleter {
    void operator()(send_op_base* op) const noexcept { op->destroy(); }
};
using op_ptr = std::unique_ptr<send_op_base, op_deleter>;

} // namespace webhook::detail

#endif
