#include <webhook/auth/detail/oauth2_client_credentials.hpp>

#define BOOST_TEST_MODULE auth_oauth2_client_credentials
#include <boost/test/unit_test.hpp>

#include "auth/base64.hpp"
#include "support/print.hpp"

#include <webhook/auth/authenticator.hpp>
#include <webhook/auth/detail/token_cache.hpp>

#include <boost/asio/error.hpp>

#include <chrono>
#include <string>

// OAuth 2.0 client credentials without sockets: the exact token request, the reading of the
// token endpoint's answer, and the header a request then carries.

using namespace std::chrono_literals;
using webhook::test::base64;

namespace {

webhook::oauth2_client_credentials credentials() {
    return {.token_url = "https://login.test:8443/oauth/token?tenant=a",
            .client_id = "svc webhooks",
            .client_secret = "s3cret/+",
            .scope = "incidents.write events.read"};
}

std::string field(const webhook::http_request& r, boost::beast::http::field f) {
    const auto it = r.find(f);
    return it == r.end() ? "<none>" : std::string(it->value());
}

webhook::http_response answer(unsigned status, std::string body) {
    webhook::http_response r;
    r.result(status);
    r.body() = std::move(body);
    return r;
}

struct test_clock {
    using duration = std::chrono::milliseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<test_clock>;
    static constexpr bool is_steady = true;
};

} // namespace

BOOST_AUTO_TEST_SUITE(the_token_request)

BOOST_AUTO_TEST_CASE(is_a_form_post_with_the_client_in_a_basic_header) {
    const auto auth = webhook::request_authenticator::make(credentials());
    BOOST_TEST(auth.enabled());
    BOOST_TEST(auth.needs_token());
    BOOST_TEST(auth.refresh_skew() == 60s);
    BOOST_TEST(auth.token_origin().host == "login.test");
    BOOST_TEST(auth.token_origin().port == 8443);
    webhook::request_headers common;
    common.user_agent("acme/2");
    common.add("X-Api-Key", "k-1"); // the endpoint's headers are not the token request's
    const webhook::http_request r = auth.token_request(common);
    namespace http = boost::beast::http;
    BOOST_TEST(r.method_string() == "POST");
    BOOST_TEST(r.target() == "/oauth/token?tenant=a");
    BOOST_TEST(field(r, http::field::host) == "login.test:8443");
    BOOST_TEST(field(r, http::field::user_agent) == "acme/2");
    BOOST_TEST(field(r, http::field::content_type) == "application/x-www-form-urlencoded");
    BOOST_TEST(field(r, http::field::accept) == "application/json");
    BOOST_TEST((r.find("X-Api-Key") == r.end()));
    // RFC 6749 2.3.1: the id and the secret are form-encoded first, then joined for Basic.
    BOOST_TEST(field(r, http::field::authorization) ==
               "Basic " + base64("svc+webhooks:s3cret%2F%2B"));
    BOOST_TEST(r.body() == "grant_type=client_credentials&scope=incidents.write+events.read");
    BOOST_TEST(field(r, http::field::content_length) == std::to_string(r.body().size()));
}

BOOST_AUTO_TEST_CASE(can_carry_the_client_in_the_body_with_an_audience) {
    auto c = credentials();
    c.client_authentication = webhook::oauth2_client_authentication::request_body;
    c.scope.clear();
    c.audience = "https://api.example.com";
    const webhook::detail::oauth2_client_credentials_scheme scheme(c);
    const webhook::http_request r = scheme.token_request({});
    BOOST_TEST(field(r, boost::beast::http::field::authorization) == "<none>");
    BOOST_TEST(r.body() == "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example.com"
                           "&client_id=svc+webhooks&client_secret=s3cret%2F%2B");
    BOOST_TEST(field(r, boost::beast::http::field::user_agent).rfind("webhook/", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(writes_no_fixed_header_on_the_requests) {
    webhook::request_headers headers;
    webhook::request_authenticator::make(credentials()).authorize(headers);
    BOOST_TEST(headers.authorization().empty()); // the token comes per request
    static_assert(webhook::detail::oauth2_client_credentials_scheme::needs_token);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(the_token_answer)

BOOST_AUTO_TEST_CASE(a_bearer_token_is_read_with_its_lifetime_and_becomes_the_header) {
    const auto auth = webhook::request_authenticator::make(credentials());
    const auto t = auth.read_token(
        {},
        answer(200, R"({"access_token":"abc.DEF-_~+/=","token_type":"bearer","expires_in":3600})"));
    BOOST_REQUIRE(t.has_value());
    BOOST_TEST(t->token == "abc.DEF-_~+/=");
    BOOST_TEST((t->expires_in == 3600s));
    BOOST_TEST(t->authorization == "Bearer abc.DEF-_~+/=");
    webhook::detail::token_cache<test_clock> cache(auth.refresh_skew());
    cache.fetched(*t, test_clock::time_point{});
    BOOST_TEST(cache.authorization() == "Bearer abc.DEF-_~+/=");
    // Without expires_in (or null), the token has no known end.
    const auto forever =
        auth.read_token({}, answer(201, R"({"access_token":"x","token_type":"Bearer",
                                            "expires_in":null})"));
    BOOST_REQUIRE(forever.has_value());
    BOOST_TEST(!forever->expires_in);
}

BOOST_AUTO_TEST_CASE(anything_but_a_well_formed_bearer_token_in_a_2xx_fails) {
    const auto auth = webhook::request_authenticator::make(credentials());
    const auto failed = [&](unsigned status, const char* body) {
        const auto t = auth.read_token({}, answer(status, body));
        return !t && t.error() == webhook::error::token_request_failed;
    };
    BOOST_TEST(failed(401, R"({"error":"invalid_client"})"));
    BOOST_TEST(failed(500, R"({"access_token":"x","token_type":"Bearer"})"));
    BOOST_TEST(failed(200, "not json"));
    BOOST_TEST(failed(200, R"(["access_token"])"));
    BOOST_TEST(failed(200, R"({"token_type":"Bearer"})"));
    BOOST_TEST(failed(200, R"({"access_token":"","token_type":"Bearer"})"));
    BOOST_TEST(failed(200, R"({"access_token":"x"})"));
    BOOST_TEST(failed(200, R"({"access_token":"x","token_type":"mac"})"));
    BOOST_TEST(failed(200, R"({"access_token":"a b","token_type":"Bearer"})"));
    BOOST_TEST(failed(200, R"({"access_token":"x","token_type":"Bearer","expires_in":-1})"));
    BOOST_TEST(failed(200, R"({"access_token":"x","token_type":"Bearer","expires_in":"1"})"));
}

BOOST_AUTO_TEST_CASE(a_transport_error_fails_and_a_refused_address_is_kept) {
    const auto auth = webhook::request_authenticator::make(credentials());
    const auto ok_body = answer(200, R"({"access_token":"x","token_type":"Bearer"})");
    const auto refused =
        auth.read_token(make_error_code(boost::asio::error::connection_refused), ok_body);
    BOOST_TEST((!refused && refused.error() == webhook::error::token_request_failed));
    const auto blocked =
        auth.read_token(make_error_code(webhook::error::address_not_allowed), ok_body);
    BOOST_TEST((!blocked && blocked.error() == webhook::error::address_not_allowed));
}

BOOST_AUTO_TEST_SUITE_END()
