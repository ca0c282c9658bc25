#include <webhook/auth/detail/basic.hpp>

#define BOOST_TEST_MODULE auth_basic
#include <boost/test/unit_test.hpp>

#include "auth/authorization_sent.hpp"

#include "auth/base64.hpp"
#include "support/print.hpp"

#include <webhook/auth/authenticator.hpp>

#include <boost/system/system_error.hpp>

#include <string>

// HTTP Basic authentication (RFC 7617): the exact header it writes, computed here from the
// user and password, and the credentials it refuses.

using webhook::test::base64;

namespace {

using webhook::test::authorization_sent;

webhook::request_authenticator basic(std::string user, std::string password) {
    return webhook::request_authenticator::make(
        webhook::basic_auth{std::move(user), webhook::secret(std::move(password))});
}

} // namespace

BOOST_AUTO_TEST_SUITE(basic_authentication)

BOOST_AUTO_TEST_CASE(the_header_is_basic_and_the_base64_of_user_colon_password) {
    const auto auth = basic("integration", "from-a-vault");
    BOOST_TEST(auth.enabled());
    BOOST_TEST(!auth.needs_token());
    BOOST_TEST(authorization_sent(auth) == "Basic " + base64("integration:from-a-vault"));
    BOOST_TEST(authorization_sent(auth) == "Basic aW50ZWdyYXRpb246ZnJvbS1hLXZhdWx0");
}

BOOST_AUTO_TEST_CASE(the_scheme_alone_writes_the_same_header) {
    const webhook::detail::basic_auth_scheme scheme(webhook::basic_auth{"u", webhook::secret("p")});
    webhook::request_headers headers;
    scheme.authorize(headers);
    BOOST_TEST(headers.authorization() == "Basic " + base64("u:p"));
    static_assert(!webhook::detail::basic_auth_scheme::needs_token);
}

BOOST_AUTO_TEST_CASE(utf8_and_colons_in_the_password_are_sent_as_they_are) {
    // RFC 7617: the user-id may not hold ':', the password may; bytes go as given (UTF-8).
    const std::string password = "p\xC3\xA4ss:w:rd";
    BOOST_TEST(authorization_sent(basic("j\xC3\xBCrgen", password)) ==
               "Basic " + base64("j\xC3\xBCrgen:" + password));
    BOOST_TEST(authorization_sent(basic("user", "")) == "Basic " + base64("user:"));
}

BOOST_AUTO_TEST_CASE(a_colon_in_the_user_id_or_a_control_character_is_refused) {
    webhook::request_headers headers;
    BOOST_CHECK_EXCEPTION(basic("domain:user", "s3cret").authorize(headers),
                          boost::system::system_error, [](const auto& e) {
                              return e.code() == webhook::error::colon_in_user_id &&
                                     std::string(e.what()).find("s3cret") == std::string::npos;
                          });
    BOOST_CHECK_EXCEPTION(basic("user", "line\r\nbreak").authorize(headers),
                          boost::system::system_error, [](const auto& e) {
                              return e.code() == webhook::error::invalid_header_value &&
                                     std::string(e.what()).find("break") == std::string::npos;
                          });
    BOOST_TEST(headers.authorization().empty());
}

BOOST_AUTO_TEST_CASE(an_authorization_header_added_before_conflicts) {
    webhook::request_headers headers;
    headers.add("Authorization", "Token abc");
    BOOST_CHECK_EXCEPTION(
        basic("user", "pass").authorize(headers), boost::system::system_error,
        [](const auto& e) { return e.code() == webhook::error::reserved_header; });
    // And after it: an extra Authorization header is refused.
    webhook::request_headers after;
    basic("user", "pass").authorize(after);
    BOOST_CHECK_EXCEPTION(
        after.add("authorization", "Token abc"), boost::system::system_error,
        [](const auto& e) { return e.code() == webhook::error::reserved_header; });
}

BOOST_AUTO_TEST_SUITE_END()
