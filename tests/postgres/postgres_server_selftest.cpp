#include "postgres/postgres_server.hpp"

#define BOOST_TEST_MODULE postgres_server_selftest
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <string>

// The test-side PostgreSQL server: it answers, and its data outlives a clean stop and a crash.

using webhook::test::pg_client;
using webhook::test::postgres_server;

namespace {

// A table with three rows, written through its own connection (closed before any stop).
void fill(const postgres_server& server) {
    pg_client c(server.conninfo());
    c.exec("CREATE TABLE item (id integer PRIMARY KEY, name text)");
    c.exec("INSERT INTO item VALUES (1, 'one'), (2, 'two'), (3, NULL)");
}

void check_rows(const postgres_server& server) {
    pg_client c(server.conninfo());
    BOOST_TEST(c.count("SELECT count(*) FROM item") == 3);
    BOOST_TEST(c.scalar("SELECT name FROM item WHERE id = 2") == "two");
    const auto rows = c.rows("SELECT id, name FROM item ORDER BY id");
    BOOST_TEST_REQUIRE(rows.size() == 3U);
    BOOST_TEST(rows[2][0] == "3");
    BOOST_TEST(rows[2][1] == ""); // NULL
}

} // namespace

BOOST_AUTO_TEST_SUITE(postgres_server_suite)

BOOST_AUTO_TEST_CASE(starts_and_answers) {
    postgres_server server;
    BOOST_TEST(server.running());
    pg_client c(server.conninfo());
    BOOST_TEST(c.scalar("SELECT 1") == "1");
    BOOST_TEST(c.scalar("SELECT current_user") == "webhook");
    BOOST_CHECK_THROW(c.exec("SELECT * FROM no_such_table"), std::runtime_error);
    BOOST_CHECK_THROW(c.scalar("SELECT 1 WHERE false"), std::runtime_error);
    server.create_database("it's \\ other");
    BOOST_TEST(pg_client(server.conninfo("it's \\ other")).scalar("SELECT current_database()") ==
               "it's \\ other");
}

BOOST_AUTO_TEST_CASE(data_survives_a_fast_stop_and_start) {
    postgres_server server;
    fill(server);
    const auto port = server.port();
    server.stop(SIGINT);
    BOOST_TEST(!server.running());
    BOOST_CHECK_THROW(pg_client{server.conninfo()}, std::runtime_error);
    server.start();
    BOOST_TEST(server.running());
    BOOST_TEST(server.port() == port);
    check_rows(server);
}

BOOST_AUTO_TEST_CASE(data_survives_an_immediate_stop_through_crash_recovery) {
    postgres_server server;
    fill(server);
    pg_client open_connection(server.conninfo()); // a client still there when it goes down
    server.stop(SIGQUIT);
    BOOST_TEST(!server.running());
    server.start();
    check_rows(server);
    BOOST_CHECK_THROW(open_connection.exec("SELECT 1"), std::runtime_error);
}

BOOST_AUTO_TEST_SUITE_END()
