#ifndef WEBHOOK_DETAIL_UTF8_HPP
#define WEBHOOK_DETAIL_UTF8_HPP

#include <cstddef>
#include <string_view>

namespace webhook::detail {

/** Length of the well-formed UTF-8 sequence that starts at `p`, or 0.

    `p` points at a byte >= 0x80. Well-formed means RFC 3629: no overlong forms, no
    surrogates, nothing above U+10FFFF. constexpr so that wire names and data
    locations are checked at compile time by the same rule as strings at run time.
*/
constexpr std::size_t utf8_sequence_length(const char* p, const char* end) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
    const auto avail = static_cast<std::size_t>(end - p);
    const auto cont = [&](std::size_t i) { return i < avail && (byte(i) & 0xC0) == 0x80; };
    const unsigned char b0 = byte(0);
    if (b0 >= 0xC2 && b0 <= 0xDF)
        return cont(1) ? 2 : 0;
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (!cont(1) || !cont(2))
            return 0;
        const unsigned char b1 = byte(1);
        if ((b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F))
            return 0; // overlong, or a UTF-16 surrogate
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (!cont(1) || !cont(2) || !cont(3))
            return 0;
        const unsigned char b1 = byte(1);
        if ((b0 == 0xF0 && b1 < 0x90) || (b0 == 0xF4 && b1 > 0x8F))
            return 0; // overlong, or above U+10FFFF
        return 4;
    }
    return 0;
}

/// Offset of the first byte that is not part of well-formed UTF-8, or `npos`.
constexpr std::size_t find_invalid_utf8(std::string_view s) noexcept {
    const char* const begin = s.data();
    const char* const end = begin + s.size();
    for (const char* p = begin; p != end;) {
        if (static_cast<unsigned char>(*p) < 0x80) {
            ++p;
            continue;
        }
        const std::size_t n = utf8_sequence_length(p, end);
        if (n == 0)
            return static_cast<std::size_t>(p - begin);
        p += n;
    }
    return std::string_view::npos;
}

} // namespace webhook::detail

#endif
