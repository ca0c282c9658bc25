#include <webhook/hub/hub_endpoint.hpp>

#define BOOST_TEST_MODULE hub_endpoint
#include <boost/test/unit_test.hpp>

#include <webhook/hub/detail/endpoint_health.hpp>
#include <webhook/hub/detail/idempotency_journal.hpp>
#include <webhook/hub/detail/idempotency_window.hpp>
#include <webhook/hub/event_type.hpp>

#include "support/explicit_clock.hpp"

#include <boost/describe.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

// The hub's decisions without I/O: event type names, subscriptions, the endpoints document,
// the health rule and the idempotency window, on explicit times.

using namespace std::chrono_literals;
using webhook::delivery_status;

namespace app {
struct incident {
    std::string id;
    int priority = 0;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))
struct incident_v2 {
    std::string id;
};
BOOST_DESCRIBE_STRUCT(incident_v2, (), (id))
} // namespace app

WEBHOOK_EVENT_TYPE(app::incident, "incident.updated");
WEBHOOK_EVENT_TYPE_VERSION(app::incident_v2, "incident.updated", 2);

namespace {

using clock_type = webhook::test::explicit_clock<>;
clock_type::time_point at(std::chrono::milliseconds t) {
    return clock_type::time_point(t);
}

std::vector<std::string> problems_of(std::string_view document) {
    try {
        (void)webhook::load_hub_endpoints(document);
    } catch (const webhook::config_error& e) {
        std::vector<std::string> out;
        for (const auto& p : e.problems())
            out.push_back(p.path.empty() ? p.message : p.path + ": " + p.message);
        return out;
    }
    return {};
}

} // namespace

BOOST_AUTO_TEST_SUITE(event_types)

BOOST_AUTO_TEST_CASE(names_are_checked_at_compile_time_and_versions_make_distinct_types) {
    static_assert(webhook::event_type_name_problem("incident.updated") == nullptr);
    static_assert(webhook::event_type_name_problem("a-b_c.D9") == nullptr);
    static_assert(webhook::event_types<app::incident, app::incident_v2>::distinct());
    const auto v1 = webhook::event_type_info::of<app::incident>();
    const auto v2 = webhook::event_type_info::of<app::incident_v2>();
    BOOST_TEST(v1.name == "incident.updated");
    BOOST_TEST(v1.version == 1u);
    BOOST_TEST(v2.version == 2u);
    BOOST_TEST(v1.type != v2.type);
    BOOST_TEST(boost::json::serialize(v1.schema(webhook::data_path("root"), {}))
                   .find(R"("required":["root"])") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bad_name_says_what_is_wrong) {
    using webhook::event_type_name_problem;
    BOOST_TEST(std::string(event_type_name_problem("")) == "an event type name must not be empty");
    BOOST_TEST(std::string(event_type_name_problem("1st")) ==
               "an event type name starts with a letter");
    BOOST_TEST(std::string(event_type_name_problem("a..b")) ==
               "an event type name has no empty segment (\"a..b\", \"a.\")");
    BOOST_TEST(std::string(event_type_name_problem("a.")) ==
               "an event type name has no empty segment (\"a..b\", \"a.\")");
    BOOST_TEST(std::string(event_type_name_problem("a b")) ==
               "an event type name holds only ASCII letters, digits, '.', '_' and '-'");
    BOOST_TEST(std::string(event_type_name_problem(std::string(129, 'a'))) ==
               "an event type name is at most 128 characters");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(subscriptions)

BOOST_AUTO_TEST_CASE(types_and_channels_select_events) {
    const std::array<std::string_view, 1> acme{"acme"};
    const std::array<std::string_view, 2> two{"globex", "acme"};
    const webhook::subscription all{};
    const webhook::subscription typed{{"incident.updated"}, {}};
    const webhook::subscription tenant{{}, {"acme"}};
    BOOST_TEST(webhook::subscribed(all, "anything", {}));
    BOOST_TEST(webhook::subscribed(typed, "incident.updated", acme));
    BOOST_TEST(!webhook::subscribed(typed, "incident.closed", {}));
    BOOST_TEST(webhook::subscribed(tenant, "x", acme));
    BOOST_TEST(webhook::subscribed(tenant, "x", two));
    BOOST_TEST(!webhook::subscribed(tenant, "x", {})); // listed channels: the event must be on one
    BOOST_TEST(!webhook::subscribed(tenant, "x", std::array<std::string_view, 1>{"globex"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(endpoints_document)

BOOST_AUTO_TEST_CASE(a_document_gives_named_endpoints_with_subscriptions) {
    const auto endpoints = webhook::load_hub_endpoints(R"({
        // comments are allowed, as in an endpoint's file
        "endpoints": [
            {"name": "pager", "url": "https://pager.example/hook", "event_types": ["incident.updated"],
             "data_location": "root/result", "retry": {"max_attempts": 3}},
            {"name": "audit", "url": "https://audit.example/in", "channels": ["acme", "globex"]},
        ]})");
    BOOST_REQUIRE(endpoints.size() == 2u);
    BOOST_TEST(endpoints[0].name == "pager");
    BOOST_TEST(endpoints[0].config.url == "https://pager.example/hook");
    BOOST_TEST((endpoints[0].config.data_location == webhook::data_path("root/result")));
    BOOST_TEST(endpoints[0].subscription.event_types ==
               std::vector<std::string>{"incident.updated"});
    BOOST_TEST(endpoints[0].subscription.channels.empty());
    BOOST_TEST(endpoints[1].name == "audit");
    BOOST_TEST((endpoints[1].subscription.channels == std::vector<std::string>{"acme", "globex"}));
    BOOST_TEST(webhook::validate(endpoints).empty());
}

BOOST_AUTO_TEST_CASE(every_problem_is_named_with_its_path_and_nothing_is_returned) {
    const auto problems = problems_of(R"({"endpoints": [
        {"name": "a", "url": "ftp://x", "retyr": {}},
        {"name": "a", "url": "https://b.example", "event_types": ["ok", "bad name", 5]},
        {"url": "https://c.example", "channels": [""]},
        7
    ], "extra": 1})");
    const std::vector<std::string> expected{
        "extra: unknown key (the document has only \"endpoints\")",
        "endpoints[0].url: scheme must be http or https",
        "endpoints[0].retyr: unknown key (did you mean \"retry\"?)",
        "endpoints[1].event_types[2]: must be a string",
        "endpoints[3]: must be an object",
        "endpoints[1].event_types[1]: an event type name holds only ASCII letters, digits, '.', "
        "'_' and '-' (got \"bad name\")",
        "endpoints[1].name: duplicate endpoint name \"a\"",
        "endpoints[2].name: is required",
        "endpoints[2].channels[0]: must not be empty",
        "endpoints[3].name: is required",
    };
    BOOST_TEST(problems == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_document_without_an_endpoints_array_is_refused) {
    BOOST_TEST(problems_of(R"({"endpoint": []})") ==
               std::vector<std::string>{
                   "endpoints: is required: the document is {\"endpoints\": [ ... ]}"});
    BOOST_TEST(problems_of("[1,") ==
                   std::vector<std::string>{"invalid JSON at line 1, column 4: incomplete JSON"},
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(validate_checks_names_and_each_configuration_in_code) {
    std::vector<webhook::hub_endpoint> endpoints(2);
    endpoints[0] = {.name = "ok", .config = {.url = "https://a.example"}, .subscription = {}};
    endpoints[1] = {.name = "bad/name", .config = {}, .subscription = {}};
    std::vector<std::string> got;
    for (const auto& p : webhook::validate(endpoints))
        got.push_back(p.path + ": " + p.message);
    const std::vector<std::string> expected{
        "endpoints[1].name: holds a character other than ASCII letters, digits, '.', '_' and '-'",
        "endpoints[1].url: is required"};
    BOOST_TEST(got == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(health)

BOOST_AUTO_TEST_CASE(consecutive_failures_disable_once_and_a_delivery_resets_the_run) {
    webhook::detail::endpoint_health<clock_type> h(
        {.max_consecutive_failures = 3, .max_failing_for = 0ms});
    BOOST_TEST(!h.settle(delivery_status::failed, at(0ms)));
    BOOST_TEST(!h.settle(delivery_status::failed, at(1ms)));
    BOOST_TEST(!h.settle(delivery_status::delivered, at(2ms))); // the run starts again
    BOOST_TEST(h.consecutive_failures() == 0u);
    BOOST_TEST(!h.settle(delivery_status::failed, at(3ms)));
    BOOST_TEST(!h.settle(delivery_status::rejected, at(4ms))); // refused here: not the receiver's
    BOOST_TEST(!h.settle(delivery_status::abandoned, at(4ms)));
    BOOST_TEST(!h.settle(delivery_status::gone, at(5ms)));
    BOOST_TEST(h.settle(delivery_status::failed, at(6ms))); // the third in a row
    BOOST_TEST(h.disabled());
    BOOST_TEST(!h.settle(delivery_status::failed, at(7ms))); // told once
    h.enable();
    BOOST_TEST(!h.disabled());
    BOOST_TEST(h.consecutive_failures() == 0u);
}

BOOST_AUTO_TEST_CASE(failing_for_a_time_disables_at_the_first_failure_past_it) {
    webhook::detail::endpoint_health<clock_type> h(
        {.max_consecutive_failures = 0, .max_failing_for = 5'000ms});
    for (int i = 0; i < 100; ++i)
        BOOST_TEST(!h.settle(delivery_status::failed, at(std::chrono::milliseconds(i * 40))));
    BOOST_TEST(h.settle(delivery_status::failed, at(5'000ms)));
    webhook::detail::endpoint_health<clock_type> off({});
    for (int i = 0; i < 1000; ++i)
        BOOST_TEST(!off.settle(delivery_status::failed, at(std::chrono::hours(i))));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(idempotency)

BOOST_AUTO_TEST_CASE(a_key_is_refused_within_its_window_and_admitted_after) {
    webhook::detail::idempotency_window<clock_type> w(1'000ms, 0);
    BOOST_TEST(w.admit("order-1", at(0ms)));
    BOOST_TEST(!w.admit("order-1", at(999ms)));
    BOOST_TEST(w.admit("order-2", at(500ms)));
    BOOST_TEST(w.admit("order-1", at(1'000ms))); // its window has passed
    BOOST_TEST(!w.admit("order-2", at(1'499ms)));
    BOOST_TEST(w.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_full_window_forgets_the_oldest_and_a_forgotten_key_comes_back) {
    webhook::detail::idempotency_window<clock_type> w(1h, 2);
    BOOST_TEST(w.admit("a", at(0ms)));
    BOOST_TEST(w.admit("b", at(1ms)));
    BOOST_TEST(w.admit("c", at(2ms))); // "a" goes
    BOOST_TEST(w.size() == 2u);
    BOOST_TEST(w.admit("a", at(3ms)));
    BOOST_TEST(!w.admit("c", at(4ms)));
    w.forget("c");
    BOOST_TEST(w.admit("c", at(5ms)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(idempotency_journal)

using journal = webhook::detail::idempotency_journal;
using system_time = std::chrono::system_clock::time_point;

system_time unix_ms(std::int64_t ms) {
    return system_time(std::chrono::milliseconds(ms));
}

std::string file_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
}

BOOST_AUTO_TEST_CASE(keys_outlive_a_reopen_until_their_window_ends) {
    const std::string path = "hub_idempotency_journal_test.keys";
    std::remove(path.c_str());
    journal::live_keys live;
    {
        auto j = journal::open(path, unix_ms(1'000), live);
        BOOST_REQUIRE(j);
        BOOST_TEST(live.empty());
        BOOST_TEST(!j->record("order-1", unix_ms(5'000)));
        BOOST_TEST(!j->record("order 2", unix_ms(9'000))); // a space inside is fine
        BOOST_TEST(!j->record("gone", unix_ms(9'000)));
        BOOST_TEST(!j->forget("gone"));
        BOOST_TEST(!j->record("old", unix_ms(1'500)));
    }
    BOOST_TEST(file_text(path) == "+5000 order-1\n+9000 order 2\n+9000 gone\n-gone\n+1500 old\n");
    {
        std::ofstream torn(path, std::ios::app);
        torn << "+9999 tor"; // a crash in the middle of a line
    }
    auto j = journal::open(path, unix_ms(2'000), live);
    BOOST_REQUIRE(j);
    BOOST_TEST(live.size() == 2u);
    BOOST_TEST((live.at("order-1") == unix_ms(5'000)));
    BOOST_TEST((live.at("order 2") == unix_ms(9'000)));
    // Rewritten with what is live only, in key order.
    BOOST_TEST(file_text(path) == "+9000 order 2\n+5000 order-1\n");
    BOOST_TEST(j->lines() == 2u);
    std::remove(path.c_str());
}

BOOST_AUTO_TEST_CASE(a_journal_that_cannot_be_opened_says_why) {
    journal::live_keys live;
    const auto j = journal::open("/nonexistent-dir/keys", unix_ms(0), live);
    BOOST_REQUIRE(!j);
    BOOST_TEST(j.error() == boost::system::errc::no_such_file_or_directory);
}

BOOST_AUTO_TEST_SUITE_END()
