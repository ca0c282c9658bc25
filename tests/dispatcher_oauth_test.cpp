#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_oauth
#include <boost/test/unit_test.hpp>

#include "support/dispatcher_fixture.hpp"
#include "support/print.hpp"
#include "support/test_receiver.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <string>

// OAuth 2.0 client credentials: the token is fetched through the dispatcher's own transport,
// cached, refreshed before it expires and after a receiver's 401, and never fetched by two
// requests at once. First over the scripted transport and the manual clock (exact requests,
// exact expiry), then end to end against the test receiver's token endpoint.

using namespace std::chrono_literals;
using namespace webhook::test;

namespace {

webhook::oauth2_client_credentials credentials() {
    return {.token_url = "https://login.test/oauth/token",
            .client_id = "svc webhooks",
            .client_secret = "s3cret/+",
            .scope = "incidents.write"};
}

webhook::endpoint oauth_endpoint() {
    webhook::endpoint e = make_endpoint();
    e.authentication = credentials();
    return e;
}

step token(std::string value, int expires_in = 3600) {
    step s = step::ok(200);
    s.headers = {{"Content-Type", "application/json"}};
    s.body = R"({"access_token":")" + value + R"(","token_type":"Bearer","expires_in":)" +
             std::to_string(expires_in) + "}";
    return s;
}

bool is_token_request(const sent_request& r) {
    return r.request.target() == "/oauth/token";
}

std::size_t token_requests(const script& s) {
    std::size_t n = 0;
    for (const auto& r : s.requests())
        n += is_token_request(r);
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(dispatcher_oauth)

BOOST_AUTO_TEST_CASE(the_token_request_is_a_form_post_with_basic_client_authentication) {
    test_dispatcher d{oauth_endpoint()};
    auto& log = d.transport().log();
    log.push({token("tok-1"), step::ok(200)});
    const auto r = d.send(inc001);
    BOOST_TEST(r.ok());
    const auto sent = log.requests();
    BOOST_REQUIRE(sent.size() == 2u);
    const auto& t = sent[0].request;
    BOOST_TEST(t.method_string() == "POST");
    BOOST_TEST(t.target() == "/oauth/token");
    BOOST_TEST(header(t, "Host") == "login.test");
    BOOST_TEST(header(t, "Content-Type") == "application/x-www-form-urlencoded");
    // RFC 6749 2.3.1: id and secret form-encoded, then Basic: "svc+webhooks:s3cret%2F%2B".
    BOOST_TEST(header(t, "Authorization") == "Basic c3ZjK3dlYmhvb2tzOnMzY3JldCUyRiUyQg==");
    BOOST_TEST(t.body() == "grant_type=client_credentials&scope=incidents.write");
    BOOST_TEST(header(t, "Content-Length") == std::to_string(t.body().size()));
    BOOST_TEST(header(sent[1].request, "Authorization") == "Bearer tok-1");
    BOOST_TEST(sent[1].request.body() == inc001_body);
}

BOOST_AUTO_TEST_CASE(client_credentials_can_go_in_the_body_with_an_audience) {
    webhook::endpoint e = oauth_endpoint();
    auto c = credentials();
    c.client_authentication = webhook::oauth2_client_authentication::request_body;
    c.audience = "https://api.example.com";
    c.scope.clear();
    e.authentication = c;
    test_dispatcher d{e};
    auto& log = d.transport().log();
    log.push({token("tok-1"), step::ok(200)});
    BOOST_TEST(d.send(inc001).ok());
    const auto sent = log.requests();
    const auto& t = sent.at(0).request;
    BOOST_TEST(header(t, "Authorization") == "<none>");
    BOOST_TEST(t.body() == "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com"
                           "&client_id=svc+webhooks&client_secret=s3cret%2F%2B");
}

BOOST_AUTO_TEST_CASE(the_token_is_kept_until_the_skew_before_it_expires) {
    test_dispatcher d{oauth_endpoint()}; // refresh_skew 60 s
    auto& log = d.transport().log();
    log.push(
        {token("tok-1", 120), step::ok(200), step::ok(200), token("tok-2", 120), step::ok(200)});
    BOOST_TEST(d.send(inc001).ok());
    manual_clock::advance(59s); // 1 s before 120 - 60
    BOOST_TEST(d.send(inc001).ok());
    manual_clock::advance(1s); // now the token counts as expired
    BOOST_TEST(d.send(inc001).ok());
    const auto sent = log.requests();
    BOOST_REQUIRE(sent.size() == 5u);
    BOOST_TEST(is_token_request(sent[0]));
    BOOST_TEST(header(sent[1].request, "Authorization") == "Bearer tok-1");
    BOOST_TEST(header(sent[2].request, "Authorization") == "Bearer tok-1");
    BOOST_TEST(is_token_request(sent[3]));
    BOOST_TEST(header(sent[4].request, "Authorization") == "Bearer tok-2");
}

BOOST_AUTO_TEST_CASE(a_401_fetches_a_new_token_once_and_sends_again) {
    test_dispatcher d{oauth_endpoint()};
    auto& log = d.transport().log();
    log.push({token("tok-1"), step::ok(401), token("tok-2"), step::ok(200)});
    const auto r = d.send(inc001);
    BOOST_TEST(r.ok());
    BOOST_REQUIRE(r.attempts.size() == 2u);
    BOOST_TEST(r.attempts[0].status == 401);
    BOOST_TEST(r.attempts[0].retry_delay == 0ms);
    BOOST_TEST(r.attempts[1].status == 200);
    const auto sent = log.requests();
    BOOST_REQUIRE(sent.size() == 4u);
    BOOST_TEST(header(sent[1].request, "Authorization") == "Bearer tok-1");
    BOOST_TEST(is_token_request(sent[2]));
    BOOST_TEST(header(sent[3].request, "Authorization") == "Bearer tok-2");
    BOOST_TEST(header(sent[3].request, "webhook-id") == header(sent[1].request, "webhook-id"));
    BOOST_TEST(d.counters().retried_attempts == 1u);
}

BOOST_AUTO_TEST_CASE(a_second_401_is_a_refusal_not_a_loop) {
    test_dispatcher d{oauth_endpoint()};
    auto& log = d.transport().log();
    log.push({token("tok-1"), step::ok(401), token("tok-2"), step::ok(401)});
    const auto r = d.send(inc001);
    BOOST_TEST(r.error == webhook::error::rejected_by_receiver);
    BOOST_TEST(r.http_status == 401);
    BOOST_TEST(r.attempts.size() == 2u);
    BOOST_TEST(log.request_count() == 4u);
    BOOST_TEST(token_requests(log) == 2u);
}

BOOST_AUTO_TEST_CASE(concurrent_requests_share_one_token_request) {
    webhook::endpoint e = oauth_endpoint();
    e.max_in_flight = 8;
    outcome_log outcomes;
    test_dispatcher d{e, outcomes.options()};
    auto& log = d.transport().log();
    step held = token("tok-1");
    held.hold = true;
    log.push(held);
    for (int i = 0; i < 8; ++i)
        BOOST_REQUIRE(d.post(inc001));
    BOOST_REQUIRE(log.wait_for_held(1));
    BOOST_TEST(log.request_count() == 1u); // eight requests wait; one asks
    log.release();
    BOOST_REQUIRE(outcomes.wait_for(8));
    BOOST_TEST(d.flush(10s));
    const auto sent = log.requests();
    BOOST_REQUIRE(sent.size() == 9u);
    BOOST_TEST(token_requests(log) == 1u);
    for (std::size_t i = 1; i < sent.size(); ++i)
        BOOST_TEST(header(sent[i].request, "Authorization") == "Bearer tok-1");
    BOOST_TEST(d.counters().delivered == 8u);
}

BOOST_AUTO_TEST_CASE(a_failing_token_endpoint_fails_the_attempt_and_the_retry_fetches_again) {
    test_dispatcher d{oauth_endpoint()}; // retries after 1 s, 2 s, 4 s
    auto& log = d.transport().log();
    step refused = step::ok(401);
    refused.body = R"({"error":"invalid_client"})";
    log.push({refused, step::fail(boost::asio::error::connection_refused), token("tok-1"),
              step::ok(200)});
    std::promise<webhook::delivery> outcome;
    auto settled = outcome.get_future();
    d.async_send(inc001, [&](webhook::delivery r) { outcome.set_value(std::move(r)); });
    advance_after(log, 1, 1s);
    advance_after(log, 2, 2s);
    BOOST_REQUIRE(settled.wait_for(10s) == std::future_status::ready);
    const webhook::delivery result = settled.get();
    BOOST_TEST(result.ok());
    BOOST_REQUIRE(result.attempts.size() == 3u);
    BOOST_TEST(result.attempts[0].error == webhook::error::token_request_failed);
    BOOST_TEST(result.attempts[0].status == 0);
    BOOST_TEST(result.attempts[0].body_excerpt == R"({"error":"invalid_client"})");
    BOOST_TEST(result.attempts[0].retry_delay == 1s);
    BOOST_TEST(result.attempts[1].error == webhook::error::token_request_failed);
    BOOST_TEST(result.attempts[1].body_excerpt.empty());
    BOOST_TEST(result.attempts[2].status == 200);
    BOOST_TEST(token_requests(log) == 3u);
}

BOOST_AUTO_TEST_CASE(a_token_response_that_is_not_a_bearer_token_is_a_failure_without_excerpt) {
    webhook::endpoint e = oauth_endpoint();
    e.retry = webhook::retry_policy::none();
    for (const char* body :
         {R"({"access_token":"abc","token_type":"mac"})", R"({"token_type":"Bearer"})",
          R"({"access_token":"a b","token_type":"Bearer"})",
          R"({"access_token":"abc","token_type":"Bearer","expires_in":-5})",
          R"({"access_token":"abc","token_type":"Bearer","expires_in":"soon"})", "not json"}) {
        test_dispatcher d{e};
        auto& log = d.transport().log();
        step s = step::ok(200);
        s.body = body;
        log.push(s);
        const auto r = d.send(inc001);
        BOOST_TEST(r.error == webhook::error::token_request_failed, body);
        BOOST_REQUIRE(r.attempts.size() == 1u);
        BOOST_TEST(r.attempts[0].error == webhook::error::token_request_failed, body);
        BOOST_TEST(r.attempts[0].body_excerpt.empty(), body); // a 2xx body may hold a token
        BOOST_TEST(log.request_count() == 1u, body);          // the receiver saw nothing
    }
}

BOOST_AUTO_TEST_CASE(a_token_endpoint_the_destination_policy_refuses_fails_at_once) {
    // As a refused receiver does: address_not_allowed, no retry, and never token_request_failed.
    test_dispatcher d{oauth_endpoint()}; // 4 attempts allowed
    auto& log = d.transport().log();
    log.push(step::fail(webhook::error::address_not_allowed));
    const auto r = d.send(inc001);
    BOOST_TEST(r.status == webhook::delivery_status::failed);
    BOOST_TEST(r.error == webhook::error::address_not_allowed);
    BOOST_REQUIRE(r.attempts.size() == 1u);
    BOOST_TEST(r.attempts[0].error == webhook::error::address_not_allowed);
    BOOST_TEST(log.request_count() == 1u); // the token request only
    BOOST_TEST(d.counters().retried_attempts == 0u);
}

BOOST_AUTO_TEST_CASE(end_to_end_with_the_token_endpoint_of_a_receiver) {
    test_receiver receiver;
    std::atomic<int> tokens_issued = 0;
    receiver.set_handler([&](const recorded_request& req, response& res) {
        if (req.target == "/token") {
            const int n = ++tokens_issued;
            res.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
            res.body = R"({"access_token":"live-)" + std::to_string(n) +
                       R"(","token_type":"bearer","expires_in":3600})";
            return;
        }
        // The first token is "revoked": the receiver refuses it.
        const auto auth = req.header("Authorization");
        res.status = auth == "Bearer live-1" ? 401 : auth == "Bearer live-2" ? 200 : 403;
    });
    webhook::endpoint e;
    e.url = receiver.url("/hook");
    e.data_location = webhook::data_path("root/result");
    e.authentication = webhook::oauth2_client_credentials{
        .token_url = receiver.url("/token"), .client_id = "client", .client_secret = "secret"};
    webhook::dispatcher d{e};
    for (int i = 0; i < 3; ++i) {
        const auto r = d.send(inc001);
        BOOST_TEST(r.ok(), "status " << r.http_status << ", " << r.error.message());
    }
    BOOST_TEST(tokens_issued == 2);
    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 6u); // token, 401, token, 200, 200, 200
    BOOST_TEST(got[0].target == "/token");
    BOOST_TEST(*got[0].header("Authorization") == "Basic Y2xpZW50OnNlY3JldA==");
    BOOST_TEST(got[0].body == "grant_type=client_credentials");
    BOOST_TEST(got[2].target == "/token");
    for (std::size_t i : {3u, 4u, 5u}) {
        BOOST_TEST(got[i].target == "/hook");
        BOOST_TEST(*got[i].header("Authorization") == "Bearer live-2");
    }
}

BOOST_AUTO_TEST_CASE(end_to_end_a_token_endpoint_that_is_down_fails_clearly) {
    test_receiver receiver;
    receiver.set_handler([](const recorded_request& req, response& res) {
        if (req.target == "/token") {
            res.status = 503;
            res.body = R"({"error":"temporarily_unavailable"})";
        }
    });
    webhook::endpoint e;
    e.url = receiver.url("/hook");
    e.retry = webhook::retry_policy::fixed_schedule({10ms});
    e.authentication = webhook::oauth2_client_credentials{
        .token_url = receiver.url("/token"), .client_id = "client", .client_secret = "secret"};
    webhook::dispatcher d{e};
    const auto r = d.send(inc001);
    BOOST_TEST(r.error == webhook::error::token_request_failed);
    BOOST_REQUIRE(r.attempts.size() == 2u);
    for (const auto& a : r.attempts) {
        BOOST_TEST(a.error == webhook::error::token_request_failed);
        BOOST_TEST(a.body_excerpt == R"({"error":"temporarily_unavailable"})");
    }
    for (const auto& req : receiver.requests())
        BOOST_TEST(req.target == "/token"); // the hook never saw a request without a token
}

BOOST_AUTO_TEST_SUITE_END()
