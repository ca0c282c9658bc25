#include <webhook/json/serialize.hpp>

#define BOOST_TEST_MODULE json_serialize
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <boost/describe.hpp>

#include "support/event_types.hpp"
#include <boost/json/parse.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace test {

// Shared with the other tests (tests/support/event_types.hpp).
using event_types::base_event;
using event_types::incident;
using event_types::person;
using event_types::state;
using event_types::with_optionals;

struct empty {};
BOOST_DESCRIBE_STRUCT(empty, (), ())

struct with_double {
    std::string name = "x";
    double value = 0;
};
BOOST_DESCRIBE_STRUCT(with_double, (), (name, value))

// Throws when moved into a variant, which leaves the variant valueless.
struct throws_on_move {
    throws_on_move() = default;
    throws_on_move(const throws_on_move&) = default;
    throws_on_move(throws_on_move&&) { throw std::runtime_error("move"); }
    throws_on_move& operator=(const throws_on_move&) = default;
    throws_on_move& operator=(throws_on_move&&) { throw std::runtime_error("move"); }
};
BOOST_DESCRIBE_STRUCT(throws_on_move, (), ())

} // namespace test

using webhook::data_path;
using webhook::json::to_string;
using webhook::json::write_options;
namespace json = webhook::json;
using namespace std::string_literals;

namespace {

boost::system::error_code write_error(const auto& value, const write_options& options = {}) {
    std::string out = "kept";
    boost::system::error_code ec;
    json::write(out, value, data_path{}, options, ec);
    BOOST_TEST(out == "kept"); // on error the buffer is exactly as it was
    return ec;
}

} // namespace

BOOST_AUTO_TEST_SUITE(scalars)

BOOST_AUTO_TEST_CASE(booleans_and_nulls) {
    BOOST_TEST(to_string(true) == "true");
    BOOST_TEST(to_string(false) == "false");
    BOOST_TEST(to_string(nullptr) == "null");
    BOOST_TEST(to_string(std::monostate{}) == "null");
}

BOOST_AUTO_TEST_CASE(integers_at_their_limits) {
    BOOST_TEST(to_string(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    BOOST_TEST(to_string(std::numeric_limits<std::int64_t>::max()) == "9223372036854775807");
    BOOST_TEST(to_string(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
    BOOST_TEST(to_string(std::numeric_limits<std::int32_t>::min()) == "-2147483648");
    BOOST_TEST(to_string(std::numeric_limits<std::uint32_t>::max()) == "4294967295");
    BOOST_TEST(to_string(std::numeric_limits<std::int16_t>::min()) == "-32768");
    BOOST_TEST(to_string(std::numeric_limits<std::uint16_t>::max()) == "65535");
    BOOST_TEST(to_string(std::numeric_limits<std::int8_t>::min()) == "-128");
    BOOST_TEST(to_string(std::numeric_limits<std::uint8_t>::max()) == "255");
    BOOST_TEST(to_string(static_cast<signed char>(-1)) == "-1");
    BOOST_TEST(to_string(0LL) == "0");
    BOOST_TEST(to_string(42UL) == "42");
}

BOOST_AUTO_TEST_CASE(char_is_a_one_character_string) {
    BOOST_TEST(to_string('a') == R"("a")");
    BOOST_TEST(to_string('"') == R"("\"")");
    BOOST_TEST(to_string('\n') == R"("\n")");
}

BOOST_AUTO_TEST_CASE(floating_point_is_shortest_round_trip_text) {
    BOOST_TEST(to_string(0.1) == "0.1");
    BOOST_TEST(to_string(3.0) == "3");
    BOOST_TEST(to_string(1e21) == "1e+21");
    BOOST_TEST(to_string(1.5e-7) == "1.5e-7");
    BOOST_TEST(to_string(1.5e-6) == "0.0000015");
    BOOST_TEST(to_string(123456.789) == "123456.789");
    BOOST_TEST(to_string(1500.0) == "1500");
    BOOST_TEST(to_string(-0.75) == "-0.75");
    BOOST_TEST(to_string(0.30000000000000004) == "0.30000000000000004");
    BOOST_TEST(to_string(1e20) == "100000000000000000000");
    BOOST_TEST(to_string(123e-20) == "1.23e-18");
    BOOST_TEST(to_string(9007199254740993.0) == "9007199254740992");
    BOOST_TEST(to_string(1e-7f) == "1e-7");
    BOOST_TEST(to_string(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
    BOOST_TEST(to_string(std::numeric_limits<double>::denorm_min()) == "5e-324");
    BOOST_TEST(to_string(0.1f) == "0.1");
    BOOST_TEST(to_string(2.5L) == "2.5");
}

BOOST_AUTO_TEST_CASE(negative_zero_is_written_0_as_ecmascript_does) {
    BOOST_TEST(to_string(-0.0) == "0");
    BOOST_TEST(to_string(-0.0f) == "0");
    BOOST_TEST(to_string(-0.0L) == "0");
    BOOST_TEST(to_string(0.0) == "0");
    BOOST_TEST(to_string(boost::json::value(-0.0)) == "0"); // passed through: the same writer
    BOOST_TEST(to_string(std::vector<double>{-0.0, 0.0, -0.5}) == "[0,0,-0.5]");
    BOOST_TEST(to_string(test::with_double{"z", -0.0}) == R"({"name":"z","value":0})");
    BOOST_TEST(to_string(-std::numeric_limits<double>::denorm_min()) == "-5e-324"); // not zero
}

BOOST_AUTO_TEST_CASE(non_finite_numbers_are_rejected_by_default) {
    BOOST_TEST(write_error(std::nan("")) == webhook::error::non_finite_number);
    BOOST_TEST(write_error(std::numeric_limits<double>::infinity()) ==
               webhook::error::non_finite_number);
    BOOST_TEST(write_error(-std::numeric_limits<float>::infinity()) ==
               webhook::error::non_finite_number);
    BOOST_TEST(write_error(test::with_double{"x", std::nan("")}) ==
               webhook::error::non_finite_number);
}

BOOST_AUTO_TEST_CASE(non_finite_numbers_are_null_by_policy) {
    const write_options options{.non_finite = json::non_finite_policy::null};
    BOOST_TEST(to_string(std::nan(""), options) == "null");
    BOOST_TEST(to_string(test::with_double{"x", -INFINITY}, options) ==
               R"({"name":"x","value":null})");
}

BOOST_AUTO_TEST_CASE(described_enums_are_their_names) {
    BOOST_TEST(to_string(test::state::in_progress) == R"("in_progress")");
    BOOST_TEST(write_error(static_cast<test::state>(42)) == webhook::error::unnamed_enum_value);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(strings)

BOOST_AUTO_TEST_CASE(every_string_type) {
    const char array[8] = "ab\0cd";
    const char* c_string = "c";
    const char* null_c_string = nullptr;
    BOOST_TEST(to_string("literal"s) == R"("literal")");
    BOOST_TEST(to_string(std::string_view("view")) == R"("view")");
    BOOST_TEST(to_string(c_string) == R"("c")");
    BOOST_TEST(to_string(null_c_string) == "null");
    BOOST_TEST(to_string(array) == R"("ab")"); // up to the first NUL
    BOOST_TEST(to_string(std::string()) == R"("")");
}

BOOST_AUTO_TEST_CASE(quotes_backslashes_and_controls_are_escaped) {
    BOOST_TEST(to_string("\"\\\b\f\n\r\t"s) == R"("\"\\\b\f\n\r\t")");
    BOOST_TEST(to_string("\x01\x1f"s) == R"("\u0001\u001f")");
    BOOST_TEST(to_string("\0"s) == R"("\u0000")");
    BOOST_TEST(to_string("\x7f/"s) == "\"\x7f/\""); // DEL and slash need no escape
}

BOOST_AUTO_TEST_CASE(escapes_at_every_position_of_a_word) {
    // The scanner works eight bytes at a time: put the escape at each offset across two words.
    for (std::size_t at = 0; at < 20; ++at) {
        std::string in(20, 'x');
        in[at] = '"';
        std::string expected =
            "\"" + std::string(at, 'x') + "\\\"" + std::string(19 - at, 'x') + "\"";
        BOOST_TEST(to_string(in) == expected);
    }
}

BOOST_AUTO_TEST_CASE(many_escapes_grow_the_output_correctly) {
    const std::string in(1000, '\x01');
    std::string expected = "\"";
    for (int i = 0; i < 1000; ++i)
        expected += "\\u0001";
    expected += "\"";
    BOOST_TEST(to_string(in) == expected);
}

BOOST_AUTO_TEST_CASE(non_ascii_utf8_passes_through_unchanged) {
    const std::string text = "h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE6\x95\xB0\xE6\x8D\xAE";
    BOOST_TEST(to_string(text) == "\"" + text + "\"");
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_rejected_by_default) {
    for (const std::string& bad :
         {"\x80"s, "\xC0\x80"s, "\xC3"s, "\xC3\x28"s, "\xE0\x80\x80"s, "\xED\xA0\x80"s,
          "\xF4\x90\x80\x80"s, "\xF5\x80\x80\x80"s, "\xFF"s, "abcdefgh\xE2\x82"s}) {
        BOOST_TEST(write_error(bad) == webhook::error::invalid_utf8);
        BOOST_TEST(write_error(std::vector<std::string>{"fine", bad}) ==
                   webhook::error::invalid_utf8);
    }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_replaced_by_policy) {
    const write_options options{.invalid_utf8 = json::utf8_policy::replace};
    BOOST_TEST(to_string("a\xFF"s
                         "b",
                         options) == "\"a\xEF\xBF\xBD"
                                     "b\"");
    // Each byte that starts no well-formed sequence becomes one U+FFFD.
    BOOST_TEST(to_string("\xC3\x28"s, options) == "\"\xEF\xBF\xBD(\"");
    BOOST_TEST(to_string(std::string(100, '\x80'), options).size() == 302u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(containers)

BOOST_AUTO_TEST_CASE(sequences_are_arrays) {
    const int c_array[3] = {1, 2, 3};
    const std::vector<int> v{1, 2, 3};
    BOOST_TEST(to_string(v) == "[1,2,3]");
    BOOST_TEST(to_string(std::array<int, 3>{1, 2, 3}) == "[1,2,3]");
    BOOST_TEST(to_string(std::span<const int>(v)) == "[1,2,3]");
    BOOST_TEST(to_string(std::deque<int>{1, 2, 3}) == "[1,2,3]");
    BOOST_TEST(to_string(std::list<int>{1, 2, 3}) == "[1,2,3]");
    BOOST_TEST(to_string(std::set<int>{3, 1, 2}) == "[1,2,3]");
    BOOST_TEST(to_string(c_array) == "[1,2,3]");
    BOOST_TEST(to_string(std::vector<bool>{true, false}) == "[true,false]");
    BOOST_TEST(to_string(std::vector<int>{}) == "[]");
    BOOST_TEST(to_string(std::vector<std::vector<int>>{{1}, {}, {2, 3}}) == "[[1],[],[2,3]]");
}

BOOST_AUTO_TEST_CASE(maps_are_objects) {
    BOOST_TEST(to_string(std::map<std::string, int>{{"b", 2}, {"a", 1}}) == R"({"a":1,"b":2})");
    BOOST_TEST(to_string(std::unordered_map<std::string, int>{{"k", 1}}) == R"({"k":1})");
    BOOST_TEST(to_string(std::map<int, bool>{{-1, true}, {2, false}}) ==
               R"({"-1":true,"2":false})");
    BOOST_TEST(to_string(std::map<test::state, int>{{test::state::closed, 3}}) ==
               R"({"closed":3})");
    BOOST_TEST(to_string(std::map<std::string, int>{{"q\"", 1}}) == R"({"q\"":1})");
    BOOST_TEST(to_string(std::map<std::string, int>{}) == "{}");
}

BOOST_AUTO_TEST_CASE(optional_outside_a_struct_is_value_or_null) {
    BOOST_TEST(to_string(std::optional<int>{}) == "null");
    BOOST_TEST(to_string(std::optional<int>{5}) == "5");
    BOOST_TEST(to_string(std::vector<std::optional<int>>{1, std::nullopt}) == "[1,null]");
}

BOOST_AUTO_TEST_CASE(variant_writes_its_alternative) {
    using v = std::variant<int, std::string, std::monostate>;
    BOOST_TEST(to_string(v{7}) == "7");
    BOOST_TEST(to_string(v{"s"}) == R"("s")");
    BOOST_TEST(to_string(v{std::monostate{}}) == "null");
}

BOOST_AUTO_TEST_CASE(valueless_variant_is_an_error) {
    std::variant<int, test::throws_on_move> v;
    try {
        v = test::throws_on_move{};
    } catch (const std::runtime_error&) {
    }
    BOOST_REQUIRE(v.valueless_by_exception());
    BOOST_TEST(write_error(v) == webhook::error::valueless_variant);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(structs)

BOOST_AUTO_TEST_CASE(nested_struct_with_base_members_first) {
    const test::incident i{{"INC001"}, 2, test::state::open, {"Ann", 41}, {"db", "disk"}};
    BOOST_TEST(to_string(i) == R"({"id":"INC001","priority":2,"status":"open",)"
                               R"("caller":{"name":"Ann","age":41},"tags":["db","disk"]})");
}

BOOST_AUTO_TEST_CASE(empty_struct_is_an_empty_object) {
    BOOST_TEST(to_string(test::empty{}) == "{}");
}

BOOST_AUTO_TEST_CASE(empty_optional_members_are_omitted_by_default) {
    BOOST_TEST(to_string(test::with_optionals{}) == R"({"middle":1})");
    BOOST_TEST(to_string(test::with_optionals{1, 2, "z"}) ==
               R"({"first":1,"middle":2,"last":"z"})");
    BOOST_TEST(to_string(test::with_optionals{std::nullopt, 2, "z"}) ==
               R"({"middle":2,"last":"z"})");
}

BOOST_AUTO_TEST_CASE(empty_optional_members_are_null_by_policy) {
    const write_options options{.empty_optional = json::empty_optional_policy::null};
    BOOST_TEST(to_string(test::with_optionals{}, options) ==
               R"({"first":null,"middle":1,"last":null})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(time_points)

using namespace std::chrono;

BOOST_AUTO_TEST_CASE(rfc3339_utc_with_the_fewest_exact_fraction_digits) {
    const sys_days day = 2026y / November / 28;
    BOOST_TEST(to_string(system_clock::time_point{}) == R"("1970-01-01T00:00:00Z")");
    BOOST_TEST(to_string(day + 21h + 45min + 3s) == R"("2026-11-28T21:45:03Z")");
    BOOST_TEST(to_string(day + 3s + 120ms) == R"("2026-11-28T00:00:03.120Z")");
    BOOST_TEST(to_string(day + 3s + 5us) == R"("2026-11-28T00:00:03.000005Z")");
    BOOST_TEST(to_string(day + 3s + 7ns) == R"("2026-11-28T00:00:03.000000007Z")");
    BOOST_TEST(to_string(sys_seconds{} - 1s) == R"("1969-12-31T23:59:59Z")");
    BOOST_TEST(to_string(sys_days{year{0} / 1 / 1}) == R"("0000-01-01T00:00:00Z")");
    BOOST_TEST(to_string(sys_days{year{9999} / 12 / 31} + 86399s) == R"("9999-12-31T23:59:59Z")");
    BOOST_TEST(to_string(sys_days{2024y / February / 29}) == R"("2024-02-29T00:00:00Z")");
}

BOOST_AUTO_TEST_CASE(years_outside_rfc3339_are_errors) {
    BOOST_TEST(write_error(sys_days{year{10000} / 1 / 1}) == webhook::error::time_out_of_range);
    BOOST_TEST(write_error(sys_days{year{-1} / 12 / 31}) == webhook::error::time_out_of_range);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_values)

BOOST_AUTO_TEST_CASE(boost_json_values_pass_through) {
    const boost::json::value v =
        boost::json::parse(R"({"a":[1,-2,18446744073709551615,1.5,true,null,"s\"q"],"o":{}})");
    BOOST_TEST(to_string(v) == R"({"a":[1,-2,18446744073709551615,1.5,true,null,"s\"q"],"o":{}})");
    BOOST_TEST(to_string(v.as_object()) == to_string(v));
    BOOST_TEST(to_string(v.at("a").as_array()) ==
               R"([1,-2,18446744073709551615,1.5,true,null,"s\"q"])");
    BOOST_TEST(to_string(boost::json::string("x")) == R"("x")");
}

BOOST_AUTO_TEST_CASE(policies_apply_inside_json_values) {
    boost::json::array a{std::nan(""), boost::json::string("\xFF")};
    BOOST_TEST(write_error(a) == webhook::error::non_finite_number);
    BOOST_TEST(write_error(boost::json::array{"\xFF"}) == webhook::error::invalid_utf8);
    const write_options lenient{.non_finite = json::non_finite_policy::null,
                                .invalid_utf8 = json::utf8_policy::replace};
    BOOST_TEST(to_string(a, lenient) == "[null,\"\xEF\xBF\xBD\"]");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(documents)

BOOST_AUTO_TEST_CASE(payload_is_wrapped_under_the_data_location) {
    const test::person p{"Ann", 41};
    const std::string expected = R"({"root":{"result":{"name":"Ann","age":41}}})";
    BOOST_TEST(to_string(p, data_path("root/result")) == expected);
    BOOST_TEST(json::to_string<"root/result">(p) == expected);
    BOOST_TEST(json::to_string<"/root/result/">(p) == expected);
    BOOST_TEST(to_string(p, data_path("")) == R"({"name":"Ann","age":41})");
    BOOST_TEST(json::to_string<"">(p) == R"({"name":"Ann","age":41})");
}

BOOST_AUTO_TEST_CASE(a_range_of_events_is_an_array_under_the_data_location) {
    const std::vector<test::person> batch{{"a", 1}, {"b", 2}};
    BOOST_TEST(to_string(batch, data_path("events")) ==
               R"({"events":[{"name":"a","age":1},{"name":"b","age":2}]})");
}

BOOST_AUTO_TEST_CASE(write_appends_and_reuses_the_buffer) {
    std::string out = "head:";
    boost::system::error_code ec;
    json::write(out, 1, data_path("a"), ec);
    BOOST_TEST(!ec);
    BOOST_TEST(out == R"(head:{"a":1})");

    std::string buffer;
    buffer.reserve(4096);
    const char* storage = buffer.data();
    for (int i = 0; i < 100; ++i) {
        buffer.clear();
        json::write<"root/result">(buffer, test::person{"name", i}, ec);
        BOOST_TEST(!ec);
    }
    BOOST_TEST(buffer == R"({"root":{"result":{"name":"name","age":99}}})");
    BOOST_TEST(buffer.data() == storage); // never reallocated
}

BOOST_AUTO_TEST_CASE(error_leaves_the_buffer_exactly_as_it_was) {
    std::string out = "previous message";
    const std::size_t capacity = out.capacity();
    boost::system::error_code ec;
    json::write(out, std::vector<std::string>(100, "long enough to grow \xFF"),
                data_path("root/result"), ec);
    BOOST_TEST(ec == webhook::error::invalid_utf8);
    BOOST_TEST(out == "previous message");
    BOOST_TEST(out.capacity() >= capacity);
    json::write<"root">(out, std::nan(""), ec);
    BOOST_TEST(ec == webhook::error::non_finite_number);
    BOOST_TEST(out == "previous message");
}

BOOST_AUTO_TEST_CASE(to_string_throws_system_error_with_the_code) {
    try {
        (void)to_string("\xFF"s);
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::invalid_utf8);
    }
    BOOST_CHECK_THROW((void)json::to_string<"a">(std::nan("")), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()

static_assert(json::serializable<test::incident>);
static_assert(json::serializable<std::map<std::string, std::vector<test::person>>>);
static_assert(!json::serializable<int*>);
static_assert(!json::serializable<wchar_t>);
static_assert(!json::serializable<std::vector<void*>>);
static_assert(!json::serializable<std::map<test::person, int>>);
