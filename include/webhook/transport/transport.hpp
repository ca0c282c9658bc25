#ifndef WEBHOOK_TRANSPORT_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_TRANSPORT_HPP

#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/timing.hpp>

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

/** A blocking transport that also reports what it measured of each request:

    @code
    http_response send(const origin& where, const http_request& request,
                       transport_timing& timing, error_code& ec);
    @endcode

    Semantics as `timed_async_transport`. */
template <class T>
concept timed_blocking_transport = blocking_transport<T> &&
    requires(T& t, const origin& where, const http_request& request, transport_timing& timing,
             boost::system::error_code& ec) {
    { t.send(where, request, timing, ec) } -> std::same_as<http_response>;
};

/** An asynchronous transport that also reports what it measured of each request:

    @code
    auto async_send(const origin& where, const http_request& request, transport_timing& timing,
                    CompletionToken&& token);
    // completion signature: void(boost::system::error_code, http_response)
    @endcode

    The transport resets `timing` when the operation starts, fills it in as the request goes,
    and is done with it when the operation completes: `timing` (like `request`) must stay valid
    until then, and is read only after it. Errors are reported as by the untimed form; `timing`
    then holds what was measured up to the error, with `reported` set if the transport measured
    anything. When a request that failed on a stale kept-alive connection is sent again on
    another, `timing` describes the try that answered (or the last try). */
template <class T>
concept timed_async_transport = async_transport<T> &&
    requires(T& t, const origin& where, const http_request& request, transport_timing& timing) {
    t.async_send(where, request, timing, boost::asio::deferred);
};

/** A transport that can time every request it sends: each form it offers (blocking,
    asynchronous) has its timed overload as well. A caller that finds it fills in a
    `transport_timing` per request; with another transport, requests are untimed. */
// (clang-format 14 garbles concepts joined by &&.)
// clang-format off
template <class T>
concept timed_transport = transport<T> &&
                          (!blocking_transport<T> || timed_blocking_transport<T>) &&
                          (!async_transport<T> || timed_async_transport<T>);
// clang-format on

} // namespace webhook

#endif
