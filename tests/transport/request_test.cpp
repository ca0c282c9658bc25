#include <webhook/transport/request.hpp>

#define BOOST_TEST_MODULE transport_request
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <boost/beast/http/write.hpp>

#include <sstream>
#include <string>

using webhook::request_headers;
namespace http = boost::beast::http;

namespace {

std::string head_of(const webhook::http_request& req) {
    std::ostringstream os;
    os << req.base();
    return os.str();
}

} // namespace

BOOST_AUTO_TEST_CASE(basic_credentials_are_base64_of_user_colon_password) {
    BOOST_TEST(*webhook::basic_authorization("Aladdin", "open sesame") ==
               "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="); // RFC 7617 section 2
    BOOST_TEST(*webhook::basic_authorization("test", "123\xC2\xA3") ==
               "Basic dGVzdDoxMjPCow=="); // RFC 7617 section 2.1: UTF-8
    BOOST_TEST(*webhook::basic_authorization("a", "") == "Basic YTo=");
    BOOST_TEST(*webhook::basic_authorization("u", "p:w") == "Basic dTpwOnc="); // ':' in password
}

BOOST_AUTO_TEST_CASE(colon_in_the_user_id_is_a_configuration_error) {
    BOOST_TEST(webhook::basic_authorization("a:b", "pw").error() ==
               webhook::error::colon_in_user_id);
    BOOST_CHECK_THROW(request_headers().basic_auth("a:b", "pw"), boost::system::system_error);
}

BOOST_AUTO_TEST_CASE(control_characters_in_credentials_are_refused) {
    BOOST_TEST(webhook::basic_authorization("u", "p\r\nX-Injected: 1").error() ==
               webhook::error::invalid_header_value);
    BOOST_TEST(webhook::bearer_authorization("tok\nen").error() ==
               webhook::error::invalid_header_value);
    BOOST_TEST(webhook::bearer_authorization("").error() == webhook::error::invalid_header_value);
    BOOST_TEST(*webhook::bearer_authorization("abc.def-_~+/=") == "Bearer abc.def-_~+/=");
}

BOOST_AUTO_TEST_CASE(header_names_must_be_tokens_and_values_free_of_controls) {
    BOOST_TEST(!webhook::check_header("X-Api-Key", "k e y\tvalue"));
    BOOST_TEST(!webhook::check_header("!#$%&'*+-.^_`|~09azAZ", "v"));
    for (const char* name : {"", "Bad Name", "Bad:Name", "Bad\r\nName", "Bad(Name)", "N\xC3\xA9"})
        BOOST_TEST(webhook::check_header(name, "v") == webhook::error::invalid_header_name, name);
    using namespace std::string_literals;
    for (const std::string& value : {"a\rb"s, "a\nb"s, "a\0b"s, "a\x7f"s, "a\x01"s})
        BOOST_TEST(webhook::check_header("X", value) == webhook::error::invalid_header_value);
}

BOOST_AUTO_TEST_CASE(failed_header_errors_never_quote_the_value) {
    try {
        request_headers().add("X-Api-Key", "sup3rsecret\r\nEvil: 1");
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::invalid_header_value);
        BOOST_TEST(std::string(e.what()).find("sup3rsecret") == std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(request_has_the_exact_headers_in_order) {
    const webhook::endpoint_url url("https://itsm.example.com:8443/api/incidents?src=mon");
    request_headers headers;
    headers.basic_auth("webhook", "secret").add("X-Api-Key", "k1").add("X-Trace", "t");
    const auto req = webhook::make_request(http::verb::post, url, R"({"a":1})", headers);
    BOOST_TEST(head_of(req) == "POST /api/incidents?src=mon HTTP/1.1\r\n"
                               "Host: itsm.example.com:8443\r\n"
                               "User-Agent: webhook/0.1.0\r\n"
                               "Accept: application/json, */*\r\n"
                               "Content-Type: application/json; charset=utf-8\r\n"
                               "Authorization: Basic d2ViaG9vazpzZWNyZXQ=\r\n"
                               "X-Api-Key: k1\r\n"
                               "X-Trace: t\r\n"
                               "Content-Length: 7\r\n"
                               "\r\n");
    BOOST_TEST(req.body() == R"({"a":1})");
}

BOOST_AUTO_TEST_CASE(put_and_patch_and_custom_user_agent_and_bearer) {
    const webhook::endpoint_url url("http://h/r/1");
    request_headers headers;
    headers.bearer_auth("tkn").user_agent("ops-bridge/2");
    for (const auto verb : {http::verb::put, http::verb::patch}) {
        const auto req = webhook::make_request(verb, url, "{}", headers);
        BOOST_TEST(req.method() == verb);
        BOOST_TEST(req[http::field::authorization] == "Bearer tkn");
        BOOST_TEST(req[http::field::user_agent] == "ops-bridge/2");
        BOOST_TEST(req[http::field::content_length] == "2");
    }
}

BOOST_AUTO_TEST_CASE(methods_other_than_post_put_patch_are_refused) {
    const webhook::endpoint_url url("http://h/");
    for (const auto verb : {http::verb::get, http::verb::delete_, http::verb::head}) {
        try {
            (void)webhook::make_request(verb, url, "");
            BOOST_FAIL("no exception");
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == webhook::error::unsupported_method);
        }
    }
}
