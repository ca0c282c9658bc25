// The PostgreSQL outbox as a spool, against a real server: its tables, appends in and out of
// the caller's transaction, claims and leases, dead letters, and a server restart.
#include <webhook/spool/postgres_spool.hpp>

#define BOOST_TEST_MODULE postgres_spool
#include <boost/test/unit_test.hpp>

#include "postgres/postgres_spool_helpers.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace webhook;
using namespace webhook::test;
using namespace std::chrono_literals;

namespace {

/// A record with every field set.
spool_record full_record(std::uint64_t n) {
    spool_record r = make_record(n);
    r.target = "/tenants/" + std::to_string(n) + "/events?x=1";
    r.headers = "X-Tenant: t" + std::to_string(n) + "\r\nX-Trace: abc\r\n";
    r.last_status = 503;
    r.last_error = "service unavailable";
    return r;
}

std::string count_of(const std::string& table) {
    return "SELECT count(*) FROM " + table;
}

} // namespace

BOOST_AUTO_TEST_CASE(open_makes_the_tables_with_the_outbox_columns) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    auto second = open_or_fail(options_for(server, table, "w2")); // the tables exist: fine
    auto by_uri = options_for(server, table, "w3");
    by_uri.conninfo = "postgresql://webhook@127.0.0.1:" + std::to_string(server.port()) +
                      "/postgres?application_name=by_uri";
    auto third = open_or_fail(by_uri); // a URI works as the key/value form does
    pg_client cli(server.conninfo());
    BOOST_TEST(cli.scalar("SELECT version FROM webhook_schema WHERE name = '" + table + "'") ==
               "1");
    const auto columns = cli.rows("SELECT column_name, data_type FROM information_schema.columns "
                                  "WHERE table_name = '" +
                                  table + "' ORDER BY ordinal_position");
    std::vector<std::string> expected{"seq",        "id",      "aggregatetype", "aggregateid",
                                      "type",       "payload", "destination",   "endpoint",
                                      "target",     "headers", "created",       "last_status",
                                      "last_error", "worker",  "lease_until",   "claims"};
    BOOST_REQUIRE_EQUAL(columns.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        BOOST_TEST(columns[i][0] == expected[i]);
    BOOST_TEST(columns[1][1] == "uuid");
    BOOST_TEST(columns[5][1] == "text"); // the payload's bytes as sent, not jsonb's
    BOOST_TEST(cli.count(count_of(table + "_dead")) == 0);
}

BOOST_AUTO_TEST_CASE(bad_options_are_refused_with_the_reason) {
    auto& server = shared_server();
    const auto refused = [](postgres_spool_options o, boost::system::error_code expected,
                            const std::string& said) {
        std::string why;
        auto s = postgres_spool::open(o, &why);
        BOOST_TEST_REQUIRE(!s);
        BOOST_TEST(s.error() == expected);
        BOOST_TEST(why.find(said) != std::string::npos, why);
    };
    const auto invalid = make_error_code(postgres_error::invalid_options);
    refused(options_for(server, "Outbox"), invalid, "plain identifiers");
    refused(options_for(server, "outbox; DROP TABLE x"), invalid, "plain identifiers");
    auto o = options_for(server, fresh_table());
    o.schema = "no-dash";
    refused(o, invalid, "plain identifiers");
    o = options_for(server, fresh_table(), "w1", "");
    refused(o, invalid, "destination not empty");
    o = options_for(server, fresh_table());
    o.lease = 0ms;
    refused(o, invalid, "lease positive");
    o = options_for(server, fresh_table());
    o.conninfo = "host=127.0.0.1 port=" + std::to_string(unused_port()) + " connect_timeout=2";
    refused(o, make_error_code(postgres_error::connection_failed), "connecting");
}

BOOST_AUTO_TEST_CASE(tables_of_a_newer_release_are_refused) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    open_or_fail(options_for(server, table));
    pg_client(server.conninfo())
        .exec("UPDATE webhook_schema SET version = 2 WHERE name = '" + table + "'");
    std::string why;
    auto s = postgres_spool::open(options_for(server, table), &why);
    BOOST_TEST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(postgres_error::schema_too_new));
    BOOST_TEST(why.find("table " + table + " has schema version 2") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(records_round_trip_with_every_field) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    std::vector<std::uint64_t> seqs;
    for (std::uint64_t n = 1; n <= 3; ++n) {
        auto seq = spool->append(full_record(n));
        BOOST_REQUIRE(seq);
        seqs.push_back(*seq);
    }
    BOOST_TEST((seqs[0] < seqs[1] && seqs[1] < seqs[2]));
    const auto read = read_all(*spool);
    BOOST_REQUIRE_EQUAL(read.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i) {
        spool_record expected = full_record(i + 1);
        expected.sequence = seqs[i];
        BOOST_TEST((read[i] == expected), "record " << i);
    }
    // The row as change data capture would see it: the id as a UUID, Debezium's columns.
    pg_client cli(server.conninfo());
    const auto row = cli.rows("SELECT id::text, aggregatetype, aggregateid, type, destination "
                              "FROM " +
                              table + " ORDER BY seq LIMIT 1")[0];
    BOOST_TEST(row[0] == detail::postgres::uuid_of(make_id(1)));
    BOOST_TEST(row[1] == "shop");
    BOOST_TEST(row[2] == std::string(make_id(1).view()));
    BOOST_TEST(row[3] == "webhook");
    BOOST_TEST(row[4] == "shop");
    // Acknowledged rows are deleted (in the background); an unknown sequence is an error.
    for (const auto& r : read)
        BOOST_TEST(!spool->ack(r.sequence));
    BOOST_TEST(spool->ack(read[0].sequence) == boost::system::errc::invalid_argument);
    BOOST_TEST(wait_for([&] { return cli.count(count_of(table)) == 0; }));
    // Counted once the background's DELETE has returned: a moment after its rows are gone.
    BOOST_TEST(wait_for([&] { return spool->stats().acks == 3u; }));
    BOOST_TEST(spool->stats().held == 0u);
}

BOOST_AUTO_TEST_CASE(a_row_exists_exactly_when_its_transaction_commits) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    std::vector<spool_record> out;

    transaction committed(server);
    auto tx = spool->in_transaction(committed.conn(), {"order", "A-17", "order.placed"});
    BOOST_REQUIRE(tx.append(make_record(1)));
    BOOST_TEST(read_all(*spool).empty()); // not committed yet: invisible
    committed.commit();
    const auto read = read_all(*spool);
    BOOST_REQUIRE_EQUAL(read.size(), 1u);
    BOOST_TEST(read[0].id == make_id(1));
    pg_client cli(server.conninfo());
    BOOST_TEST(cli.scalar("SELECT aggregatetype || ' ' || aggregateid || ' ' || type FROM " +
                          table) == "order A-17 order.placed");

    transaction rolled_back(server);
    BOOST_REQUIRE(spool->in_transaction(rolled_back.conn()).append(make_record(2)));
    rolled_back.rollback();
    BOOST_TEST(read_all(*spool).empty());
    BOOST_TEST(cli.count(count_of(table)) == 1); // only the committed one, still held
    BOOST_TEST(spool->stats().transactional_appends == 2u);
}

BOOST_AUTO_TEST_CASE(appends_without_a_usable_transaction_are_refused) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    pg_client idle(server.conninfo());
    auto outside = spool->in_transaction(idle.get());
    auto r = outside.append(make_record(1));
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == make_error_code(postgres_error::no_transaction));
    BOOST_TEST(outside.last_error() == "no open transaction on the connection (BEGIN first)");

    transaction failed(server);
    BOOST_CHECK_THROW(failed.client().exec("SELECT no_such_column FROM " + table),
                      std::runtime_error);
    auto in_failed = spool->in_transaction(failed.conn());
    r = in_failed.append(make_record(2));
    BOOST_TEST_REQUIRE(!r);
    BOOST_TEST(r.error() == make_error_code(postgres_error::transaction_failed));
    failed.rollback();
    BOOST_TEST(pg_client(server.conninfo()).count(count_of(table)) == 0);
}

BOOST_AUTO_TEST_CASE(malformed_rows_and_unknown_destinations_become_dead_letters) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto o = options_for(server, table);
    o.destinations = {"shop", "billing"};
    auto spool = open_or_fail(o);
    pg_client cli(server.conninfo());
    const std::string insert = "INSERT INTO " + table +
                               " (aggregatetype, aggregateid, type, payload, destination, "
                               "headers) VALUES ";
    cli.exec(insert + "('o', '1', 't', '{\"ok\":1}', 'shop', ''),"
                      " ('o', '2', 't', '{bad', 'shop', ''),"
                      " ('o', '3', 't', '{}', 'shop', 'X-A: 1'),"
                      " ('o', '4', 't', '{}', 'nowhere', ''),"
                      " ('o', '5', 't', '{}', 'billing', '')");
    const auto read = read_all(*spool);
    BOOST_REQUIRE_EQUAL(read.size(), 1u);
    BOOST_TEST(read[0].payload == R"({"ok":1})");
    const auto dead =
        cli.rows("SELECT aggregateid, last_error FROM " + table + "_dead ORDER BY aggregateid");
    BOOST_REQUIRE_EQUAL(dead.size(), 3u);
    BOOST_TEST(dead[0][0] == "2");
    BOOST_TEST(dead[0][1].starts_with("malformed row: the payload is not JSON ("), dead[0][1]);
    BOOST_TEST(dead[1][0] == "3");
    BOOST_TEST(dead[1][1] ==
               "malformed row: the headers are not 'name: value' lines ending in CRLF");
    BOOST_TEST(dead[2][0] == "4");
    BOOST_TEST(dead[2][1] ==
               "no endpoint named 'nowhere' is configured (known: 'shop', 'billing')");
    // The billing row is another destination's, and stays for its workers.
    BOOST_TEST(cli.scalar("SELECT destination FROM " + table + " WHERE aggregateid = '5'") ==
               "billing");
    BOOST_TEST(spool->stats().malformed == 2u);
    BOOST_TEST(spool->stats().unknown_destination == 1u);
}

BOOST_AUTO_TEST_CASE(a_dead_workers_rows_are_taken_over_when_its_lease_ends) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto o = options_for(server, table, "holder");
    o.lease = 300ms;
    auto holder = open_or_fail(o);
    for (std::uint64_t n = 0; n < 5; ++n)
        BOOST_REQUIRE(holder->append(make_record(n)));
    const auto held = read_all(*holder);
    BOOST_REQUIRE_EQUAL(held.size(), 5u);
    o.worker = "other";
    auto other = open_or_fail(o);
    BOOST_TEST(read_all(*other).empty()); // leased
    const auto gone = std::chrono::steady_clock::now();
    holder.reset(); // dies holding them
    std::vector<spool_record> taken;
    BOOST_TEST(wait_for([&] {
        const auto r = read_all(*other);
        taken.insert(taken.end(), r.begin(), r.end());
        return taken.size() >= 5;
    }));
    BOOST_TEST((std::chrono::steady_clock::now() - gone < 3s));
    BOOST_REQUIRE_EQUAL(taken.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(taken[i].id == held[i].id);
    BOOST_TEST(other->stats().taken_over == 5u);
}

BOOST_AUTO_TEST_CASE(renewed_leases_keep_held_rows_from_other_workers) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto o = options_for(server, table, "holder");
    o.lease = 200ms;
    auto holder = open_or_fail(o);
    for (std::uint64_t n = 0; n < 3; ++n)
        BOOST_REQUIRE(holder->append(make_record(n)));
    BOOST_REQUIRE_EQUAL(read_all(*holder).size(), 3u);
    o.worker = "thief";
    auto thief = open_or_fail(o);
    // Five lease times: without the renewals, the thief would have them all by now.
    std::size_t stolen = 0;
    for (auto until = std::chrono::steady_clock::now() + 1s;
         std::chrono::steady_clock::now() < until;) {
        stolen += read_all(*thief).size();
        std::this_thread::sleep_for(20ms); // a worker's poll interval, roughly
    }
    BOOST_TEST(stolen == 0u);
    BOOST_TEST(holder->stats().renewals >= 3u);
}

BOOST_AUTO_TEST_CASE(a_restarted_worker_takes_back_its_rows_at_once) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto o = options_for(server, table, "w1");
    o.lease = 60s; // far away: only the name can give them back now
    auto first = open_or_fail(o);
    for (std::uint64_t n = 0; n < 3; ++n)
        BOOST_REQUIRE(first->append(make_record(n)));
    BOOST_REQUIRE_EQUAL(read_all(*first).size(), 3u);
    first.reset();
    auto again = open_or_fail(o);
    const auto back = read_all(*again);
    BOOST_REQUIRE_EQUAL(back.size(), 3u);
    BOOST_TEST(back[0].id == make_id(0));
    BOOST_TEST(again->stats().taken_over == 3u);
}

BOOST_AUTO_TEST_CASE(the_dead_letters_table_is_a_spool_of_its_own) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    auto dead = spool->dead_letters();
    BOOST_REQUIRE(dead);
    BOOST_TEST(spool->dead_letters().value() == *dead); // the same one each time
    BOOST_REQUIRE((*dead)->append(full_record(7)));
    const auto letters = read_all(**dead);
    BOOST_REQUIRE_EQUAL(letters.size(), 1u);
    BOOST_TEST(letters[0].last_status == 503);
    BOOST_TEST(letters[0].last_error == "service unavailable");
    BOOST_TEST(read_all(*spool).empty());
    BOOST_TEST(!(*dead)->ack(letters[0].sequence));
    pg_client cli(server.conninfo());
    BOOST_TEST(wait_for([&] { return cli.count(count_of(table + "_dead")) == 0; }));
}

BOOST_AUTO_TEST_CASE(appends_fail_clearly_while_the_server_is_down_and_nothing_is_lost) {
    postgres_server server; // its own: this case stops it
    const std::string table = "restarted";
    auto spool = open_or_fail(options_for(server, table));
    for (std::uint64_t n = 0; n < 10; ++n)
        BOOST_REQUIRE(spool->append(make_record(n)));
    transaction user(server);
    server.stop(SIGINT);

    auto refused = spool->append(make_record(10));
    BOOST_TEST_REQUIRE(!refused);
    BOOST_TEST((refused.error() == postgres_error::connection_lost ||
                refused.error() == make_error_code(postgres_error::connection_failed)),
               refused.error().message());
    BOOST_TEST(!spool->last_error().empty());
    auto in_tx = spool->in_transaction(user.conn()).append(make_record(11));
    BOOST_TEST_REQUIRE(!in_tx);
    BOOST_TEST(in_tx.error() == make_error_code(postgres_error::connection_lost));
    std::vector<spool_record> out;
    BOOST_TEST(spool->read(0, 10, out)); // an error, not an empty read

    server.start();
    boost::system::result<std::uint64_t> later = refused.error();
    BOOST_TEST(wait_for([&] { return (later = spool->append(make_record(10))).has_value(); }));
    std::vector<spool_record> all;
    BOOST_TEST(wait_for([&] { // the read connection may find the old one broken first
        if (!spool->read(0, 100, out))
            all.insert(all.end(), out.begin(), out.end());
        return all.size() >= 11;
    }));
    BOOST_REQUIRE_EQUAL(all.size(), 11u);
    for (std::uint64_t n = 0; n < 11; ++n)
        BOOST_TEST(all[n].id == make_id(n));
}

BOOST_AUTO_TEST_CASE(a_blocked_table_fails_a_read_after_the_command_timeout) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto o = options_for(server, table);
    o.command_timeout = 300ms;
    auto spool = open_or_fail(o);
    BOOST_REQUIRE(spool->append(make_record(1)));
    transaction locker(server); // an operator's migration, say
    locker.client().exec("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    std::vector<spool_record> out;
    const auto started = std::chrono::steady_clock::now();
    const auto ec = spool->read(0, 10, out);
    const auto waited = std::chrono::steady_clock::now() - started;
    BOOST_TEST(ec == make_error_code(postgres_error::command_failed), ec.message());
    BOOST_TEST(spool->last_error().find("canceling statement due to statement timeout") !=
                   std::string::npos,
               spool->last_error());
    BOOST_TEST((waited >= 250ms && waited < 5s));
    locker.rollback();
    BOOST_TEST(read_all(*spool).size() == 1u); // the next read finds the row
}

BOOST_AUTO_TEST_CASE(concurrent_appends_share_commits_and_a_refused_one_fails_alone) {
    auto& server = shared_server();
    const std::string table = fresh_table();
    auto spool = open_or_fail(options_for(server, table));
    constexpr int threads = 8, each = 50;
    std::vector<std::vector<std::uint64_t>> seqs(threads);
    std::vector<int> refused(threads, 0);
    {
        std::vector<std::thread> producers;
        for (int t = 0; t < threads; ++t)
            producers.emplace_back([&, t] {
                for (int i = 0; i < each; ++i) {
                    spool_record r = make_record(std::uint64_t(t * each + i));
                    if (i % 10 == 9) // not UTF-8: PostgreSQL refuses to store such text
                        r.payload = "{\"bad\":\"\xff\"}";
                    if (auto seq = spool->append(r))
                        seqs[std::size_t(t)].push_back(*seq);
                    else
                        ++refused[std::size_t(t)];
                }
            });
        for (auto& p : producers)
            p.join();
    }
    std::set<std::uint64_t> all;
    int refusals = 0;
    for (int t = 0; t < threads; ++t) {
        all.insert(seqs[std::size_t(t)].begin(), seqs[std::size_t(t)].end());
        refusals += refused[std::size_t(t)];
    }
    BOOST_TEST(refusals == threads * each / 10); // exactly the bad ones, none of their neighbours
    BOOST_TEST(all.size() == std::size_t(threads * each - refusals)); // distinct sequences
    pg_client cli(server.conninfo());
    BOOST_TEST(cli.count(count_of(table)) == threads * each - refusals);
    BOOST_TEST(spool->stats().appends == std::uint64_t(threads * each - refusals));
}
