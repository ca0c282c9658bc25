#ifndef WEBHOOK_TRANSPORT_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_TRANSPORT_HPP

#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>

#include <boost/asio/deferred.hpp>
#include <boost/system/error_code.hpp>

#include <concepts>

namespace webhook {

/** A transport that sends one request and blocks until its response (or an error):

    @code
    http_response send(const origin& where, const http_request& request, error_code& ec);
    @endcode

    On error `ec` is set and the returned response is unspecified. */
template <class T>
concept blocking_transport = requires(T& t, const origin& where, const http_request& request,
                                      boost::system::error_code& ec) {
    { t.send(where, request, ec) } -> std::same_as<http_response>;
};

/** A transport with an Asio asynchronous send, usable with any completion token (a callback,
    `use_future`, `use_awaitable`, `deferred`):

    @code
    executor_type get_executor();
    auto async_send(const origin& where, const http_request& request, CompletionToken&& token);
    // completion signature: void(boost::system::error_code, http_response)
    @endcode

    `request` must stay valid until the operation completes; `where` is copied. */
template <class T>
concept async_transport = requires(T& t, const origin& where, const http_request& request) {
    typename T::executor_type;
    { t.get_executor() } -> std::convertible_to<typename T::executor_type>;
    t.async_send(where, request, boost::asio::deferred);
};

/** What the dispatcher sends through: a blocking transport, an asynchronous one, or both.
    A transport that offers one form only is used in that form: a blocking one from worker
    threads, an asynchronous one through its completion. */
template <class T>
concept transport = blocking_transport<T> || async_transport<T>;

} // namespace webhook

#endif
