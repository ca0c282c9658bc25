#include <webhook/transport/url.hpp>

#define BOOST_TEST_MODULE transport_url
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <string>

using webhook::endpoint_url;

BOOST_AUTO_TEST_CASE(default_ports_follow_the_scheme) {
    const endpoint_url plain("http://example.com/hook");
    BOOST_TEST(!plain.origin().tls);
    BOOST_TEST(plain.origin().host == "example.com");
    BOOST_TEST(plain.origin().port == 80u);
    BOOST_TEST(plain.host_header() == "example.com");
    BOOST_TEST(plain.target() == "/hook");

    const endpoint_url secure("https://example.com");
    BOOST_TEST(secure.origin().tls);
    BOOST_TEST(secure.origin().port == 443u);
    BOOST_TEST(secure.target() == "/"); // an empty path is sent as /
}

BOOST_AUTO_TEST_CASE(explicit_port_is_kept_in_the_host_header) {
    const endpoint_url u("https://itsm.example.com:8443/api/now/table/incident");
    BOOST_TEST(u.origin().port == 8443u);
    BOOST_TEST(u.host_header() == "itsm.example.com:8443");
    BOOST_TEST(u.target() == "/api/now/table/incident");
}

BOOST_AUTO_TEST_CASE(ipv6_literals_connect_without_brackets_and_send_them_in_host) {
    const endpoint_url u("http://[::1]:8080/x");
    BOOST_TEST(u.origin().host == "::1");
    BOOST_TEST(u.origin().port == 8080u);
    BOOST_TEST(u.host_header() == "[::1]:8080");
}

BOOST_AUTO_TEST_CASE(path_and_query_are_sent_byte_exact) {
    const endpoint_url u("http://h/a%2Fb/c%20d/?q=%E2%82%AC&x=1+2&empty=");
    BOOST_TEST(u.target() == "/a%2Fb/c%20d/?q=%E2%82%AC&x=1+2&empty=");
}

BOOST_AUTO_TEST_CASE(fragment_is_not_sent) {
    BOOST_TEST(endpoint_url("http://h/p?q=1#frag").target() == "/p?q=1");
}

BOOST_AUTO_TEST_CASE(only_http_and_https) {
    BOOST_TEST(endpoint_url::parse("ftp://h/").error() == webhook::error::unsupported_url_scheme);
    BOOST_TEST(endpoint_url::parse("ws://h/").error() == webhook::error::unsupported_url_scheme);
}

BOOST_AUTO_TEST_CASE(malformed_urls_are_refused) {
    for (const char* bad :
         {"", "example.com/hook", "/relative", "http://", "http:///x", "http://h:99999/",
          "http://h:0/", "http://h:/", "http://[::1/", "http://exa mple.com/"})
        BOOST_TEST(endpoint_url::parse(bad).error() == webhook::error::invalid_url, bad);
}

BOOST_AUTO_TEST_CASE(credentials_in_the_url_are_refused_and_never_quoted) {
    const auto r = endpoint_url::parse("https://user:s3cret@example.com/");
    BOOST_TEST(r.error() == webhook::error::url_has_credentials);
    try {
        endpoint_url u("https://user:s3cret@example.com/");
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::url_has_credentials);
        BOOST_TEST(std::string(e.what()).find("s3cret") == std::string::npos);
        BOOST_TEST(std::string(e.what()).find("user:") == std::string::npos);
    }
}
