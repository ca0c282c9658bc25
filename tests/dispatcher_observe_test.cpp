#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_observe
#include <boost/test/unit_test.hpp>

#include "support/test_receiver.hpp"

#include <webhook/observe/metrics.hpp>

#include <boost/asio/use_future.hpp>
#include <boost/describe.hpp>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

// What a dispatcher tells about itself, checked against what a loopback receiver saw: attempt
// records, W3C trace context on every attempt, and the metrics after a scripted run.

using namespace std::chrono_literals;
using webhook::test::behaviour;
using webhook::test::test_receiver;

namespace {

struct incident {
    std::string id;
    int priority = 0;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))

const std::string caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

webhook::endpoint endpoint_for(const test_receiver& r) {
    webhook::endpoint e;
    e.url = r.url("/hook?token=secret");
    e.retry = webhook::retry_policy::fixed_schedule({10ms, 10ms});
    e.timeouts.request = 2s;
    return e;
}

/// An attempt record with its views copied.
struct kept_record {
    webhook::attempt_record record;
    std::string endpoint, url, trace_id, span_id, json;
};

struct record_log {
    std::mutex mutex;
    std::vector<kept_record> records;

    std::function<void(const webhook::attempt_record&)> hook() {
        return [this](const webhook::attempt_record& r) {
            std::lock_guard lock(mutex);
            kept_record k{r,
                          std::string(r.endpoint),
                          std::string(r.url),
                          std::string(r.trace_id),
                          std::string(r.span_id),
                          webhook::to_json_line(r)};
            records.push_back(std::move(k));
        };
    }
    std::vector<kept_record> all() {
        std::lock_guard lock(mutex);
        return records;
    }
};

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_observe)

BOOST_AUTO_TEST_CASE(attempt_records_match_what_the_receiver_saw) {
    test_receiver receiver;
    receiver.push(behaviour::respond(503, "busy"));
    record_log log;
    webhook::dispatcher_options o;
    o.name = "billing";
    o.on_attempt = log.hook();
    webhook::dispatcher d{endpoint_for(receiver), o};
    const auto r = d.send(incident{"INC001", 2}, {{"traceparent", caller}, {"tracestate", "k=v"}});
    BOOST_REQUIRE(r.ok());
    const auto got = receiver.requests();
    const auto records = log.all();
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_REQUIRE(records.size() == 2u);
    for (std::size_t i = 0; i < 2; ++i) {
        const auto& k = records[i];
        BOOST_TEST(k.endpoint == "billing");
        BOOST_TEST(k.url == receiver.url("/hook") + "?***");
        BOOST_TEST(k.record.number == i + 1);
        BOOST_TEST(k.record.status == (i == 0 ? 503 : 200));
        BOOST_TEST(k.record.id == r.id);
        BOOST_TEST(*got[i].header("webhook-id") == std::string(r.id.view()));
        // Each attempt is a new span of the caller's trace; the tracestate goes as it came.
        BOOST_TEST(k.trace_id == "4bf92f3577b34da6a3ce929d0e0e4736");
        BOOST_TEST(*got[i].header("traceparent") ==
                   "00-4bf92f3577b34da6a3ce929d0e0e4736-" + k.span_id + "-01");
        BOOST_TEST(*got[i].header("tracestate") == "k=v");
        // The transport's figures: exactly the bytes the receiver read, a new connection
        // first and the same one kept alive for the retry.
        BOOST_TEST(k.record.timed);
        BOOST_TEST(k.record.bytes_sent == got[i].raw_head.size() + got[i].body.size());
        BOOST_TEST(k.record.reused == (i == 1));
        BOOST_TEST((k.record.connect > 0ns) == (i == 0));
        BOOST_TEST((k.record.total >= k.record.first_byte));
        BOOST_TEST((k.record.queue_wait >= 0ns));
    }
    BOOST_TEST(records[0].span_id != records[1].span_id);
    BOOST_TEST(records[0].span_id != "00f067aa0ba902b7");
    BOOST_TEST((records[0].record.retry_delay == std::optional(10ms)));
    BOOST_TEST(!records[1].record.retry_delay);
    // One JSON line per record, with the fields by name.
    const std::string& line = records[0].json;
    BOOST_TEST(line.back() == '\n');
    BOOST_TEST(line.find(R"("endpoint":"billing")") != std::string::npos, line);
    BOOST_TEST(line.find(R"("attempt":1,"method":"POST")") != std::string::npos, line);
    BOOST_TEST(line.find(R"("status":503)") != std::string::npos, line);
    BOOST_TEST(line.find(R"("retry_delay_ms":10)") != std::string::npos, line);
    BOOST_TEST(line.find("\"span_id\":\"" + records[0].span_id + "\"") != std::string::npos, line);
}

BOOST_AUTO_TEST_CASE(the_current_trace_hook_traces_events_posted_without_one) {
    test_receiver receiver;
    webhook::dispatcher_options o;
    int asked = 0;
    o.current_trace = [&]() -> std::optional<webhook::trace_context> {
        ++asked;
        return webhook::trace_context::parse(caller).value();
    };
    webhook::dispatcher d{endpoint_for(receiver), o};
    BOOST_TEST(d.send(incident{"A", 1}).ok());
    // An event's own traceparent wins over the hook's.
    const std::string own = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
    BOOST_TEST(d.send(incident{"B", 1}, {{"traceparent", own}}).ok());
    BOOST_TEST(asked == 1);
    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(got[0].header("traceparent")->substr(0, 36) == caller.substr(0, 36));
    BOOST_TEST(got[1].header("traceparent")->substr(0, 36) == own.substr(0, 36));
    BOOST_TEST(got[1].header("traceparent")->substr(52) == "-00");
    BOOST_TEST(!got[0].header("tracestate"));
}

BOOST_AUTO_TEST_CASE(a_bad_trace_context_is_refused_by_every_entry_point) {
    test_receiver receiver;
    webhook::dispatcher d{endpoint_for(receiver)};
    const webhook::event_headers bad_parent{{"traceparent", "00-00000000000000000000000000000000-"
                                                            "00f067aa0ba902b7-01"}};
    const webhook::event_headers lone_state{{"tracestate", "k=v"}};
    const webhook::event_headers bad_state{{"traceparent", caller}, {"tracestate", "K=v"}};
    const std::pair<const webhook::event_headers*, webhook::error> cases[] = {
        {&bad_parent, webhook::error::invalid_traceparent},
        {&lone_state, webhook::error::invalid_tracestate},
        {&bad_state, webhook::error::invalid_tracestate},
    };
    for (const auto& [headers, why] : cases) {
        const auto posted = d.post(incident{"A", 1}, *headers);
        BOOST_TEST((!posted && posted.error() == why));
        const auto sent = d.send(incident{"A", 1}, *headers);
        BOOST_TEST((sent.status == webhook::delivery_status::rejected && sent.error == why));
        const auto async = d.async_send(incident{"A", 1}, *headers, boost::asio::use_future).get();
        BOOST_TEST((async.status == webhook::delivery_status::rejected && async.error == why));
    }
    BOOST_TEST(receiver.request_count() == 0u);
    BOOST_TEST(d.counters().rejected == 9u);
}

BOOST_AUTO_TEST_CASE(metrics_are_exact_after_a_scripted_run) {
    test_receiver receiver;
    receiver.push({behaviour::respond(503), behaviour::respond(503), behaviour::respond(404)});
    auto registry = std::make_shared<webhook::metrics_registry>();
    webhook::dispatcher_options o;
    o.name = "billing";
    o.metrics = registry;
    {
        webhook::dispatcher d{endpoint_for(receiver), o};
        BOOST_TEST(d.send(incident{"A", 1}).status == webhook::delivery_status::failed); //
        BOOST_TEST(d.send(incident{"B", 1}).ok());
        BOOST_TEST(d.send(incident{"C", 1}).ok());
        const std::string text = registry->prometheus_text();
        for (const char* line : {
                 "webhook_attempts_total{endpoint=\"billing\",status=\"2xx\"} 2\n",
                 "webhook_attempts_total{endpoint=\"billing\",status=\"4xx\"} 1\n",
                 "webhook_attempts_total{endpoint=\"billing\",status=\"5xx\"} 2\n",
                 "webhook_attempts_total{endpoint=\"billing\",status=\"error\"} 0\n",
                 "webhook_attempt_duration_seconds_count{endpoint=\"billing\"} 5\n",
                 "webhook_delivery_delay_seconds_count{endpoint=\"billing\"} 3\n",
                 "webhook_events_accepted_total{endpoint=\"billing\"} 3\n",
                 "webhook_events_total{endpoint=\"billing\",outcome=\"delivered\"} 2\n",
                 "webhook_events_total{endpoint=\"billing\",outcome=\"failed\"} 1\n",
                 "webhook_retried_attempts_total{endpoint=\"billing\"} 2\n",
                 "webhook_queue_depth{endpoint=\"billing\"} 0\n",
                 "webhook_circuit_state{endpoint=\"billing\"} 0\n",
                 "webhook_concurrency_limit{endpoint=\"billing\"} 8\n",
             })
            BOOST_TEST(text.find(line) != std::string::npos, line << "in:\n" << text);
    }
    // A destroyed dispatcher's series go with it.
    BOOST_TEST(registry->prometheus_text().find("billing") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
