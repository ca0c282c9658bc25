#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_OP_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_OP_HPP

#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>

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
