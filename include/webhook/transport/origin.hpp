#ifndef WEBHOOK_TRANSPORT_ORIGIN_HPP
#define WEBHOOK_TRANSPORT_ORIGIN_HPP

#include <cstdint>
#include <string>

namespace webhook {

/** Where a request goes: scheme, host and port. Connections are pooled per origin. */
struct origin {
    /// True for `https`.
    bool tls = false;
    /// A DNS name or an IP literal, without brackets (`::1`, not `[::1]`).
    std::string host;
    /// The TCP port; 80 or 443 when the URL has none.
    std::uint16_t port = 0;

    friend bool operator==(const origin&, const origin&) = default;
};

} // namespace webhook

#endif
