#include <webhook/data_path.hpp>

#define BOOST_TEST_MODULE data_path
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <string>
#include <string_view>
#include <utility>

using webhook::data_path;

BOOST_AUTO_TEST_CASE(two_segments_wrap_payload_in_two_objects) {
    const data_path p("root/result");
    BOOST_TEST(p.text() == "root/result");
    BOOST_TEST(p.prefix() == R"({"root":{"result":)");
    BOOST_TEST(p.suffix() == "}}");
    BOOST_TEST(p.depth() == 2u);
    BOOST_TEST(!p.empty());
}

BOOST_AUTO_TEST_CASE(empty_text_and_lone_slash_are_the_empty_path) {
    for (const char* text : {"", "/", "   ", " / ", "\t\n"}) {
        const data_path p(text);
        BOOST_TEST(p.empty());
        BOOST_TEST(p.prefix() == "");
        BOOST_TEST(p.suffix() == "");
        BOOST_TEST(p.depth() == 0u);
    }
    BOOST_TEST(data_path().empty());
}

BOOST_AUTO_TEST_CASE(outer_whitespace_and_one_outer_slash_are_ignored) {
    for (const char* text : {"/root/result", "root/result/", "/root/result/", "  root/result\n"})
        BOOST_TEST(data_path(text) == data_path("root/result"));
}

BOOST_AUTO_TEST_CASE(inner_spaces_are_kept_byte_for_byte) {
    const data_path p("my root/ result");
    BOOST_TEST(p.prefix() == R"({"my root":{" result":)");
}

BOOST_AUTO_TEST_CASE(segment_names_are_json_escaped) {
    const data_path p("a\"b/c\\d");
    BOOST_TEST(p.prefix() == R"({"a\"b":{"c\\d":)");
}

BOOST_AUTO_TEST_CASE(non_ascii_segments_pass_through) {
    const data_path p("résultat/数据");
    BOOST_TEST(p.prefix() == "{\"résultat\":{\"数据\":");
}

BOOST_AUTO_TEST_CASE(single_segment) {
    const data_path p("event");
    BOOST_TEST(p.prefix() == R"({"event":)");
    BOOST_TEST(p.suffix() == "}");
}

BOOST_AUTO_TEST_CASE(empty_segment_is_an_error_naming_its_offset) {
    const auto r = data_path::parse("root//result");
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code == webhook::error::empty_path_segment);
    BOOST_TEST(r.error().offset == 5u);
    BOOST_TEST(r.error().message() == R"(data location "root//result": empty segment at offset 5)");
}

BOOST_AUTO_TEST_CASE(double_slash_alone_is_an_empty_segment) {
    const auto r = data_path::parse("//");
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code == webhook::error::empty_path_segment);
    BOOST_TEST(r.error().offset == 1u);
}

BOOST_AUTO_TEST_CASE(extra_outer_slashes_are_empty_segments) {
    BOOST_TEST(data_path::parse("//root").error().offset == 1u);
    BOOST_TEST(data_path::parse("root//").error().offset == 5u);
}

BOOST_AUTO_TEST_CASE(nul_and_control_characters_are_errors_naming_their_offset) {
    using namespace std::string_literals;
    const auto nul = data_path::parse("root/\0x"s);
    BOOST_REQUIRE(nul.has_error());
    BOOST_TEST(nul.error().code == webhook::error::control_character_in_path);
    BOOST_TEST(nul.error().offset == 5u);
    BOOST_TEST(nul.error().message() ==
               R"(data location "root/\x00x": control character at offset 5)");

    const auto del = data_path::parse("a\x7f");
    BOOST_TEST(del.error().code == webhook::error::control_character_in_path);
    BOOST_TEST(del.error().offset == 1u);

    const auto tab = data_path::parse("a\tb");
    BOOST_TEST(tab.error().code == webhook::error::control_character_in_path);
    BOOST_TEST(tab.error().offset == 1u);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_an_error_naming_its_offset) {
    const auto r = data_path::parse("ok/\xC3\x28");
    BOOST_REQUIRE(r.has_error());
    BOOST_TEST(r.error().code == webhook::error::invalid_utf8);
    BOOST_TEST(r.error().offset == 3u);
}

BOOST_AUTO_TEST_CASE(offsets_count_from_the_text_as_given) {
    BOOST_TEST(data_path::parse("  /a//b").error().offset == 5u);
}

BOOST_AUTO_TEST_CASE(throwing_constructor_throws_system_error_with_the_message) {
    try {
        data_path p("root//result");
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::empty_path_segment);
        // The words of data_path::parse's message, then the error code's own.
        BOOST_TEST(std::string(e.what()).starts_with(
            R"(data location "root//result": empty segment at offset 5: data location has an )"
            "empty segment"));
    }
}

BOOST_AUTO_TEST_CASE(throwing_and_non_throwing_forms_word_each_problem_the_same) {
    using namespace std::string_literals;
    for (const std::string& text : {"root//result"s, "root/\x01"s, "ok/\xC3\x28"s}) {
        const auto parsed = data_path::parse(text);
        BOOST_REQUIRE(parsed.has_error());
        try {
            data_path p(text);
            BOOST_FAIL("no exception");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == parsed.error().code);
            BOOST_TEST(std::string(e.what()).starts_with(parsed.error().message() + ": " +
                                                         e.code().message()),
                       e.what());
        }
    }
}

BOOST_AUTO_TEST_CASE(invalid_utf8_is_escaped_in_the_message_as_control_characters_are) {
    // Each byte that is not part of well-formed UTF-8 is written \xNN, as a control character
    // is: the message itself is always valid, printable UTF-8.
    const std::pair<std::string, std::string> cases[] = {
        {"a\xffz", R"(data location "a\xFFz": invalid UTF-8 at offset 1)"},
        {"a\x80z", R"(data location "a\x80z": invalid UTF-8 at offset 1)"}, // lone continuation
        {"ab\xE2\x82", R"(data location "ab\xE2\x82": invalid UTF-8 at offset 2)"}, // truncated
        {"a\xC0\xAFz", R"(data location "a\xC0\xAFz": invalid UTF-8 at offset 1)"}, // overlong '/'
        {"a\xE0\x80\xAE",
         R"(data location "a\xE0\x80\xAE": invalid UTF-8 at offset 1)"}, // overlong
        {"a\xED\xA0\x80z",
         R"(data location "a\xED\xA0\x80z": invalid UTF-8 at offset 1)"}, // surrogate
        {"a\xF4\x90\x80\x80", R"(data location "a\xF4\x90\x80\x80": invalid UTF-8 at offset 1)"},
        // A bad byte before a good sequence: only the bad byte is escaped.
        {"\xC3\xC3\xA9", R"(data location "\xC3é": invalid UTF-8 at offset 0)"},
    };
    for (const auto& [text, expected] : cases) {
        const auto r = data_path::parse(text);
        BOOST_REQUIRE(r.has_error());
        BOOST_TEST(r.error().code == webhook::error::invalid_utf8);
        BOOST_TEST(r.error().message() == expected);
        BOOST_TEST(webhook::detail::find_invalid_utf8(r.error().message()) ==
                   std::string_view::npos);
    }
}

BOOST_AUTO_TEST_CASE(valid_non_ascii_text_is_quoted_as_it_is_and_c1_controls_are_escaped) {
    BOOST_TEST(data_path::parse("résultat//数据").error().message() ==
               R"(data location "résultat//数据": empty segment at offset 10)");
    // U+0085 (NEL) is a control character too, which terminals act on.
    BOOST_TEST(data_path::parse("\xC2\x85//").error().message() ==
               R"(data location "\xC2\x85//": empty segment at offset 3)");
    BOOST_TEST(data_path::parse("a\"b\\//").error().message() ==
               R"(data location "a\x22b\x5C//": empty segment at offset 5)");
}

BOOST_AUTO_TEST_CASE(compile_time_literal_accepts_what_run_time_accepts) {
    constexpr webhook::path_literal literal("/root/result/");
    static_assert(literal.view() == "/root/result/");
    BOOST_TEST(data_path(literal.view()).text() == "root/result");
}
