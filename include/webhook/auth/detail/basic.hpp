#ifndef WEBHOOK_AUTH_DETAIL_BASIC_HPP
#define WEBHOOK_AUTH_DETAIL_BASIC_HPP

#include <webhook/auth/detail/scheme.hpp>
#include <webhook/config/options.hpp>
#include <webhook/transport/request.hpp>

namespace webhook::detail {

/** HTTP Basic authentication (RFC 7617): `Authorization: Basic <base64 of user:password>` on
    every request (`basic_authorization` in `transport/request.hpp` writes it). */
class basic_auth_scheme {
public:
    explicit basic_auth_scheme(const basic_auth& options) : options_(options) {}

    /// Throws as `request_headers::basic_auth` does (a `:` in the user name, a control
    /// character, an `Authorization` header added already); never quoting the password.
    void authorize(request_headers& headers) const {
        headers.basic_auth(options_.username, options_.password.reveal());
    }

    static constexpr bool needs_token = false;

private:
    basic_auth options_;
};

template <>
struct auth_scheme<basic_auth> {
    using type = basic_auth_scheme;
};

} // namespace webhook::detail

#endif
