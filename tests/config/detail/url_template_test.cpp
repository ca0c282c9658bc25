#include <webhook/config/detail/url_template.hpp>

#define BOOST_TEST_MODULE detail_url_template
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <boost/describe.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

using webhook::detail::url_template;

namespace test {

struct incident {
    std::string id;
    int priority = 0;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state))

enum class phase { new_, in_progress, on_hold };
BOOST_DESCRIBE_ENUM(phase, new_, in_progress, on_hold)

struct ticket {
    std::string short_description;
    std::string custom_field;
    phase current_phase = phase::new_;
};
BOOST_DESCRIBE_STRUCT(ticket, (), (short_description, custom_field, current_phase))

struct scalars {
    bool flag = false;
    char letter = 'a';
    signed char small = 0;
    unsigned char byte = 0;
    short s = 0;
    std::int64_t big = 0;
    unsigned long long huge = 0;
    const char* text = nullptr;
    std::string_view view;
    double ratio = 0;
    std::vector<int> list;
    std::optional<std::string> maybe;
    incident nested;
    std::chrono::system_clock::time_point when;
};
BOOST_DESCRIBE_STRUCT(scalars, (),
                      (flag, letter, small, byte, s, big, huge, text, view, ratio, list, maybe,
                       nested, when))

struct tenant_base {
    std::string tenant;
};
BOOST_DESCRIBE_STRUCT(tenant_base, (), (tenant))

struct tenant_event : tenant_base {
    int number = 0;
};
BOOST_DESCRIBE_STRUCT(tenant_event, (tenant_base), (number))

class private_event {
public:
    explicit private_event(std::string key) : key_(std::move(key)) {}

private:
    std::string key_;
    BOOST_DESCRIBE_CLASS(private_event, (), (), (), (key_))
};

} // namespace test

template <>
struct webhook::json::wire_names<test::ticket> {
    static constexpr auto policy = webhook::json::naming::camel_case;
    static constexpr webhook::json::rename renames[] = {{"custom_field", "u_custom-field"}};
};

template <>
struct webhook::json::wire_names<test::phase> {
    static constexpr auto policy = webhook::json::naming::kebab_case;
    static constexpr webhook::json::rename renames[] = {{"new_", "new"}};
};

template <>
struct webhook::json::wire_names<test::private_event> {
    static constexpr auto policy = webhook::json::naming::snake_case;
};

namespace {

/// The answer of url_template::parse or check: a message, or nothing. Printable.
struct outcome {
    std::optional<std::string> error;
    friend bool operator==(const outcome&, const outcome&) = default;
    friend std::ostream& operator<<(std::ostream& os, const outcome& p) {
        return p.error ? os << "error \"" << *p.error << '"' : os << "ok";
    }
};

outcome fails(std::string message) {
    return {std::move(message)};
}

outcome parse_error(std::string_view text) {
    auto r = url_template::parse(text);
    return r ? outcome{} : fails(r.error());
}

template <class Event>
outcome check(const url_template& t) {
    return {t.check<Event>()};
}

url_template parse(std::string_view text) {
    auto r = url_template::parse(text);
    BOOST_REQUIRE_MESSAGE(r.has_value(), "parse failed: " << (r ? "" : r.error()));
    return std::move(*r);
}

/// What a failed expansion says: its error and the sentence `why`.
struct refusal {
    boost::system::error_code error;
    std::string why;
    friend bool operator==(const refusal&, const refusal&) = default;
    friend std::ostream& operator<<(std::ostream& os, const refusal& r) {
        return os << r.error.message() << " \"" << r.why << '"';
    }
};

template <class Event>
refusal refusal_of(const url_template& t, const Event& ev) {
    std::string out, why;
    const boost::system::error_code ec = t.expand_target(ev, out, &why);
    return {ec, why};
}

refusal dot_segment(std::string_view placeholder, std::string_view segment) {
    return {webhook::error::url_placeholder_dot_segment,
            "placeholder {" + std::string(placeholder) + "}: the value makes the path segment \"" +
                std::string(segment) + "\", which receivers resolve to another resource"};
}

template <class Event>
std::string expand(const url_template& t, const Event& ev) {
    std::string out;
    const boost::system::error_code ec = t.expand_target(ev, out);
    BOOST_REQUIRE_MESSAGE(!ec, "expand_target failed: " << ec.message());
    return out;
}

const test::incident inc001{"INC001", 2, "new"};

} // namespace

BOOST_AUTO_TEST_SUITE(without_placeholders)

BOOST_AUTO_TEST_CASE(plain_url_is_an_endpoint_url) {
    const url_template t = parse("https://itsm.example.com:8443/api/now/table/incident?x=1");
    BOOST_TEST(!t.has_placeholders());
    BOOST_TEST(t.url().target() == "/api/now/table/incident?x=1");
    BOOST_TEST(t.origin().tls);
    BOOST_TEST(t.origin().host == "itsm.example.com");
    BOOST_TEST(t.origin().port == 8443u);
    BOOST_TEST(t.host_header() == "itsm.example.com:8443");
    BOOST_TEST(expand(t, inc001) == "/api/now/table/incident?x=1");
}

BOOST_AUTO_TEST_CASE(plain_url_expands_to_the_endpoint_url_target) {
    for (const char* text : {"http://h", "http://h/", "http://h?", "http://h?a=1", "http://h#f",
                             "http://h/a%2Fb/c%20d/?q=%E2%82%AC&x=1+2&empty=#frag",
                             "http://[::1]:8080/x", "https://h/p?"}) {
        const url_template t = parse(text);
        BOOST_TEST(expand(t, inc001) == webhook::endpoint_url(text).target(), text);
        BOOST_TEST(t.url().target() == webhook::endpoint_url(text).target(), text);
        BOOST_TEST(t.host_header() == webhook::endpoint_url(text).host_header(), text);
        BOOST_TEST((t.origin() == webhook::endpoint_url(text).origin()), text);
    }
}

BOOST_AUTO_TEST_CASE(plain_url_checks_against_any_event) {
    const url_template t = parse("http://h/x");
    BOOST_TEST(!t.check<test::incident>().has_value());
    BOOST_TEST(!t.check<test::scalars>().has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(expansion)

BOOST_AUTO_TEST_CASE(placeholders_in_path_and_query_take_member_values) {
    const url_template t = parse("https://itsm.example.com/api/incidents/{id}?note={state}");
    BOOST_TEST(t.has_placeholders());
    BOOST_TEST(!t.check<test::incident>().has_value());
    BOOST_TEST(expand(t, inc001) == "/api/incidents/INC001?note=new");
    BOOST_TEST(t.origin().host == "itsm.example.com");
    BOOST_TEST(t.origin().port == 443u);
    BOOST_TEST(t.host_header() == "itsm.example.com");
}

BOOST_AUTO_TEST_CASE(expansion_appends_to_out) {
    const url_template t = parse("http://h/i/{id}");
    std::string out = "POST ";
    BOOST_TEST(!t.expand_target(inc001, out));
    BOOST_TEST(out == "POST /i/INC001");
}

BOOST_AUTO_TEST_CASE(expansion_does_not_allocate_when_out_has_capacity) {
    const url_template t = parse("http://h/api/{id}/p/{priority}?s={state}&again={id}");
    std::string out;
    out.reserve(200);
    const char* const data = out.data();
    const std::size_t capacity = out.capacity();
    for (int i = 0; i < 3; ++i) {
        out.clear();
        BOOST_TEST(!t.expand_target(inc001, out));
    }
    BOOST_TEST(out == "/api/INC001/p/2?s=new&again=INC001");
    BOOST_TEST(static_cast<const void*>(out.data()) == static_cast<const void*>(data));
    BOOST_TEST(out.capacity() == capacity);
}

BOOST_AUTO_TEST_CASE(literal_parts_are_kept_byte_exact) {
    const url_template t = parse("http://h/a%2Fb/{id}/c%20d?q=%E2%82%AC&x={priority}&y=1+2&e=");
    BOOST_TEST(expand(t, inc001) == "/a%2Fb/INC001/c%20d?q=%E2%82%AC&x=2&y=1+2&e=");
}

BOOST_AUTO_TEST_CASE(empty_path_before_a_query_placeholder_is_sent_as_slash) {
    BOOST_TEST(expand(parse("http://h?incident={id}"), inc001) == "/?incident=INC001");
}

BOOST_AUTO_TEST_CASE(fragment_is_not_sent) {
    BOOST_TEST(expand(parse("http://h/{id}#top"), inc001) == "/INC001");
    BOOST_TEST(expand(parse("http://h/x?a={id}#"), inc001) == "/x?a=INC001");
}

BOOST_AUTO_TEST_CASE(adjacent_and_repeated_placeholders) {
    BOOST_TEST(expand(parse("http://h/{id}{priority}{state}"), inc001) == "/INC0012new");
    BOOST_TEST(expand(parse("http://h/{id}/{id}?{id}={id}"), inc001) ==
               "/INC001/INC001?INC001=INC001");
}

BOOST_AUTO_TEST_CASE(empty_value_leaves_nothing) {
    const test::incident empty{"", 0, ""};
    BOOST_TEST(expand(parse("http://h/i/{id}/x?s={state}"), empty) == "/i//x?s=");
}

BOOST_AUTO_TEST_CASE(values_are_percent_encoded_so_they_cannot_change_the_url_shape) {
    const url_template t = parse("http://h/i/{id}?s={state}");
    const test::incident nasty{"a b/c?d#e;f", 0, "x&y=z%41+~-._/../"};
    BOOST_TEST(expand(t, nasty) == "/i/a%20b%2Fc%3Fd%23e%3Bf?s=x%26y%3Dz%2541%2B~-._%2F..%2F");
}

BOOST_AUTO_TEST_CASE(every_byte_but_unreserved_ones_is_percent_encoded_in_uppercase_hex) {
    std::string all;
    for (int b = 0; b < 256; ++b)
        all += static_cast<char>(b);
    std::string expected = "/";
    constexpr char hex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        const bool unreserved = (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') ||
                                (b >= '0' && b <= '9') || b == '-' || b == '.' || b == '_' ||
                                b == '~';
        if (unreserved) {
            expected += static_cast<char>(b);
        } else {
            expected += '%';
            expected += hex[b >> 4];
            expected += hex[b & 15];
        }
    }
    BOOST_TEST(expand(parse("http://h/{id}"), test::incident{all, 0, ""}) == expected);
    // Spot checks, independent of the loop above.
    const std::string sample("\xC3\xA9\x00\x7F"
                             "Az09",
                             8); // with its NUL
    BOOST_TEST(expand(parse("http://h/{id}"), test::incident{sample, 0, ""}) ==
               "/%C3%A9%00%7FAz09");
}

BOOST_AUTO_TEST_CASE(supported_scalar_types_are_written_as_in_json) {
    test::scalars v;
    v.flag = true;
    v.letter = '/';
    v.small = -5;
    v.byte = 200;
    v.s = -32768;
    v.big = std::numeric_limits<std::int64_t>::min();
    v.huge = std::numeric_limits<unsigned long long>::max();
    v.text = "a b";
    v.view = "v&w";
    const url_template t = parse("http://h/{flag}/{letter}/{small}/{byte}/{s}?b={big}&h={huge}"
                                 "&t={text}&v={view}");
    BOOST_TEST(!t.check<test::scalars>().has_value());
    BOOST_TEST(expand(t, v) == "/true/%2F/-5/200/-32768?b=-9223372036854775808"
                               "&h=18446744073709551615&t=a%20b&v=v%26w");
    v.flag = false;
    BOOST_TEST(expand(parse("http://h/{flag}"), v) == "/false");
}

BOOST_AUTO_TEST_CASE(null_c_string_is_an_empty_value) {
    const test::scalars v;
    BOOST_TEST(expand(parse("http://h/x{text}y"), v) == "/xy");
}

BOOST_AUTO_TEST_CASE(placeholders_match_wire_names_with_policy_and_renames) {
    const url_template t =
        parse("http://h/t/{shortDescription}?f={u_custom-field}&p={currentPhase}");
    BOOST_TEST(!t.check<test::ticket>().has_value());
    const test::ticket ev{"disk full", "x", test::phase::in_progress};
    BOOST_TEST(expand(t, ev) == "/t/disk%20full?f=x&p=in-progress");
}

BOOST_AUTO_TEST_CASE(enums_are_written_by_their_wire_names) {
    const url_template t = parse("http://h/{currentPhase}");
    BOOST_TEST(expand(t, test::ticket{"", "", test::phase::new_}) == "/new");
    BOOST_TEST(expand(t, test::ticket{"", "", test::phase::in_progress}) == "/in-progress");
    BOOST_TEST(expand(t, test::ticket{"", "", test::phase::on_hold}) == "/on-hold");
}

BOOST_AUTO_TEST_CASE(enum_value_without_a_name_is_an_error) {
    const url_template t = parse("http://h/{currentPhase}");
    std::string out;
    const test::ticket ev{"", "", static_cast<test::phase>(42)};
    BOOST_TEST(t.expand_target(ev, out) == webhook::error::unnamed_enum_value);
}

BOOST_AUTO_TEST_CASE(inherited_members_can_be_placeholders) {
    const url_template t = parse("http://h/{tenant}/{number}");
    BOOST_TEST(!t.check<test::tenant_event>().has_value());
    test::tenant_event ev;
    ev.tenant = "acme";
    ev.number = 7;
    BOOST_TEST(expand(t, ev) == "/acme/7");
}

BOOST_AUTO_TEST_CASE(private_described_members_can_be_placeholders) {
    const url_template t = parse("http://h/k/{key}");
    BOOST_TEST(!t.check<test::private_event>().has_value());
    BOOST_TEST(expand(t, test::private_event("K 1")) == "/k/K%201");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(binding)

BOOST_AUTO_TEST_CASE(placeholder_naming_no_member_is_reported) {
    BOOST_TEST(check<test::incident>(parse("http://h/{idd}")) ==
               fails("placeholder {idd} names no member of the event"));
    BOOST_TEST(check<test::incident>(parse("http://h/{id}?x={ID}")) ==
               fails("placeholder {ID} names no member of the event"));
}

BOOST_AUTO_TEST_CASE(placeholder_must_use_the_wire_name_not_the_member_name) {
    BOOST_TEST(check<test::ticket>(parse("http://h/{short_description}")) ==
               fails("placeholder {short_description} names no member of the event"));
    BOOST_TEST(check<test::ticket>(parse("http://h/{custom_field}")) ==
               fails("placeholder {custom_field} names no member of the event"));
    BOOST_TEST(check<test::private_event>(parse("http://h/{key_}")) ==
               fails("placeholder {key_} names no member of the event"));
}

BOOST_AUTO_TEST_CASE(members_that_cannot_go_in_a_url_are_reported) {
    for (const char* name : {"ratio", "list", "maybe", "nested", "when"}) {
        const url_template t = parse("http://h/?v={" + std::string(name) + "}");
        BOOST_TEST(check<test::scalars>(t) ==
                       fails("placeholder {" + std::string(name) +
                             "} names a member whose type cannot go in a URL"),
                   name);
    }
}

BOOST_AUTO_TEST_CASE(the_first_bad_placeholder_is_reported) {
    BOOST_TEST(check<test::incident>(parse("http://h/{id}/{nope}/{ratio}")) ==
               fails("placeholder {nope} names no member of the event"));
}

BOOST_AUTO_TEST_CASE(expanding_an_unchecked_template_fails_cleanly) {
    std::string out;
    BOOST_TEST(parse("http://h/{idd}").expand_target(inc001, out) ==
               boost::system::errc::invalid_argument);
    out.clear();
    BOOST_TEST(parse("http://h/{ratio}").expand_target(test::scalars{}, out) ==
               boost::system::errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(why_names_the_placeholder_of_every_failure) {
    BOOST_TEST(refusal_of(parse("http://h/{idd}"), inc001) ==
               (refusal{boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                        "placeholder {idd} names no member of the event"}));
    BOOST_TEST(refusal_of(parse("http://h/{ratio}"), test::scalars{}) ==
               (refusal{boost::system::errc::make_error_code(boost::system::errc::invalid_argument),
                        "placeholder {ratio} names a member whose type cannot go in a URL"}));
    BOOST_TEST(refusal_of(parse("http://h/{currentPhase}"),
                          test::ticket{"", "", static_cast<test::phase>(42)}) ==
               (refusal{webhook::error::unnamed_enum_value,
                        "placeholder {currentPhase}: the enum value has no described name"}));
}

BOOST_AUTO_TEST_CASE(placeholder_names_in_messages_are_escaped_as_valid_utf8) {
    // Bytes that are not UTF-8 (a lone continuation, a truncated or overlong sequence, a
    // surrogate) and control characters are written \xNN; other text is kept.
    const std::pair<std::string, std::string> names[] = {
        {"i\xffz", R"(i\xFFz)"},
        {"\x80", R"(\x80)"},
        {"x\xE2\x82", R"(x\xE2\x82)"},
        {"\xC0\xAE", R"(\xC0\xAE)"},
        {"\xED\xA0\x80", R"(\xED\xA0\x80)"},
        {"a\x01\x7F", R"(a\x01\x7F)"},
        {"\"q\"", R"(\x22q\x22)"},
        {"état", "état"},
    };
    for (const auto& [name, shown] : names) {
        const url_template t = parse("http://h/" + std::string("{") + name + "}");
        BOOST_TEST(check<test::incident>(t) ==
                       fails("placeholder {" + shown + "} names no member of the event"),
                   shown);
        BOOST_TEST(refusal_of(t, inc001).why ==
                   "placeholder {" + shown + "} names no member of the event");
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(dot_segments)

BOOST_AUTO_TEST_CASE(a_value_that_is_a_dot_segment_is_refused_naming_the_placeholder) {
    // Receivers and proxies resolve /incidents/../comments to /comments: event data would
    // choose another resource.
    const url_template t = parse("https://itsm.example.com/incidents/{id}/comments");
    BOOST_TEST(refusal_of(t, test::incident{"..", 0, ""}) == dot_segment("id", ".."));
    BOOST_TEST(refusal_of(t, test::incident{".", 0, ""}) == dot_segment("id", "."));
    std::string out;
    BOOST_TEST(t.expand_target(test::incident{"..", 0, ""}, out) ==
               webhook::error::url_placeholder_dot_segment);
    // At the end of the path, before a query, alone in the path.
    BOOST_TEST(refusal_of(parse("http://h/i/{id}"), test::incident{"..", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/i/{id}?x=1"), test::incident{"..", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/{id}"), test::incident{".", 0, ""}) ==
               dot_segment("id", "."));
    BOOST_TEST(refusal_of(parse("http://h/{priority}/{state}"), test::incident{"", 1, ".."}) ==
               dot_segment("state", ".."));
}

BOOST_AUTO_TEST_CASE(dot_segments_behind_encoded_separators_are_refused) {
    // Many servers decode %2F (and %5C, a backslash) before they resolve dot segments: the
    // encoding of '/' does not keep "../admin" in one segment there.
    const url_template t = parse("http://h/i/{id}/x");
    for (const char* id : {"../admin", "a/../b", "x/..", "a\\..\\b", "./a", "a/."})
        BOOST_TEST(refusal_of(t, test::incident{id, 0, ""}).error ==
                       webhook::error::url_placeholder_dot_segment,
                   id);
    BOOST_TEST(refusal_of(t, test::incident{"a/./b", 0, ""}) == dot_segment("id", "."));
}

BOOST_AUTO_TEST_CASE(values_that_make_a_dot_segment_with_the_template_text_are_refused) {
    // The template's own text and a value together: '.', an escaped dot, an empty value.
    BOOST_TEST(refusal_of(parse("http://h/files/.{id}/x"), test::incident{"", 0, ""}) ==
               dot_segment("id", "."));
    BOOST_TEST(refusal_of(parse("http://h/files/.{id}"), test::incident{".", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/files/{id}.?x=1"), test::incident{".", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/f/%2E{id}/x"), test::incident{".", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/f/%2e{id}/x"), test::incident{"", 0, ""}) ==
               dot_segment("id", "."));
    BOOST_TEST(refusal_of(parse("http://h/f/{id}{state}/x"), test::incident{".", 0, "."}) ==
               dot_segment("id", ".."));
    // The value with text in it is named, not the empty one beside it.
    BOOST_TEST(refusal_of(parse("http://h/f/{id}{state}/x"), test::incident{"", 0, ".."}) ==
               dot_segment("state", ".."));
    // A path parameter, which servers such as Tomcat drop before resolving: "..;v=1" is "..".
    BOOST_TEST(refusal_of(parse("http://h/f/{id};v=1/x"), test::incident{"..", 0, ""}) ==
               dot_segment("id", ".."));
    BOOST_TEST(refusal_of(parse("http://h/f/{id}/x"), test::incident{"..;v=1", 0, ""}) ==
               dot_segment("id", ".."));
}

BOOST_AUTO_TEST_CASE(a_char_or_an_enum_wire_name_can_make_a_dot_segment_too) {
    test::scalars v;
    v.letter = '.';
    BOOST_TEST(refusal_of(parse("http://h/x/{letter}/y"), v) == dot_segment("letter", "."));
    v.text = "..";
    BOOST_TEST(refusal_of(parse("http://h/x/{text}"), v) == dot_segment("text", ".."));
}

BOOST_AUTO_TEST_CASE(dots_that_make_no_dot_segment_pass) {
    const url_template t = parse("http://h/i/{id}/x");
    for (const char* id : {"...", ".a", "a.", "..a", "1.2.3", ". ", "a..b", ".../x"})
        BOOST_TEST(refusal_of(t, test::incident{id, 0, ""}).error == boost::system::error_code(),
                   id);
    BOOST_TEST(expand(t, test::incident{"...", 0, ""}) == "/i/.../x");
    // The query has no segments: nothing there is resolved.
    BOOST_TEST(expand(parse("http://h/i?x={id}&{state}"), test::incident{"..", 0, "."}) ==
               "/i?x=..&.");
    BOOST_TEST(expand(parse("http://h?{id}"), test::incident{"..", 0, ""}) == "/?..");
    // Dot segments the template writes itself are the operator's, not the event's.
    BOOST_TEST(expand(parse("http://h/a/../b/{id}"), inc001) == "/a/../b/INC001");
    BOOST_TEST(expand(parse("http://h/a/..;{id}/b"), test::incident{"..", 0, ""}) == "/a/..;../b");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(parse_errors)

BOOST_AUTO_TEST_CASE(unbalanced_braces_are_refused) {
    BOOST_TEST(parse_error("http://h/{id") == fails("unclosed '{'"));
    BOOST_TEST(parse_error("http://h/{") == fails("unclosed '{'"));
    BOOST_TEST(parse_error("http://h/{i{d}") == fails("unclosed '{'"));
    BOOST_TEST(parse_error("http://h/id}") == fails("unmatched '}'"));
    BOOST_TEST(parse_error("http://h/{id}}") == fails("unmatched '}'"));
    BOOST_TEST(parse_error("}http://h/") == fails("unmatched '}'"));
}

BOOST_AUTO_TEST_CASE(empty_placeholder_is_refused) {
    BOOST_TEST(parse_error("http://h/{}") == fails("empty placeholder name"));
    BOOST_TEST(parse_error("http://h/?a={}") == fails("empty placeholder name"));
}

BOOST_AUTO_TEST_CASE(placeholders_in_scheme_or_authority_are_refused) {
    BOOST_TEST(parse_error("{scheme}://h/") == fails("placeholder in the scheme is not allowed"));
    BOOST_TEST(parse_error("ht{x}tp://h/") == fails("placeholder in the scheme is not allowed"));
    for (const char* text : {"https://{host}/x", "https://api.{region}.example.com/x",
                             "http://h{id}/x", "http://h:{port}/", "http://{user}@h/",
                             "http:{id}//h/", "http:/{id}/h/", "http://h{id}?x=1"})
        BOOST_TEST(parse_error(text) == fails("placeholder in the host is not allowed"), text);
}

BOOST_AUTO_TEST_CASE(placeholder_in_the_fragment_is_refused) {
    BOOST_TEST(parse_error("http://h/p#{id}") ==
               fails("placeholder in the fragment is not allowed"));
    BOOST_TEST(parse_error("http://h#x{id}") ==
               fails("placeholder in the fragment is not allowed"));
}

BOOST_AUTO_TEST_CASE(url_errors_become_messages) {
    BOOST_TEST(parse_error("ftp://h/{id}") == fails("scheme must be http or https"));
    BOOST_TEST(parse_error("ws://h/") == fails("scheme must be http or https"));
    BOOST_TEST(parse_error("https://user:pass@h/{id}") ==
               fails("credentials in the URL are not allowed; configure authentication instead"));
    for (const char* text :
         {"", "h/{id}", "/relative/{id}", "http://", "http:///{id}", "http://h:99999/{id}",
          "http://h/a b/{id}", "http://h/{id} ", "http:/x/{id}", "http:x?{id}", "http://[::1/{id}"})
        BOOST_TEST(parse_error(text) == fails("not a valid URL"), text);
}

BOOST_AUTO_TEST_CASE(messages_never_quote_the_url) {
    for (const char* text : {"ftp://h/p?token=s3cr3t&{id}", "https://u:s3cr3t@h/{id}",
                             "https://{s3cr3t}/", "http://h/{s3cr3t", "http://h/s3cr3t}",
                             "http://h/s3cr3t /{id}", "http://h/{}?k=s3cr3t"}) {
        const outcome p = parse_error(text);
        BOOST_REQUIRE_MESSAGE(p.error.has_value(), text);
        BOOST_TEST(p.error->find("s3cr3t") == std::string::npos, text);
    }
}

BOOST_AUTO_TEST_SUITE_END()
