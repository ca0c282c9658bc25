#ifndef WEBHOOK_DISPATCH_DETAIL_COMPLETION_HPP
#define WEBHOOK_DISPATCH_DETAIL_COMPLETION_HPP

#include <webhook/dispatch/delivery.hpp>

#include <boost/asio/any_completion_handler.hpp>

#include <type_traits>
#include <utility>

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

} // namespace webhook::detail

#endif
