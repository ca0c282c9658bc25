#include <webhook/hub/hub.hpp>

#define BOOST_TEST_MODULE hub
#include <boost/test/unit_test.hpp>

#include <webhook/observe/metrics.hpp>
#include <webhook/signing.hpp>

#include "support/memory_spool.hpp"
#include "support/print.hpp"
#include "support/test_receiver.hpp"

#include <boost/describe.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

// The hub end to end: real receivers on loopback, each endpoint with its own credentials,
// signing key, data location and subscription.

using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::test_receiver;

namespace app {
struct incident {
    std::string id;
    int priority = 0;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))
struct closed {
    std::string id;
};
BOOST_DESCRIBE_STRUCT(closed, (), (id))
struct reading {
    double value = 0;
};
BOOST_DESCRIBE_STRUCT(reading, (), (value))
struct step { // ordered per workflow
    std::string workflow;
    int seq = 0;
};
BOOST_DESCRIBE_STRUCT(step, (), (workflow, seq))
struct impostor { // a second type that claims incident.updated
    int x = 0;
};
BOOST_DESCRIBE_STRUCT(impostor, (), (x))
} // namespace app

WEBHOOK_EVENT_TYPE(app::incident, "incident.updated");
WEBHOOK_EVENT_TYPE(app::closed, "incident.closed");
WEBHOOK_EVENT_TYPE(app::reading, "sensor.reading");
WEBHOOK_EVENT_TYPE(app::impostor, "incident.updated");
WEBHOOK_EVENT_TYPE_ORDERED(app::step, "workflow.step", workflow);

namespace {

const char* signing_key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Outcomes by endpoint, as `hub_options::on_outcome` reports them.
struct outcomes {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<std::string, std::vector<webhook::delivery>> by_endpoint;
    std::vector<std::string> disabled;

    webhook::hub_options options() {
        webhook::hub_options o;
        o.on_outcome = [this](std::string_view endpoint, const webhook::delivery& d) {
            std::lock_guard lock(mutex);
            by_endpoint[std::string(endpoint)].push_back(d);
            changed.notify_all();
        };
        o.on_disabled = [this](std::string_view endpoint, const webhook::delivery&) {
            std::lock_guard lock(mutex);
            disabled.emplace_back(endpoint);
            changed.notify_all();
        };
        return o;
    }
    bool wait_for(const std::string& endpoint, std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 20s, [&] { return by_endpoint[endpoint].size() >= n; });
    }
    bool wait_disabled(std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 20s, [&] { return disabled.size() >= n; });
    }
    std::vector<webhook::delivery> of(const std::string& endpoint) {
        std::lock_guard lock(mutex);
        return by_endpoint[endpoint];
    }
};

webhook::endpoint to(const test_receiver& r, std::string path = "/hook") {
    webhook::endpoint e;
    e.url = r.url(path);
    e.retry = webhook::retry_policy::fixed_schedule({10ms, 10ms});
    e.timeouts.request = 5s;
    return e;
}

webhook::hub_endpoint named(std::string name, webhook::endpoint e, webhook::subscription s = {}) {
    return {std::move(name), std::move(e), std::move(s)};
}

/// The ids an endpoint accepted, from publish results.
std::set<std::string> ids_for(const std::vector<webhook::endpoint_acceptance>& accepted,
                              std::string_view endpoint) {
    std::set<std::string> ids;
    for (const auto& a : accepted)
        if (a.endpoint == endpoint && a.id)
            ids.insert(std::string(a.id->view()));
    return ids;
}

std::set<std::string> received_ids(const test_receiver& r) {
    std::set<std::string> ids;
    for (const auto& request : r.requests())
        ids.insert(request.header("webhook-id").value_or("<none>"));
    return ids;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fan_out)

BOOST_AUTO_TEST_CASE(each_subscribed_endpoint_gets_its_own_request_id_and_outcome) {
    test_receiver pager, audit, sensors;
    outcomes seen;
    webhook::hub hub(seen.options());
    hub.declare<app::incident, app::closed, app::reading>();

    auto pager_ep = to(pager, "/pager/{id}");
    pager_ep.authentication = webhook::basic_auth{"svc-user", "s3cret"};
    pager_ep.data_location = webhook::data_path("root/result");
    pager_ep.signing = webhook::standard_webhooks_signing{{signing_key}};
    auto audit_ep = to(audit);
    audit_ep.authentication = webhook::bearer_auth{"audit-token"};
    audit_ep.data_location = webhook::data_path("event");
    audit_ep.method = boost::beast::http::verb::put;
    hub.set(named("pager", pager_ep, {{"incident.updated"}, {}}));
    hub.set(named("audit", audit_ep, {{"incident.updated", "incident.closed"}, {"acme"}}));
    hub.set(named("sensors", to(sensors), {{"sensor.reading"}, {}}));

    const auto sent = hub.publish(app::incident{"INC001", 2}, {.channel = "acme"});
    BOOST_REQUIRE(sent);
    BOOST_REQUIRE(sent->size() == 2u); // in name order; sensors is not subscribed
    BOOST_TEST((*sent)[0].endpoint == "audit");
    BOOST_TEST((*sent)[1].endpoint == "pager");
    BOOST_REQUIRE((*sent)[0].id);
    BOOST_REQUIRE((*sent)[1].id);
    BOOST_TEST((*sent)[0].id->view() != (*sent)[1].id->view());
    BOOST_REQUIRE(seen.wait_for("pager", 1));
    BOOST_REQUIRE(seen.wait_for("audit", 1));
    BOOST_TEST(seen.of("pager")[0].ok());
    BOOST_TEST(seen.of("audit")[0].ok());

    const auto p = pager.requests().at(0);
    BOOST_TEST(p.method == "POST");
    BOOST_TEST(p.target == "/pager/INC001");
    BOOST_TEST(p.body == R"({"root":{"result":{"id":"INC001","priority":2}}})");
    BOOST_TEST(p.header("Authorization").value_or("") == "Basic c3ZjLXVzZXI6czNjcmV0");
    BOOST_TEST(p.header("webhook-id").value_or("") == (*sent)[1].id->view());
    boost::beast::http::fields fields;
    for (const auto& [name, value] : p.headers)
        fields.insert(name, value);
    const auto verifier = webhook::standard_webhooks_verifier::make({signing_key});
    BOOST_TEST(!verifier.verify(fields, p.body, std::chrono::system_clock::now()));

    const auto a = audit.requests().at(0);
    BOOST_TEST(a.method == "PUT");
    BOOST_TEST(a.body == R"({"event":{"id":"INC001","priority":2}})");
    BOOST_TEST(a.header("Authorization").value_or("") == "Bearer audit-token");
    BOOST_TEST(!a.header("webhook-signature"));
    BOOST_TEST(sensors.request_count() == 0u);

    // Another channel: audit lists only acme; pager lists none, so it takes every channel.
    const auto globex = hub.publish(app::incident{"INC002", 1}, {.channel = "globex"});
    BOOST_REQUIRE(globex);
    BOOST_REQUIRE(globex->size() == 1u);
    BOOST_TEST(globex->at(0).endpoint == "pager");
    const auto reading = hub.publish(app::reading{21.5});
    BOOST_REQUIRE(reading);
    BOOST_REQUIRE(reading->size() == 1u);
    BOOST_TEST(reading->at(0).endpoint == "sensors");
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(sensors.requests().at(0).body == R"({"value":21.5})");

    // The catalogue: what the hub holds, as the catalogue's functions write it.
    std::vector<webhook::catalogue_endpoint> shown;
    for (const auto& name : hub.endpoints()) {
        const auto c = *hub.endpoint_config(name);
        shown.push_back({c.name, c.config, c.subscription.event_types});
    }
    const auto types = hub.event_types();
    BOOST_TEST(hub.asyncapi({.title = "t"}) ==
               webhook::asyncapi_document({.title = "t"}, types, shown));
    BOOST_TEST(hub.openapi() == webhook::openapi_document({}, types, shown));
    const auto document = hub.asyncapi();
    const auto& channels = document.at("channels").as_object();
    BOOST_TEST(channels.size() == 3u);
    BOOST_TEST(channels.contains("pager"));
}

BOOST_AUTO_TEST_CASE(a_predicate_narrows_what_an_endpoint_receives) {
    test_receiver urgent, all;
    webhook::hub hub;
    hub.set(named("urgent", to(urgent)));
    hub.set(named("all", to(all)));
    BOOST_TEST(
        hub.where<app::incident>("urgent", [](const app::incident& i) { return i.priority == 1; }));
    BOOST_TEST(!hub.where<app::incident>("nobody", [](const app::incident&) { return true; }));
    for (int p = 1; p <= 3; ++p)
        BOOST_REQUIRE(hub.publish(app::incident{"INC" + std::to_string(p), p}));
    BOOST_REQUIRE(hub.publish(app::closed{"INC2"})); // no predicate for this type
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(urgent.request_count() == 2u);
    BOOST_TEST(urgent.requests().at(0).body == R"({"id":"INC1","priority":1})");
    BOOST_TEST(urgent.requests().at(1).body == R"({"id":"INC2"})");
    BOOST_TEST(all.request_count() == 4u);
}

BOOST_AUTO_TEST_CASE(a_dead_receiver_does_not_hold_back_the_others) {
    test_receiver dead, fast1, fast2;
    dead.set_default_behaviour(behaviour::never_answer());
    outcomes seen;
    auto options = seen.options();
    options.drain_timeout = 100ms; // at the end, the dead endpoint's events are abandoned
    webhook::hub hub(options);
    auto dead_ep = to(dead);
    dead_ep.timeouts.request = 30s; // longer than the whole test
    dead_ep.max_in_flight = 2;
    hub.set(named("dead", dead_ep));
    hub.set(named("fast1", to(fast1)));
    hub.set(named("fast2", to(fast2)));
    constexpr std::size_t events = 200;
    for (std::size_t i = 0; i < events; ++i)
        BOOST_REQUIRE(hub.publish(app::incident{"INC" + std::to_string(i), 1}));
    BOOST_REQUIRE(seen.wait_for("fast1", events));
    BOOST_REQUIRE(seen.wait_for("fast2", events));
    // Every event delivered to both live receivers while the dead one has settled none.
    BOOST_TEST(seen.of("dead").empty());
    BOOST_TEST(dead.request_count() <= 2u);
    for (const auto& d : seen.of("fast1"))
        BOOST_TEST(d.ok());
    BOOST_TEST(hub.counters("dead")->queued + hub.counters("dead")->in_flight == events);
    hub.remove("fast1");
    BOOST_TEST(hub.endpoints() == (std::vector<std::string>{"dead", "fast2"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(refusals)

BOOST_AUTO_TEST_CASE(a_duplicate_idempotency_key_is_sent_nowhere) {
    test_receiver r;
    webhook::hub hub;
    hub.set(named("a", to(r)));
    hub.set(named("b", to(r, "/b")));
    const auto first = hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-7"});
    BOOST_REQUIRE(first);
    BOOST_TEST(first->size() == 2u);
    const auto again = hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-7"});
    BOOST_TEST(again.error() == webhook::error::duplicate_idempotency_key);
    BOOST_REQUIRE(hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-8"}));
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(r.request_count() == 4u);
}

BOOST_AUTO_TEST_CASE(a_duplicate_is_refused_across_a_restart_with_an_idempotency_file) {
    test_receiver r;
    const std::string keys = "hub_test_idempotency.keys";
    std::remove(keys.c_str());
    webhook::hub_options options;
    options.idempotency_file = keys;
    {
        webhook::hub hub(options);
        hub.set(named("a", to(r)));
        BOOST_REQUIRE(hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-7"}));
        BOOST_REQUIRE(hub.flush(10s));
    } // the process restarts
    webhook::hub hub(options);
    hub.set(named("a", to(r)));
    BOOST_TEST(hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-7"}).error() ==
               webhook::error::duplicate_idempotency_key);
    BOOST_REQUIRE(hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "order-8"}));
    BOOST_TEST(hub.publish(app::incident{"INC1", 1}, {.idempotency_key = "bad\nkey"}).error() ==
               webhook::error::invalid_idempotency_key);
    BOOST_TEST(
        hub.publish(app::incident{"INC1", 1}, {.idempotency_key = std::string(256, 'k')}).error() ==
        webhook::error::invalid_idempotency_key);
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(r.request_count() == 2u);
    std::remove(keys.c_str());
    webhook::hub_options unwritable;
    unwritable.idempotency_file = "/nonexistent-dir/keys";
    BOOST_CHECK_EXCEPTION(webhook::hub{unwritable}, boost::system::system_error,
                          [](const boost::system::system_error& e) {
                              return std::string(e.what()).find(
                                         "hub idempotency file /nonexistent-dir/keys") !=
                                     std::string::npos;
                          });
}

BOOST_AUTO_TEST_CASE(an_event_that_cannot_be_serialized_is_refused_and_its_key_kept_free) {
    test_receiver r;
    webhook::hub hub;
    hub.set(named("a", to(r)));
    const auto nan = hub.publish(app::reading{std::nan("")}, {.idempotency_key = "k"});
    BOOST_TEST(nan.error() == webhook::error::non_finite_number);
    BOOST_REQUIRE(hub.publish(app::reading{1}, {.idempotency_key = "k"}));
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(r.request_count() == 1u);
}

BOOST_AUTO_TEST_CASE(two_types_with_one_name_are_refused) {
    webhook::hub hub;
    BOOST_REQUIRE(hub.publish(app::incident{"INC1", 1}));
    BOOST_TEST(hub.publish(app::impostor{}).error() == webhook::error::event_type_conflict);
    BOOST_CHECK_EXCEPTION(hub.declare<app::impostor>(), webhook::config_error,
                          [](const webhook::config_error& e) {
                              return std::string(e.what()).find(
                                         "event type \"incident.updated\" version 1 is already "
                                         "registered by another type") != std::string::npos;
                          });
    BOOST_TEST(hub.event_types().size() == 1u);
}

BOOST_AUTO_TEST_CASE(an_endpoint_refusal_is_its_own_and_a_declared_hub_checks_type_names) {
    test_receiver r;
    webhook::hub hub;
    hub.declare<app::incident>();
    auto tiny = to(r);
    tiny.max_body_size = 10; // every incident is larger
    hub.set(named("tiny", tiny));
    hub.set(named("ok", to(r)));
    const auto sent = hub.publish(app::incident{"INC1", 1});
    BOOST_REQUIRE(sent);
    BOOST_TEST(sent->at(0).endpoint == "ok");
    BOOST_TEST(sent->at(0).id.has_value());
    BOOST_TEST(sent->at(1).id.error() == webhook::error::request_body_too_large);
    BOOST_CHECK_EXCEPTION(hub.set(named("typo", to(r), {{"incident.udpated"}, {}})),
                          webhook::config_error, [](const webhook::config_error& e) {
                              return e.problems().at(0).path == "endpoints[0].event_types[0]" &&
                                     e.problems().at(0).message ==
                                         "no declared event type is named \"incident.udpated\"";
                          });
    BOOST_TEST(hub.endpoints() == (std::vector<std::string>{"ok", "tiny"}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(health)

BOOST_AUTO_TEST_CASE(failing_endpoint_is_disabled_its_failures_kept_and_enable_brings_it_back) {
    test_receiver failing, healthy;
    failing.set_default_behaviour(behaviour::respond(500));
    outcomes seen;
    auto options = seen.options();
    options.health.max_consecutive_failures = 3;
    std::map<std::string, std::shared_ptr<webhook::test::memory_spool>> letters;
    options.dead_letters = [&](std::string_view name) {
        auto spool = std::make_shared<webhook::test::memory_spool>();
        letters[std::string(name)] = spool;
        return webhook::any_spool(spool);
    };
    webhook::hub hub(options);
    auto once = to(failing);
    once.retry = webhook::retry_policy::fixed_schedule({}); // one attempt
    hub.set(named("failing", once));
    hub.set(named("healthy", to(healthy)));
    for (int i = 0; i < 3; ++i) {
        BOOST_REQUIRE(hub.publish(app::incident{"INC" + std::to_string(i), 1}));
        BOOST_REQUIRE(seen.wait_for("failing", static_cast<std::size_t>(i) + 1));
    }
    BOOST_TEST(!hub.enabled("failing")); // before its outcome was reported
    BOOST_TEST(hub.enabled("healthy"));
    BOOST_REQUIRE(seen.wait_disabled(1)); // told just after
    {
        std::lock_guard lock(seen.mutex);
        BOOST_TEST(seen.disabled == std::vector<std::string>{"failing"});
    }
    BOOST_TEST(letters.at("failing")->held().size() == 3u); // every failed event kept for requeue
    const auto refused = hub.publish(app::incident{"INC3", 1});
    BOOST_REQUIRE(refused);
    BOOST_TEST(refused->at(0).id.error() == webhook::error::endpoint_disabled);
    BOOST_TEST(refused->at(1).id.has_value());

    failing.set_default_behaviour(behaviour::respond(204));
    BOOST_TEST(hub.enable("failing"));
    const auto back = hub.publish(app::incident{"INC4", 1});
    BOOST_REQUIRE(back);
    BOOST_TEST(back->at(0).id.has_value());
    BOOST_REQUIRE(seen.wait_for("failing", 4));
    BOOST_TEST(seen.of("failing").back().ok());
    BOOST_TEST(failing.request_count() == 4u);
    BOOST_TEST(!hub.enable("nobody"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(a_bad_reload_changes_nothing_and_says_why) {
    test_receiver r;
    webhook::hub hub;
    hub.set(named("a", to(r)));
    const std::string path = "hub_bad_reload.json";
    {
        std::ofstream f(path);
        f << R"({"endpoints": [{"name": "b", "url": "ftp://x"}, {"name": "c"}]})";
    }
    BOOST_CHECK_EXCEPTION(
        hub.reload_file(path), webhook::config_error, [](const webhook::config_error& e) {
            return std::string(e.what()) == "endpoint configuration has 2 problems:\n"
                                            "endpoints[0].url: scheme must be http or https\n"
                                            "endpoints[1].url: is required";
        });
    BOOST_TEST(hub.endpoints() == std::vector<std::string>{"a"});
    std::remove(path.c_str());
    BOOST_CHECK_THROW(hub.reload_file(path), webhook::config_error); // cannot be read
    BOOST_TEST(hub.endpoints() == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(add_change_and_remove_under_load_lose_nothing) {
    test_receiver stays, changes, goes, arrives;
    outcomes seen;
    auto options = seen.options();
    std::mutex spools_mutex;
    std::map<std::string, std::shared_ptr<webhook::test::memory_spool>> spools;
    options.spool = [&](std::string_view name) {
        std::lock_guard lock(spools_mutex);
        auto& s = spools[std::string(name)]; // the same one for a changed endpoint
        if (!s)
            s = std::make_shared<webhook::test::memory_spool>();
        return webhook::any_spool(s);
    };
    options.drain_timeout = 1s;
    webhook::hub hub(options);
    hub.set(named("stays", to(stays)));
    hub.set(named("changes", to(changes, "/v1")));
    hub.set(named("goes", to(goes)));

    std::atomic<bool> stop{false}, refused{false};
    std::mutex accepted_mutex;
    std::vector<webhook::endpoint_acceptance> accepted;
    std::thread publisher([&] { // no Boost.Test assertion off the main thread
        // Bounded in count and time; stopped once the reload has been seen to work.
        const auto until = std::chrono::steady_clock::now() + 60s;
        for (int i = 0; i < 100'000 && !stop && std::chrono::steady_clock::now() < until; ++i) {
            auto sent = hub.publish(app::incident{"INC" + std::to_string(i), 1});
            if (!sent) {
                refused = true;
                return;
            }
            {
                std::lock_guard lock(accepted_mutex);
                accepted.insert(accepted.end(), sent->begin(), sent->end());
            }
            std::this_thread::sleep_for(200us); // a steady load, not a flood the test waits out
        }
    });
    const bool started = stays.wait_for_requests(300, 10s);
    BOOST_TEST(started);
    if (started) {
        std::vector<webhook::hub_endpoint> next{named("stays", to(stays)),
                                                named("changes", to(changes, "/v2")),
                                                named("arrives", to(arrives))};
        hub.reload(next); // goes removed, changes restarted on /v2, arrives added
        BOOST_TEST(hub.endpoints() == (std::vector<std::string>{"arrives", "changes", "stays"}));
        BOOST_TEST(arrives.wait_for_requests(300, 10s));
    }
    stop = true;
    publisher.join();
    BOOST_TEST(!refused);
    BOOST_REQUIRE(hub.flush(20s));

    // Every id an endpoint accepted reached its receiver (at least once).
    for (const auto& [name, receiver] : std::vector<std::pair<std::string, test_receiver*>>{
             {"stays", &stays}, {"goes", &goes}, {"arrives", &arrives}}) {
        const auto want = ids_for(accepted, name);
        const auto got = received_ids(*receiver);
        BOOST_TEST(!want.empty());
        for (const auto& id : want)
            BOOST_TEST(got.count(id) == 1u, name << " never received " << id);
    }
    const auto want = ids_for(accepted, "changes");
    auto got = received_ids(changes);
    BOOST_TEST(!want.empty());
    for (const auto& id : want)
        BOOST_TEST(got.count(id) == 1u, "changes never received " << id);
    bool v2 = false;
    for (const auto& request : changes.requests())
        v2 = v2 || request.target == "/v2";
    BOOST_TEST(v2);
    // What was settled left the spool; nothing is stranded there.
    for (const auto& [name, spool] : spools)
        BOOST_TEST(spool->held().empty(),
                   name << " left " << spool->held().size() << " in its spool");
}

BOOST_AUTO_TEST_CASE(a_subscription_change_keeps_the_dispatcher_and_metrics_name_every_endpoint) {
    test_receiver r;
    auto registry = std::make_shared<webhook::metrics_registry>();
    webhook::hub_options options;
    options.metrics = registry;
    webhook::hub hub(options);
    hub.set(named("first", to(r), {{"incident.closed"}, {}}));
    hub.set(named("second", to(r)));
    BOOST_REQUIRE(hub.publish(app::incident{"INC1", 1}));
    hub.set(named("first", to(r), {{"incident.updated"}, {}})); // in place
    BOOST_REQUIRE(hub.publish(app::incident{"INC2", 1}));
    BOOST_REQUIRE(hub.flush(10s));
    BOOST_TEST(hub.counters("first")->delivered == 1u);
    BOOST_TEST(hub.counters("second")->delivered == 2u);
    const std::string text = registry->prometheus_text();
    BOOST_TEST(text.find(R"(webhook_events_total{endpoint="first",outcome="delivered"} 1)") !=
               std::string::npos);
    BOOST_TEST(text.find(R"(webhook_events_total{endpoint="second",outcome="delivered"} 2)") !=
               std::string::npos);
    hub.remove("first");
    // Its series go with the last of its dispatcher's work (at once here: nothing in flight).
    const auto until = std::chrono::steady_clock::now() + 5s;
    while (registry->prometheus_text().find(R"(endpoint="first")") != std::string::npos &&
           std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST(registry->prometheus_text().find(R"(endpoint="first")") == std::string::npos);
    BOOST_TEST(registry->prometheus_text().find(R"(endpoint="second")") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(ordering)

BOOST_AUTO_TEST_CASE(per_key_order_holds_under_random_failures_and_keys_interleave) {
    test_receiver r;
    std::mutex mutex;
    std::map<std::string, std::vector<int>> delivered; // per key, in the order answered 200
    std::vector<std::string> keys_in_order;
    std::minstd_rand random(20261206); // fixed seed: the same failures every run
    r.set_handler(
        [&](const webhook::test::recorded_request& request, webhook::test::response& reply) {
            std::lock_guard lock(mutex);
            if (random() % 10 < 3) { // 30% fail, and are retried
                reply.status = 503;
                return;
            }
            const auto body = boost::json::parse(request.body).as_object();
            const std::string key(body.at("workflow").as_string());
            BOOST_CHECK(request.header("webhook-ordering-key").value_or("") == key);
            delivered[key].push_back(static_cast<int>(body.at("seq").as_int64()));
            keys_in_order.push_back(key);
        });
    outcomes seen;
    webhook::hub hub(seen.options());
    auto e = to(r);
    e.max_in_flight = 8;
    e.retry =
        webhook::retry_policy::fixed_schedule(std::vector<std::chrono::milliseconds>(30, 2ms));
    hub.set(named("ordered", e));
    constexpr int keys = 6, per_key = 40;
    for (int seq = 0; seq < per_key; ++seq)
        for (int k = 0; k < keys; ++k)
            BOOST_REQUIRE(hub.publish(app::step{"wf" + std::to_string(k), seq}));
    BOOST_REQUIRE(seen.wait_for("ordered", keys * per_key));
    for (const auto& d : seen.of("ordered"))
        BOOST_TEST(d.ok());
    std::lock_guard lock(mutex);
    BOOST_TEST(delivered.size() == std::size_t{keys});
    for (const auto& [key, seqs] : delivered) {
        std::vector<int> expected(per_key);
        std::iota(expected.begin(), expected.end(), 0);
        BOOST_TEST(seqs == expected, boost::test_tools::per_element()); // strictly ascending
    }
    // In parallel: the keys' deliveries interleave rather than one key after the other.
    std::size_t switches = 0;
    for (std::size_t i = 1; i < keys_in_order.size(); ++i)
        switches += keys_in_order[i] != keys_in_order[i - 1];
    BOOST_TEST(switches > std::size_t{keys * per_key / 2});
}

BOOST_AUTO_TEST_SUITE_END()
