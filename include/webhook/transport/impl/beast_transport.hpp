#ifndef WEBHOOK_TRANSPORT_IMPL_BEAST_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_IMPL_BEAST_TRANSPORT_HPP

#include <webhook/transport/detail/beast_op.hpp>
#include <webhook/transport/detail/beast_pool.hpp>

#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/strand.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

namespace webhook {

namespace detail {

/** One request with its completion handler. The pool runs it (see `basic_pool`); it ends in
    `complete`, which frees it before the handler runs, so that the next request can reuse
    the memory. */
template <class Handler>
class send_op final : public send_op_base {
public:
    /// Whether the handler has an executor of its own; if not, it runs on the transport's,
    /// where the pool completes it: then it is invoked directly.
    static constexpr bool own_executor = !requires {
        typename boost::asio::associated_executor<
            Handler, boost::asio::any_io_executor>::asio_associated_executor_is_unspecialised;
    };
    static constexpr bool cancellable = !requires {
        typename boost::asio::associated_cancellation_slot<
            Handler>::asio_associated_cancellation_slot_is_unspecialised;
    };
    // A handler's std::allocator (what a wrapper such as bind_executor forwards when the
    // wrapped handler has none) is no allocator of its own: the recycled memory serves better.
    // (clang-format 14 garbles requires-expressions joined by &&.)
    // clang-format off
    static constexpr bool own_allocator =
        !requires {
            typename boost::asio::associated_allocator<
                Handler>::asio_associated_allocator_is_unspecialised;
        } &&
        !std::is_same_v<boost::asio::associated_allocator_t<Handler>, std::allocator<void>>;
    // clang-format on

    template <class H>
    static op_ptr make(H&& handler, std::shared_ptr<beast_pool> pool, const http_request& request) {
        void* memory = allocate(handler);
        try {
            return op_ptr(new (memory) send_op(std::forward<H>(handler), std::move(pool), request));
        } catch (...) {
            deallocate(memory, handler);
            throw;
        }
    }

    void complete(boost::system::error_code ec, http_response&& response) override {
        detach_from_slot();
        Handler handler(std::move(handler_));
        if constexpr (own_executor) {
            auto work = std::move(*work_);
            free_self(handler);
            boost::asio::dispatch(
                work, [handler = std::move(handler), ec, response = std::move(response)]() mutable {
                    std::move(handler)(ec, std::move(response));
                });
        } else {
            free_self(handler);
            std::move(handler)(ec, std::move(response));
        }
    }

    void destroy() noexcept override {
        detach_from_slot();
        Handler handler(std::move(handler_));
        free_self(handler);
    }

private:
    using handler_executor =
        boost::asio::associated_executor_t<Handler, boost::asio::any_io_executor>;
    // The handler's executor, tracking work so that its context does not run out before the
    // completion (standard executors, such as strands of any_io_executor, have no
    // executor_work_guard).
    using tracked_executor = std::decay_t<decltype(boost::asio::prefer(
        std::declval<handler_executor>(), boost::asio::execution::outstanding_work.tracked))>;
    using work_guard = std::conditional_t<own_executor, tracked_executor, bool>; // bool: unused

    template <class H>
    send_op(H&& handler, std::shared_ptr<beast_pool> pool, const http_request& request)
        : send_op_base(std::move(pool), request), handler_(std::forward<H>(handler)) {
        if constexpr (own_executor)
            work_.emplace(boost::asio::prefer(
                boost::asio::get_associated_executor(handler_, this->pool->executor()),
                boost::asio::execution::outstanding_work.tracked));
        if constexpr (cancellable) {
            auto slot = boost::asio::get_associated_cancellation_slot(handler_);
            if (slot.is_connected()) {
                link_ = std::make_shared<cancel_link>(this, this->pool->executor());
                slot.template emplace<canceller>(link_);
            }
        }
    }

    /// Between the handler's cancellation slot and the running operation. `op` is read and
    /// cleared on the transport's executor only.
    struct cancel_link {
        cancel_link(send_op_base* o, boost::asio::any_io_executor e) : op(o), ex(std::move(e)) {}
        send_op_base* op;
        boost::asio::any_io_executor ex;
    };

    /// What the slot calls, on the thread that emits the signal: the cancellation itself runs
    /// on the transport's executor, if the operation still runs then.
    struct canceller {
        explicit canceller(std::shared_ptr<cancel_link> l) : link(std::move(l)) {}
        std::shared_ptr<cancel_link> link;
        void operator()(boost::asio::cancellation_type type) {
            if ((type & boost::asio::cancellation_type::terminal) ==
                boost::asio::cancellation_type::none)
                return;
            boost::asio::post(link->ex, [link = link] {
                if (link->op)
                    link->op->pool->cancel(*link->op);
            });
        }
    };

    void detach_from_slot() noexcept {
        if constexpr (cancellable) {
            if (link_) {
                link_->op = nullptr;
                boost::asio::get_associated_cancellation_slot(handler_).clear();
            }
        }
    }

    ~send_op() = default;

    static void* allocate(const Handler& handler) {
        if constexpr (own_allocator) {
            auto alloc = rebound(handler);
            return std::allocator_traits<decltype(alloc)>::allocate(alloc, 1);
        } else {
            (void)handler;
            return recycled_memory::allocate(sizeof(send_op));
        }
    }

    static void deallocate(void* memory, const Handler& handler) noexcept {
        if constexpr (own_allocator) {
            auto alloc = rebound(handler);
            std::allocator_traits<decltype(alloc)>::deallocate(alloc, static_cast<send_op*>(memory),
                                                               1);
        } else {
            (void)handler;
            recycled_memory::deallocate(memory, sizeof(send_op));
        }
    }

    static auto rebound(const Handler& handler) {
        using alloc = boost::asio::associated_allocator_t<Handler>;
        using traits = typename std::allocator_traits<alloc>::template rebind_traits<send_op>;
        return typename traits::allocator_type(boost::asio::get_associated_allocator(handler));
    }

    /// Destroys and frees this object; `handler` (moved out before) provides the allocator.
    void free_self(const Handler& handler) noexcept {
        this->~send_op();
        deallocate(this, handler);
    }

    Handler handler_;
    std::optional<work_guard> work_;
    std::shared_ptr<cancel_link> link_; // only with a connected cancellation slot
};

/// Test access to the pool's counters.
struct beast_transport_access {
    static std::size_t resolutions(const beast_transport& t, const origin& where) {
        return t.pool_->resolutions(where);
    }
    static void set_hosts(beast_transport& t, std::vector<host_mapping> hosts) {
        t.pool_->set_hosts(std::move(hosts));
    }
};

} // namespace detail

inline beast_transport::beast_transport(executor_type executor, beast_transport_options options) {
    namespace asio = boost::asio;
    if (const auto* io = executor.target<asio::io_context::executor_type>()) {
        // The common case: a strand with a concrete type, so that no I/O step goes through
        // the type-erased any_io_executor.
        auto strand = asio::make_strand(*io);
        executor_ = strand;
        pool_ = std::make_shared<detail::basic_pool<decltype(strand)>>(strand, executor_,
                                                                       std::move(options));
    } else {
        // Any other executor: a strand behind the type-erased executor (Beast's composed
        // operations need an executor type that supports both executor models).
        executor_ = asio::make_strand(std::move(executor));
        pool_ = std::make_shared<detail::basic_pool<executor_type>>(executor_, executor_,
                                                                    std::move(options));
    }
}

inline beast_transport::beast_transport(beast_transport_options options)
    : own_context_(std::make_unique<boost::asio::io_context>(1)),
      executor_(own_context_->get_executor()) {
    // One thread runs the context: its executor serializes the steps without a strand.
    pool_ = std::make_shared<detail::basic_pool<boost::asio::io_context::executor_type>>(
        own_context_->get_executor(), executor_, std::move(options));
    own_thread_ = std::thread([ctx = own_context_.get()] {
        auto work = boost::asio::make_work_guard(*ctx);
        ctx->run();
    });
}

inline beast_transport::~beast_transport() {
    if (own_context_) {
        // Stop the thread first: then nothing else touches the pool.
        own_context_->stop();
        own_thread_.join();
    }
    pool_->shut_down();
}

template <class CompletionToken>
auto beast_transport::async_send(const origin& where, const http_request& request,
                                 CompletionToken&& token) {
    return initiate_send(where, request, nullptr, std::forward<CompletionToken>(token));
}

template <class CompletionToken>
auto beast_transport::async_send(const origin& where, const http_request& request,
                                 transport_timing& timing, CompletionToken&& token) {
    return initiate_send(where, request, &timing, std::forward<CompletionToken>(token));
}

template <class CompletionToken>
auto beast_transport::initiate_send(const origin& where, const http_request& request,
                                    transport_timing* timing, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken,
                                       void(boost::system::error_code, http_response)>(
        [](auto&& handler, const std::shared_ptr<detail::beast_pool>& pool, const origin& to,
           const http_request* req, transport_timing* timed) {
            using handler_type = std::decay_t<decltype(handler)>;
            auto op = detail::send_op<handler_type>::make(std::forward<decltype(handler)>(handler),
                                                          pool, *req);
            if (timed) { // reset here, on the initiating thread, before any step can write it
                *timed = transport_timing{};
                op->timing = timed;
            }
            pool->start(std::move(op), to);
        },
        token, pool_, where, &request, timing);
}

inline http_response beast_transport::send(const origin& where, const http_request& request,
                                           boost::system::error_code& ec) {
    return wait_for_send(where, request, nullptr, ec);
}

inline http_response beast_transport::send(const origin& where, const http_request& request,
                                           transport_timing& timing,
                                           boost::system::error_code& ec) {
    return wait_for_send(where, request, &timing, ec);
}

inline http_response beast_transport::wait_for_send(const origin& where,
                                                    const http_request& request,
                                                    transport_timing* timing,
                                                    boost::system::error_code& ec) {
    struct result {
        std::mutex mutex;
        std::condition_variable done_cv;
        bool done = false;
        boost::system::error_code ec;
        http_response response;
    } r;
    initiate_send(where, request, timing, [&r](boost::system::error_code e, http_response res) {
        std::lock_guard lock(r.mutex);
        r.ec = e;
        r.response = std::move(res);
        r.done = true;
        r.done_cv.notify_one(); // under the lock: `r` may be gone right after it is released
    });
    std::unique_lock lock(r.mutex);
    r.done_cv.wait(lock, [&r] { return r.done; });
    ec = r.ec;
    return std::move(r.response);
}

inline std::size_t beast_transport::open_connections(const origin& where) const {
    return pool_->open_connections(where);
}

static_assert(blocking_transport<beast_transport>);
static_assert(async_transport<beast_transport>);
static_assert(timed_transport<beast_transport>);

} // namespace webhook

#endif
