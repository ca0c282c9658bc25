#ifndef WEBHOOK_DISPATCH_DETAIL_RETRY_AFTER_HPP
#define WEBHOOK_DISPATCH_DETAIL_RETRY_AFTER_HPP

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

// The Retry-After response header (RFC 9110 section 10.2.3), parsed without locale or strptime:
// the header comes from an untrusted peer, so the grammar is checked byte by byte.
namespace webhook::detail {

/** Days from 1970-01-01 to the proleptic Gregorian date `y`-`m`-`d` (H. Hinnant's
    days_from_civil). `m` in 1..12, `d` in 1..31. */
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);                // [0, 399]
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; // [0, 365]
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           // [0, 146096]
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The proleptic Gregorian year of the day `z` days after 1970-01-01 (civil_from_days).
constexpr std::int64_t year_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);                   // [0, 146096]
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               // [0, 365]
    const unsigned mp = (5 * doy + 2) / 153;                                    // [0, 11]
    return static_cast<std::int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
}

constexpr bool is_leap_year(std::int64_t y) noexcept {
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

/// A forward-only reader over the header value; every function fails without consuming.
class http_date_reader {
public:
    constexpr explicit http_date_reader(std::string_view s) noexcept : s_(s) {}

    constexpr bool at_end() const noexcept { return s_.empty(); }

    constexpr bool literal(std::string_view lit) noexcept {
        if (!s_.starts_with(lit))
            return false;
        s_.remove_prefix(lit.size());
        return true;
    }

    /// Exactly `n` digits.
    constexpr std::optional<unsigned> digits(std::size_t n) noexcept {
        if (s_.size() < n)
            return std::nullopt;
        unsigned v = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (s_[i] < '0' || s_[i] > '9')
                return std::nullopt;
            v = v * 10 + static_cast<unsigned>(s_[i] - '0');
        }
        s_.remove_prefix(n);
        return v;
    }

    /// One of `names` (case-sensitive, as RFC 9110 requires); returns its index.
    template <std::size_t N>
    constexpr std::optional<unsigned> one_of(const std::string_view (&names)[N]) noexcept {
        for (std::size_t i = 0; i < N; ++i)
            if (literal(names[i]))
                return static_cast<unsigned>(i);
        return std::nullopt;
    }

private:
    std::string_view s_;
};

struct civil_time {
    std::int64_t year = 0;
    unsigned month = 0; // 1..12
    unsigned day = 0;
    unsigned hour = 0;
    unsigned minute = 0;
    unsigned second = 0;
};

inline constexpr std::string_view short_day_names[] = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
// Longest first is not needed: no long name is a prefix of another.
inline constexpr std::string_view long_day_names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                      "Friday", "Saturday", "Sunday"};
inline constexpr std::string_view month_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/// `HH:MM:SS`, second 60 allowed for a leap second.
constexpr bool read_time_of_day(http_date_reader& r, civil_time& t) noexcept {
    const auto h = r.digits(2);
    if (!h || !r.literal(":"))
        return false;
    const auto m = r.digits(2);
    if (!m || !r.literal(":"))
        return false;
    const auto s = r.digits(2);
    if (!s || *h > 23 || *m > 59 || *s > 60)
        return false;
    t.hour = *h;
    t.minute = *m;
    t.second = *s;
    return true;
}

constexpr bool read_month(http_date_reader& r, civil_time& t) noexcept {
    const auto m = r.one_of(month_names);
    if (!m)
        return false;
    t.month = *m + 1;
    return true;
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`
constexpr bool read_imf_fixdate(std::string_view s, civil_time& t) noexcept {
    http_date_reader r(s);
    if (!r.one_of(short_day_names) || !r.literal(", "))
        return false;
    const auto d = r.digits(2);
    if (!d || !r.literal(" ") || !read_month(r, t) || !r.literal(" "))
        return false;
    const auto y = r.digits(4);
    if (!y || !r.literal(" ") || !read_time_of_day(r, t) || !r.literal(" GMT") || !r.at_end())
        return false;
    t.year = *y;
    t.day = *d;
    return true;
}

/** `Sunday, 06-Nov-94 08:49:37 GMT` (obsolete RFC 850). The two-digit year is the one, of
    those ending in these digits, that is at most 50 years after `now_year` (RFC 9110 section
    5.6.7). */
constexpr bool read_rfc850_date(std::string_view s, std::int64_t now_year, civil_time& t) noexcept {
    http_date_reader r(s);
    if (!r.one_of(long_day_names) || !r.literal(", "))
        return false;
    const auto d = r.digits(2);
    if (!d || !r.literal("-") || !read_month(r, t) || !r.literal("-"))
        return false;
    const auto yy = r.digits(2);
    if (!yy || !r.literal(" ") || !read_time_of_day(r, t) || !r.literal(" GMT") || !r.at_end())
        return false;
    // Floor division: now_year may be negative only in tests, but stay correct anyway.
    const std::int64_t century = (now_year >= 0 ? now_year : now_year - 99) / 100 * 100;
    t.year = century + *yy;
    if (t.year > now_year + 50)
        t.year -= 100;
    t.day = *d;
    return true;
}

/// `Sun Nov  6 08:49:37 1994` (obsolete asctime); the day is two digits or space and digit.
constexpr bool read_asctime_date(std::string_view s, civil_time& t) noexcept {
    http_date_reader r(s);
    if (!r.one_of(short_day_names) || !r.literal(" ") || !read_month(r, t) || !r.literal(" "))
        return false;
    auto d = r.literal(" ") ? r.digits(1) : r.digits(2);
    if (!d || !r.literal(" ") || !read_time_of_day(r, t) || !r.literal(" "))
        return false;
    const auto y = r.digits(4);
    if (!y || !r.at_end())
        return false;
    t.year = *y;
    t.day = *d;
    return true;
}

/** Parses a `Retry-After` header value into the delay it asks for, counted from `now`.

    Either form of RFC 9110 section 10.2.3:
    - delay-seconds, digits only (`120`); values too large for `milliseconds` saturate at
      `milliseconds::max()`;
    - an HTTP-date: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), or one of the obsolete forms
      every recipient must accept (RFC 9110 section 5.6.7): RFC 850
      (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). The delay is
      rounded up to whole milliseconds, so that a retry never starts before the date; a date
      not after `now` gives zero. The weekday must be a valid name but is not checked against
      the date.

    Spaces and tabs around the value are ignored. Anything else (a sign, a fraction, an
    invalid date such as 31 Apr, wrong case in names) gives `std::nullopt`. */
inline std::optional<std::chrono::milliseconds>
parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) noexcept {
    using namespace std::chrono;
    const auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
    while (!value.empty() && is_ows(value.front()))
        value.remove_prefix(1);
    while (!value.empty() && is_ows(value.back()))
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;

    if (value.front() >= '0' && value.front() <= '9') {
        constexpr std::int64_t max_seconds = milliseconds::max().count() / 1000;
        std::int64_t seconds = 0;
        for (const char c : value) {
            if (c < '0' || c > '9')
                return std::nullopt;
            // Saturate, but keep reading: a later non-digit still makes the value invalid.
            if (seconds <= max_seconds)
                seconds = seconds * 10 + (c - '0');
        }
        if (seconds > max_seconds)
            return milliseconds::max();
        return milliseconds{seconds * 1000};
    }

    const auto now_s = floor<seconds>(now);
    civil_time t;
    const bool parsed =
        read_imf_fixdate(value, t) ||
        read_rfc850_date(value, year_from_days(floor<days>(now_s).time_since_epoch().count()), t) ||
        read_asctime_date(value, t);
    if (!parsed || t.day < 1 || t.day > days_in_month(t.year, t.month))
        return std::nullopt;

    // In whole seconds: system_clock's nanoseconds could not hold years past 2262.
    const std::int64_t date_s = days_from_civil(t.year, t.month, t.day) * 86'400 + t.hour * 3'600 +
                                t.minute * 60 + t.second;
    const std::int64_t diff_s = date_s - now_s.time_since_epoch().count();
    // ceil(diff - fraction of now) = diff - floor(fraction), in milliseconds. The fraction is
    // taken with %, not as now - now_s: in the clock's first second (1677) now_s converted
    // back to nanoseconds would overflow.
    auto fraction = now.time_since_epoch() % seconds{1};
    if (fraction < fraction.zero())
        fraction += seconds{1};
    const std::int64_t ms = diff_s * 1000 - duration_cast<milliseconds>(fraction).count();
    return milliseconds{ms > 0 ? ms : 0};
}

} // namespace webhook::detail

#endif
