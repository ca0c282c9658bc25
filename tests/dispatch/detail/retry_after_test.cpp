#include <webhook/dispatch/detail/retry_after.hpp>

#define BOOST_TEST_MODULE detail_retry_after
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;
using sys_clock = std::chrono::system_clock;
using webhook::detail::parse_retry_after;

namespace {

/// parse_retry_after's answer, printable in failure messages.
struct outcome {
    std::optional<ms> delay;
    friend bool operator==(const outcome&, const outcome&) = default;
    friend std::ostream& operator<<(std::ostream& os, const outcome& o) {
        return o.delay ? os << o.delay->count() << "ms" : os << "nullopt";
    }
};

outcome wait(ms d) {
    return {d};
}
const outcome invalid{};

/// 1994-11-06T08:49:37Z, the date of RFC 9110's examples, as seconds since the epoch.
constexpr std::int64_t rfc_example_s = 784111777;
const sys_clock::time_point rfc_example{std::chrono::seconds(rfc_example_s)};

outcome parse(std::string_view value, sys_clock::time_point now = rfc_example) {
    return {parse_retry_after(value, now)};
}

} // namespace

BOOST_AUTO_TEST_SUITE(civil_dates)

BOOST_AUTO_TEST_CASE(days_from_civil_matches_known_dates) {
    using webhook::detail::days_from_civil;
    static_assert(days_from_civil(1970, 1, 1) == 0);
    static_assert(days_from_civil(1969, 12, 31) == -1);
    static_assert(days_from_civil(1994, 11, 6) * 86'400 + 8 * 3600 + 49 * 60 + 37 == rfc_example_s);
    static_assert(days_from_civil(2000, 3, 1) == 11'017);
    static_assert(days_from_civil(0, 1, 1) == -719'528);
    static_assert(days_from_civil(9999, 12, 31) == 2'932'896);
    // Every day from year 0 to 9999, against the standard library's own calendar.
    for (int y = 0; y <= 9999; y += 7)
        for (unsigned m = 1; m <= 12; ++m) {
            const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m),
                                                  std::chrono::day(1)};
            BOOST_TEST(days_from_civil(y, m, 1) ==
                       std::chrono::sys_days(ymd).time_since_epoch().count());
        }
}

BOOST_AUTO_TEST_CASE(year_from_days_inverts_days_from_civil) {
    using webhook::detail::days_from_civil;
    using webhook::detail::year_from_days;
    static_assert(year_from_days(0) == 1970);
    static_assert(year_from_days(-1) == 1969);
    for (int y = 1; y <= 9999; y += 3) {
        BOOST_TEST(year_from_days(days_from_civil(y, 1, 1)) == y);
        BOOST_TEST(year_from_days(days_from_civil(y, 12, 31)) == y);
        BOOST_TEST(year_from_days(days_from_civil(y, 1, 1) - 1) == y - 1);
    }
}

BOOST_AUTO_TEST_CASE(days_in_month_knows_leap_years) {
    using webhook::detail::days_in_month;
    BOOST_TEST(days_in_month(2024, 2) == 29u);
    BOOST_TEST(days_in_month(2023, 2) == 28u);
    BOOST_TEST(days_in_month(2000, 2) == 29u);
    BOOST_TEST(days_in_month(1900, 2) == 28u);
    BOOST_TEST(days_in_month(2023, 4) == 30u);
    BOOST_TEST(days_in_month(2023, 12) == 31u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(delay_seconds)

BOOST_AUTO_TEST_CASE(retry_after_seconds_are_converted_to_milliseconds) {
    BOOST_TEST(parse("120") == wait(120'000ms));
    BOOST_TEST(parse("0") == wait(0ms));
    BOOST_TEST(parse("1") == wait(1'000ms));
    BOOST_TEST(parse("007") == wait(7'000ms));
}

BOOST_AUTO_TEST_CASE(retry_after_seconds_do_not_depend_on_now) {
    BOOST_TEST(parse("5", sys_clock::time_point{}) == wait(5'000ms));
    BOOST_TEST(parse("5", rfc_example + 123ms) == wait(5'000ms));
}

BOOST_AUTO_TEST_CASE(huge_retry_after_seconds_saturate) {
    constexpr std::int64_t largest = ms::max().count() / 1000; // 9223372036854775
    BOOST_TEST(parse(std::to_string(largest)) == wait(ms(largest * 1000)));
    BOOST_TEST(parse(std::to_string(largest + 1)) == wait(ms::max()));
    BOOST_TEST(parse("99999999999999999999999999999999999999999") == wait(ms::max()));
}

BOOST_AUTO_TEST_CASE(surrounding_whitespace_is_ignored) {
    BOOST_TEST(parse("  120") == wait(120'000ms));
    BOOST_TEST(parse("120 \t") == wait(120'000ms));
    BOOST_TEST(parse("\t 120 \t") == wait(120'000ms));
}

BOOST_AUTO_TEST_CASE(malformed_delay_seconds_are_refused) {
    for (const char* bad : {"", " ", "\t", "-1", "+1", "1.5", "1e3", "12 0", "120s", "0x10", "1,2",
                            "99999999999999999999999x", "\n120", "120\r\n", "١٢"})
        BOOST_TEST(parse(bad) == invalid, '"' << bad << '"');
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(http_date)

BOOST_AUTO_TEST_CASE(retry_after_http_date_is_honoured) {
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:51:37 GMT") == wait(120'000ms));
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:38 GMT") == wait(1'000ms));
    BOOST_TEST(parse("Mon, 07 Nov 1994 08:49:37 GMT") == wait(86'400'000ms));
}

BOOST_AUTO_TEST_CASE(http_date_equal_to_now_gives_zero) {
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:37 GMT") == wait(0ms));
}

BOOST_AUTO_TEST_CASE(http_date_in_the_past_gives_zero) {
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:36 GMT") == wait(0ms));
    BOOST_TEST(parse("Thu, 01 Jan 1970 00:00:00 GMT") == wait(0ms));
    BOOST_TEST(parse("Sat, 01 Jan 0000 00:00:00 GMT") == wait(0ms));
}

BOOST_AUTO_TEST_CASE(http_date_delay_is_rounded_up_to_whole_milliseconds) {
    // now is 250.5 ms past the second: the date is 749.5 ms away, waited as 750 ms.
    const auto now = rfc_example + 250'500us;
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:38 GMT", now) == wait(750ms));
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:38 GMT", rfc_example + 999'999'999ns) == wait(1ms));
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:38 GMT", rfc_example + 1s) == wait(0ms));
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:37 GMT", rfc_example + 1ns) == wait(0ms));
}

BOOST_AUTO_TEST_CASE(http_dates_far_in_the_future_do_not_overflow) {
    // Past 2262, which system_clock's nanoseconds cannot hold: the arithmetic is in seconds.
    const std::int64_t days = webhook::detail::days_from_civil(9999, 12, 31) -
                              webhook::detail::days_from_civil(1994, 11, 6);
    const std::int64_t seconds = days * 86'400 + (23 - 8) * 3600 + (59 - 49) * 60 + (59 - 37);
    BOOST_TEST(parse("Fri, 31 Dec 9999 23:59:59 GMT") == wait(ms(seconds * 1000)));
}

BOOST_AUTO_TEST_CASE(leap_days_and_leap_seconds_are_dates) {
    const sys_clock::time_point y2024{
        std::chrono::sys_days(std::chrono::year(2024) / std::chrono::February / 28)};
    BOOST_TEST(parse("Thu, 29 Feb 2024 00:00:00 GMT", y2024) == wait(86'400'000ms));
    BOOST_TEST(parse("Wed, 28 Feb 2024 23:59:60 GMT", y2024) == wait(86'400'000ms));
}

BOOST_AUTO_TEST_CASE(rfc850_dates_are_accepted) {
    BOOST_TEST(parse("Sunday, 06-Nov-94 08:51:37 GMT") == wait(120'000ms));
    BOOST_TEST(parse("Monday, 07-Nov-94 08:49:37 GMT") == wait(86'400'000ms));
    BOOST_TEST(parse("Wednesday, 09-Nov-94 08:49:37 GMT") == wait(3 * 86'400'000ms));
}

BOOST_AUTO_TEST_CASE(rfc850_two_digit_years_are_at_most_50_years_ahead) {
    // now is in 2025: "75" is 2075 (50 years ahead), "76" is 1976 (51 would be too far).
    const sys_clock::time_point y2025{
        std::chrono::sys_days(std::chrono::year(2025) / std::chrono::January / 1)};
    const auto days_until = [&](int y) {
        return std::chrono::duration_cast<ms>(
            std::chrono::sys_days(std::chrono::year(y) / std::chrono::January / 1) - y2025);
    };
    BOOST_TEST(parse("Sunday, 01-Jan-75 00:00:00 GMT", y2025) == wait(days_until(2075)));
    BOOST_TEST(parse("Thursday, 01-Jan-76 00:00:00 GMT", y2025) == wait(0ms)); // 1976
    BOOST_TEST(parse("Thursday, 01-Jan-26 00:00:00 GMT", y2025) == wait(days_until(2026)));
    BOOST_TEST(parse("Friday, 01-Jan-99 00:00:00 GMT",
                     sys_clock::time_point{std::chrono::sys_days(std::chrono::year(2049) /
                                                                 std::chrono::January / 1)}) ==
               wait(days_until(2099) - days_until(2049))); // 2099, exactly 50 years ahead
}

BOOST_AUTO_TEST_CASE(asctime_dates_are_accepted) {
    BOOST_TEST(parse("Sun Nov  6 08:51:37 1994") == wait(120'000ms));
    BOOST_TEST(parse("Sun Nov 06 08:51:37 1994") == wait(120'000ms));
    BOOST_TEST(parse("Thu Nov 10 08:49:37 1994") == wait(4 * 86'400'000ms));
}

BOOST_AUTO_TEST_CASE(every_month_name_is_known) {
    const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const sys_clock::time_point start{
        std::chrono::sys_days(std::chrono::year(2030) / std::chrono::January / 1)};
    for (unsigned m = 1; m <= 12; ++m) {
        const auto date = std::chrono::sys_days(std::chrono::year(2030) / std::chrono::month(m) /
                                                std::chrono::day(1));
        const std::string value = std::string("Tue, 01 ") + months[m - 1] + " 2030 00:00:00 GMT";
        BOOST_TEST(parse(value, start) == wait(std::chrono::duration_cast<ms>(date - start)),
                   value);
    }
}

BOOST_AUTO_TEST_CASE(every_day_name_is_known_and_not_checked_against_the_date) {
    for (const char* day : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"})
        BOOST_TEST(parse(std::string(day) + ", 06 Nov 1994 08:51:37 GMT") == wait(120'000ms), day);
    for (const char* day :
         {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"})
        BOOST_TEST(parse(std::string(day) + ", 06-Nov-94 08:51:37 GMT") == wait(120'000ms), day);
}

BOOST_AUTO_TEST_CASE(http_date_with_surrounding_whitespace_is_accepted) {
    BOOST_TEST(parse(" \tSun, 06 Nov 1994 08:51:37 GMT\t ") == wait(120'000ms));
}

BOOST_AUTO_TEST_CASE(malformed_http_dates_are_refused) {
    for (const char* bad : {
             "Sun, 06 Nov 1994 08:49:37 UTC",    // only GMT
             "Sun, 06 Nov 1994 08:49:37 gmt",    // case-sensitive
             "sun, 06 Nov 1994 08:49:37 GMT",    // case-sensitive
             "Sun, 06 nov 1994 08:49:37 GMT",    // case-sensitive
             "Sun, 06 Nov 1994 08:49:37",        // no zone
             "Sun, 6 Nov 1994 08:49:37 GMT",     // one-digit day
             "Sun, 06 Nov 94 08:49:37 GMT",      // two-digit year
             "Sun, 06 Nov 1994 8:49:37 GMT",     // one-digit hour
             "Sun, 06 Nov 1994 08:49 GMT",       // no seconds
             "Sun 06 Nov 1994 08:49:37 GMT",     // no comma
             "Sun,  06 Nov 1994 08:49:37 GMT",   // two spaces
             "Sun, 06 Nov 1994 08:49:37 GMT x",  // trailing text
             "Sun, 06 Nov 1994 08:49:37 GMTX",   // trailing text
             "Sun, 06 Nov 1994 08:49:37 GMT\r",  // CR is not whitespace here
             "Sunday, 06 Nov 1994 08:49:37 GMT", // long name in IMF-fixdate
             "Sun, 06-Nov-94 08:49:37 GMT",      // short name in RFC 850
             "Sunday, 06-Nov-1994 08:49:37 GMT", // four-digit year in RFC 850
             "Sunday, 6-Nov-94 08:49:37 GMT",    // one-digit day in RFC 850
             "Sun Nov 6 08:49:37 1994",          // asctime needs two columns for the day
             "Sun Nov  6 08:49:37 1994 GMT",     // no zone in asctime
             "Sun Nov  6 08:49:37 94",           // two-digit year in asctime
             "Sunday Nov  6 08:49:37 1994",      // long name in asctime
             "Xyz, 06 Nov 1994 08:49:37 GMT",    // no such day
             "Sun, 06 Foo 1994 08:49:37 GMT",    // no such month
             "Sun, 00 Nov 1994 08:49:37 GMT",    // day 0
             "Sun, 31 Nov 1994 08:49:37 GMT",    // 31 November
             "Sun, 29 Feb 2023 08:49:37 GMT",    // not a leap year
             "Sun, 29 Feb 1900 08:49:37 GMT",    // not a leap year
             "Sun, 32 Jan 1994 08:49:37 GMT",    // day 32
             "Sun, 06 Nov 1994 24:00:00 GMT",    // hour 24
             "Sun, 06 Nov 1994 08:60:00 GMT",    // minute 60
             "Sun, 06 Nov 1994 08:49:61 GMT",    // second 61
             "Sun, 06 Nov 1994 08:49:3a GMT",    // not a digit
             "Sun, 06 Nov 199x 08:49:37 GMT",    // not a digit
             "Sun, 06 Nov -994 08:49:37 GMT",    // sign
             "1994-11-06T08:49:37Z",             // RFC 3339 is not an HTTP-date
             "Sun",                              // truncated
             "Sun, 06 Nov 1994 08:49:37 G",      // truncated
             "Sun,",                             // truncated
             "GMT",
         })
        BOOST_TEST(parse(bad) == invalid, '"' << bad << '"');
}

BOOST_AUTO_TEST_CASE(embedded_nul_is_refused) {
    using namespace std::string_view_literals;
    BOOST_TEST(parse("12\0"sv) == invalid);
    BOOST_TEST(parse("Sun, 06 Nov 1994 08:49:37 GMT\0"sv) == invalid);
}

BOOST_AUTO_TEST_SUITE_END()
