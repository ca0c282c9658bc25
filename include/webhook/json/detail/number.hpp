#ifndef WEBHOOK_JSON_DETAIL_NUMBER_HPP
#define WEBHOOK_JSON_DETAIL_NUMBER_HPP

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace webhook::json::detail {

/// Room for any number written by `write_shortest`.
inline constexpr std::size_t max_number_size = 64;

/// Room for any integer written by `write_int`, including the 8-byte stores past its end.
inline constexpr std::size_t max_integer_size = 32;

/** The 8 decimal digits of `v` < 10^8 as bytes 0-9, most significant first in memory (on a
    little-endian target): two 4-digit halves, then four pairs, then eight digits, each step a
    multiplication by a reciprocal on all lanes of one 64-bit word at once. */
constexpr std::uint64_t eight_digits(std::uint32_t v) noexcept {
    const std::uint64_t halves = v / 10000 | std::uint64_t{v % 10000} << 32;       // 32-bit lanes
    const std::uint64_t hundreds = (halves * 10486 >> 20) & 0x0000007F0000007FULL; // lane / 100
    const std::uint64_t pairs = hundreds | (halves - hundreds * 100) << 16;        // 16-bit lanes
    const std::uint64_t tens = (pairs * 103 >> 10) & 0x000F000F000F000FULL;        // lane / 10
    return tens | (pairs - tens * 10) << 8;
}

inline constexpr std::uint64_t ascii_zeros = 0x3030303030303030ULL;

/// Writes `v`, 1 <= `v` < 10^8, without leading zeros; stores 8 bytes.
inline char* write_up_to_8_digits(char* out, std::uint32_t v) noexcept {
    const std::uint64_t digits = eight_digits(v);
    const int zeros = std::countr_zero(digits) & ~7; // bits of the leading zero digits
    const std::uint64_t text = (digits >> zeros) | ascii_zeros;
    std::memcpy(out, &text, 8);
    return out + 8 - zeros / 8;
}

/// Writes the 8 digits of `v` < 10^8, leading zeros included.
inline char* write_8_digits(char* out, std::uint32_t v) noexcept {
    const std::uint64_t text = eight_digits(v) | ascii_zeros;
    std::memcpy(out, &text, 8);
    return out + 8;
}

/// Writes the last `n` (1 to 8) digits of `v` < 10^n, leading zeros included; stores 8 bytes.
inline char* write_n_digits(char* out, std::uint32_t v, int n) noexcept {
    const std::uint64_t text = (eight_digits(v) >> (8 * (8 - n))) | ascii_zeros;
    std::memcpy(out, &text, 8);
    return out + n;
}

/// Writes `v` in decimal; may store up to 8 bytes past the end it returns.
inline char* write_uint64(char* out, std::uint64_t v) noexcept {
    if (v < 10) {
        *out = static_cast<char>('0' + v);
        return out + 1;
    }
    if (v < 100) {
        out[0] = static_cast<char>('0' + v / 10);
        out[1] = static_cast<char>('0' + v % 10);
        return out + 2;
    }
    constexpr std::uint64_t e8 = 100000000;
    if (v < e8)
        return write_up_to_8_digits(out, static_cast<std::uint32_t>(v));
    if (v < e8 * e8) {
        out = write_up_to_8_digits(out, static_cast<std::uint32_t>(v / e8));
        return write_8_digits(out, static_cast<std::uint32_t>(v % e8));
    }
    out = write_up_to_8_digits(out, static_cast<std::uint32_t>(v / (e8 * e8))); // <= 1844
    const std::uint64_t low = v % (e8 * e8);
    out = write_8_digits(out, static_cast<std::uint32_t>(low / e8));
    return write_8_digits(out, static_cast<std::uint32_t>(low % e8));
}

/// Writes the integer `v` in decimal at `out`, which has `max_integer_size` bytes of room.
template <class T>
char* write_int(char* out, T v) noexcept {
    if constexpr (std::endian::native != std::endian::little || sizeof(T) > 8) {
        return std::to_chars(out, out + max_integer_size, v).ptr;
    } else if constexpr (std::is_signed_v<T>) {
        auto magnitude = static_cast<std::uint64_t>(v);
        if (v < 0) {
            *out++ = '-';
            magnitude = 0 - magnitude;
        }
        return write_uint64(out, magnitude);
    } else {
        return write_uint64(out, v);
    }
}

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

/// `x` (0 <= `x` < 2^53) rounded to the nearest integer, ties to even (the default rounding
/// mode, as `std::nearbyint`): one instruction with SSE2 rather than a call.
inline std::uint64_t round_to_integer(double x) noexcept {
#if defined(__SSE2__) && defined(__x86_64__)
    return static_cast<std::uint64_t>(_mm_cvtsd_si64(_mm_set_sd(x)));
#else
    return static_cast<std::uint64_t>(std::nearbyint(x));
#endif
}

inline constexpr std::uint64_t powers_of_10[] = {1,
                                                 10,
                                                 100,
                                                 1000,
                                                 10000,
                                                 100000,
                                                 1000000,
                                                 10000000,
                                                 100000000,
                                                 1000000000,
                                                 10000000000,
                                                 100000000000,
                                                 1000000000000,
                                                 10000000000000,
                                                 100000000000000,
                                                 1000000000000000};

/** Writes `magnitude` == `m / 10^k` (`m` < 2^53, 0 <= `k` < 16) in the layout of
    `format_decimal`. The integer and fraction parts are written as integers, the fraction with
    its leading zeros; only the exponent form goes through `format_decimal`. */
inline char* write_scaled(char* out, bool negative, double magnitude, std::uint64_t m, int k) {
    while (k > 0 && m % 10 == 0) { // the digits end without zeros after the point
        m /= 10;
        --k;
    }
    if constexpr (std::endian::native == std::endian::little) {
        if (negative)
            *out++ = '-';
        if (k == 0) // below 2^53, so at most 16 digits: plain notation
            return write_uint64(out, m);
        // m / 10^k without a division: `magnitude` is that quotient rounded to the nearest
        // double, which is more than half an ulp from the next integer (at least 10^-k away,
        // while m < 2^53 makes half an ulp below 10^-k), so truncating it is exact.
        const auto integer = static_cast<std::uint64_t>(magnitude);
        const std::uint64_t fraction = m - integer * powers_of_10[k];
        const bool plain = integer != 0 || k <= 6 || m >= powers_of_10[k - 6]; // point > -6
        if (plain) {
            if (integer != 0)
                out = write_uint64(out, integer);
            else
                *out++ = '0';
            *out++ = '.';
            if (k <= 8)
                return write_n_digits(out, static_cast<std::uint32_t>(fraction), k);
            out = write_n_digits(out, static_cast<std::uint32_t>(fraction / 100000000), k - 8);
            return write_8_digits(out, static_cast<std::uint32_t>(fraction % 100000000));
        }
        negative = false; // written
    }
    char digits[24];
    const int n = static_cast<int>(std::to_chars(digits, digits + sizeof digits, m).ptr - digits);
    return format_decimal(out, negative, digits, n, n - k);
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
            const std::uint64_t m = round_to_integer(scaled);
            // If m / 10^k rounds to `magnitude`, then `scaled` is within m * 2^-52 of m (two
            // roundings of relative error 2^-53 each); farther, the division cannot succeed
            // and is skipped (twice that bound: a margin, and still no false rejection).
            const double distance = std::fabs(scaled - static_cast<double>(m));
            if (distance > static_cast<double>(m) * 0x1p-51)
                continue;
            if (m != 0 && static_cast<double>(m) / powers[k] == magnitude)
                return write_scaled(out, negative, static_cast<double>(magnitude), m, k);
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
