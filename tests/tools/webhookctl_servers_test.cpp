// webhookctl against the shared spools, each on a server the test starts on loopback: a Redis
// stream (redis-server) and a PostgreSQL outbox (initdb + postgres). The same session for
// both: backlog, list, requeue of every dead letter, purge of one record, backlog again; what
// is left is then read back through the library.
#define BOOST_TEST_MODULE webhookctl_servers
#include "tools/run_tool.hpp"

#include "postgres/postgres_spool_helpers.hpp"
#include "redis/redis_spool_helpers.hpp"
#include "tools/sample_records.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using webhook::test::letter;
using webhook::test::record;

std::string escaped(const std::string& text) {
    return std::regex_replace(text, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
}

webhook::test::tool_result run(std::vector<std::string> args) {
    const fs::path dir =
        fs::temp_directory_path() / ("webhookctl_servers_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    return webhook::test::run_tool(WEBHOOKCTL_PATH, std::move(args), dir);
}

void fill(webhook::any_spool s) {
    BOOST_REQUIRE(s.append(record("01J00000000000000000000001", 250ms, R"({"order":"A-1"})")));
    BOOST_REQUIRE(s.append(record("01J00000000000000000000002", 1000ms, R"({"order":"A-2"})")));
}

void fill_dead(webhook::any_spool s) {
    BOOST_REQUIRE(s.append(letter("01J0000000000000000000000A", 5000ms, R"({"refund":"R-7"})", 422,
                                  "rejected by receiver: HTTP 422")));
}

std::vector<std::string> ids(const std::vector<webhook::spool_record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records)
        out.emplace_back(r.id.view());
    return out;
}

/** The session, on the spool at `outbox` with its dead letters at `dead` (addresses as the CLI
    takes and shows them), filled beforehand. */
void session(const std::string& outbox, const std::string& dead) {
    auto r = run({"backlog", "--spool", outbox, "--dead-letters", dead});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(
        std::regex_match(
            r.out, std::regex(escaped(outbox) +
                              R"(: 2 pending, oldest created 2025-03-01T12:00:00\.250Z \(.* ago\)
)" + escaped(dead) + R"(: 1 dead letter, oldest created 2025-03-01T12:00:05\.000Z \(.* ago\)
)")),
        r.out);

    r = run({"list", "--spool", dead});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(r.out.find("01J0000000000000000000000A  2025-03-01T12:00:05.000Z") !=
                   std::string::npos,
               r.out);
    BOOST_TEST(r.out.find("422     https://hooks.example.com/orders target=/orders/refunds  "
                          "rejected by receiver: HTTP 422\n(1 record)\n") != std::string::npos,
               r.out);

    r = run({"requeue", "--dead-letters", dead, "--spool", outbox, "--all"});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(std::regex_match(r.out, std::regex(R"(requeued 1 of 1 in \d+\.\d s
)")),
               r.out);

    r = run({"purge", "--spool", outbox, "--yes", "01J00000000000000000000001"});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(std::regex_match(r.out, std::regex(R"(purged 1 of 1 in \d+\.\d s
)")),
               r.out);

    r = run({"backlog", "--spool", outbox, "--dead-letters", dead});
    BOOST_TEST(r.code == 0, r.err);
    BOOST_TEST(
        std::regex_match(
            r.out, std::regex(escaped(outbox) +
                              R"(: 2 pending, oldest created 2025-03-01T12:00:01\.000Z \(.* ago\)
)" + escaped(dead) + R"(: 0 dead letters
)")),
        r.out);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_redis_stream_and_its_dead_letters) {
    webhook::test::redis_server server;
    const auto outbox_options = webhook::test::options_for(server, "test", "webhook:{orders}");
    const auto dead_options = webhook::test::options_for(server, "test", "webhook:{dead}");
    fill(webhook::test::open_or_fail(outbox_options));
    fill_dead(webhook::test::open_or_fail(dead_options));

    const std::string base = "redis://127.0.0.1:" + std::to_string(server.port()) + "/";
    session(base + "webhook:{orders}", base + "webhook:{dead}");

    // What a dispatcher reading the stream would deliver: the second record and the requeued
    // letter, made a fresh event.
    const auto left = webhook::test::read_all(*webhook::test::open_or_fail(outbox_options));
    BOOST_TEST(ids(left) == (std::vector<std::string>{"01J00000000000000000000002",
                                                      "01J0000000000000000000000A"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST(left[1].payload == R"({"refund":"R-7"})");
    BOOST_TEST(left[1].last_status == 0);
    BOOST_TEST(webhook::test::read_all(*webhook::test::open_or_fail(dead_options)).empty());
}

BOOST_AUTO_TEST_CASE(a_postgresql_outbox_and_its_dead_letters) {
    auto& server = webhook::test::shared_server();
    const std::string table = "orders_outbox";
    // The CLI reads as the worker "webhookctl"; reading back under that name takes its rows.
    const auto options = webhook::test::options_for(server, table, "webhookctl", "orders");
    {
        auto outbox = webhook::test::open_or_fail(options);
        fill(outbox);
        auto dead = outbox->dead_letters();
        BOOST_REQUIRE(dead);
        fill_dead(*dead);
    }

    const std::string base = "postgresql://webhook@127.0.0.1:" + std::to_string(server.port()) +
                             "/postgres?destination=orders&table=" + table;
    session(base, base + "&dead");

    auto outbox = webhook::test::open_or_fail(options);
    const auto left = webhook::test::read_all(*outbox);
    BOOST_TEST(ids(left) == (std::vector<std::string>{"01J00000000000000000000002",
                                                      "01J0000000000000000000000A"}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(left.size() == 2u);
    BOOST_TEST(left[1].payload == R"({"refund":"R-7"})");
    BOOST_TEST(left[1].last_status == 0);
    auto dead = outbox->dead_letters();
    BOOST_REQUIRE(dead);
    BOOST_TEST(webhook::test::read_all(**dead).empty());
}
