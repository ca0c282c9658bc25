#include <webhook/version.hpp>

#define BOOST_TEST_MODULE version
#include <boost/test/unit_test.hpp>

#include <string_view>

BOOST_AUTO_TEST_CASE(version_number_and_text_agree) {
    constexpr std::string_view text = WEBHOOK_VERSION_STRING;
    BOOST_TEST(text == "0.1.0");
    BOOST_TEST(WEBHOOK_VERSION == 100);
}
