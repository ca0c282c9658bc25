#include <webhook/observe/trace_context.hpp>

#define BOOST_TEST_MODULE trace_context
#include <boost/test/unit_test.hpp>

#include <initializer_list>
#include <string>

// W3C Trace Context: what is accepted, what is refused and why, and what an attempt sends.

using webhook::trace_context;

namespace {

const std::string parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Why `traceparent` (with `state`) is refused, as its message; empty when accepted.
std::string refusal(std::string_view traceparent, std::string_view state = {}) {
    const auto r = trace_context::parse(traceparent, state);
    return r ? std::string{} : r.error().message();
}

std::string message(webhook::error e) {
    return make_error_code(e).message();
}

} // namespace

BOOST_AUTO_TEST_SUITE(trace_context_parsing)

BOOST_AUTO_TEST_CASE(a_version_00_traceparent_gives_its_fields) {
    const auto c = trace_context::parse(parent, "congo=t61rcWkgMzE");
    BOOST_REQUIRE(c);
    BOOST_TEST(c->trace_id() == "4bf92f3577b34da6a3ce929d0e0e4736");
    BOOST_TEST(c->parent_id() == "00f067aa0ba902b7");
    BOOST_TEST(c->flags() == 1u);
    BOOST_TEST(c->sampled());
    BOOST_TEST(c->tracestate() == "congo=t61rcWkgMzE");
    BOOST_TEST(c->traceparent() == parent);
}

BOOST_AUTO_TEST_CASE(an_attempt_is_a_child_span_with_the_same_trace_and_flags) {
    const auto c = trace_context::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00");
    BOOST_REQUIRE(c);
    BOOST_TEST(!c->sampled());
    const auto span = webhook::make_span_id(0xa1b2c3d4e5f60718ULL);
    BOOST_TEST(std::string(span.data(), span.size()) == "a1b2c3d4e5f60718");
    BOOST_TEST(c->child_traceparent(span) ==
               "00-4bf92f3577b34da6a3ce929d0e0e4736-a1b2c3d4e5f60718-00");
    const auto zero = webhook::make_span_id(0); // never all zero
    BOOST_TEST(std::string(zero.data(), zero.size()) == "0000000000000001");
}

BOOST_AUTO_TEST_CASE(a_later_version_is_read_as_00_and_sent_as_00) {
    const auto longer =
        trace_context::parse("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-else");
    BOOST_REQUIRE(longer);
    BOOST_TEST(longer->traceparent() == parent);
    BOOST_TEST(refusal("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").empty());
    // ... but only with a `-` after the flags.
    BOOST_TEST(refusal("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x") ==
               message(webhook::error::invalid_traceparent));
}

BOOST_AUTO_TEST_CASE(every_malformed_traceparent_is_refused) {
    for (const std::string& bad : std::initializer_list<std::string>{
             std::string{},
             parent + "-",                                              // 00 is exactly 55
             parent.substr(0, 54),                                      // short
             "ff" + parent.substr(2),                                   // version ff
             "0g" + parent.substr(2),                                   // version not hex
             "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // uppercase
             "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
             "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z", // flags not hex
             "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // separator
             "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01",
         })
        BOOST_TEST(refusal(bad) == message(webhook::error::invalid_traceparent), bad);
}

BOOST_AUTO_TEST_CASE(tracestate_members_keys_and_values_are_checked) {
    for (const std::string good : {
             "",
             "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
             " rojo=1 ,\tcongo=2\t,,", // spaces, tabs and empty members
             "acme@vendor=x",          // multi-tenant key
             "0tenant@sys=x",          // a tenant may start with a digit
             "k/_-*9=value with spaces inside",
         })
        BOOST_TEST(webhook::valid_tracestate(good), good);
    std::string members;
    for (int i = 0; i < 32; ++i)
        members += "k" + std::to_string(i) + "=v,";
    BOOST_TEST(webhook::valid_tracestate(members));
    BOOST_TEST(!webhook::valid_tracestate(members + "k32=v"), "33 members");
    for (const std::string& bad : std::initializer_list<std::string>{
             "novalue",
             "Upper=x",                               // keys are lowercase
             "9key=x",                                // a simple key starts with a letter
             "a=x,a=y",                               // a key twice
             "a=",                                    // empty value
             "a=x\x7f",                               // DEL is not printable
             "a=b=c",                                 // no = in a value
             "a=\x01",                                // control character
             "tenant@9sys=x",                         // a system starts with a letter
             "a@b@c=x", std::string(257, 'k') + "=x", // key too long
             "a=" + std::string(257, 'v'),            // value too long
         })
        BOOST_TEST(!webhook::valid_tracestate(bad), bad);
    BOOST_TEST(refusal(parent, "a=x,a=y") == message(webhook::error::invalid_tracestate));
}

BOOST_AUTO_TEST_SUITE_END()
