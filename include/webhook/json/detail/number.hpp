#ifndef WEBHOOK_JSON_DETAIL_NUMBER_HPP
#define WEBHOOK_JSON_DETAIL_NUMBER_HPP

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace webhook::json::detail {

/// Room for any number written by `write_shortest`.
inline constexpr std::size_t max_number_size = 64;

/** Writes the decimal `0.d1d2...dk * 10^point` (digits without trailing zeros) the way
    ECMAScript's Number::toString does: plain notation for 1e-7 < |x| < 1e21, else
    `d.ddde+N`. One layout whatever computed the digits, so the bytes depend on the value only. */
inline char* format_decimal(char* out, bool negative, const char* digits, int k, int point) {
    if (negative)
        *out++ = '-';
    if (k <= point && point <= 21) { // an integer: digits then zeros
        std::memcpy(out, digits, static_cast<std::size_t>(k));
        out += k;
        std::memset(out, '0', static_cast<std::size_t>(point - k));
        return out + (point - k);
    }
    if (0 < point && point <= 21) { // the point falls inside the digits
        std::memcpy(out, digits, static_cast<std::size_t>(point));
        out += point;
        *out++ = '.';
        std::memcpy(out, digits + point, static_cast<std::size_t>(k - point));
        return out + (k - point);
    }
    if (-6 < point && point <= 0) { // 0.000ddd
        *out++ = '0';
        *out++ = '.';
        std::memset(out, '0', static_cast<std::size_t>(-point));
        out += -point;
        std::memcpy(out, digits, static_cast<std::size_t>(k));
        return out + k;
    }
    *out++ = digits[0]; // d.ddde+N
    if (k > 1) {
        *out++ = '.';
        std::memcpy(out, digits + 1, static_cast<std::size_t>(k - 1));
        out += k - 1;
    }
    *out++ = 'e';
    const int exponent = point - 1;
    *out++ = exponent < 0 ? '-' : '+';
    return std::to_chars(out, out + 8, exponent < 0 ? -exponent : exponent).ptr;
}

/** Shortest text that reads back to exactly `v` (finite), in the layout of `format_decimal`.

    Most values in events have few decimals (0.75, 12.5): for a double, if `m / 10^k == v`
    for a small integer `m` and the smallest such `k`, then IEEE division being correctly
    rounded, the decimal `m * 10^-k` reads back to `v` and no shorter one does. That check
    takes a few multiplications; other values take libstdc++'s shortest `to_chars`. */
template <class F>
char* write_shortest(char* out, F v) {
    const bool negative = std::signbit(v);
    const F magnitude = negative ? -v : v;
    char digits[48];
    if (magnitude == 0) // -0 too: ECMAScript's Number::toString(-0) is "0"
        return format_decimal(out, false, "0", 1, 1);
    if constexpr (std::is_same_v<F, double>) {
        constexpr double powers[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
        constexpr double exact_limit = 9007199254740992.0; // 2^53: every integer below is exact
        for (int k = 0; k < 16; ++k) {
            const double scaled = magnitude * powers[k];
            if (scaled >= exact_limit)
                break;
            const double m = std::nearbyint(scaled);
            if (m != 0 && m / powers[k] == magnitude) {
                auto significand = static_cast<std::uint64_t>(m);
                int trailing = 0; // only when k == 0: 1500 is "15" with the point after 4
                while (significand % 10 == 0) {
                    significand /= 10;
                    ++trailing;
                }
                const int n =
                    static_cast<int>(std::to_chars(digits, digits + 20, significand).ptr - digits);
                return format_decimal(out, negative, digits, n, n + trailing - k);
            }
        }
    }
    // Shortest scientific form, "d.ddde+XX", taken apart into digits and exponent.
    char text[max_number_size];
    const char* end =
        std::to_chars(text, text + sizeof text, magnitude, std::chars_format::scientific).ptr;
    int k = 0;
    const char* p = text;
    for (; p != end && *p != 'e'; ++p)
        if (*p != '.')
            digits[k++] = *p;
    int exponent = 0;
    std::from_chars(p + 1 + (p[1] == '+'), end, exponent);
    while (k > 1 && digits[k - 1] == '0')
        --k;
    return format_decimal(out, negative, digits, k, exponent + 1);
}

/** Whether `s` is a JSON number (RFC 8259 section 6):
    `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`. Checks what an adapter writes as a number. */
constexpr bool is_json_number(std::string_view s) noexcept {
    std::size_t i = 0;
    const auto digit = [&] { return i < s.size() && s[i] >= '0' && s[i] <= '9'; };
    const auto digits = [&] {
        if (!digit())
            return false;
        while (digit())
            ++i;
        return true;
    };
    if (i < s.size() && s[i] == '-')
        ++i;
    if (i < s.size() && s[i] == '0')
        ++i; // no leading zeros
    else if (!digits())
        return false;
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits())
            return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            ++i;
        if (!digits())
            return false;
    }
    return i == s.size();
}

} // namespace webhook::json::detail

#endif
