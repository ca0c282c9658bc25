// The PostgreSQL outbox's pure parts: names, array literals, the id as a UUID, the checks of
// a row read back, the error codes. No server.
#include <webhook/spool/detail/postgres_sql.hpp>

#define BOOST_TEST_MODULE postgres_sql
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace pg = webhook::detail::postgres;

BOOST_AUTO_TEST_CASE(plain_identifiers_only) {
    BOOST_TEST(pg::plain_identifier("webhook_outbox"));
    BOOST_TEST(pg::plain_identifier("_t1"));
    BOOST_TEST(pg::plain_identifier(std::string(48, 'a')));
    BOOST_TEST(!pg::plain_identifier(std::string(49, 'a')));
    BOOST_TEST(!pg::plain_identifier(""));
    BOOST_TEST(!pg::plain_identifier("1table"));
    BOOST_TEST(!pg::plain_identifier("Outbox"));
    BOOST_TEST(!pg::plain_identifier("out box"));
    BOOST_TEST(!pg::plain_identifier("t;DROP TABLE x"));
    BOOST_TEST(!pg::plain_identifier("a\"b"));
    BOOST_TEST(pg::qualified("", "t") == "t");
    BOOST_TEST(pg::qualified("s", "t") == "s.t");
}

BOOST_AUTO_TEST_CASE(array_literals_escape_quotes_and_backslashes) {
    BOOST_TEST(pg::text_array({}) == "{}");
    BOOST_TEST(pg::text_array({"a", "b c"}) == R"({"a","b c"})");
    BOOST_TEST(pg::text_array({R"(x"y)", R"(back\slash)", "{,}"}) ==
               R"({"x\"y","back\\slash","{,}"})");
    BOOST_TEST(pg::bigint_array({}) == "{}");
    BOOST_TEST(pg::bigint_array({1, 22, 18446744073709551615ULL}) == "{1,22,18446744073709551615}");
}

BOOST_AUTO_TEST_CASE(an_id_goes_to_a_uuid_and_back) {
    // Known values: the smallest and the largest ULID, and one whose bits are easy to read.
    const auto zero = webhook::event_id::parse("00000000000000000000000000");
    BOOST_TEST(pg::uuid_of(*zero) == "00000000-0000-0000-0000-000000000000");
    const auto max = webhook::event_id::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    BOOST_TEST(pg::uuid_of(*max) == "ffffffff-ffff-ffff-ffff-ffffffffffff");
    const auto one = webhook::event_id::parse("00000000000000000000000001");
    BOOST_TEST(pg::uuid_of(*one) == "00000000-0000-0000-0000-000000000001");
    const auto high = webhook::event_id::parse("40000000000000000000000000");
    BOOST_TEST(pg::uuid_of(*high) == "80000000-0000-0000-0000-000000000000");
    // Random ids, both ways.
    std::mt19937_64 rng(42);
    for (int i = 0; i < 1000; ++i) {
        const webhook::event_id id(std::chrono::system_clock::now(), rng(), rng());
        const std::string u = pg::uuid_of(id);
        BOOST_TEST_REQUIRE(u.size() == 36u);
        const auto back = pg::event_id_of_uuid(u);
        BOOST_TEST_REQUIRE(back.has_value());
        BOOST_TEST(*back == id);
    }
    // PostgreSQL writes lower case; upper case is read too.
    BOOST_TEST((pg::event_id_of_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF") == max));
}

BOOST_AUTO_TEST_CASE(what_is_not_a_uuid) {
    for (const char* bad :
         {"", "00000000-0000-0000-0000-00000000000", "00000000-0000-0000-0000-0000000000000",
          "00000000x0000-0000-0000-000000000000", "0000000g-0000-0000-0000-000000000000",
          "000000000000000000000000000000000000"})
        BOOST_TEST(!pg::event_id_of_uuid(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(a_row_is_checked_before_it_is_delivered) {
    BOOST_TEST(pg::row_problem(R"({"a":1})", "", "").empty());
    BOOST_TEST(
        pg::row_problem(R"([1,"x",null])", "X-A: 1\r\nX-B: two words\r\n", "/t/1?q").empty());
    BOOST_TEST(
        pg::row_problem("{not json", "", "").starts_with("malformed row: the payload is not JSON"));
    BOOST_TEST(pg::row_problem("", "", "").starts_with("malformed row: the payload is not JSON"));
    BOOST_TEST(pg::row_problem(R"({"a":1} trailing)", "", "")
                   .starts_with("malformed row: the payload is not JSON"));
    const std::string bad_headers =
        "malformed row: the headers are not 'name: value' lines ending in CRLF";
    BOOST_TEST(pg::row_problem("{}", "X-A: 1", "") == bad_headers);     // no CRLF
    BOOST_TEST(pg::row_problem("{}", "X-A 1\r\n", "") == bad_headers);  // no colon
    BOOST_TEST(pg::row_problem("{}", ": 1\r\n", "") == bad_headers);    // no name
    BOOST_TEST(pg::row_problem("{}", "X A: 1\r\n", "") == bad_headers); // a space in the name
    BOOST_TEST(pg::row_problem("{}", "X-A: 1\nX-B: 2\r\n", "") == bad_headers); // a bare LF
    BOOST_TEST(pg::row_problem("{}", "", "t/1") ==
               "malformed row: the target does not start with '/'");
}

BOOST_AUTO_TEST_CASE(sqlstates_become_error_codes) {
    const auto& cat = webhook::postgres_error_category();
    const auto of = [](const char* state) { return pg::error_of_sqlstate(state); };
    BOOST_TEST(of("") == make_error_code(webhook::postgres_error::connection_lost));
    BOOST_TEST(of("08006") == make_error_code(webhook::postgres_error::connection_lost));
    BOOST_TEST(of("57P01") == make_error_code(webhook::postgres_error::connection_lost));
    BOOST_TEST(of("57P03") == make_error_code(webhook::postgres_error::connection_lost));
    BOOST_TEST(of("53100") == make_error_code(webhook::error::spool_full));
    BOOST_TEST(of("42P01") == make_error_code(webhook::postgres_error::command_failed));
    BOOST_TEST(of("23505") == make_error_code(webhook::postgres_error::command_failed));
    BOOST_TEST(std::string(cat.name()) == "webhook.postgres");
    BOOST_TEST(make_error_code(webhook::postgres_error::no_transaction).message() ==
               "the connection has no open transaction for the outbox (BEGIN first)");
}

BOOST_AUTO_TEST_CASE(the_statements_name_the_tables) {
    const std::string create = pg::create_tables("s.t", "s.t_dead", "t_destination_seq");
    BOOST_TEST(create.find("CREATE TABLE IF NOT EXISTS s.t (seq bigserial PRIMARY KEY") == 0u);
    BOOST_TEST(create.find("ON s.t (destination, seq)") != std::string::npos);
    BOOST_TEST(create.find("CREATE TABLE IF NOT EXISTS s.t_dead (LIKE s.t INCLUDING ALL)") !=
               std::string::npos);
    for (const char* column :
         {" id uuid", " aggregatetype text", " aggregateid text", " type text", " payload text"})
        BOOST_TEST(create.find(column) != std::string::npos, column);
    BOOST_TEST(pg::claim_rows("t").find("FOR UPDATE SKIP LOCKED") != std::string::npos);
    BOOST_TEST(pg::insert_row("t").find("CASE WHEN $13 <> '' THEN pg_notify($13, $6) END") !=
               std::string::npos);
    BOOST_TEST(pg::delete_rows("t") == "DELETE FROM t WHERE seq = ANY($1::bigint[])");
}
