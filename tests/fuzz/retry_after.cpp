// The Retry-After response header: webhook::detail::parse_retry_after, on the value a
// hostile server chooses, at any "now". The first 8 input bytes are now (signed nanoseconds
// since 1970, as system_clock counts on Linux), the rest is the header value. A delay is never
// negative; delay-seconds agree with std::from_chars; an IMF-fixdate agrees with timegm.
#include <webhook/dispatch/detail/retry_after.hpp>

#include "fuzz_check.hpp"

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

namespace {

using std::chrono::milliseconds;

std::string_view trim(std::string_view v) {
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
        v.remove_prefix(1);
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
        v.remove_suffix(1);
    return v;
}

/// Seconds since 1970 of an IMF-fixdate, computed another way, or false when `v` is not one
/// (ignoring the checks of the weekday name and of the day of the month).
bool imf_fixdate_seconds(std::string_view v, std::int64_t& out) {
    if (v.size() != 29)
        return false;
    const std::string s(v);
    char wday[4] = {}, mon[4] = {};
    int d = 0, y = 0, h = 0, mi = 0, sec = 0, used = 0;
    if (std::sscanf(s.c_str(), "%3c, %2d %3c %4d %2d:%2d:%2d GMT%n", wday, &d, mon, &y, &h, &mi,
                    &sec, &used) != 7 ||
        used != 29)
        return false;
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int m = -1;
    for (int i = 0; i < 12; ++i)
        if (std::memcmp(mon, months[i], 3) == 0)
            m = i;
    if (m < 0)
        return false;
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = m;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec; // 60 (a leap second) normalizes to the next minute, as the parser counts it
    out = static_cast<std::int64_t>(::timegm(&tm));
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 8)
        return 0;
    std::int64_t now_ns = 0;
    std::memcpy(&now_ns, data, 8);
    const std::string_view value(reinterpret_cast<const char*>(data) + 8, size - 8);
    const std::chrono::system_clock::time_point now{std::chrono::nanoseconds{now_ns}};

    const auto delay = webhook::detail::parse_retry_after(value, now);
    if (!delay)
        return 0;
    FUZZ_CHECK(delay->count() >= 0);

    const std::string_view v = trim(value);
    FUZZ_CHECK(!v.empty());
    if (v.front() >= '0' && v.front() <= '9') {
        // delay-seconds: digits only, saturating.
        std::uint64_t seconds = 0;
        const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
        FUZZ_CHECK(ptr == v.data() + v.size());
        constexpr std::uint64_t max_seconds = milliseconds::max().count() / 1000;
        if (ec == std::errc{} && seconds <= max_seconds)
            FUZZ_CHECK(delay->count() == static_cast<std::int64_t>(seconds) * 1000);
        else
            FUZZ_CHECK(*delay == milliseconds::max());
        return 0;
    }

    std::int64_t date_s = 0;
    if (imf_fixdate_seconds(v, date_s)) {
        // ceil(date - now) in milliseconds, at least 0.
        const auto now_ms_floor = std::chrono::floor<milliseconds>(now.time_since_epoch()).count();
        const std::int64_t expected = date_s * 1000 - now_ms_floor;
        FUZZ_CHECK(delay->count() == (expected > 0 ? expected : 0));
    }
    return 0;
}
