#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint_load_document
#include <boost/test/unit_test.hpp>

#include "support/endpoint_helpers.hpp"
#include "support/print.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>

// Loading a document: secrets from the environment and from files, the files a document names,
// whole documents.

using namespace std::chrono_literals;
using namespace webhook::test;
using webhook::endpoint;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(endpoint_loading)

BOOST_AUTO_TEST_CASE(secrets_come_from_the_environment) {
    ::setenv("WEBHOOK_TEST_PASSWORD", "env-pa55", 1);
    ::setenv("WEBHOOK_TEST_EMPTY", "", 1);
    ::unsetenv("WEBHOOK_TEST_MISSING");
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "basic", "username": "u",
                           "password_env": "WEBHOOK_TEST_PASSWORD"},
        "headers": [{"name": "X-Api-Key", "value_env": "WEBHOOK_TEST_PASSWORD"}]})");
    BOOST_TEST((e.authentication == webhook::authentication(webhook::basic_auth{"u", "env-pa55"})));
    BOOST_TEST((e.headers == std::vector<webhook::header_field>{{"X-Api-Key", "env-pa55"}}));

    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token_env": "WEBHOOK_TEST_MISSING"}})") ==
               "authentication.token_env: environment variable \"WEBHOOK_TEST_MISSING\" is not "
               "set");
    // Set but empty: validation speaks of the key the operator wrote.
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token_env": "WEBHOOK_TEST_EMPTY"}})") ==
               "authentication.token_env: is empty");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token_env": ""}})") ==
               "authentication.token_env: must name an environment variable");
}

BOOST_AUTO_TEST_CASE(secrets_come_from_files_without_their_trailing_newline) {
    const temp_file lf("lf", "file-pa55\n");
    const temp_file crlf("crlf", "file-t0ken\r\n");
    const temp_file bad("bad", "two\nlines\n");
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token_file": ")" +
                                              crlf.path.string() + R"("},
        "headers": {"X-Api-Key": {"value_file": ")" +
                                              lf.path.string() + R"("}}})");
    BOOST_TEST((e.authentication == webhook::authentication(webhook::bearer_auth{"file-t0ken"})));
    BOOST_TEST((e.headers == std::vector<webhook::header_field>{{"X-Api-Key", "file-pa55"}}));

    const std::string missing =
        (std::filesystem::temp_directory_path() / "webhook_endpoint_test_no_such_file").string();
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "basic", "username": "u", "password_file": ")" +
                           missing + R"("}})") == "authentication.password_file: cannot read \"" +
                                                      missing + "\": No such file or directory");
    // A line break inside the file is kept, and refused by validation under the file's key.
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "headers": [{"name": "X-Api-Key", "value_file": ")" +
                           bad.path.string() + R"("}]})") ==
               "headers[0].value_file: contains a control character");
}

BOOST_AUTO_TEST_CASE(secrets_never_appear_in_errors_or_printed_endpoints) {
    ::setenv("WEBHOOK_TEST_TOKEN", "ENV-SECRET-1", 1);
    const temp_file file("secret", "FILE-SECRET-2\n");
    const std::string failing = R"({"url": "https://hooks.example.com/in?code=URL-SECRET-3",
        "method": "GET",
        "authentication": {"type": "basic", "username": "u", "password": "PW-SECRET-4\n"},
        "headers": [{"name": "X-A", "value": "HDR-SECRET-5\r"},
                    {"name": "X-B", "value_env": "WEBHOOK_TEST_TOKEN"},
                    {"name": "X C", "value_file": ")" +
                                file.path.string() + R"("}]})";
    const std::string what = what_of(failing);
    BOOST_TEST(what != "loaded");
    for (const char* s : {"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5"})
        BOOST_TEST(what.find(s) == std::string::npos, s << " in " << what);

    const endpoint e = webhook::load_endpoint(R"({
        "url": "https://hooks.example.com/in?code=URL-SECRET-3",
        "authentication": {"type": "bearer", "token_env": "WEBHOOK_TEST_TOKEN"},
        "headers": [{"name": "X-A", "value": "HDR-SECRET-5"},
                    {"name": "X-B", "value_file": ")" +
                                              file.path.string() + R"("}],
        "proxy": "http://proxy.internal:3128"})");
    const std::string text = printed(e);
    for (const char* s : {"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-5"})
        BOOST_TEST(text.find(s) == std::string::npos, s << " in " << text);

    endpoint basic = minimal();
    basic.authentication = webhook::basic_auth{"u", "PW-SECRET-4"};
    BOOST_TEST(printed(basic).find("SECRET-4") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(load_endpoint_file_reads_the_file_or_names_it) {
    const temp_file config("config.json", R"({"url": "https://hooks.example.com/in"})");
    check_same(webhook::load_endpoint_file(config.path.string()), minimal());
    const std::string missing =
        (std::filesystem::temp_directory_path() / "webhook_endpoint_test_no_config.json").string();
    try {
        (void)webhook::load_endpoint_file(missing);
        BOOST_FAIL("no exception");
    } catch (const webhook::config_error& e) {
        BOOST_TEST(std::string(e.what()) == "endpoint configuration has 1 problem:\n"
                                            "cannot read configuration file \"" +
                                                missing + "\": No such file or directory");
    }
}

BOOST_AUTO_TEST_CASE(the_complete_document_of_the_reference_loads) {
    // docs/configuration.md's example, so that the reference cannot drift from the loader.
    const auto doc =
        std::filesystem::path(__FILE__).parent_path().parent_path() / "docs" / "configuration.md";
    std::ifstream in(doc);
    std::stringstream text;
    text << in.rdbuf();
    const std::string md = text.str();
    const std::size_t section = md.find("## A complete document");
    BOOST_TEST_REQUIRE(section != std::string::npos);
    const std::size_t begin = md.find("```json\n", section) + 8;
    const std::size_t end = md.find("\n```", begin);
    BOOST_TEST_REQUIRE(end != std::string::npos);

    ::setenv("ITSM_WEBHOOK_PASSWORD", "doc-pa55", 1);
    ::setenv("ITSM_API_KEY", "doc-k3y", 1);
    // Validation opens the TLS files: the document's paths become files of this test's.
    const tls_files files;
    const auto local = [&](std::string text) {
        text = replaced(std::move(text), "/etc/acme/itsm-ca.pem", files.ca.path.string());
        text = replaced(std::move(text), "/etc/acme/ca.d", files.directory);
        text = replaced(std::move(text), "/etc/acme/client.pem", files.certificate.path.string());
        return replaced(std::move(text), "/etc/acme/client.key", files.key.path.string());
    };
    const endpoint e = webhook::load_endpoint(local(md.substr(begin, end - begin)));
    BOOST_TEST(
        (e.authentication == webhook::authentication(webhook::basic_auth{"webhook", "doc-pa55"})));
    BOOST_TEST((e.headers == std::vector<webhook::header_field>{{"X-Tenant", "acme"},
                                                                {"X-Api-Key", "doc-k3y"}}));
    BOOST_TEST(printed(e) ==
               local("url: https://itsm.example.com/api/incidents\n"
                     "method: POST\n"
                     "data_format: json\n"
                     "data_location: root/result\n"
                     "authentication: basic, username \"webhook\", password ***\n"
                     "headers: X-Tenant: ***, X-Api-Key: ***\n"
                     "signing: none\n"
                     "user_agent: \"acme-alerts/2.4\"\n"
                     "timeouts: connect 5s, handshake 5s, request 20s, idle 2m\n"
                     "retry: max_attempts 6, initial_delay 500ms, multiplier 3, max_delay 5m, "
                     "max_total_time 2h, retryable_statuses 408, 429, 500-599\n"
                     "tls: verify the server, ca_file \"/etc/acme/itsm-ca.pem\", ca_directory "
                     "\"/etc/acme/ca.d\", certificate_file \"/etc/acme/client.pem\", "
                     "private_key_file \"/etc/acme/client.key\"\n"
                     "proxy: http://proxy.internal:3128\n"
                     "destinations: any\n"
                     "max_in_flight: 4\n"
                     "ordered: false\n"
                     "adaptive_concurrency: off\n"
                     "queue: capacity 50000, when_full drop_oldest, block_timeout 1s\n"
                     "rate_limit: per_second 20, burst 40\n"
                     "batch: max_events 100, max_bytes 524288, linger 250ms\n"
                     "compression: gzip\n"
                     "max_body_size: 2097152 bytes\n"
                     "max_response_body: 65536 bytes\n"
                     "circuit_breaker: failures 5, cool_down 30s\n"
                     "max_event_age: 6h"));
}

BOOST_AUTO_TEST_CASE(reserved_header_names_are_refused_in_documents) {
    const std::string head = R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token": "t"}, "compression": "gzip",
        "signing": {"type": "hmac", "key": "k", "header": "X-Sig",
                    "timestamp_header": "X-Sig-Time"},
        "headers": )";
    BOOST_TEST(problems_of(head + R"({"host": "a", "CONTENT-LENGTH": "1",
        "Transfer-Encoding": "chunked", "connection": "close", "Content-Type": "text/plain",
        "keep-alive": "5", "Proxy-Connection": "x", "TE": "trailers", "trailer": "x",
        "Upgrade": "h2c", "user-agent": "x", "Content-Encoding": "br", "WEBHOOK-ID": "x",
        "webhook-timestamp": "1", "Webhook-Signature": "x", "x-sig": "x", "X-SIG-TIME": "1",
        "Authorization": "Basic x", "X-Tenant": "acme"}})") ==
               "headers.host: is set by the library\n"
               "headers.CONTENT-LENGTH: is set by the library\n"
               "headers.Transfer-Encoding: is set by the library\n"
               "headers.connection: is set by the library\n"
               "headers.Content-Type: is set by the library\n"
               "headers.keep-alive: is a hop-by-hop header, which the library manages\n"
               "headers.Proxy-Connection: is a hop-by-hop header, which the library manages\n"
               "headers.TE: is a hop-by-hop header, which the library manages\n"
               "headers.trailer: is a hop-by-hop header, which the library manages\n"
               "headers.Upgrade: is a hop-by-hop header, which the library manages\n"
               "headers.user-agent: is set by user_agent\n"
               "headers.Content-Encoding: is set by the library (compression)\n"
               "headers.WEBHOOK-ID: is set by the library (the event id)\n"
               "headers.webhook-timestamp: is set by the library (signing)\n"
               "headers.Webhook-Signature: is set by the library (signing)\n"
               "headers.x-sig: is set by the library (signing)\n"
               "headers.X-SIG-TIME: is set by the library (signing)\n"
               "headers.Authorization: conflicts with authentication");
    BOOST_TEST(problems_of(head + R"([{"name": "X-Tenant", "value": "acme"},
                                     {"name": "hOsT", "value": "a"},
                                     {"name": "Webhook-Id", "value_env": "HOME"}]})") ==
               "headers[1].name: is set by the library\n"
               "headers[2].name: is set by the library (the event id)");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "bearer", "token": "t"},
        "signing": {"type": "hmac", "key": "k", "header": "authorization"}})") ==
               "signing.header: conflicts with authentication");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "signing": {"type": "hmac", "key": "k", "header": "Webhook-Id"}})") ==
               "signing.header: is a header the library sets itself");
}

BOOST_AUTO_TEST_CASE(tls_files_are_checked_when_loading) {
    const std::string missing = missing_path("ca.pem");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "tls": {"ca_file": ")" +
                           missing + R"("}})") ==
               "tls.ca_file: cannot read \"" + missing + "\": No such file or directory");
    const tls_files files;
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "tls": {"ca_file": ")" +
                           files.ca.path.string() + R"(", "certificate_file": ")" +
                           files.directory + R"(", "private_key_file": ")" + missing +
                           R"(\u0001"}})") == "tls.certificate_file: cannot read \"" +
                                                  files.directory +
                                                  "\": Is a directory\n"
                                                  "tls.private_key_file: cannot read \"" +
                                                  missing + "\\x01\": No such file or directory");
}

BOOST_AUTO_TEST_CASE(user_text_in_problems_is_escaped_as_valid_utf8) {
    // A document is valid UTF-8 (the parser refuses anything else), but may hold control
    // characters as \u escapes: they are written \xNN. Other text passes as it is.
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "a\u0001\u0085b": 1,
                               "retrý": {},
                               "authentication": {"type": "bearer",
                                                  "token_env": "NO\u001b[31mSUCH"}})") ==
               "[\"a\\x01\\xC2\\x85b\"]: unknown key\n"
               "[\"retrý\"]: unknown key (did you mean \"retry\"?)\n"
               "authentication.token_env: environment variable \"NO\\x1B[31mSUCH\" is not set");
    // A file name given in code may hold any byte.
    const std::string missing = missing_path("config\xff\xC3.json");
    try {
        (void)webhook::load_endpoint_file(missing);
        BOOST_FAIL("no exception");
    } catch (const webhook::config_error& e) {
        BOOST_TEST(std::string(e.what()) ==
                   "endpoint configuration has 1 problem:\ncannot read configuration file \"" +
                       missing_path("config") + "\\xFF\\xC3.json\": No such file or directory");
    }
}

BOOST_AUTO_TEST_SUITE_END()
