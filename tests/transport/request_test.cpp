#include <webhook/transport/request.hpp>

#define BOOST_TEST_MODULE transport_request
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <boost/beast/http/write.hpp>

#include <iterator>
#include <sstream>
#include <string>
#include <utility>

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

BOOST_AUTO_TEST_CASE(names_make_request_sets_or_that_frame_the_message_cannot_be_added) {
    // Whatever their case: a second Host or Content-Length would make the request ambiguous.
    const std::pair<const char*, const char*> refused[] = {
        {"Host", "is set by the library"},
        {"host", "is set by the library"},
        {"CONTENT-LENGTH", "is set by the library"},
        {"Transfer-Encoding", "is set by the library"},
        {"connection", "is set by the library"},
        {"Content-type", "is set by the library"},
        {"user-agent", "is set by user_agent"},
        {"Keep-Alive", "is a hop-by-hop header, which the library manages"},
        {"proxy-connection", "is a hop-by-hop header, which the library manages"},
        {"TE", "is a hop-by-hop header, which the library manages"},
        {"trailer", "is a hop-by-hop header, which the library manages"},
        {"UPGRADE", "is a hop-by-hop header, which the library manages"},
    };
    for (const auto& [name, why] : refused) {
        request_headers headers;
        try {
            headers.add(name, "x");
            BOOST_FAIL("no exception for " << name);
        } catch (const boost::system::system_error& e) {
            BOOST_TEST(e.code() == webhook::error::reserved_header);
            BOOST_TEST(std::string(e.what()).starts_with("header " + std::string(name) + ": " +
                                                         why + ": "),
                       e.what());
        }
        BOOST_TEST(headers.extra().empty());
    }
}

BOOST_AUTO_TEST_CASE(a_request_never_carries_two_host_fields) {
    request_headers headers;
    BOOST_CHECK_THROW(headers.add("Host", "internal.example"), boost::system::system_error);
    const auto req = webhook::make_request(
        http::verb::post, webhook::endpoint_url("http://h.example/x"), "{}", headers);
    const auto [first, last] = req.equal_range(http::field::host);
    BOOST_TEST(std::distance(first, last) == 1);
    BOOST_TEST(req[http::field::host] == "h.example");
}

BOOST_AUTO_TEST_CASE(authorization_is_added_only_when_neither_basic_nor_bearer_is_set) {
    // Without basic_auth or bearer_auth, an Authorization header carries another scheme.
    request_headers other;
    other.add("authorization", "Digest x");
    BOOST_TEST(other.extra().size() == 1u);
    try {
        other.bearer_auth("t");
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::reserved_header);
        BOOST_TEST(std::string(e.what()).starts_with(
            "bearer token: conflicts with the Authorization header added: "));
    }
    BOOST_CHECK_THROW(other.basic_auth("u", "p"), boost::system::system_error);
    BOOST_TEST(other.authorization().empty());

    request_headers bearer;
    bearer.bearer_auth("t");
    try {
        bearer.add("Authorization", "Digest x");
        BOOST_FAIL("no exception");
    } catch (const boost::system::system_error& e) {
        BOOST_TEST(e.code() == webhook::error::reserved_header);
        BOOST_TEST(std::string(e.what()).starts_with(
            "header Authorization: conflicts with basic_auth or bearer_auth: "));
    }
    BOOST_TEST(bearer.extra().empty());
}

BOOST_AUTO_TEST_CASE(names_only_a_dispatcher_sets_may_go_on_a_request_built_alone) {
    // make_request sets neither: a program that signs or compresses its own bodies may.
    request_headers headers;
    headers.add("webhook-id", "msg_1").add("Content-Encoding", "gzip").add("Accept-Language", "en");
    const auto req =
        webhook::make_request(http::verb::post, webhook::endpoint_url("http://h/"), "{}", headers);
    BOOST_TEST(req["webhook-id"] == "msg_1");
    BOOST_TEST(req[http::field::content_encoding] == "gzip");
}
