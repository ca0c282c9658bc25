#include <webhook/endpoint.hpp>

#define BOOST_TEST_MODULE endpoint
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>

using namespace std::chrono_literals;
using webhook::endpoint;
namespace http = boost::beast::http;

namespace {

/// The problems `load_endpoint(json)` reports, one `path: message` a line, or "loaded".
std::string problems_of(std::string_view json) {
    try {
        (void)webhook::load_endpoint(json);
        return "loaded";
    } catch (const webhook::config_error& e) {
        std::string lines;
        for (const auto& p : e.problems())
            lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
        return lines;
    }
}

/// The same for `validate(e)`, or "valid".
std::string problems_of(const endpoint& e) {
    std::string lines;
    for (const auto& p : webhook::validate(e))
        lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
    return lines.empty() ? "valid" : lines;
}

std::string what_of(std::string_view json) {
    try {
        (void)webhook::load_endpoint(json);
    } catch (const webhook::config_error& e) {
        return e.what();
    }
    return "loaded";
}

std::string printed(const endpoint& e) {
    std::ostringstream os;
    os << e;
    return os.str();
}

/// A file in the temporary directory, removed at the end of the test.
struct temp_file {
    std::filesystem::path path;
    temp_file(std::string_view name, std::string_view content)
        : path(std::filesystem::temp_directory_path() /
               ("webhook_endpoint_test_" + std::to_string(::getpid()) + "_" + std::string(name))) {
        std::ofstream(path, std::ios::binary) << content;
    }
    ~temp_file() { std::filesystem::remove(path); }
};

/// `path` in the temporary directory, for a file that is not there.
std::string missing_path(std::string_view name) {
    return (std::filesystem::temp_directory_path() /
            ("webhook_endpoint_test_" + std::to_string(::getpid()) + "_missing_" +
             std::string(name)))
        .string();
}

/// `text` with every `from` replaced by `to`.
std::string replaced(std::string text, std::string_view from, std::string_view to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

/// Readable TLS files, since validation checks that they open.
struct tls_files {
    temp_file ca{"ca.pem", "-----BEGIN CERTIFICATE-----\n"};
    temp_file certificate{"client.pem", "-----BEGIN CERTIFICATE-----\n"};
    temp_file key{"client.key", "-----BEGIN PRIVATE KEY-----\n"};
    std::string directory = std::filesystem::temp_directory_path().string();
};

endpoint minimal() {
    return endpoint{.url = "https://hooks.example.com/in"};
}

// Member by member: retry_policy has no operator== yet, so neither has endpoint.
bool same_retry(const webhook::retry_policy& a, const webhook::retry_policy& b) {
    return a.max_attempts == b.max_attempts && a.initial_delay == b.initial_delay &&
           a.multiplier == b.multiplier && a.max_delay == b.max_delay &&
           a.max_total_time == b.max_total_time && a.schedule == b.schedule &&
           a.retryable_statuses == b.retryable_statuses;
}

void check_same(const endpoint& a, const endpoint& b) {
    BOOST_TEST(a.url == b.url);
    BOOST_TEST((a.method == b.method));
    BOOST_TEST((a.data_format == b.data_format));
    BOOST_TEST(a.data_location == b.data_location);
    BOOST_TEST((a.authentication == b.authentication));
    BOOST_TEST((a.headers == b.headers));
    BOOST_TEST(a.user_agent == b.user_agent);
    BOOST_TEST((a.timeouts == b.timeouts));
    BOOST_TEST(same_retry(a.retry, b.retry));
    BOOST_TEST((a.tls == b.tls));
    BOOST_TEST(a.proxy == b.proxy);
    BOOST_TEST(a.max_in_flight == b.max_in_flight);
    BOOST_TEST(a.ordered == b.ordered);
    BOOST_TEST((a.queue == b.queue));
    BOOST_TEST((a.rate_limit == b.rate_limit));
    BOOST_TEST((a.batch == b.batch));
    BOOST_TEST((a.compression == b.compression));
    BOOST_TEST(a.max_body_size == b.max_body_size);
    BOOST_TEST(a.max_response_body == b.max_response_body);
    BOOST_TEST((a.circuit_breaker == b.circuit_breaker));
    BOOST_TEST((a.max_event_age == b.max_event_age));
    BOOST_TEST(a.insecure_allow_credentials_over_http == b.insecure_allow_credentials_over_http);
    BOOST_TEST((a.signing == b.signing));
    BOOST_TEST((a.destinations == b.destinations));
    BOOST_TEST((a.hosts == b.hosts));
}

} // namespace

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

BOOST_AUTO_TEST_SUITE(endpoint_loading)

BOOST_AUTO_TEST_CASE(every_key_is_loaded) {
    const tls_files files;
    std::string document = R"({
        // Comments and trailing commas are allowed: configuration files get annotated.
        "url": "https://hooks.example.com/incidents",
        "method": "put",
        "data_format": "JSON",
        "data_location": "root/result",
        "authentication": {"type": "basic", "username": "webhook", "password": "s3cret"},
        "headers": {"X-Api-Key": "k-123", "X-Tenant": {"value": "acme"}},
        "user_agent": "acme-itsm/2.1",
        "timeouts": {"connect": "5s", "handshake": 4000, "request": "1m", "idle": "90s"},
        "retry": {"max_attempts": 4, "initial_delay": "500ms", "multiplier": 3,
                  "max_delay": "2m", "max_total_time": "2h", "retryable_statuses": [429, "5xx"]},
        "tls": {"ca_file": "@CA@", "ca_directory": "@DIR@",
                "certificate_file": "@CERT@",
                "private_key_file": "@KEY@",
                "insecure_skip_verification": false},
        "proxy": "http://proxy.internal:3128",
        "max_in_flight": 4,
        "ordered": false,
        "queue": {"capacity": 500, "when_full": "drop_oldest", "block_timeout": "2s"},
        "rate_limit": {"per_second": 2.5, "burst": 5},
        "batch": {"max_events": 50, "max_bytes": 65536, "linger": "200ms"},
        "compression": "gzip",
        "max_body_size": 262144,
        "max_response_body": 4096,
        "circuit_breaker": {"failures": 5, "cool_down": "2m"},
        "max_event_age": "6h",
    })";
    // Validation opens the TLS files: these are the test's own.
    document = replaced(std::move(document), "@CA@", files.ca.path.string());
    document = replaced(std::move(document), "@DIR@", files.directory);
    document = replaced(std::move(document), "@CERT@", files.certificate.path.string());
    document = replaced(std::move(document), "@KEY@", files.key.path.string());
    const endpoint e = webhook::load_endpoint(document);

    webhook::retry_policy retry;
    retry.max_attempts = 4;
    retry.initial_delay = 500ms;
    retry.multiplier = 3;
    retry.max_delay = 2min;
    retry.max_total_time = 2h;
    retry.retryable_statuses = {429};
    for (int s = 500; s <= 599; ++s)
        retry.retryable_statuses.insert(s);
    webhook::tls_options tls;
    tls.ca_file = files.ca.path.string();
    tls.ca_directory = files.directory;
    tls.certificate_file = files.certificate.path.string();
    tls.private_key_file = files.key.path.string();
    const endpoint expected{
        .url = "https://hooks.example.com/incidents",
        .method = http::verb::put,
        .data_format = webhook::data_format::json,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "s3cret"},
        .headers = {{"X-Api-Key", "k-123"}, {"X-Tenant", "acme"}},
        .user_agent = "acme-itsm/2.1",
        .timeouts = {.connect = 5s, .handshake = 4s, .request = 1min, .idle = 90s},
        .retry = retry,
        .tls = tls,
        .proxy = "http://proxy.internal:3128",
        .max_in_flight = 4,
        .ordered = false,
        .queue = {.capacity = 500,
                  .when_full = webhook::overflow_policy::drop_oldest,
                  .block_timeout = 2s},
        .rate_limit = {.per_second = 2.5, .burst = 5},
        .batch = {.max_events = 50, .max_bytes = 65536, .linger = 200ms},
        .compression = webhook::compression::gzip,
        .max_body_size = 262144,
        .max_response_body = 4096,
        .circuit_breaker = {.failures = 5, .cool_down = 2min},
        .max_event_age = 6h,
    };
    check_same(e, expected);
}

BOOST_AUTO_TEST_CASE(a_document_with_only_a_url_gives_the_defaults) {
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in"})"), minimal());
}

BOOST_AUTO_TEST_CASE(null_means_the_default) {
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in", "proxy": null,
                                          "timeouts": {"connect": null}, "retry": null})"),
               minimal());
}

BOOST_AUTO_TEST_CASE(durations_are_milliseconds_or_a_number_with_a_unit) {
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "timeouts": {"connect": 1500, "handshake": "500ms", "request": "10s", "idle": "5m"},
        "queue": {"block_timeout": "2h"}, "retry": {"max_total_time": "unlimited"}})");
    BOOST_TEST(e.timeouts.connect.count() == 1500);
    BOOST_TEST(e.timeouts.handshake.count() == 500);
    BOOST_TEST(e.timeouts.request.count() == 10'000);
    BOOST_TEST(e.timeouts.idle.count() == 300'000);
    BOOST_TEST(e.queue.block_timeout.count() == 7'200'000);
    BOOST_TEST((e.retry.max_total_time == std::chrono::milliseconds::max()));

    const std::string message = "must be a duration: whole milliseconds, or a string such as "
                                "\"500ms\", \"10s\", \"5m\", \"2h\"";
    for (const char* bad : {R"("10")", R"("10 s")", R"("1.5s")", R"("-5s")", R"("10sec")",
                            R"("unlimited")", "true", "1.5", R"("")", R"("99999999999999999h")"}) {
        BOOST_TEST(problems_of(std::string(R"({"url": "https://hooks.example.com/in",
                                               "timeouts": {"connect": )") +
                               bad + "}}") == "timeouts.connect: " + message,
                   bad);
    }
}

BOOST_AUTO_TEST_CASE(circuit_breaker_and_max_event_age) {
    const endpoint defaults = minimal();
    BOOST_TEST(defaults.circuit_breaker.failures == 0u); // off
    BOOST_TEST(defaults.circuit_breaker.cool_down.count() == 30'000);
    BOOST_TEST(defaults.max_event_age.count() == 24 * 3'600'000);
    check_same(webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
                                          "circuit_breaker": null, "max_event_age": null})"),
               defaults);

    const std::string url = R"({"url": "https://hooks.example.com/in", )";
    const endpoint e = webhook::load_endpoint(
        url + R"("circuit_breaker": {"failures": 5, "cool_down": "2m"}, "max_event_age": "6h"})");
    BOOST_TEST(
        (e.circuit_breaker == webhook::circuit_breaker_options{.failures = 5, .cool_down = 2min}));
    BOOST_TEST(e.max_event_age.count() == 6 * 3'600'000);
    // failures alone keeps the default cool-down; 0 is no age limit.
    const endpoint f =
        webhook::load_endpoint(url + R"("circuit_breaker": {"failures": 3}, "max_event_age": 0})");
    BOOST_TEST((f.circuit_breaker == webhook::circuit_breaker_options{.failures = 3}));
    BOOST_TEST(f.max_event_age.count() == 0);
    BOOST_TEST(webhook::load_endpoint(url + R"("circuit_breaker": {"cool_down": 1500}})")
                   .circuit_breaker.cool_down.count() == 1500);
    // Off, the cool-down is not used, so it is not checked either.
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 0, "cool_down": 0}})") ==
               "loaded");

    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 5, "cool_down": 0}})") ==
               "circuit_breaker.cool_down: must be greater than 0 when failures is set");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": 1, "cool_down": -1}})") ==
               "circuit_breaker.cool_down: must be greater than 0 when failures is set");
    BOOST_TEST(problems_of(url + R"("max_event_age": -1})") ==
               "max_event_age: must not be negative");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failures": -1, "cool_down": "30 s"},
                                    "max_event_age": "1d"})") ==
               "circuit_breaker.failures: must be a whole number, 0 or more\n"
               "circuit_breaker.cool_down: must be a duration: whole milliseconds, or a string "
               "such as \"500ms\", \"10s\", \"5m\", \"2h\"\n"
               "max_event_age: must be a duration: whole milliseconds, or a string such as "
               "\"500ms\", \"10s\", \"5m\", \"2h\"");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": 5})") ==
               "circuit_breaker: must be an object");
    BOOST_TEST(problems_of(url + R"("circuit_breaker": {"failure": 5, "cooldown": "1s"},
                                    "max_age": "1h", "circuit_breakr": {}})") ==
               "circuit_breaker.failure: unknown key (did you mean \"failures\"?)\n"
               "circuit_breaker.cooldown: unknown key (did you mean \"cool_down\"?)\n"
               "max_age: unknown key\n"
               "circuit_breakr: unknown key (did you mean \"circuit_breaker\"?)");
    BOOST_TEST(problems_of(url + R"("max_event_ag": "1h"})") ==
               "max_event_ag: unknown key (did you mean \"max_event_age\"?)");
}

BOOST_AUTO_TEST_CASE(method_is_case_insensitive_and_limited_to_post_put_patch) {
    for (const auto& [text, verb] :
         {std::pair{"post", http::verb::post}, std::pair{"Put", http::verb::put},
          std::pair{"PATCH", http::verb::patch}}) {
        const endpoint e = webhook::load_endpoint(
            std::string(R"({"url": "https://hooks.example.com/in", "method": ")") + text + "\"}");
        BOOST_TEST((e.method == verb), text);
    }
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "method": "GET"})") ==
               R"(method: must be "POST", "PUT" or "PATCH")");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "method": 1})") ==
               R"(method: must be "POST", "PUT" or "PATCH")");
}

BOOST_AUTO_TEST_CASE(json_is_the_only_data_format) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "data_format": "xml"})") ==
               R"(data_format: only "json" is supported)");
}

BOOST_AUTO_TEST_CASE(a_bad_data_location_names_the_offset) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
                               "data_location": "root//result"})") ==
               "data_location: empty segment at offset 5");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
                               "data_location": "root/\u0001"})") ==
               "data_location: control character at offset 5");
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_problems_with_a_suggestion) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "retyr": {},
                               "timeouts": {"conect": 5}, "tls": {"cafile": "x"},
                               "colour": "blue", "odd key": 1})") ==
               "retyr: unknown key (did you mean \"retry\"?)\n"
               "timeouts.conect: unknown key (did you mean \"connect\"?)\n"
               "tls.cafile: unknown key (did you mean \"ca_file\"?)\n"
               "colour: unknown key\n"
               "[\"odd key\"]: unknown key");
}

BOOST_AUTO_TEST_CASE(wrong_types_are_problems) {
    BOOST_TEST(problems_of(R"({"url": 5, "ordered": "yes", "max_in_flight": -1,
                               "queue": {"capacity": 1.5, "when_full": "wait"},
                               "rate_limit": {"per_second": "10"}, "timeouts": [],
                               "compression": "brotli", "tls": {"ca_file": false}})") ==
               "url: must be a string\n"
               "ordered: must be true or false\n"
               "max_in_flight: must be a whole number, 0 or more\n"
               "queue.capacity: must be a whole number, 0 or more\n"
               "queue.when_full: must be \"block\", \"reject\" or \"drop_oldest\"\n"
               "rate_limit.per_second: must be a number\n"
               "timeouts: must be an object\n"
               "compression: must be \"none\" or \"gzip\"\n"
               "tls.ca_file: must be a string");
}

BOOST_AUTO_TEST_CASE(a_document_that_is_not_an_object_is_one_problem) {
    BOOST_TEST(what_of("[]") ==
               "endpoint configuration has 1 problem:\nthe configuration must be a JSON object");
}

BOOST_AUTO_TEST_CASE(a_syntax_error_names_line_and_column_but_not_the_text) {
    const std::string what = what_of("{\n  \"url\": \"https://hooks.example.com/in\",\n"
                                     "  \"authentication\": {\"password\": hunter2}\n}");
    BOOST_TEST(what == "endpoint configuration has 1 problem:\n"
                       "invalid JSON at line 3, column 34: syntax error");
    BOOST_TEST(what_of("{\"url\": ") == "endpoint configuration has 1 problem:\n"
                                        "invalid JSON at line 1, column 9: incomplete JSON");
}

BOOST_AUTO_TEST_CASE(all_problems_are_reported_at_once) {
    const std::string what = what_of(R"({
        "url": "https://hooks.example.com/incidents/{id}",
        "method": "DELETE",
        "authentication": {"type": "basic", "username": "domain:user", "password": "pw"},
        "headers": [{"name": "X-Ok", "value": "v"}, {"name": "Bad Name", "value": "v"}],
        "retry": {"max_attempts": 0},
        "batch": {"max_events": 10},
        "max_in_flight": 0
    })");
    BOOST_TEST(what == "endpoint configuration has 6 problems:\n"
                       "method: must be \"POST\", \"PUT\" or \"PATCH\"\n"
                       "authentication.username: contains ':'\n"
                       "headers[1].name: is not a valid HTTP header name\n"
                       "retry.max_attempts: must be at least 1\n"
                       "batch.max_events: must be 1 when the URL has placeholders (a batch has "
                       "no single event to fill them from)\n"
                       "max_in_flight: must be at least 1");
}

BOOST_AUTO_TEST_CASE(ordered_with_an_explicit_max_in_flight_above_one_is_a_contradiction) {
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "ordered": true,
                               "max_in_flight": 4})") ==
               "max_in_flight: must be 1 or left out when ordered is true");
    const endpoint e =
        webhook::load_endpoint(R"({"url": "https://hooks.example.com/in", "ordered": true})");
    BOOST_TEST(e.ordered);
    BOOST_TEST(webhook::transport_options(e).max_connections_per_origin == 1u);
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "ordered": true,
                               "max_in_flight": 1})") == "loaded");
}

BOOST_AUTO_TEST_CASE(authentication_types) {
    const std::string url = R"({"url": "https://hooks.example.com/in", "authentication": )";
    BOOST_TEST((webhook::load_endpoint(url + R"({"type": "none"}})").authentication ==
                webhook::authentication(webhook::no_auth{})));
    BOOST_TEST(
        (webhook::load_endpoint(url + R"({"type": "Bearer", "token": "t-1"}})").authentication ==
         webhook::authentication(webhook::bearer_auth{"t-1"})));
    BOOST_TEST(
        problems_of(url + R"({"type": "digest"}})") ==
        R"(authentication.type: must be "none", "basic", "bearer" or "oauth2_client_credentials")");
    BOOST_TEST(
        problems_of(url + R"({"username": "u"}})") ==
        R"(authentication.type: is required: "none", "basic", "bearer" or "oauth2_client_credentials")");
    BOOST_TEST(problems_of(url + R"("basic"})") ==
               R"(authentication: must be an object with a "type")");
    BOOST_TEST(problems_of(url + R"({"type": "bearer", "password": "p", "tokn": "t"}})") ==
               "authentication.password: is not used with type \"bearer\"\n"
               "authentication.tokn: unknown key (did you mean \"token\"?)\n"
               "authentication.token: is required (or token_env, or token_file)");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "password": "p"}})") ==
               "authentication.username: is required");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "username": "u"}})") ==
               "authentication.password: is required (or password_env, or password_file)");
    BOOST_TEST(problems_of(url + R"({"type": "basic", "username": "u", "password": "p",
                                     "password_env": "P"}})") ==
               "authentication: give only one of password, password_env, password_file");
}

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

BOOST_AUTO_TEST_CASE(headers_as_an_object_or_an_array) {
    const endpoint as_object = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "headers": {"X-Api-Key": "k", "X-Tenant": "acme"}})");
    const endpoint as_array = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "headers": [{"name": "X-Api-Key", "value": "k"}, {"name": "X-Tenant", "value": "acme"}]})");
    const std::vector<webhook::header_field> expected{{"X-Api-Key", "k"}, {"X-Tenant", "acme"}};
    BOOST_TEST((as_object.headers == expected));
    BOOST_TEST((as_array.headers == expected));

    // Problems are named as the operator wrote them, and a header left out does not shift the
    // names of those after it.
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "headers": {"X-Broken": 5, "Content-Length": "1", "X-Key": "a\nb"}})") ==
               "headers.X-Broken: must be a string, or an object with value, value_env or "
               "value_file\n"
               "headers.Content-Length: is set by the library\n"
               "headers.X-Key: contains a control character");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in",
        "headers": [{"value": "v"}, {"name": "Host", "value": "h"}, {"name": "X", "valu": "v"}]})") ==
               "headers[0].name: is required\n"
               "headers[2].valu: unknown key (did you mean \"value\"?)\n"
               "headers[2].value: is required (or value_env, or value_file)\n"
               "headers[1].name: is set by the library");
    BOOST_TEST(problems_of(R"({"url": "https://hooks.example.com/in", "headers": "X-A: b"})") ==
               "headers: must be an object of name: value, or an array of {name, value}");
}

BOOST_AUTO_TEST_CASE(retry_forms) {
    const std::string url = R"({"url": "https://hooks.example.com/in", "retry": )";
    BOOST_TEST((webhook::load_endpoint(url + R"("none"})").retry.max_attempts == 1u));
    // A schedule alone is retry_policy::fixed_schedule, whatever the keys' order.
    const auto scheduled = webhook::load_endpoint(url + R"({"max_delay": "1h",
                                                   "schedule": ["5s", "5m", "30m", "2h"]}})");
    webhook::retry_policy expected = webhook::retry_policy::fixed_schedule({5s, 5min, 30min, 2h});
    expected.max_delay = 1h;
    BOOST_TEST(same_retry(scheduled.retry, expected));

    BOOST_TEST(problems_of(url + R"({"schedule": ["5s"], "max_attempts": 3}})") ==
               "retry.max_attempts: must be 2 with a schedule of 1 delays (the first attempt and "
               "one retry per delay)");
    BOOST_TEST(problems_of(url + R"({"schedule": "5s"}})") ==
               "retry.schedule: must be an array of durations");
    BOOST_TEST(problems_of(url + R"({"retryable_statuses": [429, 600, "6xx", "5xx"]}})") ==
               "retry.retryable_statuses[1]: must be a status code from 100 to 599, or a class "
               "such as \"5xx\"\n"
               "retry.retryable_statuses[2]: must be a status code from 100 to 599, or a class "
               "such as \"5xx\"");
    BOOST_TEST(problems_of(url + R"({"multiplier": 0.5}})") ==
               "retry.multiplier: must be a finite number of at least 1");
    BOOST_TEST(problems_of(url + R"("always"})") == R"(retry: must be an object, or "none")");
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

BOOST_AUTO_TEST_SUITE(endpoint_output)

BOOST_AUTO_TEST_CASE(transport_options_carry_the_connection_settings) {
    endpoint e = minimal();
    e.timeouts = {.connect = 1s, .handshake = 2s, .request = 3s, .idle = 4s};
    e.tls.ca_file = "/etc/webhook/ca.pem";
    e.tls.insecure_skip_verification = true;
    e.proxy = "http://proxy.internal:3128";
    e.max_in_flight = 3;
    e.max_response_body = 777;
    const webhook::beast_transport_options o = webhook::transport_options(e);
    BOOST_TEST(o.connect_timeout.count() == 1000);
    BOOST_TEST(o.handshake_timeout.count() == 2000);
    BOOST_TEST(o.request_timeout.count() == 3000);
    BOOST_TEST(o.idle_timeout.count() == 4000);
    BOOST_TEST((o.tls == e.tls));
    BOOST_TEST(o.proxy == "http://proxy.internal:3128");
    BOOST_TEST(o.max_connections_per_origin == 3u);
    BOOST_TEST(o.max_response_body == 777u);
}

BOOST_AUTO_TEST_CASE(the_printed_form_lists_every_setting_with_secrets_as_stars) {
    endpoint e{
        .url = "https://hooks.example.com/incidents/{id}?code=abc",
        .method = http::verb::put,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "s3cret"},
        .headers = {{"X-Api-Key", "k-123"}, {"X-Tenant", "acme"}},
        .timeouts = {.connect = 5s, .handshake = 1500ms, .request = 1min, .idle = 2h},
        .retry = webhook::retry_policy::fixed_schedule({5s, 5min}),
        .proxy = "http://proxy.internal:3128",
        .ordered = true,
        .rate_limit = {.per_second = 2.5, .burst = 5},
        .batch = {.max_events = 50, .max_bytes = 65536, .linger = 200ms},
        .compression = webhook::compression::gzip,
        .circuit_breaker = {.failures = 3, .cool_down = 1500ms},
        .max_event_age = 90min,
    };
    e.tls.certificate_file = "/etc/webhook/client.pem";
    e.tls.private_key_file = "/etc/webhook/client.key";
    BOOST_TEST(printed(e) ==
               "url: https://hooks.example.com/incidents/{id}?***\n"
               "method: PUT\n"
               "data_format: json\n"
               "data_location: root/result\n"
               "authentication: basic, username \"webhook\", password ***\n"
               "headers: X-Api-Key: ***, X-Tenant: ***\n"
               "signing: none\n"
               "user_agent: webhook/" WEBHOOK_VERSION_STRING " (default)\n"
               "timeouts: connect 5s, handshake 1500ms, request 1m, idle 2h\n"
               "retry: max_attempts 3, schedule 5s, 5m; max_delay unlimited, max_total_time "
               "unlimited, retryable_statuses 408, 425, 429, 500, 502-599\n"
               "tls: verify the server against the system trust store, certificate_file "
               "\"/etc/webhook/client.pem\", private_key_file \"/etc/webhook/client.key\"\n"
               "proxy: http://proxy.internal:3128\n"
               "destinations: any\n"
               "max_in_flight: 8\n"
               "ordered: true (one request in flight)\n"
               "queue: capacity 10000, when_full block, block_timeout 5s\n"
               "rate_limit: per_second 2.5, burst 5\n"
               "batch: max_events 50, max_bytes 65536, linger 200ms\n"
               "compression: gzip\n"
               "max_body_size: 1048576 bytes\n"
               "max_response_body: 1048576 bytes\n"
               "circuit_breaker: failures 3, cool_down 1500ms\n"
               "max_event_age: 90m");
}

BOOST_AUTO_TEST_CASE(the_printed_form_of_the_defaults) {
    endpoint e = minimal();
    e.authentication = webhook::bearer_auth{"t0ken"};
    e.tls.insecure_skip_verification = true;
    e.tls.ca_file = "/etc/webhook/ca.pem";
    e.user_agent = "acme/1";
    e.retry = webhook::retry_policy::none();
    BOOST_TEST(printed(e) ==
               "url: https://hooks.example.com/in\n"
               "method: POST\n"
               "data_format: json\n"
               "data_location: (empty: the event is the whole body)\n"
               "authentication: bearer, token ***\n"
               "headers: none\n"
               "signing: none\n"
               "user_agent: \"acme/1\"\n"
               "timeouts: connect 10s, handshake 10s, request 30s, idle 30s\n"
               "retry: max_attempts 1, initial_delay 1s, multiplier 2, max_delay 1m, "
               "max_total_time 1h, retryable_statuses 408, 425, 429, 500, 502-599\n"
               "tls: insecure_skip_verification (the server is NOT verified), ca_file "
               "\"/etc/webhook/ca.pem\"\n"
               "proxy: none\n"
               "destinations: any\n"
               "max_in_flight: 8\n"
               "ordered: false\n"
               "queue: capacity 10000, when_full block, block_timeout 5s\n"
               "rate_limit: unlimited\n"
               "batch: off\n"
               "compression: none\n"
               "max_body_size: 1048576 bytes\n"
               "max_response_body: 1048576 bytes\n"
               "circuit_breaker: off\n"
               "max_event_age: 24h");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(endpoint_security)

BOOST_AUTO_TEST_CASE(credentials_over_plain_http_need_loopback_or_the_insecure_option) {
    endpoint e{.url = "http://hooks.example.com/in",
               .authentication = webhook::basic_auth{"u", "p"}};
    BOOST_TEST(problems_of(e) ==
               "authentication: would be sent over plain http to a host that is not loopback, "
               "readable by anyone on the path (use https, or set "
               "insecure_allow_credentials_over_http)");
    e.authentication = webhook::bearer_auth{"t"};
    BOOST_TEST(problems_of(e) != "valid");
    e.insecure_allow_credentials_over_http = true;
    BOOST_TEST(problems_of(e) == "valid");
    e.insecure_allow_credentials_over_http = false;
    for (const char* url :
         {"http://127.0.0.1:8080/in", "http://127.9.9.9/in", "http://[::1]:80/in",
          "http://localhost/in", "http://LOCALHOST:1/in", "https://hooks.example.com/in"}) {
        e.url = url;
        BOOST_TEST(problems_of(e) == "valid", url);
    }
    // No credentials: plain http anywhere is the operator's choice.
    BOOST_TEST(problems_of(endpoint{.url = "http://hooks.example.com/in"}) == "valid");
    BOOST_TEST(
        problems_of(R"({"url": "http://10.1.2.3/in", "insecure_allow_credentials_over_http": true,
        "authentication": {"type": "basic", "username": "u", "password": "p"}})") == "loaded");
    BOOST_TEST(problems_of(R"({"url": "http://10.1.2.3/in",
        "authentication": {"type": "basic", "username": "u", "password": "p"}})")
                   .starts_with("authentication: would be sent over plain http"));
}

BOOST_AUTO_TEST_CASE(oauth2_client_credentials_load_with_every_key) {
    ::setenv("WEBHOOK_TEST_CLIENT_SECRET", "cl1ent-s3cret", 1);
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials",
                           "token_url": "https://login.example.com/oauth/token",
                           "client_id": "svc-webhooks",
                           "client_secret_env": "WEBHOOK_TEST_CLIENT_SECRET",
                           "scope": "incidents.write incidents.read",
                           "audience": "https://api.example.com",
                           "client_authentication": "request_body",
                           "refresh_skew": "2m"}})");
    const webhook::oauth2_client_credentials expected{
        .token_url = "https://login.example.com/oauth/token",
        .client_id = "svc-webhooks",
        .client_secret = "cl1ent-s3cret",
        .scope = "incidents.write incidents.read",
        .audience = "https://api.example.com",
        .client_authentication = webhook::oauth2_client_authentication::request_body,
        .refresh_skew = 120s};
    BOOST_TEST((e.authentication == webhook::authentication(expected)));
    const std::string text = printed(e);
    BOOST_TEST(text.find("cl1ent-s3cret") == std::string::npos);
    BOOST_TEST(text.find("authentication: oauth2_client_credentials, token_url "
                         "https://login.example.com/oauth/token, client_id \"svc-webhooks\", "
                         "client_secret ***, scope \"incidents.write incidents.read\", audience "
                         "\"https://api.example.com\", client_authentication request_body, "
                         "refresh_skew 120s") != std::string::npos,
               text);

    // The defaults: Basic client authentication, a 60 s skew, no scope or audience.
    const endpoint d = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials", "client_id": "c",
            "token_url": "https://login.example.com/t", "client_secret": "s"}})");
    const auto& oauth = std::get<webhook::oauth2_client_credentials>(d.authentication);
    BOOST_TEST((oauth.client_authentication == webhook::oauth2_client_authentication::basic));
    BOOST_TEST(oauth.refresh_skew.count() == 60);
    BOOST_TEST(oauth.scope.empty());
}

BOOST_AUTO_TEST_CASE(oauth2_client_credentials_problems_name_their_keys) {
    const std::string head = R"({"url": "https://hooks.example.com/in",
        "authentication": {"type": "oauth2_client_credentials", )";
    BOOST_TEST(problems_of(head + R"("token_url": "https://l.example.com/t"}})") ==
               "authentication.client_id: is required\n"
               "authentication.client_secret: is required (or client_secret_env, or "
               "client_secret_file)");
    BOOST_TEST(problems_of(head + R"("token_url": "login", "client_id": "c",
                                     "client_secret": "s", "password": "p"}})") ==
               "authentication.password: is not used with type \"oauth2_client_credentials\"");
    BOOST_TEST(problems_of(head + R"("token_url": "login", "client_id": "c",
                                     "client_secret": "s"}})") ==
               "authentication.token_url: is not a valid http or https URL");
    BOOST_TEST(problems_of(head + R"("token_url": "http://login.example.com/t",
                                     "client_id": "c", "client_secret": "s"}})") ==
               "authentication.token_url: is plain http to a host that is not loopback: the "
               "client secret would cross the network in clear text (use https, or set "
               "insecure_allow_credentials_over_http)");
    BOOST_TEST(problems_of(head + R"("token_url": "http://127.0.0.1:9/t", "client_id": "c",
                                     "client_secret": "s", "client_authentication": "form"}})") ==
               R"(authentication.client_authentication: must be "basic" or "request_body")");
    endpoint e = minimal();
    e.authentication = webhook::oauth2_client_credentials{.token_url = "https://l.example.com/t",
                                                          .client_id = "c\n",
                                                          .client_secret = "s\r",
                                                          .refresh_skew = -1s};
    BOOST_TEST(problems_of(e) == "authentication.client_id: contains a control character\n"
                                 "authentication.client_secret: contains a control character\n"
                                 "authentication.refresh_skew: must not be negative");
}

BOOST_AUTO_TEST_CASE(signing_loads_both_schemes_with_keys_from_anywhere) {
    ::setenv("WEBHOOK_TEST_SIGNING_KEY",
             "whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLWZvci1yb3RhdGlvbg==", 1);
    const endpoint standard = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "signing": {"type": "standard_webhooks",
                    "keys": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                             {"key_env": "WEBHOOK_TEST_SIGNING_KEY"}]}})");
    BOOST_TEST(
        (standard.signing == webhook::signing(webhook::standard_webhooks_signing{
                                 {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                  "whsec_c2VjcmV0LWtleS1udW1iZXItdHdvLWZvci1yb3RhdGlvbg=="}})));
    BOOST_TEST(printed(standard).find("\nsigning: standard_webhooks, keys ***, ***\n") !=
               std::string::npos);

    const endpoint hmac = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "signing": {"type": "hmac", "key": "k3y", "header": "X-Hub-Signature-256",
                    "algorithm": "sha512", "encoding": "base64", "prefix": "",
                    "timestamp_header": "X-Hub-Timestamp"}})");
    const webhook::hmac_header_signing expected{.header = "X-Hub-Signature-256",
                                                .algorithm = webhook::hmac_algorithm::sha512,
                                                .encoding = webhook::signature_encoding::base64,
                                                .prefix = "",
                                                .key = "k3y",
                                                .timestamp_header = "X-Hub-Timestamp"};
    BOOST_TEST((hmac.signing == webhook::signing(expected)));
    BOOST_TEST(printed(hmac).find("\nsigning: hmac, header \"X-Hub-Signature-256\", sha512, "
                                  "base64, prefix \"\", key ***, timestamp_header "
                                  "\"X-Hub-Timestamp\"\n") != std::string::npos,
               printed(hmac));
}

BOOST_AUTO_TEST_CASE(signing_problems_name_the_key_by_position_and_never_quote_it) {
    const std::string head = R"({"url": "https://hooks.example.com/in", "signing": )";
    const std::string bad = problems_of(head + R"({"type": "standard_webhooks",
        "keys": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_SHORT", 7]}})");
    BOOST_TEST(bad.starts_with("signing.keys[2]: must be a string"), bad);
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "keys": ["whsec_SHORT"]}})")
                   .starts_with("signing.keys[0]: "));
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "keys": ["whsec_SHORT"]}})")
                   .find("SHORT") == std::string::npos);
    BOOST_TEST(problems_of(head + R"({"type": "hmac"}})") ==
               "signing.key: is required (or key_env, or key_file)");
    BOOST_TEST(problems_of(head + R"({"type": "hmac", "key": "k", "algorithm": "md5"}})") ==
               R"(signing.algorithm: must be "sha256" or "sha512")");
    BOOST_TEST(problems_of(head + R"({"type": "standard_webhooks", "key": "k", "keys": []}})")
                   .starts_with("signing.key: is not used with type \"standard_webhooks\""));
    BOOST_TEST(problems_of(head + R"({"type": "pgp"}})") ==
               R"(signing.type: must be "none", "standard_webhooks" or "hmac")");
    // Signed requests over plain http to another host could be captured and replayed.
    BOOST_TEST(problems_of(R"({"url": "http://hooks.example.com/in",
        "signing": {"type": "hmac", "key": "k"}})") ==
               "signing: signed requests would go over plain http to a host that is not "
               "loopback, open to capture and replay (use https, or set "
               "insecure_allow_credentials_over_http)");
}

BOOST_AUTO_TEST_CASE(destinations_and_host_mappings_load_and_reach_the_transport) {
    const endpoint e = webhook::load_endpoint(R"({"url": "https://hooks.example.com/in",
        "destinations": {"public_only": true, "allow": ["10.20.0.0/16", "fd00::1"]},
        "hosts": {"hooks.example.com": ["10.20.0.5", "fd00::1"]}})");
    BOOST_TEST(e.destinations.public_only);
    BOOST_REQUIRE(e.destinations.allow.size() == 2u);
    BOOST_TEST(e.destinations.allow[0].to_string() == "10.20.0.0/16");
    BOOST_TEST(e.destinations.allow[1].to_string() == "fd00::1/128");
    BOOST_REQUIRE(e.hosts.size() == 1u);
    BOOST_TEST(e.hosts[0].host == "hooks.example.com");
    BOOST_TEST(e.hosts[0].addresses[1].to_string() == "fd00::1");
    const auto o = webhook::transport_options(e);
    BOOST_TEST((o.destinations == e.destinations));
    BOOST_TEST((o.hosts == e.hosts));
    BOOST_TEST(printed(e).find("\ndestinations: public only, allow 10.20.0.0/16, fd00::1/128\n"
                               "hosts: \"hooks.example.com\" -> 10.20.0.5 fd00::1\n") !=
                   std::string::npos,
               printed(e));

    BOOST_TEST(problems_of(R"({"url": "https://h.example.com/",
        "destinations": {"public_only": "yes", "allow": ["10.0.0.1/8", "300.1.1.1"]},
        "hosts": {"a.example.com": [], "b.example.com": ["not-an-ip"]}})") ==
               "destinations.public_only: must be true or false\n"
               "destinations.allow[0]: is not an address or a range such as 10.0.0.0/8 or "
               "fd00::/8\n"
               "destinations.allow[1]: is not an address or a range such as 10.0.0.0/8 or "
               "fd00::/8\n"
               "hosts[\"a.example.com\"]: must be a non-empty array of IP addresses\n"
               "hosts[\"b.example.com\"][0]: is not an IP address");
}

BOOST_AUTO_TEST_SUITE_END()
