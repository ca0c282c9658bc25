#ifndef WEBHOOK_AUTH_DETAIL_OAUTH2_CLIENT_CREDENTIALS_HPP
#define WEBHOOK_AUTH_DETAIL_OAUTH2_CLIENT_CREDENTIALS_HPP

#include <webhook/auth/access_token.hpp>
#include <webhook/auth/detail/oauth.hpp>
#include <webhook/auth/detail/scheme.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/url.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <string_view>

namespace webhook::detail {

/** OAuth 2.0 client credentials (RFC 6749 section 4.4): no fixed header; each request carries
    `Authorization: Bearer <access token>`, the token fetched from `token_url` first (the token
    request and the reading of its answer are in `oauth.hpp`; its life in `token_cache.hpp`). */
class oauth2_client_credentials_scheme {
public:
    /// @throws boost::system::system_error when `token_url` is not a URL (`endpoint_url`).
    explicit oauth2_client_credentials_scheme(const oauth2_client_credentials& options)
        : options_(options), token_url_(options.token_url) {}

    /// Nothing fixed: the token goes into each request when it is there.
    void authorize(request_headers&) const noexcept {}

    static constexpr bool needs_token = true;

    /// The token request, with the `User-Agent` of `common`.
    http_request token_request(const request_headers& common) const {
        return make_token_request(options_, token_url_, common);
    }

    const origin& token_origin() const noexcept { return token_url_.origin(); }

    boost::system::result<access_token> read_token(boost::system::error_code ec, unsigned status,
                                                   std::string_view body) const {
        return read_token_answer(ec, status, body);
    }

    std::chrono::seconds refresh_skew() const noexcept { return options_.refresh_skew; }

private:
    oauth2_client_credentials options_;
    endpoint_url token_url_;
};

template <>
struct auth_scheme<oauth2_client_credentials> {
    using type = oauth2_client_credentials_scheme;
};

} // namespace webhook::detail

#endif
