#ifndef WEBHOOK_TRANSPORT_REQUEST_HPP
#define WEBHOOK_TRANSPORT_REQUEST_HPP

#include <webhook/error.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>
#include <webhook/transport/recycling_allocator.hpp>
#include <webhook/transport/url.hpp>
#include <webhook/version.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace webhook {

/// The HTTP request a transport sends: a Beast request with a string body.
using http_request = boost::beast::http::request<boost::beast::http::string_body>;
/** The header fields of an `http_response`: allocated from memory recycled per thread (see
    `recycling_allocator`; a response's fields are allocated and freed on every request: this
    keeps the steady state of a dispatcher off the heap). */
using http_response_fields = boost::beast::http::basic_fields<recycling_allocator<char>>;
/// The HTTP response a transport yields: a Beast response with a string body.
using http_response =
    boost::beast::http::response<boost::beast::http::string_body, http_response_fields>;

/** Checks one header field: the name must be an HTTP token (RFC 9110 section 5.6.2), the
    value must not contain CR, LF, NUL or another control character other than tab.
    @return `error::invalid_header_name`, `error::invalid_header_value`, or no error. */
boost::system::error_code check_header(std::string_view name, std::string_view value) noexcept;

/** The value of an `Authorization` header for HTTP Basic authentication (RFC 7617):
    `Basic ` and the base64 of `user-id:password` (both sent as the UTF-8 bytes given).
    @return `error::colon_in_user_id` when the user-id contains `:`, or
    `error::invalid_header_value` for control characters. */
boost::system::result<std::string> basic_authorization(std::string_view user_id,
                                                       std::string_view password);

/// The value of an `Authorization` header for a bearer token (RFC 6750): `Bearer <token>`.
boost::system::result<std::string> bearer_authorization(std::string_view token);

/** The headers an endpoint adds to each request, validated when they are set, so that a bad
    header is a configuration error and never reaches the wire. Setters throw
    `boost::system::system_error`; the error never quotes the value (it may be a secret). */
class request_headers {
public:
    /// `Authorization: Basic ...`. Throws `error::reserved_header` after `add("Authorization")`.
    request_headers& basic_auth(std::string_view user_id, std::string_view password);
    /// `Authorization: Bearer ...`. Throws `error::reserved_header` after `add("Authorization")`.
    request_headers& bearer_auth(std::string_view token);
    /** Any other header, such as an API key; added in order, after the standard ones.

        Throws `error::invalid_header_name` or `error::invalid_header_value` (see
        `check_header`), and `error::reserved_header` for a name `make_request` sets itself or
        that frames the message or the connection, compared without case: `Host`,
        `Content-Length`, `Transfer-Encoding`, `Connection`, `Content-Type`, `User-Agent` (use
        `user_agent`), the hop-by-hop `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
        `Upgrade`; and `Authorization` after `basic_auth` or `bearer_auth`. A second copy of
        any of these would make the request ambiguous. */
    request_headers& add(std::string_view name, std::string_view value);
    /// Replaces the default `User-Agent: webhook/<version>`.
    request_headers& user_agent(std::string_view value);

    const std::string& authorization() const noexcept { return authorization_; }
    const std::string& user_agent() const noexcept { return user_agent_; }
    const std::vector<std::pair<std::string, std::string>>& extra() const noexcept {
        return extra_;
    }

private:
    bool has_extra(std::string_view name) const noexcept;

    std::string authorization_;
    std::string user_agent_ = "webhook/" WEBHOOK_VERSION_STRING;
    std::vector<std::pair<std::string, std::string>> extra_;
};

/** Builds the request for `url`: the method, the origin-form target, `Host`,
    `User-Agent`, `Accept` (JSON, then anything),
    `Content-Type: application/json; charset=utf-8`, `Authorization` if configured, the extra
    headers, `Content-Length`, and `body`.
    @throws boost::system::system_error with `error::unsupported_method` unless the method is
    POST, PUT or PATCH. */
http_request make_request(boost::beast::http::verb method, const endpoint_url& url,
                          std::string body, const request_headers& headers = {});

} // namespace webhook

#include <webhook/transport/impl/request.hpp>

#endif
