#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint
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

// An endpoint built in code and what validate says of it; loading documents is in
// endpoint_load_test.cpp and endpoint_load_document_test.cpp, the printed form in
// endpoint_print_test.cpp, credentials, signing and destinations in endpoint_security_test.cpp.

using namespace std::chrono_literals;
using namespace webhook::test;
using webhook::endpoint;
namespace http = boost::beast::http;

BOOST_AUTO_TEST_SUITE(endpoint_construction)

BOOST_AUTO_TEST_CASE(a_secret_prints_as_three_stars) {
    std::ostringstream os;
    os << webhook::secret("hunter2");
    BOOST_TEST(os.str() == "***");
    BOOST_TEST(webhook::secret("hunter2").reveal() == "hunter2");
}

BOOST_AUTO_TEST_CASE(designated_initializers_build_a_valid_endpoint) {
    const endpoint e{
        .url = "https://hooks.example.com/incidents/{id}",
        .method = http::verb::patch,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{.username = "webhook", .password = "s3cret"},
        .headers = {{.name = "X-Api-Key", .value = "k-123"}},
        .timeouts = {.connect = 2s, .handshake = 2s, .request = 5s, .idle = 1min},
        .retry = webhook::retry_policy::fixed_schedule({5s, 5min, 30min, 2h}),
        .ordered = true,
    };
    BOOST_TEST(problems_of(e) == "valid");
    BOOST_TEST(problems_of(minimal()) == "valid");
}

BOOST_AUTO_TEST_CASE(an_empty_endpoint_needs_a_url) {
    BOOST_TEST(problems_of(endpoint{}) == "url: is required");
}

BOOST_AUTO_TEST_CASE(validate_reports_every_rule_with_its_path) {
    endpoint e;
    e.url = "ftp://hooks.example.com/in";
    e.method = http::verb::get;
    e.authentication = webhook::basic_auth{"domain:user", "pw\r\nX: 1"};
    e.headers = {{"X-Ok", "v"}, {"Bad Name", "v"}, {"X-Key", "a\nb"}, {"", "v"}};
    e.user_agent = "agent\x01";
    const temp_file key("client.key", "k");
    e.timeouts.connect = 0ms;
    e.timeouts.idle = -1ms;
    e.retry.max_attempts = 0;
    e.retry.multiplier = 0.5;
    e.retry.initial_delay = -1s;
    e.tls.private_key_file = key.path.string();
    e.proxy = "https://proxy.internal:3128";
    e.max_in_flight = 0;
    e.queue.capacity = 0;
    e.queue.block_timeout = -1ms;
    e.rate_limit = {.per_second = 10, .burst = 0};
    e.batch = {.max_events = 0, .max_bytes = 0, .linger = -5ms};
    e.max_body_size = 0;
    e.max_response_body = 0;
    e.circuit_breaker = {.failures = 5, .cool_down = 0ms};
    e.max_event_age = -1ms;
    BOOST_TEST(problems_of(e) == "url: scheme must be http or https\n"
                                 "method: must be POST, PUT or PATCH\n"
                                 "authentication.username: contains ':'\n"
                                 "authentication.password: contains a control character\n"
                                 "headers[1].name: is not a valid HTTP header name\n"
                                 "headers[2].value: contains a control character\n"
                                 "headers[3].name: is empty\n"
                                 "user_agent: contains a control character\n"
                                 "timeouts.connect: must be greater than 0\n"
                                 "timeouts.idle: must be greater than 0\n"
                                 "retry.max_attempts: must be at least 1\n"
                                 "retry.initial_delay: must not be negative\n"
                                 "retry.multiplier: must be a finite number of at least 1\n"
                                 "tls.private_key_file: is set but tls.certificate_file is not\n"
                                 "proxy: must be http://host:port\n"
                                 "max_in_flight: must be at least 1\n"
                                 "queue.capacity: must be at least 1\n"
                                 "queue.block_timeout: must not be negative\n"
                                 "rate_limit.burst: must be at least 1 when per_second is set\n"
                                 "batch.max_events: must be at least 1\n"
                                 "batch.max_bytes: must be greater than 0\n"
                                 "batch.linger: must not be negative\n"
                                 "max_body_size: must be greater than 0\n"
                                 "max_response_body: must be greater than 0\n"
                                 "circuit_breaker.cool_down: must be greater than 0 when "
                                 "failures is set\n"
                                 "max_event_age: must not be negative");
}

BOOST_AUTO_TEST_CASE(basic_username_must_be_set_and_free_of_control_characters) {
    endpoint e = minimal();
    e.authentication = webhook::basic_auth{"", ""};
    BOOST_TEST(problems_of(e) == "authentication.username: is empty");
    e.authentication = webhook::basic_auth{"us\ter", ""}; // an empty password is allowed
    BOOST_TEST(problems_of(e) == "authentication.username: contains a control character");
    e.authentication = webhook::basic_auth{"sk_live_key", ""};
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(bearer_token_must_be_one_header_word) {
    endpoint e = minimal();
    e.authentication = webhook::bearer_auth{""};
    BOOST_TEST(problems_of(e) == "authentication.token: is empty");
    e.authentication = webhook::bearer_auth{"two words"};
    BOOST_TEST(problems_of(e) == "authentication.token: contains a space or a control character");
    e.authentication = webhook::bearer_auth{"tab\tbed"};
    BOOST_TEST(problems_of(e) == "authentication.token: contains a space or a control character");
    e.authentication = webhook::bearer_auth{"abc.DEF-_~+/="};
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(headers_the_library_sets_are_refused) {
    endpoint e = minimal();
    e.headers = {
        {"content-length", "1"}, {"Host", "x"}, {"User-Agent", "x"}, {"Authorization", "Bearer x"}};
    BOOST_TEST(problems_of(e) == "headers[0].name: is set by the library\n"
                                 "headers[1].name: is set by the library\n"
                                 "headers[2].name: is set by user_agent");
    e.authentication = webhook::bearer_auth{"t"};
    BOOST_TEST(problems_of(e) == "headers[0].name: is set by the library\n"
                                 "headers[1].name: is set by the library\n"
                                 "headers[2].name: is set by user_agent\n"
                                 "headers[3].name: conflicts with authentication");
}

BOOST_AUTO_TEST_CASE(a_retry_schedule_fixes_the_number_of_attempts) {
    endpoint e = minimal();
    e.retry.schedule = {1s, 2s};
    BOOST_TEST(problems_of(e) ==
               "retry.max_attempts: must be 3 with a schedule of 2 delays (the first attempt and "
               "one retry per delay)");
    e.retry = webhook::retry_policy::fixed_schedule({1s, -2s});
    BOOST_TEST(problems_of(e) == "retry.schedule[1]: must not be negative");
    e.retry = webhook::retry_policy::none();
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(tls_certificate_and_key_come_together) {
    const tls_files files;
    endpoint e = minimal();
    e.tls.certificate_file = files.certificate.path.string();
    BOOST_TEST(problems_of(e) == "tls.certificate_file: is set but tls.private_key_file is not");
    e.tls.private_key_file = files.key.path.string();
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(tls_files_must_exist_and_open_for_reading) {
    // Else the transport fails when it is made, with a bare system error from OpenSSL.
    const tls_files files;
    const std::string missing = missing_path("ca.pem");
    const std::string ca = files.ca.path.string();
    endpoint e = minimal();
    e.tls.ca_file = ca;
    e.tls.ca_directory = files.directory;
    e.tls.certificate_file = files.certificate.path.string();
    e.tls.private_key_file = files.key.path.string();
    BOOST_TEST(problems_of(e) == "valid");

    e.tls.ca_file = missing;
    BOOST_TEST(problems_of(e) ==
               "tls.ca_file: cannot read \"" + missing + "\": No such file or directory");
    e.tls.ca_file = files.directory;
    BOOST_TEST(problems_of(e) ==
               "tls.ca_file: cannot read \"" + files.directory + "\": Is a directory");
    e.tls.ca_file = "/dev/null"; // a device could block a reader, or never end
    BOOST_TEST(problems_of(e) == "tls.ca_file: cannot read \"/dev/null\": not a regular file");
    e.tls.ca_file = ca + "/x.pem";
    BOOST_TEST(problems_of(e) == "tls.ca_file: cannot read \"" + ca + "/x.pem\": Not a directory");
    e.tls.ca_file = ca;

    e.tls.ca_directory = ca;
    BOOST_TEST(problems_of(e) == "tls.ca_directory: cannot read \"" + ca + "\": Not a directory");
    e.tls.ca_directory = missing;
    BOOST_TEST(problems_of(e) ==
               "tls.ca_directory: cannot read \"" + missing + "\": No such file or directory");
    e.tls.ca_directory = files.directory;

    e.tls.certificate_file = missing;
    e.tls.private_key_file = files.directory;
    BOOST_TEST(problems_of(e) == "tls.certificate_file: cannot read \"" + missing +
                                     "\": No such file or directory\n"
                                     "tls.private_key_file: cannot read \"" +
                                     files.directory + "\": Is a directory");
    e.tls.certificate_file = files.certificate.path.string();
    e.tls.private_key_file = files.key.path.string();

    // Without verification the transport loads no CA: nothing to check there.
    e.tls.insecure_skip_verification = true;
    e.tls.ca_file = missing;
    e.tls.ca_directory = missing;
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(a_tls_file_without_read_permission_is_refused) {
    if (::geteuid() == 0) {
        BOOST_TEST_MESSAGE("skipped: root reads any file");
        return;
    }
    const temp_file ca("unreadable.pem", "x");
    std::filesystem::permissions(ca.path, std::filesystem::perms::none);
    endpoint e = minimal();
    e.tls.ca_file = ca.path.string();
    BOOST_TEST(problems_of(e) ==
               "tls.ca_file: cannot read \"" + ca.path.string() + "\": Permission denied");
}

BOOST_AUTO_TEST_CASE(paths_in_problems_are_escaped_as_valid_utf8) {
    // Control characters and bytes that are not UTF-8 are written \xNN, as data locations
    // are: a lone continuation byte, a truncated sequence, an overlong one, a surrogate.
    const std::string base = missing_path("");
    endpoint e = minimal();
    const std::pair<std::string, std::string> names[] = {
        {"a\x80.pem", R"(a\x80.pem)"},         {"a\xE2\x82.pem", R"(a\xE2\x82.pem)"},
        {"a\xC0\xAF.pem", R"(a\xC0\xAF.pem)"}, {"a\xED\xA0\x80.pem", R"(a\xED\xA0\x80.pem)"},
        {"a\x01\"b.pem", R"(a\x01\x22b.pem)"}, {"café.pem", "café.pem"},
    };
    for (const auto& [name, shown] : names) {
        e.tls.ca_file = base + name;
        BOOST_TEST(problems_of(e) == "tls.ca_file: cannot read \"" + base + shown +
                                         "\": No such file or directory",
                   shown);
    }
    using namespace std::string_literals;
    e.tls.ca_file = base + "a\0b.pem"s; // the C library would open base + "a"
    BOOST_TEST(problems_of(e) == "tls.ca_file: cannot read \"" + base +
                                     "a\\x00b.pem\": the path contains a NUL character");
}

BOOST_AUTO_TEST_CASE(every_reserved_header_name_is_refused_whatever_its_case) {
    endpoint e = minimal();
    e.authentication = webhook::bearer_auth{"t"};
    e.compression = webhook::compression::gzip;
    e.signing = webhook::hmac_header_signing{
        .header = "X-Sig", .key = "k", .timestamp_header = "X-Sig-Time"};
    const std::string library = "is set by the library";
    const std::string hop = "is a hop-by-hop header, which the library manages";
    const std::string signing = "is set by the library (signing)";
    const std::pair<const char*, std::string> names[] = {
        {"host", library},
        {"HOST", library},
        {"Content-length", library},
        {"TRANSFER-ENCODING", library},
        {"connection", library},
        {"content-type", library},
        {"Keep-Alive", hop},
        {"proxy-connection", hop},
        {"te", hop},
        {"Trailer", hop},
        {"upgrade", hop},
        {"USER-AGENT", "is set by user_agent"},
        {"content-encoding", "is set by the library (compression)"},
        {"Webhook-Id", "is set by the library (the event id)"},
        {"WEBHOOK-TIMESTAMP", signing},
        {"webhook-signature", signing},
        {"x-sig", signing},
        {"X-SIG-TIME", signing},
        {"authorization", "conflicts with authentication"},
    };
    for (const auto& [name, why] : names) {
        e.headers = {{name, "v"}};
        BOOST_TEST(problems_of(e) == "headers[0].name: " + why, name);
        const char* refusal = webhook::detail::header_refusal(e, name);
        BOOST_TEST(std::string(refusal ? refusal : "(none)") == why, name);
    }
    BOOST_TEST(!webhook::detail::header_refusal(e, "X-Tenant"));
    BOOST_TEST(std::string(webhook::detail::header_refusal(e, "")) == "is empty");
    BOOST_TEST(std::string(webhook::detail::header_refusal(e, "Bad Name")) ==
               "is not a valid HTTP header name");
}

BOOST_AUTO_TEST_CASE(some_names_are_reserved_only_by_what_the_endpoint_sets) {
    endpoint e = minimal();
    // No authentication, compression or HMAC header: those names are the user's, except
    // Content-Encoding (the library writes the body) and the Standard Webhooks names.
    for (const char* name : {"Authorization", "X-Sig", "X-Sig-Time"}) {
        e.headers = {{name, "v"}};
        BOOST_TEST(problems_of(e) == "valid", name);
        BOOST_TEST(!webhook::detail::header_refusal(e, name), name);
    }
    e.headers = {{"Content-Encoding", "br"}, {"webhook-id", "x"}, {"webhook-signature", "x"}};
    BOOST_TEST(problems_of(e) == "headers[0].name: is set by the library\n"
                                 "headers[1].name: is set by the library (the event id)\n"
                                 "headers[2].name: is set by the library (signing)");
}

BOOST_AUTO_TEST_CASE(a_signature_header_cannot_replace_authentication) {
    endpoint e = minimal();
    e.signing = webhook::hmac_header_signing{
        .header = "Authorization", .key = "k", .timestamp_header = "authorization"};
    BOOST_TEST(problems_of(e) == "signing.timestamp_header: is the same header as header");
    e.signing = webhook::hmac_header_signing{.header = "Authorization", .key = "k"};
    BOOST_TEST(problems_of(e) == "valid"); // a scheme the library does not know, say
    e.authentication = webhook::basic_auth{"u", "p"};
    BOOST_TEST(problems_of(e) == "signing.header: conflicts with authentication");
    e.signing = webhook::hmac_header_signing{.key = "k", .timestamp_header = "AUTHORIZATION"};
    BOOST_TEST(problems_of(e) == "signing.timestamp_header: conflicts with authentication");
    e.signing = webhook::hmac_header_signing{.header = "Connection", .key = "k"};
    BOOST_TEST(problems_of(e) == "signing.header: is a header the library sets itself");
}

BOOST_AUTO_TEST_CASE(proxy_is_an_http_origin) {
    endpoint e = minimal();
    for (const char* good :
         {"http://proxy.internal:3128", "http://10.0.0.1:8080/", "http://proxy.internal"}) {
        e.proxy = good;
        BOOST_TEST(problems_of(e) == "valid", good);
    }
    for (const char* bad : {"https://proxy.internal:3128", "http://proxy.internal:3128/path",
                            "http://user:pw@proxy.internal:3128", "proxy.internal:3128",
                            "http://proxy.internal:3128?x=1", "socks5://proxy:1080"}) {
        e.proxy = bad;
        BOOST_TEST(problems_of(e) == "proxy: must be http://host:port", bad);
    }
}

BOOST_AUTO_TEST_CASE(rate_limit_zero_is_unlimited_and_negative_is_refused) {
    endpoint e = minimal();
    e.rate_limit = {.per_second = 0, .burst = 0};
    BOOST_TEST(problems_of(e) == "valid");
    e.rate_limit.per_second = -1;
    BOOST_TEST(problems_of(e) == "rate_limit.per_second: must be a finite number, 0 or more");
    e.rate_limit.per_second = std::numeric_limits<double>::infinity();
    BOOST_TEST(problems_of(e) == "rate_limit.per_second: must be a finite number, 0 or more");
}

BOOST_AUTO_TEST_CASE(batching_needs_a_url_without_placeholders) {
    endpoint e{.url = "https://hooks.example.com/incidents/{id}"};
    e.batch.max_events = 10;
    BOOST_TEST(problems_of(e) == "batch.max_events: must be 1 when the URL has placeholders (a "
                                 "batch has no single event to fill them from)");
    e.url = "https://hooks.example.com/incidents";
    e.ordered = true; // ordered batches are fine: batches go one at a time, in order
    BOOST_TEST(problems_of(e) == "valid");
}

BOOST_AUTO_TEST_CASE(ordered_overrides_max_in_flight) {
    endpoint e = minimal();
    e.ordered = true;
    e.max_in_flight = 8;
    BOOST_TEST(problems_of(e) == "valid");
    BOOST_TEST(webhook::transport_options(e).max_connections_per_origin == 1u);
    e.ordered = false;
    BOOST_TEST(webhook::transport_options(e).max_connections_per_origin == 8u);
}

BOOST_AUTO_TEST_CASE(url_problems_never_quote_the_url) {
    endpoint e{.url = "https://hooks.example.com/in/{unclosed?code=SECRETCODE"};
    BOOST_TEST(problems_of(e) == "url: unclosed '{'");
    e.url = "https://user:SECRETPW@hooks.example.com/in";
    BOOST_TEST(problems_of(e) ==
               "url: credentials in the URL are not allowed; configure authentication instead");
}

BOOST_AUTO_TEST_SUITE_END()
