// Prints validation cases for schema_validate.py, one JSON object per line:
//
//     {"name": "...", "schema": <schema<T>()>, "instance": <document>, "valid": true|false}
//
// Documents written by webhook::json::to_string from real values must validate against the
// schema of their type; documents the serializer could never write for that type (a real
// document with one thing broken, or hand-written text) must not. The last line is
// {"cases": N}, so that a run cut short cannot pass.

#include <webhook/json/schema.hpp>

#include "json/schema_types.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace json = webhook::json;
using json::empty_optional_policy;
using json::non_finite_policy;
using json::utf8_policy;
using json::write_options;
using webhook::data_path;
using webhook::path_literal;

namespace schema_test {

struct limits {
    std::int8_t i8 = 0;
    std::uint8_t u8 = 0;
    std::int16_t i16 = 0;
    std::uint16_t u16 = 0;
    std::int32_t i32 = 0;
    std::uint32_t u32 = 0;
    std::int64_t i64 = 0;
    std::uint64_t u64 = 0;
};
BOOST_DESCRIBE_STRUCT(limits, (), (i8, u8, i16, u16, i32, u32, i64, u64))

struct scalars {
    bool flag = false;
    char letter = 'a';
    double ratio = 0;
    float small = 0;
    level urgency = level::low;
    std::chrono::system_clock::time_point at;
    std::chrono::sys_days day;
    const char* note = nullptr;
    char code[8] = {};
};
BOOST_DESCRIBE_STRUCT(scalars, (), (flag, letter, ratio, small, urgency, at, day, note, code))

struct containers {
    std::vector<int> list;
    std::array<int, 3> triple{};
    int pair[2] = {};
    std::set<std::string> labels;
    std::multiset<int> counts;
    std::map<std::string, double> by_name;
    std::map<state, int> by_state;
    std::map<std::int64_t, bool> by_signed;
    std::map<std::uint32_t, bool> by_unsigned;
    std::map<char, int> by_char;
};
BOOST_DESCRIBE_STRUCT(containers, (),
                      (list, triple, pair, labels, counts, by_name, by_state, by_signed,
                       by_unsigned, by_char))

struct anything {
    std::variant<std::monostate, int, std::string, person> choice;
    std::optional<std::variant<bool, double>> maybe;
    boost::json::value raw;
    boost::json::object bag;
    boost::json::array items;
    boost::json::string text;
};
BOOST_DESCRIBE_STRUCT(anything, (), (choice, maybe, raw, bag, items, text))

/// Types of another library, written through webhook::json::adapter (specialized below).
struct money {
    std::int64_t cents = 0;
    friend auto operator<=>(const money&, const money&) = default;
};
struct stock_code {
    std::string text;
};
struct millis_since_epoch {
    std::int64_t count = 0;
};

struct order {
    stock_code sku;
    money total;
    std::optional<money> discount;
    std::vector<millis_since_epoch> times;
    std::map<money, stock_code> by_price;
};
BOOST_DESCRIBE_STRUCT(order, (), (sku, total, discount, times, by_price))

} // namespace schema_test

template <>
struct webhook::json::adapter<schema_test::money> {
    static void write_number(const schema_test::money& m, text_sink& out) {
        out.append(std::to_string(m.cents / 100));
        out.push_back('.');
        out.push_back(static_cast<char>('0' + m.cents % 100 / 10));
        out.push_back(static_cast<char>('0' + m.cents % 10));
    }
};

template <>
struct webhook::json::adapter<schema_test::stock_code> {
    static void write_string(const schema_test::stock_code& c, text_sink& out) {
        out.append(c.text);
    }
    static boost::json::object schema() {
        return {{"type", "string"}, {"pattern", "^[A-Z]{3}-[0-9]{4}$"}};
    }
};

template <>
struct webhook::json::adapter<schema_test::millis_since_epoch> {
    static std::chrono::sys_time<std::chrono::milliseconds>
    convert(const schema_test::millis_since_epoch& m) {
        return std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(m.count));
    }
};

namespace {

using namespace schema_test;

class case_printer {
public:
    case_printer() = default;
    case_printer(const case_printer&) = delete;
    case_printer& operator=(const case_printer&) = delete;

    ~case_printer() { std::printf("{\"cases\":%zu}\n", count_); }

    /// `value` as the serializer writes it: must validate.
    template <class T>
    void written(std::string_view name, const T& value, const write_options& options = {}) {
        emit(name, json::schema<T>(options), json::to_string(value, options), true);
    }

    /// `value` written under a run-time data location: must validate.
    template <class T>
    void written(std::string_view name, const data_path& path, const T& value,
                 const write_options& options = {}) {
        emit(name, json::schema<T>(path, options), json::to_string(value, path, options), true);
    }

    /// `value` written under a compile-time data location: must validate.
    template <path_literal Path, class T>
    void written_at(std::string_view name, const T& value) {
        emit(name, json::schema<Path, T>(), json::to_string<Path>(value), true);
    }

    /// The document of `value` after `edit` breaks it: must not validate.
    template <class T, class Edit>
    void broken(std::string_view name, const T& value, Edit edit,
                const write_options& options = {}) {
        boost::json::value document = boost::json::parse(json::to_string(value, options));
        edit(document);
        emit(name, json::schema<T>(options), boost::json::serialize(document), false);
    }

    /// Hand-written text the serializer never writes for a `T`: must not validate.
    template <class T>
    void refused(std::string_view name, std::string_view document,
                 const write_options& options = {}) {
        emit(name, json::schema<T>(options), document, false);
    }

    /// As above, under a data location.
    template <class T>
    void refused(std::string_view name, const data_path& path, std::string_view document) {
        emit(name, json::schema<T>(path), document, false);
    }

private:
    void emit(std::string_view name, const boost::json::value& schema, std::string_view document,
              bool valid) {
        std::string line = R"({"name":)";
        line += json::to_string(name);
        line += R"(,"schema":)";
        line += boost::json::serialize(schema);
        line += R"(,"instance":)";
        line += document; // exact bytes: written documents are not re-serialized
        line += R"(,"valid":)";
        line += valid ? "true" : "false";
        line += "}\n";
        std::fwrite(line.data(), 1, line.size(), stdout);
        ++count_;
    }

    std::size_t count_ = 0;
};

// Shorthands for edits.
auto set(std::string_view key, boost::json::value v) {
    return [key, v](boost::json::value& d) { d.as_object()[key] = v; };
}
auto erase(std::string_view key) {
    return [key](boost::json::value& d) { d.as_object().erase(key); };
}

template <class Pick>
limits all_integers(Pick pick) {
    return {pick(std::int8_t{}),   pick(std::uint8_t{}), pick(std::int16_t{}),
            pick(std::uint16_t{}), pick(std::int32_t{}), pick(std::uint32_t{}),
            pick(std::int64_t{}),  pick(std::uint64_t{})};
}

void integer_cases(case_printer& c) {
    c.written("integers at their minimum",
              all_integers([](auto v) { return std::numeric_limits<decltype(v)>::min(); }));
    c.written("integers at their maximum",
              all_integers([](auto v) { return std::numeric_limits<decltype(v)>::max(); }));
    const std::string zeros = R"({"i8":0,"u8":0,"i16":0,"u16":0,"i32":0,"u32":0,"i64":0,"u64":0})";
    const auto with = [&](std::string_view key, std::string_view number) {
        std::string d = zeros;
        const std::string field = "\"" + std::string(key) + "\":0";
        d.replace(d.find(field), field.size(),
                  "\"" + std::string(key) + "\":" + std::string(number));
        return d;
    };
    c.written("integers at zero", limits{});
    c.refused<limits>("int8 above its maximum", with("i8", "128"));
    c.refused<limits>("int8 below its minimum", with("i8", "-129"));
    c.refused<limits>("uint8 below zero", with("u8", "-1"));
    c.refused<limits>("uint16 above its maximum", with("u16", "65536"));
    c.refused<limits>("int32 above its maximum", with("i32", "2147483648"));
    c.refused<limits>("uint32 above its maximum", with("u32", "4294967296"));
    c.refused<limits>("int64 below its minimum", with("i64", "-9223372036854775809"));
    c.refused<limits>("uint64 above its maximum", with("u64", "18446744073709551616"));
    c.refused<limits>("integer with a fraction", with("i16", "1.5"));
    c.refused<limits>("integer as a string", with("u64", "\"1\""));
}

void scalar_cases(case_printer& c) {
    scalars s;
    c.written("scalars with default values", s);
    s.flag = true;
    s.letter = '"';
    s.ratio = 1e300;
    s.small = -0.0f;
    s.urgency = level::medium; // an alias: written as the first name of its value, "normal"
    s.at = std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + std::chrono::hours{21} +
           std::chrono::nanoseconds{123456789};
    s.day = std::chrono::sys_days{std::chrono::year{1} / 1 / 1};
    s.note = "a note";
    std::snprintf(s.code, sizeof s.code, "%s", "ABC");
    c.written("scalars", s);

    scalars t = s;
    t.letter = '\0';
    t.ratio = std::numeric_limits<double>::denorm_min();
    t.note = nullptr;
    c.written("scalars with a NUL character and a null c-string", t);
    t.letter = '\xFF';
    t.ratio = std::numeric_limits<double>::infinity();
    t.small = std::numeric_limits<float>::quiet_NaN();
    const write_options lenient{.non_finite = non_finite_policy::null,
                                .invalid_utf8 = utf8_policy::replace};
    c.written("scalars with non-finite numbers as null and a replaced byte", t, lenient);

    c.broken("bool as a number", s, set("flag", 1));
    c.broken("char of two characters", s, set("letter", "xy"));
    c.broken("char of no character", s, set("letter", ""));
    c.broken("number as a string", s, set("ratio", "1.5"));
    c.broken("null number while non-finite numbers are rejected", s, set("ratio", nullptr));
    c.broken("enum name not in the list", s, set("urgency", "critical"));
    c.broken("enum alias that is never written", s, set("urgency", "medium"));
    c.broken("enum as its number", s, set("urgency", 2));
    c.broken("time point as a number", s, set("at", 1795906800));
    c.broken("c-string as a number", s, set("note", 7));
    c.broken("char array as null", s, set("code", nullptr));
    c.broken("missing char array", s, erase("code"));
}

void struct_cases(case_printer& c) {
    incident i;
    i.id = "INC001";
    i.priority = 2;
    i.status = state::in_progress;
    i.caller = {"Ada \"the\" Lovelace\n", 36};
    i.tags = {"network", "p2", "\u00FCnic\u00F8de"}; // UTF-8 (the source is ASCII)
    c.written("incident", i);
    c.broken("missing required member", i, erase("priority"));
    c.broken("missing member of a described base", i, erase("id"));
    c.broken("extra member", i, set("severity", 1));
    c.broken("member under its C++ name instead of its wire name", renamed{},
             [](boost::json::value& d) {
                 auto& o = d.as_object();
                 o["short_description"] = o["shortDescription"];
                 o.erase("shortDescription");
             });
    c.broken("extra member in a nested struct", i,
             [](boost::json::value& d) { d.at("caller").as_object()["email"] = "a@b.c"; });
    c.broken("wrong type in a nested struct", i,
             [](boost::json::value& d) { d.at("caller").as_object()["age"] = "36"; });
    c.broken("wrong type in an array", i,
             [](boost::json::value& d) { d.at("tags").as_array().emplace_back(3); });
    c.refused<incident>("array instead of an object", "[]");
    c.written("wire names", renamed{1, 2, 3});
    c.written("empty struct", empty{});
    c.refused<empty>("member in an empty struct", R"({"x":1})");

    with_optionals o;
    c.written("empty optional members omitted", o);
    o.first = 7;
    o.last = "last";
    c.written("optional members with values", o);
    c.written("optional members with values, null policy", o,
              {.empty_optional = empty_optional_policy::null});
    c.written("empty optional members as null", with_optionals{},
              {.empty_optional = empty_optional_policy::null});
    c.broken("null for an optional member that is omitted when empty", with_optionals{},
             set("first", nullptr));
    c.broken("missing optional member when empty ones are written as null", with_optionals{},
             erase("first"), {.empty_optional = empty_optional_policy::null});
    c.broken("optional member of the wrong type", o, set("last", 5));
    c.written("nested optional holding an empty optional", nested_optional{std::optional<int>{}});
    c.written("nested optional holding a value", nested_optional{7});
    c.written("nested optional left out", nested_optional{});
}

void container_cases(case_printer& c) {
    containers v;
    v.list = {1, -2, 3};
    v.triple = {1, 2, 3};
    v.pair[0] = 4;
    v.pair[1] = 5;
    v.labels = {"a", "b", "c"};
    v.counts = {1, 1, 2};
    v.by_name = {{"x", 1.5}, {"", -2}};
    v.by_state = {{state::open, 1}, {state::closed, 2}};
    v.by_signed = {{-5, true}, {0, false}, {std::numeric_limits<std::int64_t>::min(), true}};
    v.by_unsigned = {{0, true}, {4294967295u, false}};
    v.by_char = {{'a', 1}, {'\n', 2}};
    c.written("containers", v);
    c.written("empty containers", containers{});
    c.broken("std::array with too few items", v,
             [](boost::json::value& d) { d.at("triple").as_array().pop_back(); });
    c.broken("std::array with too many items", v,
             [](boost::json::value& d) { d.at("triple").as_array().emplace_back(4); });
    c.broken("C array with too many items", v,
             [](boost::json::value& d) { d.at("pair").as_array().emplace_back(6); });
    c.broken("set with a repeated item", v,
             [](boost::json::value& d) { d.at("labels").as_array().emplace_back("a"); });
    c.broken("array item of the wrong type", v,
             [](boost::json::value& d) { d.at("list").as_array().emplace_back("4"); });
    c.broken("map value of the wrong type", v,
             [](boost::json::value& d) { d.at("by_name").as_object()["y"] = "1"; });
    c.broken("enum key not in the list", v,
             [](boost::json::value& d) { d.at("by_state").as_object()["reopened"] = 1; });
    c.broken("signed integer key that is not a number", v,
             [](boost::json::value& d) { d.at("by_signed").as_object()["x1"] = true; });
    c.broken("unsigned integer key with a minus sign", v,
             [](boost::json::value& d) { d.at("by_unsigned").as_object()["-1"] = true; });
    c.broken("char key of two characters", v,
             [](boost::json::value& d) { d.at("by_char").as_object()["ab"] = 1; });
    c.broken("map as an array", v, set("by_name", boost::json::array{}));

    // Where different elements can be written alike, repeated items are real output.
    c.written("set of strings made alike by U+FFFD replacement",
              std::set<std::string>{"\xFE", "\xFF"}, {.invalid_utf8 = utf8_policy::replace});
    c.written("set of doubles made alike by null for non-finite",
              std::set<double>{-std::numeric_limits<double>::infinity(),
                               std::numeric_limits<double>::infinity()},
              {.non_finite = non_finite_policy::null});
    static const char first[] = "same";
    static const char second[] = "same";
    c.written("set of pointers to equal text", std::set<const char*>{first, second});
    c.written("multiset with repeated items", std::multiset<std::string>{"a", "a"});
}

void adapter_cases(case_printer& c) {
    const order o{{"ABC-1234"},
                  {1999},
                  std::nullopt,
                  {{0}, {1'700'000'000'123}},
                  {{{250}, {"XYZ-0001"}}, {{100000}, {"XYZ-0002"}}}};
    c.written("adapted types", o);
    c.written("adapted types, empty optional as null", o,
              {.empty_optional = empty_optional_policy::null});
    order discounted = o;
    discounted.discount = money{5};
    c.written("adapted type in an optional", discounted);
    c.broken("adapted number as a string", o, set("total", "19.99"));
    c.broken("adapted string against its own pattern", o, set("sku", "abc"));
    c.broken("adapted conversion to a time point given a number", o,
             [](boost::json::value& d) { d.at("times").as_array().emplace_back(5); });
    c.broken("adapted number key that is no number", o,
             [](boost::json::value& d) { d.at("by_price").as_object()["2,50"] = "XYZ-0003"; });
    c.broken("adapted number key with a leading zero", o,
             [](boost::json::value& d) { d.at("by_price").as_object()["02.50"] = "XYZ-0003"; });
    c.refused<money>("adapted number as text", R"("19.99")");
}

void anything_cases(case_printer& c) {
    anything a;
    a.raw = boost::json::parse(R"({"any":[1,"two",null,{"three":3.5}],"u":18446744073709551615})");
    a.bag = {{"k", "v"}};
    a.items = {1, nullptr, "x"};
    a.text = "text";
    c.written("variant holding monostate, empty optional", a);
    a.choice = 42;
    a.maybe = true;
    a.raw = "a string";
    c.written("variant holding int, optional variant holding bool", a);
    a.choice = std::string("forty-two");
    a.maybe = 2.5;
    a.raw = nullptr;
    c.written("variant holding string, optional variant holding double", a);
    a.choice = person{"Grace", 85};
    c.written("variant holding a struct", a);
    c.broken("variant value matching no alternative", a, set("choice", true));
    c.broken("variant struct with an extra member", a,
             [](boost::json::value& d) { d.at("choice").as_object()["x"] = 1; });
    c.broken("optional variant matching no alternative", a, set("maybe", "x"));
    c.broken("json object as an array", a, set("bag", boost::json::array{}));
    c.broken("json array as an object", a, set("items", boost::json::object{}));
    c.broken("json string as a number", a, set("text", 1));
}

node sample_tree() {
    const node leaf{"leaf", {}};
    const node middle{"middle", {leaf, leaf}};
    return node{"root", {middle, node{"other", {}}}};
}

void recursion_cases(case_printer& c) {
    const node sample = sample_tree();
    c.written("recursive struct, three levels", sample);
    c.broken("recursive struct with an extra member two levels down", sample,
             [](boost::json::value& d) {
                 d.at("children").at(0).at("children").at(1).as_object()["x"] = 1;
             });
    c.broken("recursive struct with a wrong type two levels down", sample,
             [](boost::json::value& d) {
                 d.at("children").at(0).at("children").at(0).as_object()["name"] = 1;
             });
    c.written("struct around a recursive one", outline{"t", sample, std::nullopt});
    c.written("struct around a recursive one, both used", outline{"t", sample, sample});
    c.broken("struct around a recursive one, bad inside the second use",
             outline{"t", sample, sample}, [](boost::json::value& d) {
                 d.at("appendix").at("children").at(1).as_object().erase("children");
             });

    folder top{"top", {entry{"a", {folder{"inner", {entry{"b", {}}}}}}, entry{"c", {}}}};
    c.written("mutually recursive structs", top);
    c.broken("mutually recursive structs, bad three levels down", top, [](boost::json::value& d) {
        d.at("entries").at(0).at("subfolders").at(0).at("entries").at(0).as_object()["name"] =
            nullptr;
    });

    expression e{"+", {1, expression{"*", {2, 3}}, std::nullopt}};
    c.written("recursion through variant and optional", e);
    c.broken("recursion through variant and optional, bad operand", e,
             [](boost::json::value& d) { d.at("operands").at(1).at("operands").at(0) = "2"; });

    nested_list list;
    list.resize(2);
    list[0].resize(1);
    list[0][0].resize(3);
    c.written("class deriving from a container of itself", list);
    c.refused<nested_list>("class deriving from a container of itself, number inside",
                           "[[[],[1]]]");

    using tree_of_int = schema_test::tree<int>;
    tree_of_int t{1, {{"a", tree_of_int{2, {{"b", tree_of_int{3, {}}}}}}}};
    c.written("template struct recursive through a map", t);
    c.broken("template struct recursive through a map, bad value inside", t,
             [](boost::json::value& d) { d.at("children").at("a").as_object()["value"] = 1.5; });

    two_chains chains;
    chains.first.more.resize(2);
    chains.second.more.resize(1);
    chains.second.more[0].more.resize(1);
    c.written("two recursive types with the same sanitized name", chains);
}

void data_path_cases(case_printer& c) {
    incident i;
    i.id = "INC001";
    i.priority = 2;
    const data_path path("root/result");
    c.written("payload under a data path", path, i);
    c.written("recursive payload under a data path", path, sample_tree());
    c.written("number under a data path", path, 5);
    c.written("optional members as null under a data path", path, with_optionals{},
              {.empty_optional = empty_optional_policy::null});
    c.written_at<"root/result">("payload under a compile-time data path", i);
    c.written_at<"/a b/\"q\"/">("payload under a compile-time data path with odd segments", i);
    c.written("payload under one segment", data_path("data"), i);

    const std::string payload = json::to_string(i);
    c.refused<incident>("payload not wrapped", path, payload);
    c.refused<incident>("payload wrapped in the first segment only", path,
                        R"({"root":)" + payload + "}");
    c.refused<incident>("payload wrapped under a wrong name", path,
                        R"({"root":{"results":)" + payload + "}}");
    c.refused<incident>("payload wrapped in the wrong order", path,
                        R"({"result":{"root":)" + payload + "}}");
    c.refused<incident>("extra member beside the outer segment", path,
                        R"({"root":{"result":)" + payload + R"(},"extra":1})");
    c.refused<incident>("extra member beside the inner segment", path,
                        R"({"root":{"result":)" + payload + R"(,"extra":1}})");
    c.refused<incident>("wrapper without the payload", path, R"({"root":{}})");
    c.refused<node>("bad recursive payload under a data path", path,
                    R"({"root":{"result":{"name":"n","children":[{"name":1,"children":[]}]}}})");
}

} // namespace

int main() {
    case_printer c;
    integer_cases(c);
    scalar_cases(c);
    struct_cases(c);
    container_cases(c);
    anything_cases(c);
    adapter_cases(c);
    recursion_cases(c);
    data_path_cases(c);
}
