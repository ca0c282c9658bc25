#include <webhook/json/adapter.hpp>

#define BOOST_TEST_MODULE json_adapter
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <webhook/json/schema.hpp>
#include <webhook/json/serialize.hpp>

#include <boost/describe.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <chrono>
#include <compare>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// Every allocation of this program is counted, so that a test can say "none".
namespace {
std::size_t allocations = 0;
} // namespace

void* operator new(std::size_t n) {
    ++allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n))
        return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

// Types of a third party: the test may not describe them nor add to their namespace.
namespace vendor {

class uuid {
public:
    constexpr explicit uuid(std::array<unsigned char, 16> bytes) : bytes_(bytes) {}
    const std::array<unsigned char, 16>& bytes() const noexcept { return bytes_; }
    friend auto operator<=>(const uuid&, const uuid&) = default;

private:
    std::array<unsigned char, 16> bytes_;
};

/// A decimal with two fraction digits, as money types store it.
struct money {
    std::int64_t cents = 0;
    friend auto operator<=>(const money&, const money&) = default;
};

/// Milliseconds since 1970, as a C library would hand them out.
struct timestamp {
    std::int64_t millis = 0;
};

/// Text from outside, unchecked: quotes, control characters, invalid UTF-8.
struct label {
    std::string text;
};

/// Writes whatever it holds as a number, valid or not.
struct raw_number {
    std::string text;
};

/// An ISO 3166 code, written (and used as a map key) through a string view.
struct country {
    char code[2];
    friend auto operator<=>(const country&, const country&) = default;
};

/// A stock-keeping unit with its own schema.
struct sku {
    std::string text;
};

/// A tree whose JSON is its children's array: `[[],[[]]]`.
struct nested_list {
    std::vector<nested_list> items;
};

/// Thrown out of its adapter.
struct exploding {};

// Specializations the library must refuse.
struct no_form {};
struct two_forms {};
struct self_converting {};
struct converts_to_converting {};

} // namespace vendor

namespace test {

struct order {
    vendor::uuid id;
    vendor::money total;
    std::optional<vendor::money> discount;
    std::vector<vendor::uuid> lines;
    std::map<std::string, vendor::money> taxes;
    vendor::timestamp placed;
};
BOOST_DESCRIBE_STRUCT(order, (), (id, total, discount, lines, taxes, placed))

/// A described struct the adapter below overrides: the adapter wins.
struct secret {
    std::string value;
};
BOOST_DESCRIBE_STRUCT(secret, (), (value))

/// The target of a `convert` adapter: a described struct.
struct money_parts {
    std::int64_t units = 0;
    std::int64_t cents = 0;
};
BOOST_DESCRIBE_STRUCT(money_parts, (), (units, cents))

struct priced {
    money_parts price;
};
BOOST_DESCRIBE_STRUCT(priced, (), (price))

} // namespace test

template <>
struct webhook::json::adapter<vendor::uuid> {
    static constexpr std::string_view format = "uuid";
    static void write_string(const vendor::uuid& id, text_sink& out) {
        constexpr char hex[] = "0123456789abcdef";
        for (std::size_t i = 0; i < 16; ++i) {
            if (i == 4 || i == 6 || i == 8 || i == 10)
                out.push_back('-');
            out.push_back(hex[id.bytes()[i] >> 4]);
            out.push_back(hex[id.bytes()[i] & 15]);
        }
    }
};

template <>
struct webhook::json::adapter<vendor::money> {
    static void write_number(const vendor::money& m, text_sink& out) {
        const std::int64_t magnitude = m.cents < 0 ? -m.cents : m.cents;
        char text[32];
        char* p = text;
        if (m.cents < 0)
            *p++ = '-';
        p = std::to_chars(p, text + sizeof text, magnitude / 100).ptr;
        *p++ = '.';
        *p++ = static_cast<char>('0' + magnitude % 100 / 10);
        *p++ = static_cast<char>('0' + magnitude % 10);
        out.append(std::string_view(text, static_cast<std::size_t>(p - text)));
    }
};

template <>
struct webhook::json::adapter<vendor::timestamp> {
    static std::chrono::sys_time<std::chrono::milliseconds> convert(const vendor::timestamp& t) {
        return std::chrono::sys_time<std::chrono::milliseconds>(
            std::chrono::milliseconds(t.millis));
    }
};

template <>
struct webhook::json::adapter<vendor::label> {
    static void write_string(const vendor::label& l, text_sink& out) { out.append(l.text); }
};

template <>
struct webhook::json::adapter<vendor::raw_number> {
    static void write_number(const vendor::raw_number& n, text_sink& out) { out.append(n.text); }
};

template <>
struct webhook::json::adapter<vendor::country> {
    static std::string_view convert(const vendor::country& c) { return {c.code, 2}; }
};

template <>
struct webhook::json::adapter<vendor::sku> {
    static void write_string(const vendor::sku& s, text_sink& out) { out.append(s.text); }
    static boost::json::object schema() {
        return {{"type", "string"}, {"pattern", "^[A-Z]{3}-[0-9]{4}$"}};
    }
};

template <>
struct webhook::json::adapter<vendor::nested_list> {
    static const std::vector<vendor::nested_list>& convert(const vendor::nested_list& l) {
        return l.items;
    }
};

template <>
struct webhook::json::adapter<vendor::exploding> {
    static void write_string(const vendor::exploding&, text_sink& out) {
        out.append(std::string(300, 'x')); // grows the buffer first
        throw std::runtime_error("adapter failed");
    }
};

template <>
struct webhook::json::adapter<test::secret> {
    static void write_string(const test::secret&, text_sink& out) { out.append("***"); }
};

template <>
struct webhook::json::adapter<test::priced> {
    static test::money_parts convert(const test::priced& p) { return p.price; }
};

template <>
struct webhook::json::adapter<vendor::no_form> {};

template <>
struct webhook::json::adapter<vendor::two_forms> {
    static void write_string(const vendor::two_forms&, text_sink&) {}
    static void write_number(const vendor::two_forms&, text_sink&) {}
};

template <>
struct webhook::json::adapter<vendor::self_converting> {
    static vendor::self_converting convert(const vendor::self_converting& s) { return s; }
};

template <>
struct webhook::json::adapter<vendor::converts_to_converting> {
    static vendor::timestamp convert(const vendor::converts_to_converting&) { return {}; }
};

using webhook::data_path;
using webhook::json::to_string;
using webhook::json::write_options;
namespace json = webhook::json;
using namespace std::string_literals;

namespace {

const vendor::uuid some_id{{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66,
                            0x14, 0x17, 0x40, 0x00}};
const vendor::uuid other_id{{0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01}};
constexpr std::string_view some_id_text = "123e4567-e89b-12d3-a456-426614174000";

boost::system::error_code write_error(const auto& value, const write_options& options = {}) {
    std::string out = "kept";
    boost::system::error_code ec;
    json::write(out, value, data_path{}, options, ec);
    BOOST_TEST(out == "kept"); // on error the buffer is exactly as it was
    return ec;
}

/// The schema without its `"$schema"` member, as text.
template <class T>
std::string schema_body(const write_options& options = {}) {
    boost::json::object root = json::schema<T>(options).as_object();
    BOOST_TEST_REQUIRE(root.begin()->key() == "$schema");
    boost::json::object rest;
    for (auto it = root.begin() + 1; it != root.end(); ++it)
        rest[it->key()] = it->value();
    return boost::json::serialize(rest);
}

} // namespace

BOOST_AUTO_TEST_SUITE(string_adapters)

BOOST_AUTO_TEST_CASE(a_string_adapter_writes_a_quoted_string) {
    BOOST_TEST(to_string(some_id) == "\"" + std::string(some_id_text) + "\"");
    BOOST_TEST(to_string(some_id, data_path("root/id")) ==
               R"({"root":{"id":"123e4567-e89b-12d3-a456-426614174000"}})");
    BOOST_TEST(json::to_string<"id">(other_id) ==
               R"({"id":"ff000000-0000-0000-0000-000000000001"})");
    BOOST_TEST(to_string(vendor::label{""}) == R"("")");
}

BOOST_AUTO_TEST_CASE(a_string_adapter_text_is_escaped_by_the_library) {
    BOOST_TEST(to_string(vendor::label{"say \"hi\"\\\n\t\x01\x1f end"}) ==
               R"("say \"hi\"\\\n\t\u0001\u001f end")");
    BOOST_TEST(to_string(vendor::label{"\""}) == R"("\"")");
    // Well-formed UTF-8 passes through, before and after an escape.
    BOOST_TEST(to_string(vendor::label{"caf\xC3\xA9 \xE2\x82\xAC\n\xF0\x9F\x98\x80"}) ==
               "\"caf\xC3\xA9 \xE2\x82\xAC\\n\xF0\x9F\x98\x80\"");
}

BOOST_AUTO_TEST_CASE(a_string_adapter_text_follows_the_utf8_policy) {
    BOOST_TEST(write_error(vendor::label{"ok \xFF"}) == webhook::error::invalid_utf8);
    BOOST_TEST(write_error(vendor::label{"\xC3"}) == webhook::error::invalid_utf8); // cut short
    BOOST_TEST(write_error(vendor::label{"\xED\xA0\x80"}) == webhook::error::invalid_utf8);
    const write_options replace{.invalid_utf8 = json::utf8_policy::replace};
    BOOST_TEST(to_string(vendor::label{"a\xFF\"b\xC3"}, replace) ==
               "\"a\xEF\xBF\xBD\\\"b\xEF\xBF\xBD\"");
}

BOOST_AUTO_TEST_CASE(a_string_adapter_writes_what_the_built_in_string_writer_writes) {
    // Random bytes, biased towards those that need attention, under both UTF-8 policies: the
    // adapter's text is treated exactly as a std::string with the same bytes.
    std::mt19937_64 g(21);
    constexpr char interesting[] = {'"',    '\\',   '\n',   '\x01', '\x7f', 'a',    ' ',
                                    '\xC3', '\xA9', '\xE2', '\x82', '\xAC', '\xF0', '\x9F',
                                    '\x98', '\x80', '\xFF', '\xED', '\xA0', '\xC0'};
    const write_options replace{.invalid_utf8 = json::utf8_policy::replace};
    for (int i = 0; i < 3000; ++i) {
        std::string text(g() % 40, '\0');
        for (char& c : text)
            c = g() % 2 ? static_cast<char>(g()) : interesting[g() % sizeof interesting];
        for (const write_options& options : {write_options{}, replace}) {
            std::string expected = "[";
            std::string actual = "[";
            boost::system::error_code expected_ec;
            boost::system::error_code actual_ec;
            json::write(expected, text, data_path("a"), options, expected_ec);
            json::write(actual, vendor::label{text}, data_path("a"), options, actual_ec);
            BOOST_TEST_REQUIRE(actual_ec == expected_ec);
            BOOST_TEST_REQUIRE(actual == expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(escaping_a_long_adapter_text_grows_the_buffer_correctly) {
    const std::string text = std::string(1000, '"') + "tail\n";
    BOOST_TEST(to_string(vendor::label{text}) == to_string(text));
    std::string out = "head";
    out.shrink_to_fit();
    boost::system::error_code ec;
    json::write(out, std::vector<vendor::label>{{text}, {"x"}, {text}}, ec);
    BOOST_TEST(!ec);
    BOOST_TEST(out == "head" + to_string(std::vector<std::string>{text, "x", text}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(number_adapters)

BOOST_AUTO_TEST_CASE(a_number_adapter_writes_its_text_as_a_number) {
    BOOST_TEST(to_string(vendor::money{1250}) == "12.50");
    BOOST_TEST(to_string(vendor::money{-5}) == "-0.05");
    BOOST_TEST(to_string(vendor::money{0}) == "0.00");
    for (const char* text :
         {"0", "-0", "7", "-12.5", "1e9", "1E+9", "2.5e-3", "123456789012345678901234567890"})
        BOOST_TEST(to_string(vendor::raw_number{text}) == text);
}

BOOST_AUTO_TEST_CASE(a_number_adapter_text_that_is_no_json_number_is_an_error) {
    for (const char* text : {"", "-", "+1", "01", "1.", ".5", "1e", "1e+", "12,5", "NaN",
                             "Infinity", "0x10", " 1", "1 ", "1]", "1,\"a\":2", "--1", "1.5.2"})
        BOOST_TEST(write_error(vendor::raw_number{text}) == webhook::error::invalid_number,
                   '"' << text << '"');
    BOOST_TEST(write_error(std::vector<vendor::raw_number>{{"1"}, {"1;"}}) ==
               webhook::error::invalid_number);
    BOOST_TEST(write_error(std::map<std::string, vendor::raw_number>{{"a", {"x"}}}) ==
               webhook::error::invalid_number);
    BOOST_CHECK_THROW((void)to_string(vendor::raw_number{"1/3"}), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(convert_adapters)

BOOST_AUTO_TEST_CASE(a_convert_adapter_writes_the_converted_value) {
    // To a type the library knows: a time point, written as RFC 3339.
    BOOST_TEST(to_string(vendor::timestamp{1'700'000'000'123}) == R"("2023-11-14T22:13:20.123Z")");
    // To a string view, and by reference.
    BOOST_TEST(to_string(vendor::country{{'N', 'Z'}}) == R"("NZ")");
    BOOST_TEST(to_string(vendor::nested_list{{{}, {{{}}}}}) == "[[],[[]]]");
    // To a described struct.
    BOOST_TEST(to_string(test::priced{{12, 50}}) == R"({"units":12,"cents":50})");
}

BOOST_AUTO_TEST_CASE(an_adapter_wins_over_the_built_in_mapping) {
    BOOST_TEST(to_string(test::secret{"hunter2"}) == R"("***")");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(containers)

BOOST_AUTO_TEST_CASE(adapted_types_nest_in_structs_optionals_ranges_and_maps) {
    test::order o{some_id, {1999}, std::nullopt, {other_id, some_id}, {{"vat", {300}}}, {0}};
    const std::string expected_head =
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","total":19.99,)";
    const std::string expected_tail =
        R"("lines":["ff000000-0000-0000-0000-000000000001","123e4567-e89b-12d3-a456-426614174000"],)"
        R"("taxes":{"vat":3.00},"placed":"1970-01-01T00:00:00Z"})";
    BOOST_TEST(to_string(o) == expected_head + expected_tail);
    BOOST_TEST(to_string(o, write_options{.empty_optional = json::empty_optional_policy::null}) ==
               expected_head + R"("discount":null,)" + expected_tail);
    o.discount = vendor::money{-250};
    BOOST_TEST(to_string(o) == expected_head + R"("discount":-2.50,)" + expected_tail);

    BOOST_TEST(to_string(std::optional<vendor::uuid>{}) == "null");
    BOOST_TEST(to_string(std::optional<vendor::money>{vendor::money{1}}) == "0.01");
    BOOST_TEST(to_string(std::variant<vendor::money, vendor::uuid>{other_id}) ==
               R"("ff000000-0000-0000-0000-000000000001")");
    BOOST_TEST(to_string(std::array<vendor::money, 2>{{{1}, {-1}}}) == "[0.01,-0.01]");
}

BOOST_AUTO_TEST_CASE(adapted_types_are_map_keys) {
    BOOST_TEST(to_string(std::map<vendor::uuid, int>{{some_id, 1}}) ==
               R"({"123e4567-e89b-12d3-a456-426614174000":1})");
    BOOST_TEST(to_string(std::map<vendor::money, bool>{{{-5}, true}, {{1250}, false}}) ==
               R"({"-0.05":true,"12.50":false})");
    BOOST_TEST(to_string(std::map<vendor::country, vendor::money>{{{{'D', 'E'}}, {1900}}}) ==
               R"({"DE":19.00})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(guarantees)

BOOST_AUTO_TEST_CASE(adapters_allocate_nothing_with_a_reused_buffer) {
    const std::vector<test::order> orders(
        3, test::order{some_id, {1999}, vendor::money{1}, {other_id}, {{"vat", {300}}}, {5}});
    const std::vector<vendor::label> labels{{"plain"}, {"needs \"escapes\"\n"}, {"caf\xC3\xA9"}};
    std::string buffer;
    boost::system::error_code ec;
    json::write(buffer, orders, ec); // grows the buffer to its largest message
    json::write(buffer, labels, ec);
    buffer.reserve(buffer.size() * 4);
    const std::size_t before = allocations;
    for (int i = 0; i < 100; ++i) {
        buffer.clear();
        json::write<"root/result">(buffer, orders, ec);
        BOOST_TEST_REQUIRE(!ec);
        buffer.clear();
        json::write(buffer, labels, ec);
        BOOST_TEST_REQUIRE(!ec);
    }
    BOOST_TEST(allocations - before == 0u);
    BOOST_TEST(buffer == R"(["plain","needs \"escapes\"\n","caf)"
                         "\xC3\xA9"
                         R"("])");
}

BOOST_AUTO_TEST_CASE(an_exception_from_an_adapter_leaves_the_buffer_as_it_was) {
    std::string out = "kept";
    boost::system::error_code ec;
    BOOST_CHECK_THROW(json::write(out, std::vector<vendor::exploding>(2), ec), std::runtime_error);
    BOOST_TEST(out == "kept");
    BOOST_CHECK_THROW((void)to_string(vendor::exploding{}), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(schemas)

BOOST_AUTO_TEST_CASE(a_string_adapter_schema_is_a_string_with_its_format) {
    BOOST_TEST(schema_body<vendor::uuid>() == R"({"type":"string","format":"uuid"})");
    BOOST_TEST(schema_body<vendor::label>() == R"({"type":"string"})");
}

BOOST_AUTO_TEST_CASE(a_number_adapter_schema_is_a_number) {
    BOOST_TEST(schema_body<vendor::money>() == R"({"type":"number"})");
}

BOOST_AUTO_TEST_CASE(a_convert_adapter_schema_is_the_schema_of_the_converted_type) {
    BOOST_TEST(schema_body<vendor::timestamp>() == R"({"type":"string","format":"date-time"})");
    BOOST_TEST(schema_body<vendor::country>() == R"({"type":"string"})");
    BOOST_TEST(
        schema_body<test::priced>() ==
        R"({"type":"object","properties":{)"
        R"("units":{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807},)"
        R"("cents":{"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807}},)"
        R"("required":["units","cents"],"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(an_adapter_may_state_its_own_schema) {
    BOOST_TEST(schema_body<vendor::sku>() ==
               R"({"type":"string","pattern":"^[A-Z]{3}-[0-9]{4}$"})");
    BOOST_TEST(to_string(vendor::sku{"ABC-1234"}) == R"("ABC-1234")");
}

BOOST_AUTO_TEST_CASE(adapted_members_optionals_ranges_and_map_values_have_their_schema) {
    const std::string uuid = R"({"type":"string","format":"uuid"})";
    const std::string number = R"({"type":"number"})";
    BOOST_TEST(schema_body<test::order>() ==
               R"({"type":"object","properties":{"id":)" + uuid + R"(,"total":)" + number +
                   R"(,"discount":)" + number + R"(,"lines":{"type":"array","items":)" + uuid +
                   R"(},"taxes":{"type":"object","additionalProperties":)" + number +
                   R"(},"placed":{"type":"string","format":"date-time"}},)"
                   R"("required":["id","total","lines","taxes","placed"],)"
                   R"("additionalProperties":false})");
    BOOST_TEST(schema_body<std::optional<vendor::uuid>>() ==
               R"({"anyOf":[)" + uuid + R"(,{"type":"null"}]})");
}

BOOST_AUTO_TEST_CASE(adapted_map_keys_have_property_names) {
    using by_id = std::map<vendor::uuid, int>;
    using by_amount = std::map<vendor::money, bool>;
    using by_country = std::map<vendor::country, bool>;
    BOOST_TEST(schema_body<by_id>() ==
               R"({"type":"object","additionalProperties":{"type":"integer",)"
               R"("minimum":-2147483648,"maximum":2147483647},)"
               R"("propertyNames":{"type":"string","format":"uuid"}})");
    BOOST_TEST(
        schema_body<by_amount>() ==
        R"({"type":"object","additionalProperties":{"type":"boolean"},)"
        R"("propertyNames":{"pattern":"^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?$"}})");
    BOOST_TEST(schema_body<by_country>() ==
               R"({"type":"object","additionalProperties":{"type":"boolean"}})");
}

BOOST_AUTO_TEST_CASE(a_convert_adapter_that_contains_itself_is_defined_once) {
    BOOST_TEST(schema_body<vendor::nested_list>() ==
               R"({"$ref":"#/$defs/vendor.nested_list","$defs":{"vendor.nested_list":)"
               R"({"type":"array","items":{"$ref":"#/$defs/vendor.nested_list"}}}})");
}

BOOST_AUTO_TEST_SUITE_END()

// What the library accepts, and what it refuses (without a compile error: `serializable` is
// a question; `require_serializable` is the one that reports).
static_assert(json::serializable<vendor::uuid>);
static_assert(json::is_serializable_v<test::order>);
static_assert(json::is_serializable<std::map<vendor::money, std::vector<vendor::uuid>>>::value);
static_assert(json::require_serializable<const test::order&>());
static_assert(!json::serializable<vendor::no_form>);
static_assert(!json::serializable<vendor::two_forms>);
static_assert(!json::serializable<vendor::self_converting>);
static_assert(!json::serializable<vendor::converts_to_converting>);
static_assert(!json::serializable<std::vector<vendor::no_form>>);
static_assert(!json::serializable<std::map<vendor::no_form, int>>);
static_assert(!json::serializable<std::map<vendor::nested_list, int>>); // an array is no key
static_assert(!json::is_serializable_v<std::map<vendor::timestamp, int>>);
