// webhookctl run as a child process against real file spools, a loopback receiver and a
// loopback metrics server: exact standard output, standard error and exit codes.
#define BOOST_TEST_MODULE webhookctl
#include "tools/run_tool.hpp"

#include "support/test_receiver.hpp"
#include "tools/sample_records.hpp"

#include <webhook/file_spool.hpp>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using webhook::test::at;
using webhook::test::letter;
using webhook::test::record;
using webhook::test::tool_result;
using namespace std::chrono_literals;

/// A temporary directory with a delivery spool ("outbox") and dead letters ("dead"), both
/// closed again (the CLI needs their locks), and a way to run webhookctl.
struct spools {
    fs::path dir;
    fs::path outbox, dead;

    spools() {
        static int counter = 0;
        dir = fs::temp_directory_path() /
              ("webhookctl_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
        fs::remove_all(dir);
        fs::create_directories(dir);
        outbox = dir / "outbox";
        dead = dir / "dead";
        fill(outbox, {record("01J00000000000000000000001", 250ms, R"({"order":"A-1","items":3})",
                             "X-Tenant: acme\r\n"),
                      record("01J00000000000000000000002", 1000ms, R"({"order":"A-2","items":1})"),
                      record("01J00000000000000000000003", 2000ms, "not json")});
        fill(dead, {letter("01J0000000000000000000000A", 5000ms, R"({"refund":"R-7"})", 422,
                           "rejected by receiver: HTTP 422"),
                    letter("01J0000000000000000000000B", 6000ms, R"({"refund":"R-8"})", 0,
                           "Connection refused")});
    }
    ~spools() { fs::remove_all(dir); }

    static void fill(const fs::path& where, const std::vector<webhook::spool_record>& records) {
        auto s = webhook::file_spool::open(where).value();
        for (const auto& r : records)
            BOOST_REQUIRE(s->append(r));
    }

    /// The unacknowledged records of a spool, in order.
    static std::vector<webhook::spool_record> contents(const fs::path& where) {
        auto s = webhook::file_spool::open(where).value();
        std::vector<webhook::spool_record> out;
        BOOST_REQUIRE(!s->read(0, 1000, out));
        return out;
    }

    static std::vector<std::string> ids(const std::vector<webhook::spool_record>& records) {
        std::vector<std::string> out;
        for (const auto& r : records)
            out.emplace_back(r.id.view());
        return out;
    }

    tool_result run(std::vector<std::string> args) const {
        return webhook::test::run_tool(WEBHOOKCTL_PATH, std::move(args), dir);
    }

    std::string file(const fs::path& p) const { return "file:" + p.string(); }

    fs::path write(const std::string& name, const std::string& text) const {
        std::ofstream(dir / name) << text;
        return dir / name;
    }
};

bool matches(const std::string& text, const std::string& pattern) {
    return std::regex_match(text, std::regex(pattern));
}

std::string escaped(const std::string& text) {
    return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

} // namespace

BOOST_AUTO_TEST_SUITE(webhookctl_spools)

BOOST_FIXTURE_TEST_CASE(backlog_counts_pending_records_and_dead_letters, spools) {
    const auto r = run({"backlog", "--spool", file(outbox), "--dead-letters", file(dead)});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    BOOST_TEST(
        matches(r.out, escaped(file(outbox)) +
                           R"(: 3 pending, oldest created 2025-03-01T12:00:00\.250Z \(.* ago\)
)" + escaped(file(dead)) +
                           R"(: 2 dead letters, oldest created 2025-03-01T12:00:05\.000Z \(.* ago\)
)"),
        r.out);
}

BOOST_FIXTURE_TEST_CASE(backlog_of_an_empty_spool_is_zero, spools) {
    fs::create_directories(dir / "empty");
    const auto r = run({"backlog", "--spool", (dir / "empty").string()});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.out == file(dir / "empty") + ": 0 pending\n");
}

BOOST_FIXTURE_TEST_CASE(list_prints_one_line_per_record, spools) {
    const auto r = run({"list", "--spool", file(dead)});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    BOOST_TEST(
        r.out ==
        "ID                          CREATED                        SIZE  STATUS  ENDPOINT  "
        "ERROR\n"
        "01J0000000000000000000000A  2025-03-01T12:00:05.000Z       16 B  422     "
        "https://hooks.example.com/orders target=/orders/refunds  rejected by receiver: HTTP 422\n"
        "01J0000000000000000000000B  2025-03-01T12:00:06.000Z       16 B  -       "
        "https://hooks.example.com/orders target=/orders/refunds  Connection refused\n"
        "(2 records)\n");
}

BOOST_FIXTURE_TEST_CASE(list_stops_at_the_limit_and_says_how_many_there_are, spools) {
    const auto r = run({"list", "--spool", file(outbox), "--limit=2"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.out ==
               "ID                          CREATED                        SIZE  STATUS  ENDPOINT  "
               "ERROR\n"
               "01J00000000000000000000001  2025-03-01T12:00:00.250Z       25 B  -       "
               "https://hooks.example.com/orders\n"
               "01J00000000000000000000002  2025-03-01T12:00:01.000Z       25 B  -       "
               "https://hooks.example.com/orders\n"
               "(2 of 3 shown; --limit to see more)\n");
}

BOOST_FIXTURE_TEST_CASE(show_prints_the_record_as_json_with_its_payload_embedded, spools) {
    const auto r = run({"show", "--spool", file(outbox), "01J00000000000000000000001"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    BOOST_TEST(r.out == R"({
  "id": "01J00000000000000000000001",
  "sequence": 1,
  "created": "2025-03-01T12:00:00.250Z",
  "endpoint": "https://hooks.example.com/orders",
  "target": "",
  "headers": [
    ["X-Tenant", "acme"]
  ],
  "last_status": 0,
  "last_error": "",
  "payload": {
    "order": "A-1",
    "items": 3
  }
}
)");
}

BOOST_FIXTURE_TEST_CASE(show_gives_a_payload_that_is_not_json_as_text, spools) {
    const auto r = run({"show", "--spool", file(outbox), "01J00000000000000000000003"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.out == R"({
  "id": "01J00000000000000000000003",
  "sequence": 3,
  "created": "2025-03-01T12:00:02.000Z",
  "endpoint": "https://hooks.example.com/orders",
  "target": "",
  "headers": [],
  "last_status": 0,
  "last_error": "",
  "payload_text": "not json"
}
)");
}

BOOST_FIXTURE_TEST_CASE(show_of_a_dead_letter_has_its_last_status_and_error, spools) {
    const auto r = run({"show", "--spool", file(dead), "01J0000000000000000000000A"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.out == R"({
  "id": "01J0000000000000000000000A",
  "sequence": 1,
  "created": "2025-03-01T12:00:05.000Z",
  "endpoint": "https://hooks.example.com/orders",
  "target": "/orders/refunds",
  "headers": [],
  "last_status": 422,
  "last_error": "rejected by receiver: HTTP 422",
  "payload": {
    "refund": "R-7"
  }
}
)");
}

BOOST_FIXTURE_TEST_CASE(show_of_an_unknown_id_fails, spools) {
    const auto r = run({"show", "--spool", file(outbox), "01J0000000000000000000000Z"});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl: no record with id 01J0000000000000000000000Z in " +
                            file(outbox) + "\n");
}

BOOST_FIXTURE_TEST_CASE(requeue_of_one_letter_moves_it_with_its_id, spools) {
    const auto r = run({"requeue", "--dead-letters", file(dead), "--spool", file(outbox),
                        "01J0000000000000000000000B"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == ""); // no progress bar: standard error is not a terminal
    BOOST_TEST(matches(r.out, R"(requeued 1 of 1 in \d+\.\d s
)"),
               r.out);
    const auto delivery = contents(outbox);
    BOOST_TEST(ids(delivery) == (std::vector<std::string>{
                                    "01J00000000000000000000001", "01J00000000000000000000002",
                                    "01J00000000000000000000003", "01J0000000000000000000000B"}),
               boost::test_tools::per_element());
    // Sent again as it was, but as a fresh event: no status or error, its age restarted.
    const auto& moved = delivery.back();
    BOOST_TEST(moved.payload == R"({"refund":"R-8"})");
    BOOST_TEST(moved.target == "/orders/refunds");
    BOOST_TEST(moved.endpoint == "https://hooks.example.com/orders");
    BOOST_TEST(moved.last_status == 0);
    BOOST_TEST(moved.last_error == "");
    BOOST_TEST((moved.created > at(6000ms)));
    BOOST_TEST(ids(contents(dead)) == (std::vector<std::string>{"01J0000000000000000000000A"}),
               boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(requeue_all_empties_the_dead_letters, spools) {
    const auto r = run({"requeue", "--dead-letters", file(dead), "--spool", file(outbox), "--all"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(matches(r.out, R"(requeued 2 of 2 in \d+\.\d s
)"),
               r.out);
    BOOST_TEST(contents(dead).empty());
    const auto delivery = contents(outbox);
    BOOST_REQUIRE(delivery.size() == 5u);
    BOOST_TEST(delivery[3].id.view() == "01J0000000000000000000000A");
    BOOST_TEST(delivery[4].id.view() == "01J0000000000000000000000B");
    BOOST_TEST(delivery[3].payload == R"({"refund":"R-7"})");
}

BOOST_FIXTURE_TEST_CASE(requeue_of_an_unknown_id_moves_the_others_and_fails, spools) {
    const auto r = run({"requeue", "--dead-letters", file(dead), "--spool", file(outbox),
                        "01J0000000000000000000000Z", "01J0000000000000000000000A"});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(matches(r.out, R"(requeued 1 of 1 in \d+\.\d s
)"),
               r.out);
    BOOST_TEST(r.err ==
               "webhookctl: no record with id 01J0000000000000000000000Z in " + file(dead) + "\n");
    BOOST_TEST(ids(contents(dead)) == (std::vector<std::string>{"01J0000000000000000000000B"}),
               boost::test_tools::per_element());
}

BOOST_FIXTURE_TEST_CASE(purge_without_yes_deletes_nothing, spools) {
    const auto r = run({"purge", "--spool", file(dead), "--all"});
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl: purge would delete 2 records from " + file(dead) +
                            " for good; add --yes to do it\n");
    BOOST_TEST(contents(dead).size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(purge_with_yes_deletes_the_records_named, spools) {
    const auto r = run({"purge", "--spool", file(outbox), "--yes", "01J00000000000000000000002"});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    BOOST_TEST(matches(r.out, R"(purged 1 of 1 in \d+\.\d s
)"),
               r.out);
    BOOST_TEST(ids(contents(outbox)) == (std::vector<std::string>{"01J00000000000000000000001",
                                                                  "01J00000000000000000000003"}),
               boost::test_tools::per_element());

    const auto all = run({"purge", "--spool", file(outbox), "--all", "--yes"});
    BOOST_TEST(all.code == 0);
    BOOST_TEST(matches(all.out, R"(purged 2 of 2 in \d+\.\d s
)"),
               all.out);
    BOOST_TEST(contents(outbox).empty());
}

BOOST_FIXTURE_TEST_CASE(a_missing_spool_directory_is_an_error_and_is_not_created, spools) {
    const auto r = run({"backlog", "--spool", file(dir / "nope")});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl backlog: " + file(dir / "nope") + ": no such spool (the " +
                            "directory " + (dir / "nope").string() + " does not exist)\n");
    BOOST_TEST(!fs::exists(dir / "nope"));
}

BOOST_FIXTURE_TEST_CASE(a_spool_in_use_by_a_dispatcher_is_refused, spools) {
    auto held = webhook::file_spool::open(outbox).value(); // as a running dispatcher would
    const auto r = run({"list", "--spool", file(outbox)});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl list: " + file(outbox) +
                            ": in use by another process (a running dispatcher holds its lock); "
                            "stop it first, or requeue from inside the application\n");
}

BOOST_FIXTURE_TEST_CASE(bad_arguments_are_usage_errors_naming_the_argument, spools) {
    struct expectation {
        std::vector<std::string> args;
        std::string err;
    };
    const std::vector<expectation> cases{
        {{"frobnicate"}, "webhookctl: unknown command 'frobnicate' (webhookctl --help)\n"},
        {{"list"}, "webhookctl list: missing option '--spool'\n(webhookctl list --help)\n"},
        {{"list", "--spool", file(outbox), "--colour"},
         "webhookctl list: unknown option '--colour'\n(webhookctl list --help)\n"},
        {{"list", "--spool"},
         "webhookctl list: option '--spool' needs a value\n(webhookctl list --help)\n"},
        {{"list", "--spool", file(outbox), "--limit", "ten"},
         "webhookctl list: option '--limit': 'ten' is not a positive number\n"
         "(webhookctl list --help)\n"},
        {{"show", "--spool", file(outbox), "not-an-id"},
         "webhookctl show: 'not-an-id' is not an event id (26 characters of Crockford base32, "
         "such as 01JQ3V6Z8X9T4N2M7K5R1P0ABC)\n(webhookctl show --help)\n"},
        {{"backlog", "--spool", "ftp://example.com/x"},
         "webhookctl backlog: option '--spool': 'ftp://example.com/x' is not a spool address: "
         "unknown scheme (file:, redis://, postgresql://)\n(webhookctl backlog --help)\n"},
        {{"requeue", "--dead-letters", file(dead), "--spool", file(outbox)},
         "webhookctl requeue: give --all or at least one event id\n"
         "(webhookctl requeue --help)\n"},
        {{"purge", "--spool", file(dead), "--all", "01J0000000000000000000000A"},
         "webhookctl purge: give either --all or ids, not both\n(webhookctl purge --help)\n"},
        {{"requeue", "--dead-letters", file(dead), "--spool", file(dead), "--all"},
         "webhookctl requeue: --dead-letters and --spool name the same spool\n"
         "(webhookctl requeue --help)\n"},
    };
    for (const auto& c : cases) {
        const auto r = run(c.args);
        BOOST_TEST_CONTEXT(c.args.front()) {
            BOOST_TEST(r.code == 2);
            BOOST_TEST(r.out == "");
            BOOST_TEST(r.err == c.err);
        }
    }
    BOOST_TEST(contents(dead).size() == 2u); // nothing was done
}

BOOST_FIXTURE_TEST_CASE(help_lists_every_command, spools) {
    const auto r = run({"--help"});
    BOOST_TEST(r.code == 0);
    for (const char* command : {"backlog", "list", "show", "requeue", "purge", "send", "metrics"})
        BOOST_TEST(r.out.find("\n  " + std::string(command) + " ") != std::string::npos, command);
    const auto none = run({});
    BOOST_TEST(none.code == 2);
    BOOST_TEST(none.err == r.out);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(webhookctl_send)

BOOST_FIXTURE_TEST_CASE(send_delivers_the_json_document_under_the_data_location, spools) {
    webhook::test::test_receiver receiver;
    receiver.set_default_behaviour(webhook::test::behaviour::respond(204));
    const auto endpoint = write("endpoint.json", R"({"url": ")" + receiver.url("/api/incidents") +
                                                     R"(", "data_location": "root/result"})");
    const auto event = write("event.json", "{\n  \"id\": \"INC001\",\n  \"priority\": 2\n}\n");
    const auto r = run({"send", "--endpoint", endpoint.string(), "--event", event.string()});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    std::smatch m;
    BOOST_REQUIRE_MESSAGE(
        std::regex_match(r.out, m, std::regex(R"(([0-9A-Z]{26}) delivered after 1 attempt: HTTP 204
  attempt 1: HTTP 204 in \d+ ms
)")),
        r.out);
    BOOST_REQUIRE(receiver.request_count() == 1u);
    const auto request = receiver.requests().front();
    BOOST_TEST(request.method == "POST");
    BOOST_TEST(request.target == "/api/incidents");
    BOOST_TEST(request.body == R"({"root":{"result":{"id":"INC001","priority":2}}})");
    std::string webhook_id;
    for (const auto& [name, value] : request.headers) {
        if (name == "webhook-id")
            webhook_id = value;
    }
    BOOST_TEST(webhook_id == m[1].str());
}

BOOST_FIXTURE_TEST_CASE(send_to_a_failing_receiver_exits_1_with_the_status, spools) {
    webhook::test::test_receiver receiver;
    receiver.set_default_behaviour(webhook::test::behaviour::respond(500, "database down"));
    const auto endpoint = write("endpoint.json", R"({"url": ")" + receiver.url("/hooks") +
                                                     R"(", "retry": {"max_attempts": 1}})");
    const auto event = write("event.json", R"({"ok": false})");
    const auto r = run({"send", "--endpoint", endpoint.string(), "--event", event.string()});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(matches(r.out, R"([0-9A-Z]{26} failed after 1 attempt: HTTP 500.*
  attempt 1: HTTP 500 in \d+ ms: database down
)"),
               r.out);
    BOOST_TEST(receiver.request_count() == 1u);
}

BOOST_FIXTURE_TEST_CASE(send_reports_every_configuration_problem_and_sends_nothing, spools) {
    const auto endpoint = write("endpoint.json", R"({"url": "http://127.0.0.1:9/x",
                                                     "method": "GET", "retyr": {}})");
    const auto event = write("event.json", "{}");
    const auto r = run({"send", "--endpoint", endpoint.string(), "--event", event.string()});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err.find("method: must be \"POST\", \"PUT\" or \"PATCH\"") != std::string::npos,
               r.err);
    BOOST_TEST(r.err.find("retyr: unknown key") != std::string::npos, r.err);
}

BOOST_FIXTURE_TEST_CASE(send_refuses_an_event_file_that_is_not_json, spools) {
    const auto endpoint = write("endpoint.json", R"({"url": "http://127.0.0.1:9/x"})");
    const auto event = write("event.json", "{\"id\": ");
    const auto r = run({"send", "--endpoint", endpoint.string(), "--event", event.string()});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.err.rfind("webhookctl send: " + event.string() + ": not a JSON document: ", 0) ==
                   0u,
               r.err);
}

BOOST_FIXTURE_TEST_CASE(send_refuses_a_url_with_placeholders_and_sends_nothing, spools) {
    webhook::test::test_receiver receiver;
    const auto endpoint =
        write("endpoint.json", R"({"url": ")" + receiver.url("/api/incidents/{id}") + R"("})");
    const auto event = write("event.json", R"({"id": "INC001"})");
    const auto r = run({"send", "--endpoint", endpoint.string(), "--event", event.string()});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl send: " + endpoint.string() +
                            ": the url has placeholders, which a JSON file cannot fill: give a "
                            "url without them\n",
               r.err);
    BOOST_TEST(receiver.request_count() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(webhookctl_metrics)

BOOST_FIXTURE_TEST_CASE(metrics_prints_the_listeners_text, spools) {
    const std::string exposition = "# HELP webhook_delivered_total Events delivered.\n"
                                   "# TYPE webhook_delivered_total counter\n"
                                   "webhook_delivered_total{endpoint=\"orders\"} 3\n"
                                   "webhook_failed_total{endpoint=\"orders\"} 1\n";
    webhook::test::test_receiver listener;
    listener.set_default_behaviour(webhook::test::behaviour::respond(
        200, exposition, {{"Content-Type", "text/plain; version=0.0.4"}}));
    const auto r = run({"metrics", "--url", listener.url("/metrics")});
    BOOST_TEST(r.code == 0);
    BOOST_TEST(r.err == "");
    BOOST_TEST(r.out == exposition);
    BOOST_REQUIRE(listener.request_count() == 1u);
    BOOST_TEST(listener.requests().front().method == "GET");
    BOOST_TEST(listener.requests().front().target == "/metrics");

    const auto filtered = run({"metrics", "--url", listener.url("/metrics"), "--filter", "failed"});
    BOOST_TEST(filtered.code == 0);
    BOOST_TEST(filtered.out == "webhook_failed_total{endpoint=\"orders\"} 1\n");
}

BOOST_FIXTURE_TEST_CASE(metrics_fails_on_a_status_other_than_200, spools) {
    webhook::test::test_receiver listener;
    listener.set_default_behaviour(webhook::test::behaviour::respond(404, "no such page"));
    const auto r = run({"metrics", "--url", listener.url("/nope")});
    BOOST_TEST(r.code == 1);
    BOOST_TEST(r.out == "");
    BOOST_TEST(r.err == "webhookctl metrics: " + listener.url("/nope") + ": HTTP 404 Not Found\n");
}

BOOST_FIXTURE_TEST_CASE(metrics_wants_an_http_url, spools) {
    const auto r = run({"metrics", "--url", "https://127.0.0.1:1/metrics"});
    BOOST_TEST(r.code == 2);
    BOOST_TEST(r.err == "webhookctl metrics: option '--url': 'https://127.0.0.1:1/metrics' is not "
                        "an http:// URL (the listener serves plain HTTP)\n"
                        "(webhookctl metrics --help)\n");
}

BOOST_AUTO_TEST_SUITE_END()
