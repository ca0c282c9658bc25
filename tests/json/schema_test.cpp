#include <webhook/json/schema.hpp>

#define BOOST_TEST_MODULE json_schema
#include <boost/test/unit_test.hpp>

#include "json/schema_types.hpp"

#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace schema_test {
enum class phase { new_, doneDone };
BOOST_DESCRIBE_ENUM(phase, new_, doneDone)
} // namespace schema_test

template <>
struct webhook::json::wire_names<schema_test::phase> {
    static constexpr auto policy = naming::snake_case;
    static constexpr rename renames[] = {{"new_", "new"}};
};

using webhook::data_path;
using webhook::json::empty_optional_policy;
using webhook::json::non_finite_policy;
using webhook::json::schema;
using webhook::json::utf8_policy;
using webhook::json::write_options;

namespace {

const std::string dialect = R"("$schema":"https://json-schema.org/draft/2020-12/schema")";

/// The schema as text without its `"$schema"` member, after checking that it leads the root.
/// Rebuilt rather than erased: `boost::json::object::erase` moves the last member into the
/// gap, and the order of the members is part of what is tested.
std::string body(const boost::json::value& v) {
    const boost::json::object& root = v.as_object();
    BOOST_TEST_REQUIRE(!root.empty());
    BOOST_TEST(root.begin()->key() == "$schema");
    BOOST_TEST(std::string_view(root.begin()->value().as_string()) ==
               webhook::json::schema_dialect);
    boost::json::object rest;
    for (auto it = root.begin() + 1; it != root.end(); ++it)
        rest[it->key()] = it->value();
    return boost::json::serialize(rest);
}

template <class T>
std::string body_of(const write_options& options = {}) {
    return body(schema<T>(options));
}

const std::string int32 = R"({"type":"integer","minimum":-2147483648,"maximum":2147483647})";
const std::string string = R"({"type":"string"})";
const std::string character = R"({"type":"string","minLength":1,"maxLength":1})";
const std::string null = R"({"type":"null"})";

/// The `$defs` entry of `schema_test::node`.
const std::string node_definition =
    R"("schema_test.node":{"type":"object","properties":{"name":{"type":"string"},)"
    R"("children":{"type":"array","items":{"$ref":"#/$defs/schema_test.node"}}},)"
    R"("required":["name","children"],"additionalProperties":false})";

} // namespace

BOOST_AUTO_TEST_SUITE(document)

BOOST_AUTO_TEST_CASE(root_names_the_draft_2020_12_dialect_first) {
    BOOST_TEST(boost::json::serialize(schema<bool>()) == "{" + dialect + R"(,"type":"boolean"})");
}

BOOST_AUTO_TEST_CASE(cv_and_reference_qualifiers_are_ignored) {
    BOOST_TEST(schema<const schema_test::person&>() == schema<schema_test::person>());
    BOOST_TEST(schema<volatile int>() == schema<int>());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(scalars)

BOOST_AUTO_TEST_CASE(null_kinds_are_null) {
    BOOST_TEST(body_of<std::nullptr_t>() == null);
    BOOST_TEST(body_of<std::monostate>() == null);
}

BOOST_AUTO_TEST_CASE(bool_is_boolean) {
    BOOST_TEST(body_of<bool>() == R"({"type":"boolean"})");
}

BOOST_AUTO_TEST_CASE(char_is_a_string_of_exactly_one_character) {
    BOOST_TEST(body_of<char>() == character);
    // Under replacement a byte above 0x7F is U+FFFD: still one character.
    BOOST_TEST(body_of<char>({.invalid_utf8 = utf8_policy::replace}) == character);
}

BOOST_AUTO_TEST_CASE(signed_integers_carry_the_exact_range_of_their_type) {
    BOOST_TEST(body_of<std::int8_t>() == R"({"type":"integer","minimum":-128,"maximum":127})");
    BOOST_TEST(body_of<signed char>() == R"({"type":"integer","minimum":-128,"maximum":127})");
    BOOST_TEST(body_of<short>() == R"({"type":"integer","minimum":-32768,"maximum":32767})");
    BOOST_TEST(body_of<int>() == int32);
    BOOST_TEST(
        body_of<std::int64_t>() ==
        R"({"type":"integer","minimum":-9223372036854775808,"maximum":9223372036854775807})");
}

BOOST_AUTO_TEST_CASE(unsigned_integers_carry_the_exact_range_of_their_type) {
    BOOST_TEST(body_of<std::uint8_t>() == R"({"type":"integer","minimum":0,"maximum":255})");
    BOOST_TEST(body_of<unsigned short>() == R"({"type":"integer","minimum":0,"maximum":65535})");
    BOOST_TEST(body_of<std::uint32_t>() ==
               R"({"type":"integer","minimum":0,"maximum":4294967295})");
    BOOST_TEST(body_of<std::uint64_t>() ==
               R"({"type":"integer","minimum":0,"maximum":18446744073709551615})");
}

BOOST_AUTO_TEST_CASE(uint64_maximum_is_an_exact_unsigned_number) {
    const boost::json::value s = schema<std::uint64_t>();
    BOOST_TEST(s.at("maximum").is_uint64());
    BOOST_TEST(s.at("maximum").as_uint64() == std::numeric_limits<std::uint64_t>::max());
    BOOST_TEST(schema<std::int64_t>().at("minimum").as_int64() ==
               std::numeric_limits<std::int64_t>::min());
}

#ifdef __SIZEOF_INT128__
BOOST_AUTO_TEST_CASE(integers_wider_than_64_bits_have_no_bounds) {
    // Only a GNU dialect makes __int128 an integer type the serializer accepts.
    if constexpr (webhook::json::serializable<__int128_t>)
        BOOST_TEST(body_of<__int128_t>() == R"({"type":"integer"})");
}
#endif

BOOST_AUTO_TEST_CASE(floating_is_a_number_when_non_finite_values_are_rejected) {
    BOOST_TEST(body_of<float>() == R"({"type":"number"})");
    BOOST_TEST(body_of<double>() == R"({"type":"number"})");
    BOOST_TEST(body_of<long double>() == R"({"type":"number"})");
}

BOOST_AUTO_TEST_CASE(floating_may_be_null_when_non_finite_values_are_written_as_null) {
    BOOST_TEST(body_of<double>({.non_finite = non_finite_policy::null}) ==
               R"({"type":["number","null"]})");
}

BOOST_AUTO_TEST_CASE(described_enum_is_one_of_its_names) {
    BOOST_TEST(body_of<schema_test::state>() ==
               R"({"type":"string","enum":["open","in_progress","closed"]})");
}

BOOST_AUTO_TEST_CASE(enum_alias_is_not_listed_because_the_first_name_is_written) {
    BOOST_TEST(body_of<schema_test::level>() ==
               R"({"type":"string","enum":["low","normal","high"]})");
}

BOOST_AUTO_TEST_CASE(enum_names_are_the_wire_names_the_serializer_writes) {
    BOOST_TEST(body_of<schema_test::phase>() == R"({"type":"string","enum":["new","done_done"]})");
    BOOST_TEST(webhook::json::to_string(schema_test::phase::doneDone) == R"("done_done")");
}

BOOST_AUTO_TEST_CASE(time_point_is_a_date_time_string) {
    const std::string date_time = R"({"type":"string","format":"date-time"})";
    BOOST_TEST(body_of<std::chrono::system_clock::time_point>() == date_time);
    BOOST_TEST(body_of<std::chrono::sys_seconds>() == date_time);
    BOOST_TEST(body_of<std::chrono::sys_days>() == date_time);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(text)

BOOST_AUTO_TEST_CASE(c_string_is_a_string_or_null) {
    BOOST_TEST(body_of<const char*>() == R"({"type":["string","null"]})");
    BOOST_TEST(body_of<char*>() == R"({"type":["string","null"]})");
}

BOOST_AUTO_TEST_CASE(char_array_and_strings_are_strings) {
    BOOST_TEST(body_of<char[8]>() == string);
    BOOST_TEST(body_of<std::string>() == string);
    BOOST_TEST(body_of<std::string_view>() == string);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(optional_and_variant)

BOOST_AUTO_TEST_CASE(optional_member_is_not_required_when_omitted) {
    BOOST_TEST(body_of<schema_test::with_optionals>() ==
               R"({"type":"object","properties":{"first":)" + int32 + R"(,"middle":)" + int32 +
                   R"(,"last":{"type":"string"}},)"
                   R"("required":["middle"],"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(optional_member_is_required_and_nullable_when_written_as_null) {
    BOOST_TEST(
        body_of<schema_test::with_optionals>({.empty_optional = empty_optional_policy::null}) ==
        R"({"type":"object","properties":{"first":{"anyOf":[)" + int32 + "," + null +
            R"(]},"middle":)" + int32 +
            R"(,"last":{"anyOf":[{"type":"string"},{"type":"null"}]}},)"
            R"("required":["first","middle","last"],"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(present_optional_inside_an_omitted_optional_member_may_be_null) {
    // `std::optional<std::optional<int>>`: an empty outer one is left out; an outer one
    // holding an empty inner one is written as null.
    BOOST_TEST(body_of<schema_test::nested_optional>() ==
               R"({"type":"object","properties":{"value":{"anyOf":[)" + int32 + "," + null +
                   R"(]}},"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(optional_outside_a_struct_allows_null) {
    BOOST_TEST(body_of<std::optional<int>>() == R"({"anyOf":[)" + int32 + "," + null + "]}");
    BOOST_TEST(body_of<std::vector<std::optional<bool>>>() ==
               R"({"type":"array","items":{"anyOf":[{"type":"boolean"},{"type":"null"}]}})");
    // In a map an empty optional is written as null, whatever the member policy says.
    using optional_by_name = std::map<std::string, std::optional<std::string>>;
    BOOST_TEST(body_of<optional_by_name>() == R"({"type":"object","additionalProperties":)"
                                              R"({"anyOf":[{"type":"string"},{"type":"null"}]}})");
}

BOOST_AUTO_TEST_CASE(variant_is_any_of_its_alternatives_in_order) {
    BOOST_TEST((body_of<std::variant<std::monostate, int, std::string>>() ==
                R"({"anyOf":[{"type":"null"},)" + int32 + R"(,{"type":"string"}]})"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(json_values)

BOOST_AUTO_TEST_CASE(json_value_accepts_anything) {
    BOOST_TEST(body_of<boost::json::value>() == "{}");
}

BOOST_AUTO_TEST_CASE(json_object_array_and_string_keep_their_type_only) {
    BOOST_TEST(body_of<boost::json::object>() == R"({"type":"object"})");
    BOOST_TEST(body_of<boost::json::array>() == R"({"type":"array"})");
    BOOST_TEST(body_of<boost::json::string>() == string);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(structs)

BOOST_AUTO_TEST_CASE(described_struct_is_a_closed_object_with_every_member_required) {
    BOOST_TEST(body_of<schema_test::person>() ==
               R"({"type":"object","properties":{"name":{"type":"string"},"age":)" + int32 +
                   R"(},"required":["name","age"],"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(properties_use_the_wire_names) {
    BOOST_TEST(body_of<schema_test::renamed>() ==
               R"({"type":"object","properties":{"shortDescription":)" + int32 + R"(,"userId":)" +
                   int32 + R"(,"u_custom-field":)" + int32 +
                   R"(},"required":["shortDescription","userId","u_custom-field"],)"
                   R"("additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(members_of_described_bases_come_first) {
    const std::string person = R"({"type":"object","properties":{"name":{"type":"string"},"age":)" +
                               int32 +
                               R"(},"required":["name","age"],"additionalProperties":false})";
    BOOST_TEST(body_of<schema_test::incident>() ==
               R"({"type":"object","properties":{"id":{"type":"string"},"priority":)" + int32 +
                   R"(,"status":{"type":"string","enum":["open","in_progress","closed"]},)"
                   R"("caller":)" +
                   person +
                   R"(,"tags":{"type":"array","items":{"type":"string"}}},)"
                   R"("required":["id","priority","status","caller","tags"],)"
                   R"("additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(struct_without_required_members_has_no_required_list) {
    BOOST_TEST(body_of<schema_test::only_optionals>() ==
               R"({"type":"object","properties":{"flag":{"type":"boolean"}},)"
               R"("additionalProperties":false})");
    BOOST_TEST(body_of<schema_test::empty>() ==
               R"({"type":"object","properties":{},"additionalProperties":false})");
}

BOOST_AUTO_TEST_CASE(options_reach_nested_members) {
    BOOST_TEST(
        body_of<std::vector<schema_test::measurement>>({.non_finite = non_finite_policy::null}) ==
        R"({"type":"array","items":{"type":"object","properties":{"value":)"
        R"({"type":["number","null"]}},"required":["value"],"additionalProperties":false}})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(maps)

BOOST_AUTO_TEST_CASE(map_with_string_keys_constrains_only_the_values) {
    const std::string expected = R"({"type":"object","additionalProperties":)" + int32 + "}";
    BOOST_TEST((body_of<std::map<std::string, int>>() == expected));
    BOOST_TEST((body_of<std::unordered_map<std::string_view, int>>() == expected));
}

BOOST_AUTO_TEST_CASE(map_with_enum_keys_lists_the_names) {
    BOOST_TEST((body_of<std::map<schema_test::state, bool>>() ==
                R"({"type":"object","additionalProperties":{"type":"boolean"},)"
                R"("propertyNames":{"enum":["open","in_progress","closed"]}})"));
}

BOOST_AUTO_TEST_CASE(map_with_signed_integer_keys_allows_a_minus_sign) {
    BOOST_TEST((body_of<std::map<int, bool>>() ==
                R"({"type":"object","additionalProperties":{"type":"boolean"},)"
                R"("propertyNames":{"pattern":"^-?[0-9]+$"}})"));
}

BOOST_AUTO_TEST_CASE(map_with_unsigned_integer_keys_allows_digits_only) {
    BOOST_TEST((body_of<std::map<std::uint64_t, bool>>() ==
                R"({"type":"object","additionalProperties":{"type":"boolean"},)"
                R"("propertyNames":{"pattern":"^[0-9]+$"}})"));
}

BOOST_AUTO_TEST_CASE(map_with_char_keys_has_one_character_names) {
    BOOST_TEST((body_of<std::map<char, bool>>() ==
                R"({"type":"object","additionalProperties":{"type":"boolean"},)"
                R"("propertyNames":{"minLength":1,"maxLength":1}})"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sequences)

BOOST_AUTO_TEST_CASE(sequence_is_an_array_of_its_elements) {
    const std::string strings = R"({"type":"array","items":{"type":"string"}})";
    BOOST_TEST(body_of<std::vector<std::string>>() == strings);
    BOOST_TEST(body_of<std::list<std::string>>() == strings);
    BOOST_TEST(body_of<std::deque<std::string>>() == strings);
    BOOST_TEST(body_of<std::span<const std::string>>() == strings);
    BOOST_TEST(body_of<std::vector<bool>>() == R"({"type":"array","items":{"type":"boolean"}})");
    BOOST_TEST(body_of<std::vector<char>>() == R"({"type":"array","items":)" + character + "}");
}

BOOST_AUTO_TEST_CASE(fixed_size_arrays_have_an_exact_length) {
    BOOST_TEST((body_of<std::array<int, 3>>() ==
                R"({"type":"array","items":)" + int32 + R"(,"minItems":3,"maxItems":3})"));
    BOOST_TEST(body_of<int[2]>() ==
               R"({"type":"array","items":)" + int32 + R"(,"minItems":2,"maxItems":2})");
    BOOST_TEST((body_of<std::span<const int, 4>>() ==
                R"({"type":"array","items":)" + int32 + R"(,"minItems":4,"maxItems":4})"));
    BOOST_TEST(body_of<bool[2][3]>() ==
               R"({"type":"array","items":{"type":"array","items":{"type":"boolean"},)"
               R"("minItems":3,"maxItems":3},"minItems":2,"maxItems":2})");
}

BOOST_AUTO_TEST_CASE(set_has_unique_items) {
    BOOST_TEST(body_of<std::set<int>>() ==
               R"({"type":"array","items":)" + int32 + R"(,"uniqueItems":true})");
    BOOST_TEST(body_of<std::unordered_set<std::string>>() ==
               R"({"type":"array","items":{"type":"string"},"uniqueItems":true})");
    BOOST_TEST(body_of<std::set<schema_test::state>>() ==
               R"({"type":"array","items":{"type":"string","enum":["open","in_progress",)"
               R"("closed"]},"uniqueItems":true})");
    BOOST_TEST(body_of<std::set<std::chrono::sys_seconds>>() ==
               R"({"type":"array","items":{"type":"string","format":"date-time"},)"
               R"("uniqueItems":true})");
    BOOST_TEST(body_of<std::set<double>>() ==
               R"({"type":"array","items":{"type":"number"},"uniqueItems":true})");
}

BOOST_AUTO_TEST_CASE(multiset_may_repeat_items) {
    const std::string ints = R"({"type":"array","items":)" + int32 + "}";
    BOOST_TEST(body_of<std::multiset<int>>() == ints);
    BOOST_TEST(body_of<std::unordered_multiset<int>>() == ints);
}

BOOST_AUTO_TEST_CASE(set_may_repeat_items_when_different_values_can_be_written_alike) {
    // Two invalid strings can both become U+FFFD; both infinities become null; two pointers
    // can point at equal text; structs are compared however their operator< likes.
    BOOST_TEST(body_of<std::set<std::string>>({.invalid_utf8 = utf8_policy::replace}) ==
               R"({"type":"array","items":{"type":"string"}})");
    BOOST_TEST(body_of<std::set<double>>({.non_finite = non_finite_policy::null}) ==
               R"({"type":"array","items":{"type":["number","null"]}})");
    BOOST_TEST(body_of<std::set<const char*>>() ==
               R"({"type":"array","items":{"type":["string","null"]}})");
    BOOST_TEST(body_of<std::set<schema_test::ordered>>() ==
               R"({"type":"array","items":{"type":"object","properties":{"key":)" + int32 +
                   R"(},"required":["key"],"additionalProperties":false}})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recursion)

BOOST_AUTO_TEST_CASE(recursive_struct_is_defined_once_and_referenced) {
    BOOST_TEST(body_of<schema_test::node>() ==
               R"({"$ref":"#/$defs/schema_test.node","$defs":{)" + node_definition + "}}");
}

BOOST_AUTO_TEST_CASE(non_recursive_struct_around_a_recursive_one_stays_inline) {
    BOOST_TEST(body_of<schema_test::outline>() ==
               R"({"type":"object","properties":{"title":{"type":"string"},)"
               R"("root":{"$ref":"#/$defs/schema_test.node"},)"
               R"("appendix":{"$ref":"#/$defs/schema_test.node"}},)"
               R"("required":["title","root"],"additionalProperties":false,)"
               R"("$defs":{)" +
                   node_definition + "}}");
}

BOOST_AUTO_TEST_CASE(mutually_recursive_structs_each_get_a_definition) {
    BOOST_TEST(body_of<schema_test::folder>() ==
               R"({"$ref":"#/$defs/schema_test.folder","$defs":{)"
               R"("schema_test.folder":{"type":"object","properties":{"name":{"type":"string"},)"
               R"("entries":{"type":"array","items":{"$ref":"#/$defs/schema_test.entry"}}},)"
               R"("required":["name","entries"],"additionalProperties":false},)"
               R"("schema_test.entry":{"type":"object","properties":{"name":{"type":"string"},)"
               R"("subfolders":{"type":"array","items":{"$ref":"#/$defs/schema_test.folder"}}},)"
               R"("required":["name","subfolders"],"additionalProperties":false}}})");
}

BOOST_AUTO_TEST_CASE(recursion_through_optional_and_variant_is_found) {
    BOOST_TEST(body_of<schema_test::expression>() ==
               R"({"$ref":"#/$defs/schema_test.expression","$defs":{"schema_test.expression":)"
               R"({"type":"object","properties":{"op":{"type":"string"},"operands":{"type":)"
               R"("array","items":{"anyOf":[)" +
                   int32 +
                   R"(,{"anyOf":[{"$ref":"#/$defs/schema_test.expression"},{"type":"null"}]}]}}},)"
                   R"("required":["op","operands"],"additionalProperties":false}}})");
}

BOOST_AUTO_TEST_CASE(class_deriving_from_a_container_of_itself_is_defined) {
    BOOST_TEST(body_of<schema_test::nested_list>() ==
               R"({"$ref":"#/$defs/schema_test.nested_list","$defs":{"schema_test.nested_list":)"
               R"({"type":"array","items":{"$ref":"#/$defs/schema_test.nested_list"}}}})");
}

BOOST_AUTO_TEST_CASE(definition_name_is_the_sanitized_qualified_name) {
    BOOST_TEST(body_of<schema_test::tree<int>>() ==
               R"({"$ref":"#/$defs/schema_test.tree_int_","$defs":{"schema_test.tree_int_":)"
               R"({"type":"object","properties":{"value":)" +
                   int32 +
                   R"(,"children":{"type":"object","additionalProperties":)"
                   R"({"$ref":"#/$defs/schema_test.tree_int_"}}},)"
                   R"("required":["value","children"],"additionalProperties":false}}})");
}

BOOST_AUTO_TEST_CASE(definition_names_of_different_types_never_collide) {
    // `chain<int>` and `chain_int_` sanitize to the same name; the second one met gets `-2`.
    BOOST_TEST(body_of<schema_test::two_chains>() ==
               R"({"type":"object","properties":{)"
               R"("first":{"$ref":"#/$defs/schema_test.chain_int_"},)"
               R"("second":{"$ref":"#/$defs/schema_test.chain_int_-2"}},)"
               R"("required":["first","second"],"additionalProperties":false,"$defs":{)"
               R"("schema_test.chain_int_":{"type":"object","properties":{"more":{"type":"array",)"
               R"("items":{"$ref":"#/$defs/schema_test.chain_int_"}}},"required":["more"],)"
               R"("additionalProperties":false},)"
               R"("schema_test.chain_int_-2":{"type":"object","properties":{"more":{"type":)"
               R"("array","items":{"$ref":"#/$defs/schema_test.chain_int_-2"}}},)"
               R"("required":["more"],"additionalProperties":false}}})");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(data_location)

namespace {
std::string wrapped(const std::string& payload) {
    return R"({"type":"object","properties":{"root":{"type":"object","properties":{"result":)" +
           payload +
           R"(},"required":["result"],"additionalProperties":false}},"required":["root"],)"
           R"("additionalProperties":false})";
}
} // namespace

BOOST_AUTO_TEST_CASE(data_path_wraps_the_payload_in_closed_objects) {
    BOOST_TEST(body(schema<int>(data_path("root/result"))) == wrapped(int32));
    BOOST_TEST(body(schema<int>(data_path(" /root/result/ "))) == wrapped(int32));
}

BOOST_AUTO_TEST_CASE(empty_data_path_gives_the_payload_alone) {
    BOOST_TEST(schema<schema_test::person>(data_path()) == schema<schema_test::person>());
    BOOST_TEST(schema<schema_test::person>(data_path("/")) == schema<schema_test::person>());
}

BOOST_AUTO_TEST_CASE(segments_are_kept_byte_for_byte) {
    const boost::json::value s = schema<bool>(data_path("a b/\"q\""));
    BOOST_TEST(s.at("required").at(0) == "a b");
    BOOST_TEST(s.at("properties").at("a b").at("required").at(0) == "\"q\"");
}

BOOST_AUTO_TEST_CASE(compile_time_path_equals_run_time_path) {
    BOOST_TEST((schema<"root/result", schema_test::incident>() ==
                schema<schema_test::incident>(data_path("root/result"))));
    const write_options options{.empty_optional = empty_optional_policy::null};
    BOOST_TEST((schema<"/a/", schema_test::with_optionals>(options) ==
                schema<schema_test::with_optionals>(data_path("a"), options)));
    BOOST_TEST((schema<"", int>() == schema<int>()));
}

BOOST_AUTO_TEST_CASE(definitions_stay_at_the_root_under_a_data_path) {
    std::string expected = wrapped(R"({"$ref":"#/$defs/schema_test.node"})");
    expected.insert(expected.size() - 1, R"(,"$defs":{)" + node_definition + "}");
    BOOST_TEST(body(schema<schema_test::node>(data_path("root/result"))) == expected);
}

BOOST_AUTO_TEST_SUITE_END()
