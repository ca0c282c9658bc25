#ifndef WEBHOOK_JSON_DETAIL_TIME_HPP
#define WEBHOOK_JSON_DETAIL_TIME_HPP

#include <chrono>
#include <cstdint>

namespace webhook::json::detail {

/// Longest RFC 3339 text written: `"YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"` with quotes.
inline constexpr std::size_t max_rfc3339_size = 32;

inline char* write_digits(char* out, std::uint32_t v, int width) noexcept {
    for (int i = width - 1; i >= 0; --i) {
        out[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return out + width;
}

/** Writes `tp` as a quoted RFC 3339 UTC timestamp, `"2026-11-28T21:45:03Z"`.

    Sub-second precision is kept exactly with 3, 6 or 9 digits, the fewest that hold it; no
    fraction is written when it is zero. Returns null when the year is outside 0000-9999.
*/
template <class Duration>
char* write_rfc3339(char* out,
                    std::chrono::time_point<std::chrono::system_clock, Duration> tp) noexcept {
    using namespace std::chrono;
    const auto day = floor<days>(tp);
    // Days from 1970-01-01 to 0000-01-01 and to 9999-12-31.
    if (day.time_since_epoch().count() < -719528 || day.time_since_epoch().count() > 2932896)
        return nullptr;
    const year_month_day date{day};
    const auto nanos = floor<nanoseconds>(tp - day).count(); // [0, 86'400e9)
    const auto secs = static_cast<std::uint32_t>(nanos / 1'000'000'000);
    const auto frac = static_cast<std::uint32_t>(nanos % 1'000'000'000);

    *out++ = '"';
    out = write_digits(out, static_cast<std::uint32_t>(static_cast<int>(date.year())), 4);
    *out++ = '-';
    out = write_digits(out, static_cast<unsigned>(date.month()), 2);
    *out++ = '-';
    out = write_digits(out, static_cast<unsigned>(date.day()), 2);
    *out++ = 'T';
    out = write_digits(out, secs / 3600, 2);
    *out++ = ':';
    out = write_digits(out, secs / 60 % 60, 2);
    *out++ = ':';
    out = write_digits(out, secs % 60, 2);
    if (frac != 0) {
        *out++ = '.';
        if (frac % 1'000'000 == 0)
            out = write_digits(out, frac / 1'000'000, 3);
        else if (frac % 1'000 == 0)
            out = write_digits(out, frac / 1'000, 6);
        else
            out = write_digits(out, frac, 9);
    }
    *out++ = 'Z';
    *out++ = '"';
    return out;
}

} // namespace webhook::json::detail

#endif
