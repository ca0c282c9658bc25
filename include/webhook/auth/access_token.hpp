#ifndef WEBHOOK_AUTH_ACCESS_TOKEN_HPP
#define WEBHOOK_AUTH_ACCESS_TOKEN_HPP

#include <chrono>
#include <optional>
#include <string>

namespace webhook {

/// An access token, as a token endpoint issued it (see `request_authenticator::read_token`).
struct access_token {
    /// The token itself, fit for a `Bearer` header.
    std::string token{};
    /** The `Authorization` header value that carries it (`Bearer <token>`), set by the
        scheme that read it; whoever keeps the token sends this as is. */
    std::string authorization{};
    /// Absent when the server does not say: the token is kept until a receiver refuses it.
    std::optional<std::chrono::seconds> expires_in{};

    friend bool operator==(const access_token&, const access_token&) = default;
};

} // namespace webhook

#endif
