#include <webhook/auth/detail/none.hpp>

#define BOOST_TEST_MODULE auth_none
#include <boost/test/unit_test.hpp>

#include "auth/authorization_sent.hpp"

#include "support/print.hpp"

#include <webhook/auth/authenticator.hpp>

#include <stdexcept>
#include <string>

// No authentication: no Authorization header, and no token to obtain.

namespace {

using webhook::test::authorization_sent;

} // namespace

BOOST_AUTO_TEST_SUITE(no_authentication)

BOOST_AUTO_TEST_CASE(no_auth_writes_no_header) {
    const auto none = webhook::request_authenticator::make(webhook::no_auth{});
    BOOST_TEST(!none.enabled());
    BOOST_TEST(!none.needs_token());
    BOOST_TEST(none.refresh_skew().count() == 0);
    BOOST_TEST(authorization_sent(none) == "<none>");
    BOOST_TEST(authorization_sent(webhook::request_authenticator{}) == "<none>");
    BOOST_CHECK_THROW(none.token_request({}), std::logic_error);
    BOOST_CHECK_THROW(none.token_origin(), std::logic_error);
    BOOST_CHECK_THROW(none.read_token({}, {}), std::logic_error);
}

BOOST_AUTO_TEST_CASE(an_api_key_header_is_still_allowed) {
    webhook::request_headers headers;
    webhook::request_authenticator::make(webhook::no_auth{}).authorize(headers);
    headers.add("Authorization", "Token abc"); // an API key in the Authorization header
    BOOST_TEST(headers.extra().size() == 1u);
    static_assert(!webhook::detail::no_auth_scheme::needs_token);
}

BOOST_AUTO_TEST_SUITE_END()
