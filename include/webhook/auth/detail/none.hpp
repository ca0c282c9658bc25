#ifndef WEBHOOK_AUTH_DETAIL_NONE_HPP
#define WEBHOOK_AUTH_DETAIL_NONE_HPP

#include <webhook/auth/detail/scheme.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/request.hpp>

namespace webhook::detail {

/// No authentication: no `Authorization` header (extra headers may still carry an API key).
struct no_auth_scheme {
    no_auth_scheme() = default;
    explicit no_auth_scheme(const no_auth&) noexcept {}
    void authorize(request_headers&) const noexcept {}
    static constexpr bool needs_token = false;
};

template <>
struct auth_scheme<no_auth> {
    using type = no_auth_scheme;
};

} // namespace webhook::detail

#endif
