#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_receiver
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/test_pki.hpp"
#include "support/test_receiver.hpp"

#include <boost/describe.hpp>

#include <chrono>
#include <string>

// The dispatcher over the built-in Beast transport, end to end against the test receiver on
// loopback: what a user gets, bytes on the wire included.

using namespace std::chrono_literals;
namespace http = boost::beast::http;
using webhook::test::behaviour;
using webhook::test::test_receiver;

namespace {

struct incident {
    std::string id;
    int priority = 0;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state))

const std::string inc001_body = R"({"root":{"result":{"id":"INC001","priority":2,"state":"new"}}})";

webhook::endpoint endpoint_for(const test_receiver& r, http::verb method, std::string path) {
    webhook::endpoint e;
    e.url = r.url(path);
    e.method = method;
    e.data_location = webhook::data_path("root/result");
    e.authentication = webhook::basic_auth{"svc-user", "s3cret"};
    e.retry = webhook::retry_policy::fixed_schedule({10ms, 10ms});
    e.timeouts.request = 2s;
    return e;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_receiver)

BOOST_AUTO_TEST_CASE(post_put_and_patch_reach_the_receiver_byte_exact) {
    test_receiver receiver;
    for (const auto method : {http::verb::post, http::verb::put, http::verb::patch}) {
        webhook::dispatcher d{endpoint_for(receiver, method, "/api/incidents/{id}")};
        const auto r = d.send(incident{"INC001", 2, "new"});
        BOOST_TEST(r.ok());
        BOOST_TEST(r.http_status == 200);
    }
    BOOST_REQUIRE(receiver.wait_for_requests(3, 10s));
    const auto got = receiver.requests();
    const char* methods[] = {"POST", "PUT", "PATCH"};
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(got[i].method == methods[i]);
        BOOST_TEST(got[i].target == "/api/incidents/INC001");
        BOOST_TEST(got[i].body == inc001_body);
        BOOST_TEST(*got[i].header("Authorization") == "Basic c3ZjLXVzZXI6czNjcmV0");
        BOOST_TEST(*got[i].header("Content-Type") == "application/json; charset=utf-8");
        BOOST_TEST(got[i].header("webhook-id")->size() == 26u);
    }
}

BOOST_AUTO_TEST_CASE(a_503_is_retried_with_the_same_id_and_then_delivered) {
    test_receiver receiver;
    receiver.push(behaviour::respond(503, "busy"));
    webhook::dispatcher d{endpoint_for(receiver, http::verb::post, "/hook")};
    const auto r = d.send(incident{"INC001", 2, "new"});
    BOOST_TEST(r.ok());
    BOOST_REQUIRE(r.attempts.size() == 2u);
    BOOST_TEST(r.attempts[0].status == 503);
    BOOST_TEST(r.attempts[0].body_excerpt == "busy");
    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 2u);
    BOOST_TEST(*got[0].header("webhook-id") == std::string(r.id.view()));
    BOOST_TEST(*got[1].header("webhook-id") == std::string(r.id.view()));
    BOOST_TEST(got[1].body == inc001_body);
}

BOOST_AUTO_TEST_CASE(a_connection_closed_without_response_is_retried) {
    test_receiver receiver;
    receiver.push(behaviour::close_without_response());
    webhook::dispatcher d{endpoint_for(receiver, http::verb::post, "/hook")};
    const auto r = d.send(incident{"INC001", 2, "new"});
    BOOST_TEST(r.ok());
    BOOST_REQUIRE(r.attempts.size() == 2u);
    BOOST_TEST(!!r.attempts[0].error);
    BOOST_TEST(receiver.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_receiver_that_never_answers_times_out_and_the_event_fails) {
    test_receiver receiver;
    receiver.set_default_behaviour(behaviour::never_answer());
    auto e = endpoint_for(receiver, http::verb::post, "/hook");
    e.timeouts.request = 100ms;
    e.retry = webhook::retry_policy::fixed_schedule({10ms});
    webhook::dispatcher d{e};
    const auto r = d.send(incident{"INC001", 2, "new"});
    BOOST_TEST(r.status == webhook::delivery_status::failed);
    BOOST_TEST(r.error == make_error_code(boost::beast::error::timeout)); // the last cause
    BOOST_REQUIRE(r.attempts.size() == 2u);
    BOOST_TEST(r.attempts[1].error == make_error_code(boost::beast::error::timeout));
}

BOOST_AUTO_TEST_CASE(posted_events_over_tls_are_all_delivered_on_kept_alive_connections) {
    const auto& pki = webhook::test::test_pki::shared();
    webhook::test::receiver_options o;
    o.tls = true;
    o.cert_chain_pem = pki.server_cert;
    o.private_key_pem = pki.server_key;
    test_receiver receiver(o);
    auto e = endpoint_for(receiver, http::verb::post, "/hook");
    e.url =
        "https://localhost:" + receiver.url("/hook").substr(receiver.url("/hook").rfind(':') + 1);
    e.tls.ca_file = webhook::test::write_temp_file(pki.ca_cert, ".pem");
    e.max_in_flight = 2;
    std::atomic<int> delivered{0};
    webhook::dispatcher_options opts;
    opts.on_outcome = [&](const webhook::delivery& r) { delivered += r.ok(); };
    {
        webhook::dispatcher d{e, opts};
        for (int i = 0; i < 20; ++i)
            BOOST_REQUIRE(d.post(incident{"INC" + std::to_string(i), i, "new"}));
        BOOST_TEST(d.flush(10s));
        BOOST_TEST(d.counters().delivered == 20u);
    }
    BOOST_TEST(delivered == 20);
    BOOST_TEST(receiver.request_count() == 20u);
    BOOST_TEST(receiver.connections_accepted() <= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
