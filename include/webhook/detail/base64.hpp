#ifndef WEBHOOK_DETAIL_BASE64_HPP
#define WEBHOOK_DETAIL_BASE64_HPP

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace webhook::detail {

/// Appends the standard base64 (RFC 4648 section 4, with padding) of `in` to `out`.
inline void base64_append(std::string& out, std::string_view in) {
    constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(out.size() + (in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
    for (; i + 3 <= in.size(); i += 3) {
        const unsigned v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    if (const std::size_t rest = in.size() - i) {
        const unsigned v = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0u);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += rest == 2 ? alphabet[v >> 6 & 63] : '=';
        out += '=';
    }
}

/// Standard base64 (RFC 4648 section 4) with padding.
inline std::string base64_encode(std::string_view in) {
    std::string out;
    base64_append(out, in);
    return out;
}

/// The value of a standard base64 digit, or -1.
constexpr int base64_digit(char c) noexcept {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/// The number of bytes `in` decodes to, if it is strict base64 (see `base64_decode`).
constexpr std::optional<std::size_t> base64_decoded_size(std::string_view in) noexcept {
    if (in.size() % 4 != 0)
        return std::nullopt;
    const std::size_t pad = in.ends_with("==") ? 2 : in.ends_with('=') ? 1 : 0;
    return in.size() / 4 * 3 - pad;
}

/** Decodes strict standard base64 (RFC 4648 section 4) into `out`, which must have room for
    `base64_decoded_size(in)` bytes; returns the number of bytes written.

    Strict, because a key or signature has exactly one spelling: the length is a multiple of
    4, padding (`=` or `==`) appears only at the end and only where needed, every other
    character is in the standard alphabet (no URL-safe `-` `_`, no whitespace, no line
    breaks), and the unused bits of the last digit are zero (RFC 4648 section 3.5). Empty input
    decodes to nothing. Anything else gives `std::nullopt`, with `out` partly written. */
constexpr std::optional<std::size_t> base64_decode(std::string_view in,
                                                   unsigned char* out) noexcept {
    const std::optional<std::size_t> size = base64_decoded_size(in);
    if (!size)
        return std::nullopt;
    std::size_t n = 0;
    for (std::size_t i = 0; i < in.size(); i += 4) {
        const bool last = i + 4 == in.size();
        // "x===" and "x=y=" are not padding; "xy==" and "xyz=" are, in the last quantum only.
        const bool pad2 = last && in[i + 2] == '=' && in[i + 3] == '=';
        const bool pad1 = last && !pad2 && in[i + 3] == '=';
        const int a = base64_digit(in[i]);
        const int b = base64_digit(in[i + 1]);
        const int c = pad2 ? 0 : base64_digit(in[i + 2]);
        const int d = pad2 || pad1 ? 0 : base64_digit(in[i + 3]);
        if (a < 0 || b < 0 || c < 0 || d < 0)
            return std::nullopt;
        const unsigned v = static_cast<unsigned>(a << 18 | b << 12 | c << 6 | d);
        if ((pad2 && (v & 0xFFFF) != 0) || (pad1 && (v & 0xFF) != 0))
            return std::nullopt; // non-zero unused bits: a second spelling of the same bytes
        out[n++] = static_cast<unsigned char>(v >> 16);
        if (!pad2)
            out[n++] = static_cast<unsigned char>(v >> 8 & 0xFF);
        if (!pad2 && !pad1)
            out[n++] = static_cast<unsigned char>(v & 0xFF);
    }
    return n;
}

/// Decodes strict base64 (see above) into a string, or `std::nullopt`.
inline std::optional<std::string> base64_decode(std::string_view in) {
    const std::optional<std::size_t> size = base64_decoded_size(in);
    if (!size)
        return std::nullopt;
    std::string out(*size, '\0');
    if (!base64_decode(in, reinterpret_cast<unsigned char*>(out.data())))
        return std::nullopt;
    return out;
}

} // namespace webhook::detail

#endif
