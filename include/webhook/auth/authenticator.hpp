#ifndef WEBHOOK_AUTH_AUTHENTICATOR_HPP
#define WEBHOOK_AUTH_AUTHENTICATOR_HPP

/** @file
    Authentication (sender side): what an endpoint's `authentication` puts on its requests.

    Chosen per endpoint with the `authentication` variant (`config/options.hpp`):
    - `no_auth`: nothing;
    - `basic_auth`: `Authorization: Basic <base64 of user:password>` (RFC 7617);
    - `bearer_auth`: `Authorization: Bearer <token>` (RFC 6750);
    - `oauth2_client_credentials`: `Authorization: Bearer <access token>`, the token obtained
      first from a token endpoint (RFC 6749 section 4.4).

    A `request_authenticator` is prepared once per configuration. The fixed schemes write their
    header into the `request_headers` every request is made from (`authorize`). A scheme whose
    header carries a token (`needs_token`) says instead which request obtains the token
    (`token_request`, `token_origin`) and reads its answer (`read_token`); when to send that
    request, who waits for it, when the token expires and the one new token after a receiver's
    `401` are the token's life cycle, kept without I/O by the dispatcher (in
    `auth/detail/token_cache.hpp`).

    Each scheme is one file in `auth/detail/` (see `auth/detail/scheme.hpp`). Secrets never
    appear in error messages or exceptions. */

#include <webhook/auth/access_token.hpp>
#include <webhook/auth/detail/basic.hpp>
#include <webhook/auth/detail/bearer.hpp>
#include <webhook/auth/detail/none.hpp>
#include <webhook/auth/detail/oauth2_client_credentials.hpp>
#include <webhook/auth/detail/scheme.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>

#include <boost/mp11/algorithm.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <variant>

namespace webhook {

/** An authentication configuration, prepared. Immutable after `make`; its functions may run on
    many threads at once. */
class request_authenticator {
public:
    /// Authenticates nothing (`enabled()` is false).
    request_authenticator() = default;

    /** Prepares `a`.
        @throws boost::system::system_error when an OAuth token URL is not a valid URL
        (`validate` reports that as a problem first). */
    static request_authenticator make(const authentication& a);

    /// False for `no_auth`.
    bool enabled() const noexcept;

    /** Writes the `Authorization` header every request carries into `headers`: Basic or Bearer
        for the fixed schemes; nothing for `no_auth` and for a scheme that `needs_token`.
        Call it before adding other headers: an `Authorization` among them is then refused.
        @throws boost::system::system_error as `request_headers::basic_auth` and `bearer_auth`
        do (never quoting a secret). */
    void authorize(request_headers& headers) const;

    /** Whether requests carry a token that a request of its own obtains first
        (`oauth2_client_credentials`). Then the header is `Bearer <token>`, set per request by
        whoever keeps the token. */
    bool needs_token() const noexcept;

    /** The request that obtains a token, with the `User-Agent` of `common`.
        @pre `needs_token()`, else throws `std::logic_error`. */
    http_request token_request(const request_headers& common) const;

    /// Where `token_request` goes. @pre `needs_token()`, else throws `std::logic_error`.
    const origin& token_origin() const;

    /** Reads the answer to `token_request` (or the transport's error `ec`): the token of a 2xx
        answer with a well-formed token; else `error::token_request_failed`, or
        `error::address_not_allowed` when the destination policy refused the token endpoint.
        @pre `needs_token()`, else throws `std::logic_error`. */
    boost::system::result<access_token> read_token(boost::system::error_code ec,
                                                   const http_response& response) const;

    /// How long before it expires a token is replaced; zero unless `needs_token()`.
    std::chrono::seconds refresh_skew() const noexcept;

private:
    /// One scheme class per member of `authentication`, in the same order.
    using scheme = boost::mp11::mp_transform<detail::auth_scheme_t, authentication>;

    template <class Result, class F>
    Result with_token_scheme(F f) const;

    scheme scheme_{};
};

} // namespace webhook

#include <webhook/auth/impl/authenticator.hpp>

#endif
