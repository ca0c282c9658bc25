#ifndef WEBHOOK_TRANSPORT_DETAIL_RESERVED_HEADERS_HPP
#define WEBHOOK_TRANSPORT_DETAIL_RESERVED_HEADERS_HPP

#include <cstddef>
#include <string_view>

namespace webhook {
struct endpoint;
} // namespace webhook

// The header names a user may not set, because the library sets them itself or because they
// frame the message: a second `Host` or `Content-Length` makes the request ambiguous (a
// request-smuggling vector), a second signature makes it unverifiable. Every check of a user's
// header name (request_headers::add, endpoint validation and loading, signature header names,
// per-event headers) asks here, so that the list and the words exist once.
namespace webhook::detail {

constexpr char ascii_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

/// ASCII case-insensitive equality, as header names (RFC 9110 section 5.1), choices in
/// configuration documents and signature prefixes compare.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return true;
}

/// Where a reserved name is refused.
enum class reserved_in : unsigned char {
    /// Everywhere, `request_headers::add` included: `make_request` or the transport sets it,
    /// or it frames the message or the connection.
    every_request,
    /// In what a dispatcher sends (endpoint headers, per-event headers, signature header
    /// names): the dispatcher sets it on its requests. `make_request` alone does not, so a
    /// program that builds its own requests may.
    dispatched_request,
};

struct reserved_header {
    std::string_view name;
    reserved_in where;
    /// Why, as validation words it after the key: "headers[0].name: is set by the library".
    const char* why;
};

inline constexpr const char* set_by_the_library = "is set by the library";
inline constexpr const char* hop_by_hop = "is a hop-by-hop header, which the library manages";
inline constexpr const char* set_by_signing = "is set by the library (signing)";

inline constexpr reserved_header reserved_headers[] = {
    {"Host", reserved_in::every_request, set_by_the_library},
    {"Content-Length", reserved_in::every_request, set_by_the_library},
    {"Transfer-Encoding", reserved_in::every_request, set_by_the_library},
    {"Connection", reserved_in::every_request, set_by_the_library},
    {"Content-Type", reserved_in::every_request, set_by_the_library},
    // The other connection-specific fields of RFC 9110 section 7.6.1: meaningful only for
    // one connection, which the transport owns (an Upgrade could switch its protocol).
    {"Keep-Alive", reserved_in::every_request, hop_by_hop},
    {"Proxy-Connection", reserved_in::every_request, hop_by_hop},
    {"TE", reserved_in::every_request, hop_by_hop},
    {"Trailer", reserved_in::every_request, hop_by_hop},
    {"Upgrade", reserved_in::every_request, hop_by_hop},
    {"User-Agent", reserved_in::every_request, "is set by user_agent"},
    // The body is the library's: only it knows how it is encoded.
    {"Content-Encoding", reserved_in::dispatched_request, set_by_the_library},
    {"webhook-id", reserved_in::dispatched_request, "is set by the library (the event id)"},
    {"webhook-timestamp", reserved_in::dispatched_request, set_by_signing},
    {"webhook-signature", reserved_in::dispatched_request, set_by_signing},
};

/// The entry of `name` (compared without case), or nullptr.
constexpr const reserved_header* find_reserved_header(std::string_view name) noexcept {
    for (const reserved_header& r : reserved_headers)
        if (iequals(name, r.name))
            return &r;
    return nullptr;
}

/// What an endpoint configures that reserves more names.
struct header_settings {
    /// Authentication of any type: `Authorization` is the library's.
    bool authentication = false;
    /// Compression: `Content-Encoding` says so.
    bool compression = false;
    /// The HMAC signature header and its timestamp header, or empty.
    std::string_view signature_header{};
    std::string_view signature_timestamp_header{};
};

/** Why a user may not set header `name` on requests sent with `s`, or nullptr. `name` is
    taken to be an HTTP token already (`check_header`). */
constexpr const char* reserved_header_refusal(std::string_view name,
                                              const header_settings& s) noexcept {
    if (const reserved_header* r = find_reserved_header(name)) {
        if (s.compression && iequals(name, "Content-Encoding"))
            return "is set by the library (compression)";
        return r->why;
    }
    if ((!s.signature_header.empty() && iequals(name, s.signature_header)) ||
        (!s.signature_timestamp_header.empty() && iequals(name, s.signature_timestamp_header)))
        return set_by_signing;
    if (s.authentication && iequals(name, "Authorization"))
        return "conflicts with authentication";
    return nullptr;
}

/** Why a user may not set header `name` on requests to `e`, or nullptr: an empty name, one
    that is not an HTTP token, or one of the names above, given `e`'s authentication,
    compression and signing. The reason reads after the name's key, as in
    `headers[0].name: is set by the library`.

    Defined with `endpoint`, in `<webhook/endpoint.hpp>`, which callers include. */
inline const char* header_refusal(const endpoint& e, std::string_view name) noexcept;

} // namespace webhook::detail

#endif
