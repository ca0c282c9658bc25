#include <webhook/auth/detail/bearer.hpp>

#define BOOST_TEST_MODULE auth_bearer
#include <boost/test/unit_test.hpp>

#include "auth/authorization_sent.hpp"

#include "support/print.hpp"

#include <webhook/auth/authenticator.hpp>

#include <boost/system/system_error.hpp>

#include <string>

// A fixed bearer token (RFC 6750): the exact header it writes, and the tokens it refuses.

namespace {

webhook::request_authenticator bearer(std::string token) {
    return webhook::request_authenticator::make(
        webhook::bearer_auth{webhook::secret(std::move(token))});
}

using webhook::test::authorization_sent;

} // namespace

BOOST_AUTO_TEST_SUITE(bearer_authentication)

BOOST_AUTO_TEST_CASE(the_header_is_bearer_and_the_token_as_configured) {
    const auto auth = bearer("eyJhbGciOi.J9-_~+/=");
    BOOST_TEST(auth.enabled());
    BOOST_TEST(!auth.needs_token());
    BOOST_TEST(authorization_sent(auth) == "Bearer eyJhbGciOi.J9-_~+/=");
}

BOOST_AUTO_TEST_CASE(the_scheme_alone_writes_the_same_header) {
    const webhook::detail::bearer_auth_scheme scheme(webhook::bearer_auth{webhook::secret("t-1")});
    webhook::request_headers headers;
    scheme.authorize(headers);
    BOOST_TEST(headers.authorization() == "Bearer t-1");
    static_assert(!webhook::detail::bearer_auth_scheme::needs_token);
}

BOOST_AUTO_TEST_CASE(an_empty_token_or_one_with_a_space_or_control_character_is_refused) {
    for (const char* token : {"", "two words", "line\nbreak"}) {
        webhook::request_headers headers;
        BOOST_CHECK_EXCEPTION(bearer(token).authorize(headers), boost::system::system_error,
                              [](const auto& e) {
                                  return e.code() == webhook::error::invalid_header_value &&
                                         std::string(e.what()).find("words") == std::string::npos;
                              });
        BOOST_TEST(headers.authorization().empty());
    }
}

BOOST_AUTO_TEST_SUITE_END()
