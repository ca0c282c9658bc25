#ifndef WEBHOOK_TRANSPORT_DETAIL_SANSIO_EXCHANGE_HPP
#define WEBHOOK_TRANSPORT_DETAIL_SANSIO_EXCHANGE_HPP

#include <webhook/error.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstddef>
#include <string>

// The decisions of one exchange on a connection (write the request, read the response), and
// of what a failed exchange means, without I/O: the pool's steps (impl/exchange.hpp) carry
// them out.

namespace webhook::detail::sansio {

/// Whether the request target is sent in absolute form (`http://host:port/path`): plain HTTP
/// through a proxy (https goes through a tunnel, in origin form).
constexpr bool uses_absolute_form(bool proxied, bool tls) noexcept {
    return proxied && !tls;
}

/** Writes the request line and header fields of `request` into `out`, byte for byte as
    Beast's serializer does: `METHOD SP target SP HTTP/x.y CRLF`, each field as stored
    (`Name: value CRLF`), then CRLF. With `absolute_for`, the target is sent in absolute form
    (`http://host:port/path`), as a plain-HTTP request through a proxy must be. */
inline void serialize_head(std::string& out, const http_request& request,
                           const origin* absolute_for) {
    out.clear();
    out.append(request.method_string());
    out += ' ';
    if (absolute_for) {
        out += "http://";
        const bool v6 = absolute_for->host.find(':') != std::string::npos;
        if (v6)
            out += '[';
        out += absolute_for->host;
        if (v6)
            out += ']';
        out += ':';
        out += std::to_string(absolute_for->port);
    }
    out.append(request.target());
    const unsigned version = request.version();
    const char tail[] = {' ',
                         'H',
                         'T',
                         'T',
                         'P',
                         '/',
                         static_cast<char>('0' + version / 10 % 10),
                         '.',
                         static_cast<char>('0' + version % 10),
                         '\r',
                         '\n'};
    out.append(tail, sizeof tail);
    for (const auto& field : request) {
        out.append(field.name_string());
        out += ": ";
        out.append(field.value());
        out += "\r\n";
    }
    out += "\r\n";
}

/// The head and the body of a request on plain TCP, written in one gather write.
using head_and_body = std::array<boost::asio::const_buffer, 2>;

/// What follows the first, non-blocking attempt to write a request on plain TCP.
enum class write_step {
    read,          ///< all of it went out: read the response
    fail,          ///< the socket failed
    wait_for_rest, ///< wait for the socket to take the rest (see `skip_written`)
};

constexpr bool would_block(boost::system::error_code ec) noexcept {
    return ec == boost::asio::error::would_block || ec == boost::asio::error::try_again;
}

inline write_step after_first_write(boost::system::error_code ec, std::size_t written,
                                    std::size_t total) noexcept {
    if (!ec && written == total)
        return write_step::read;
    if (ec && !would_block(ec))
        return write_step::fail;
    return write_step::wait_for_rest;
}

/// Drops the first `written` bytes of `buffers` (fewer than their total size).
inline void skip_written(head_and_body& buffers, std::size_t written) noexcept {
    if (written < buffers[0].size()) {
        buffers[0] += written;
    } else {
        buffers[1] += written - buffers[0].size();
        buffers[0] = boost::asio::const_buffer();
    }
}

/// What a complete response head of `status` means.
enum class response_kind {
    final,     ///< the response to the request
    interim,   ///< 100 Continue, 103 Early Hints: RFC 9110 section 15.2 wants it skipped
    forbidden, ///< 101: nothing here asked to switch protocols (`http::error::bad_status`)
};

constexpr response_kind classify_response(unsigned status) noexcept {
    if (status == 101)
        return response_kind::forbidden;
    return status / 100 == 1 ? response_kind::interim : response_kind::final;
}

/// What the end of the connection means while reading a response.
enum class eof_meaning {
    no_response, ///< not a byte of a response came: `http::error::end_of_stream`
    end_of_body, ///< it may end a body delimited by the end of the connection
};

constexpr eof_meaning on_end_of_stream(bool response_begun) noexcept {
    return response_begun ? eof_meaning::end_of_body : eof_meaning::no_response;
}

/// What is known of an exchange that failed on its connection.
struct failed_exchange {
    bool timed_out = false;      ///< the connection's deadline closed it
    bool cancelled = false;      ///< a terminal cancellation closed it
    bool reused = false;         ///< the connection had served a request before
    bool response_begun = false; ///< a byte of the response arrived (parsed or buffered)
    bool time_left = false;      ///< the request's deadline has not passed
};

/// What a failed exchange leads to.
enum class failure_action {
    report_timeout, ///< the deadline or a cancellation ended it (`report_error` tells which)
    send_again,     ///< on another connection: see `after_failure`
    report,         ///< the error, as `reported_error` words it
};

/** The rule of retries: a request that fails on a reused connection before a single byte of
    the response has arrived (the server closed the connection while it was idle) is sent
    again on another, while time is left. Once any byte of a response has arrived, or when the
    connection was new, the error is reported: the server may have acted on the request. */
constexpr failure_action after_failure(const failed_exchange& f) noexcept {
    if (f.timed_out || f.cancelled)
        return failure_action::report_timeout;
    if (f.reused && !f.response_begun && f.time_left)
        return failure_action::send_again;
    return failure_action::report;
}

/// How an exchange's error is reported: a body over the limit as the library's own error.
inline boost::system::error_code reported_error(boost::system::error_code ec) noexcept {
    if (ec == boost::beast::http::error::body_limit)
        return error::response_body_too_large;
    return ec;
}

/** The error a failed request ends with: a cancellation wins, then the connection's deadline
    (whatever error closing the socket caused), then `ec`. */
inline boost::system::error_code report_error(boost::system::error_code ec, bool timed_out,
                                              bool cancelled) noexcept {
    if (cancelled)
        return boost::asio::error::operation_aborted;
    if (timed_out)
        return boost::beast::error::timeout;
    return ec;
}

} // namespace webhook::detail::sansio

#endif
