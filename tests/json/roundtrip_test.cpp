#include <webhook/json/serialize.hpp>

#define BOOST_TEST_MODULE json_roundtrip
#include <boost/test/unit_test.hpp>

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <variant>
#include <vector>

// Property tests: many generated values serialize, parse back with boost::json::parse and
// compare equal to the original. Seeds are fixed so that every run checks the same values.

namespace test {

enum class level { low, medium, high };
BOOST_DESCRIBE_ENUM(level, low, medium, high)

struct inner {
    std::string label;
    std::int32_t count = 0;
    friend bool operator==(const inner&, const inner&) = default;
};
BOOST_DESCRIBE_STRUCT(inner, (), (label, count))

struct sample {
    std::string text;
    std::int64_t signed_value = 0;
    std::uint64_t unsigned_value = 0;
    bool flag = false;
    level severity = level::low;
    std::vector<std::int32_t> list;
    std::map<std::string, std::int64_t> attributes;
    std::optional<std::string> note;
    std::variant<std::int64_t, std::string> either;
    std::vector<inner> children;
    friend bool operator==(const sample&, const sample&) = default;
};
BOOST_DESCRIBE_STRUCT(sample, (),
                      (text, signed_value, unsigned_value, flag, severity, list, attributes, note,
                       either, children))

} // namespace test

namespace {

using rng = std::mt19937_64;
constexpr int iterations = 2000;

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Any Unicode scalar value, weighted towards the bytes that need escaping.
std::string random_text(rng& g) {
    std::string s;
    const auto length = std::uniform_int_distribution<int>(0, 40)(g);
    for (int i = 0; i < length; ++i) {
        char32_t cp = 0;
        switch (std::uniform_int_distribution<int>(0, 5)(g)) {
        case 0:
            cp = std::uniform_int_distribution<char32_t>(0, 0x1F)(g);
            break;
        case 1:
            cp = std::uniform_int_distribution<int>(0, 1)(g) ? U'"' : U'\\';
            break;
        case 2:
            cp = std::uniform_int_distribution<char32_t>(0x20, 0x7F)(g);
            break;
        case 3:
            cp = std::uniform_int_distribution<char32_t>(0x80, 0x7FF)(g);
            break;
        case 4:
            do
                cp = std::uniform_int_distribution<char32_t>(0x800, 0xFFFF)(g);
            while (cp >= 0xD800 && cp <= 0xDFFF);
            break;
        default:
            cp = std::uniform_int_distribution<char32_t>(0x10000, 0x10FFFF)(g);
        }
        append_utf8(s, cp);
    }
    return s;
}

template <class T>
T random_integer(rng& g) {
    // Half the values uniform over the whole range, half near the limits and zero.
    if (std::uniform_int_distribution<int>(0, 1)(g))
        return std::uniform_int_distribution<T>(std::numeric_limits<T>::min(),
                                                std::numeric_limits<T>::max())(g);
    const T anchors[] = {std::numeric_limits<T>::min(), T{0}, std::numeric_limits<T>::max()};
    const T anchor = anchors[std::uniform_int_distribution<int>(0, 2)(g)];
    const auto offset = static_cast<T>(std::uniform_int_distribution<int>(0, 3)(g));
    return anchor == std::numeric_limits<T>::max() ? static_cast<T>(anchor - offset)
                                                   : static_cast<T>(anchor + offset);
}

test::sample random_sample(rng& g) {
    test::sample s;
    s.text = random_text(g);
    s.signed_value = random_integer<std::int64_t>(g);
    s.unsigned_value = random_integer<std::uint64_t>(g);
    s.flag = std::uniform_int_distribution<int>(0, 1)(g) == 1;
    s.severity = static_cast<test::level>(std::uniform_int_distribution<int>(0, 2)(g));
    for (int i = std::uniform_int_distribution<int>(0, 5)(g); i > 0; --i)
        s.list.push_back(random_integer<std::int32_t>(g));
    for (int i = std::uniform_int_distribution<int>(0, 3)(g); i > 0; --i)
        s.attributes[random_text(g)] = random_integer<std::int64_t>(g);
    if (std::uniform_int_distribution<int>(0, 1)(g))
        s.note = random_text(g);
    if (std::uniform_int_distribution<int>(0, 1)(g))
        s.either = random_integer<std::int64_t>(g);
    else
        s.either = random_text(g);
    for (int i = std::uniform_int_distribution<int>(0, 3)(g); i > 0; --i)
        s.children.push_back({random_text(g), random_integer<std::int32_t>(g)});
    return s;
}

} // namespace

namespace test {

// value_to cannot know which alternative a JSON integer or string is meant for, so the
// variant is read by the JSON kind; the rest is Boost.JSON's own described-class conversion.
std::variant<std::int64_t, std::string>
tag_invoke(boost::json::value_to_tag<std::variant<std::int64_t, std::string>>,
           const boost::json::value& v) {
    if (v.is_string())
        return std::string(v.get_string());
    return v.to_number<std::int64_t>();
}

} // namespace test

BOOST_AUTO_TEST_CASE(described_structs_round_trip) {
    rng g(20261128);
    const webhook::json::write_options keep_nulls{.empty_optional =
                                                      webhook::json::empty_optional_policy::null};
    for (int i = 0; i < iterations; ++i) {
        const test::sample original = random_sample(g);
        const std::string text = webhook::json::to_string(original, keep_nulls);
        const boost::json::value parsed = boost::json::parse(text);
        BOOST_TEST_REQUIRE((boost::json::value_to<test::sample>(parsed) == original), text);
        // Passing the parsed document through gives the same bytes again.
        BOOST_TEST_REQUIRE(webhook::json::to_string(parsed) == text);
    }
}

BOOST_AUTO_TEST_CASE(omitted_optional_is_absent_and_present_one_round_trips) {
    rng g(7);
    for (int i = 0; i < iterations; ++i) {
        const test::sample original = random_sample(g);
        const auto parsed = boost::json::parse(webhook::json::to_string(original)).as_object();
        BOOST_TEST_REQUIRE(parsed.contains("note") == original.note.has_value());
        if (original.note)
            BOOST_TEST_REQUIRE(parsed.at("note").as_string() == *original.note);
    }
}

BOOST_AUTO_TEST_CASE(strings_round_trip_under_a_data_path) {
    rng g(42);
    const webhook::data_path path("root/result");
    for (int i = 0; i < iterations; ++i) {
        const std::string original = random_text(g);
        const auto parsed = boost::json::parse(webhook::json::to_string(original, path));
        BOOST_TEST_REQUIRE(parsed.at("root").at("result").as_string() == original);
    }
}

template <class T>
void check_integers(std::uint64_t seed) {
    rng g(seed);
    for (int i = 0; i < iterations; ++i) {
        const T original = random_integer<T>(g);
        const auto parsed = boost::json::parse(webhook::json::to_string(original));
        BOOST_TEST_REQUIRE(boost::json::value_to<T>(parsed) == original);
    }
}

BOOST_AUTO_TEST_CASE(integers_of_every_width_round_trip) {
    check_integers<std::int8_t>(1);
    check_integers<std::uint8_t>(2);
    check_integers<std::int16_t>(3);
    check_integers<std::uint16_t>(4);
    check_integers<std::int32_t>(5);
    check_integers<std::uint32_t>(6);
    check_integers<std::int64_t>(7);
    check_integers<std::uint64_t>(8);
}

template <class F, class Bits>
void check_floating(std::uint64_t seed) {
    rng g(seed);
    int checked = 0;
    while (checked < iterations * 5) {
        const F original = std::bit_cast<F>(static_cast<Bits>(g()));
        if (!std::isfinite(original))
            continue;
        ++checked;
        const std::string text = webhook::json::to_string(original);
        // The text is valid JSON, and reads back to the very same bits (but for -0, written
        // `0` as ECMAScript does, which the random bits here practically never produce).
        const auto parsed = boost::json::parse(text);
        BOOST_TEST_REQUIRE((parsed.is_number()), text);
        F back{};
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), back);
        BOOST_TEST_REQUIRE((ec == std::errc{} && end == text.data() + text.size()), text);
        const F expected = original == 0 ? F(0) : original;
        BOOST_TEST_REQUIRE(std::bit_cast<Bits>(back) == std::bit_cast<Bits>(expected), text);
    }
}

BOOST_AUTO_TEST_CASE(doubles_and_floats_round_trip_bit_exact) {
    check_floating<double, std::uint64_t>(11);
    check_floating<float, std::uint32_t>(12);
}

// Reads back the RFC 3339 text written for `original`, in the time point's own duration.
template <class Duration>
void check_time_round_trip(std::chrono::time_point<std::chrono::system_clock, Duration> original) {
    using namespace std::chrono;
    const auto parsed = boost::json::parse(webhook::json::to_string(original));
    const std::string text(parsed.as_string());

    int y = 0;
    unsigned mo = 0, dd = 0, h = 0, mi = 0, s = 0;
    int consumed = 0;
    BOOST_TEST_REQUIRE(std::sscanf(text.c_str(), "%4d-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &dd, &h, &mi,
                                   &s, &consumed) == 6,
                       text);
    std::int64_t fraction = 0; // nanoseconds
    std::size_t pos = static_cast<std::size_t>(consumed);
    if (text[pos] == '.') {
        int digits = 0;
        for (++pos; text[pos] != 'Z'; ++pos, ++digits)
            fraction = fraction * 10 + (text[pos] - '0');
        BOOST_TEST_REQUIRE((digits == 3 || digits == 6 || digits == 9), text);
        for (; digits < 9; ++digits)
            fraction *= 10;
    }
    BOOST_TEST_REQUIRE(text.substr(pos) == "Z");
    const auto back =
        time_point<system_clock, Duration>(sys_days{year{y} / month{mo} / std::chrono::day{dd}}) +
        hours{h} + minutes{mi} + seconds{s} + duration_cast<Duration>(nanoseconds{fraction});
    BOOST_TEST_REQUIRE((back == original), text);
}

BOOST_AUTO_TEST_CASE(time_points_round_trip) {
    using namespace std::chrono;
    rng g(13);
    const auto first = sys_days{year{0} / 1 / 1}.time_since_epoch().count();
    const auto last = sys_days{year{9999} / 12 / 31}.time_since_epoch().count();
    const auto random_day = [&](long from, long to) {
        return sys_days{days{std::uniform_int_distribution<long>(from, to)(g)}};
    };
    for (int i = 0; i < iterations; ++i) {
        // Microsecond time points cover all of 0000 to 9999; nanosecond ones only 1677 to 2262.
        const auto within_day_us =
            microseconds{std::uniform_int_distribution<std::int64_t>(0, 86'400'000'000 - 1)(g)};
        check_time_round_trip(time_point<system_clock, microseconds>(random_day(first, last)) +
                              within_day_us);
        const auto within_day_ns =
            nanoseconds{std::uniform_int_distribution<std::int64_t>(0, 86'400'000'000'000 - 1)(g)};
        check_time_round_trip(time_point<system_clock, nanoseconds>(random_day(-106'000, 106'000)) +
                              within_day_ns);
        check_time_round_trip(sys_seconds(random_day(first, last)) +
                              seconds{std::uniform_int_distribution<int>(0, 86'399)(g)});
    }
}
