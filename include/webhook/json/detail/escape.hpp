#ifndef WEBHOOK_JSON_DETAIL_ESCAPE_HPP
#define WEBHOOK_JSON_DETAIL_ESCAPE_HPP

#include <array>
#include <cstddef>
#include <string_view>

namespace webhook::json::detail {

/// The two-character escape for `c`, or 0 when `c` needs the `\u00XX` form or none.
constexpr char short_escape(unsigned char c) noexcept {
    switch (c) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return 0;
    }
}

constexpr bool needs_escape(unsigned char c) noexcept {
    return c < 0x20 || c == '"' || c == '\\';
}

/// `short_escape` of every byte below 0x60 (the others have none), for a lookup, not a switch.
inline constexpr auto short_escapes = [] {
    std::array<char, 0x60> table{};
    for (std::size_t c = 0; c < table.size(); ++c)
        table[c] = short_escape(static_cast<unsigned char>(c));
    return table;
}();

/** Writes the escape sequence of `c` (a byte for which `needs_escape` holds) at `out`.
    Returns the number of bytes written: 2 or 6. */
constexpr std::size_t write_escape(char* out, unsigned char c) noexcept {
    out[0] = '\\';
    if (const char e = c < short_escapes.size() ? short_escapes[c] : '\0') {
        out[1] = e;
        return 2;
    }
    constexpr char hex[] = "0123456789abcdef";
    out[1] = 'u';
    out[2] = '0';
    out[3] = '0';
    out[4] = hex[c >> 4];
    out[5] = hex[c & 0xF];
    return 6;
}

/** Size of `s` escaped as the inside of a JSON string (no quotes).
    For text known at compile time or once per configuration: wire names and data-location
    segments. The per-message path uses the word-at-a-time writer instead. */
constexpr std::size_t escaped_size(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        n += !needs_escape(c) ? 1 : short_escape(c) ? 2 : 6;
    }
    return n;
}

/// Writes `s` escaped at `out` (`escaped_size(s)` bytes) and returns the end.
constexpr char* escape_to(char* out, std::string_view s) noexcept {
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (needs_escape(c))
            out += write_escape(out, c);
        else
            *out++ = ch;
    }
    return out;
}

} // namespace webhook::json::detail

#endif
