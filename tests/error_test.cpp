#include <webhook/error.hpp>

#define BOOST_TEST_MODULE error
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <boost/system/system_error.hpp>

#include <set>
#include <string>

BOOST_AUTO_TEST_CASE(error_enum_converts_to_error_code_of_webhook_category) {
    const boost::system::error_code ec = webhook::error::invalid_utf8;
    BOOST_TEST(ec.category().name() == std::string("webhook"));
    BOOST_TEST(ec == webhook::error::invalid_utf8);
    BOOST_TEST(ec != webhook::error::non_finite_number);
    BOOST_TEST(ec.message() == "string is not valid UTF-8");
}

BOOST_AUTO_TEST_CASE(every_error_has_its_own_message) {
    std::set<std::string> messages;
    for (int e = static_cast<int>(webhook::error::invalid_utf8);
         e <= static_cast<int>(webhook::error::invalid_idempotency_key); ++e)
        messages.insert(webhook::make_error_code(static_cast<webhook::error>(e)).message());
    BOOST_TEST(messages.size() == 45u);
    BOOST_TEST(messages.count("unknown webhook error") == 0u);
    BOOST_TEST(webhook::error_category().message(999) == "unknown webhook error");
}

BOOST_AUTO_TEST_CASE(system_error_carries_code_and_message) {
    const boost::system::system_error e(webhook::error::non_finite_number, "context");
    BOOST_TEST(e.code() == webhook::error::non_finite_number);
    BOOST_TEST(std::string(e.what()).find("NaN") != std::string::npos);
}
