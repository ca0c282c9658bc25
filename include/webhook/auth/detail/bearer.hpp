#ifndef WEBHOOK_AUTH_DETAIL_BEARER_HPP
#define WEBHOOK_AUTH_DETAIL_BEARER_HPP

#include <webhook/auth/detail/scheme.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/request.hpp>

namespace webhook::detail {

/// A fixed bearer token (RFC 6750): `Authorization: Bearer <token>` on every request.
class bearer_auth_scheme {
public:
    explicit bearer_auth_scheme(const bearer_auth& options) : options_(options) {}

    /// Throws as `request_headers::bearer_auth` does; never quoting the token.
    void authorize(request_headers& headers) const { headers.bearer_auth(options_.token.reveal()); }

    static constexpr bool needs_token = false;

private:
    bearer_auth options_;
};

template <>
struct auth_scheme<bearer_auth> {
    using type = bearer_auth_scheme;
};

} // namespace webhook::detail

#endif
