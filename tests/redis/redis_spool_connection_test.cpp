#include <webhook/spool/redis_spool.hpp>

#define BOOST_TEST_MODULE redis_spool_connection
#include <boost/test/unit_test.hpp>

#include "redis/redis_server.hpp"
#include "redis/redis_spool_helpers.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

// The connection to Redis: refused, wrong credentials, the documented ACL, restarts, closed and
// idle connections.

using namespace std::chrono_literals;
using webhook::redis_spool;
using webhook::redis_spool_options;
using webhook::spool_record;
using webhook::test::redis_client;
using webhook::test::redis_server;
using clock_type = std::chrono::steady_clock;
using namespace webhook::test;

BOOST_AUTO_TEST_SUITE(redis_spool_suite)

BOOST_AUTO_TEST_CASE(unreachable_redis_gives_connection_refused_and_the_address) {
    redis_spool_options o;
    o.port = webhook::test::unused_port(); // nothing listens there
    o.consumer = "a";
    std::string why;
    const auto t0 = clock_type::now();
    auto s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == boost::system::errc::connection_refused); // a system error
    BOOST_TEST(why.find("127.0.0.1:" + std::to_string(o.port)) != std::string::npos, why);
    BOOST_TEST(why.find("onnection refused") != std::string::npos, why);
    BOOST_TEST((clock_type::now() - t0 < 1s));
    BOOST_TEST_MESSAGE("unreachable: " << why);

    // The same through a Unix socket that does not exist.
    o.unix_socket = "/nonexistent/redis.sock";
    s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == boost::system::errc::no_such_file_or_directory);
    BOOST_TEST(why.find("unix:/nonexistent/redis.sock") != std::string::npos, why);
}

BOOST_AUTO_TEST_CASE(bad_credentials_and_database_give_clear_errors) {
    redis_server server({"--requirepass", "s3cret"});
    auto o = options_for(server, "a");
    std::string why;

    o.password = "wrong";
    auto s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(webhook::redis_error::authentication_failed));
    BOOST_TEST(why.find("AUTH") != std::string::npos, why);
    BOOST_TEST(why.find("127.0.0.1:" + std::to_string(server.port())) != std::string::npos, why);
    BOOST_TEST_MESSAGE("wrong password: " << why);

    o.password.clear(); // none, where one is required
    s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(webhook::redis_error::authentication_failed));
    BOOST_TEST(why.find("NOAUTH") != std::string::npos, why);

    o.user = "nobody"; // an ACL user that does not exist
    o.password = "s3cret";
    s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(webhook::redis_error::authentication_failed));

    o.user = "default";
    o.database = 999;
    s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(webhook::redis_error::invalid_database));
    BOOST_TEST(why.find("SELECT") != std::string::npos, why);

    o.database = 3; // right at last
    auto ok = open_or_fail(o);
    BOOST_TEST(ok->append(make_record(1)).has_value());
    redis_client cli(server.port(), "s3cret");
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 0); // database 0
    cli.run({"SELECT", "3"});
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 1);

    o.stream.clear();
    s = redis_spool::open(o, &why);
    BOOST_REQUIRE(!s);
    BOOST_TEST(s.error() == make_error_code(webhook::redis_error::invalid_options));
}

BOOST_AUTO_TEST_CASE(an_acl_user_with_the_documented_permissions_is_enough) {
    redis_server server;
    redis_client admin(server.port());
    // The ACL line docs/reliability.md gives, and the same without XDEL.
    const std::vector<std::string> rules{
        "on",      ">pw",     "~webhook:*", "+xadd",          "+xreadgroup", "+xautoclaim",
        "+xclaim", "+xack",   "+xdel",      "+xgroup|create", "+multi",      "+exec",
        "+ping",   "+select", "+info",      "+client|setname"};
    std::vector<std::string> cmd{"ACL", "SETUSER", "webhook"};
    cmd.insert(cmd.end(), rules.begin(), rules.end());
    BOOST_REQUIRE(admin.run(cmd)->type == REDIS_REPLY_STATUS);
    cmd = {"ACL", "SETUSER", "no_xdel"};
    for (const auto& r : rules)
        if (r != "+xdel")
            cmd.push_back(r);
    BOOST_REQUIRE(admin.run(cmd)->type == REDIS_REPLY_STATUS);

    auto o = options_for(server, "a");
    o.user = "webhook";
    o.password = "pw";
    o.claim_idle = 150ms;
    {
        auto spool = open_or_fail(o);
        BOOST_REQUIRE(spool->append(make_record(1)));
        BOOST_REQUIRE(spool->append(make_record(2)));
        std::vector<spool_record> out;
        BOOST_REQUIRE(!spool->read(0, 1, out));
        BOOST_REQUIRE_EQUAL(out.size(), 1u);
        BOOST_TEST(!spool->ack(out[0].sequence));
        BOOST_TEST(wait_for([&] { return spool->stats().acks == 1; }), spool->last_error());
        BOOST_REQUIRE(!spool->read(0, 1, out)); // held past the idle time: heartbeats
        BOOST_TEST(wait_for([&] { return spool->stats().heartbeats >= 2; }), spool->last_error());
    }
    o.consumer = "b";
    auto b = open_or_fail(o);
    std::vector<spool_record> claimed;
    BOOST_TEST(wait_for([&] { // XAUTOCLAIM of what "a" left
        BOOST_REQUIRE(!b->read(0, 10, claimed));
        return !claimed.empty();
    }));
    BOOST_TEST(b->stats().claimed == 1u);

    o.user = "no_xdel";
    o.consumer = "c";
    auto c = open_or_fail(o); // opening needs no XDEL
    BOOST_REQUIRE(c->append(make_record(3)));
    std::vector<spool_record> out;
    BOOST_REQUIRE(!c->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    BOOST_TEST(!c->ack(out[0].sequence)); // queued; the transaction is refused
    BOOST_TEST(wait_for([&] { return c->last_error().find("XDEL: NOPERM") != std::string::npos; }),
               c->last_error());
    BOOST_TEST_MESSAGE("without XDEL: " << c->last_error());
    BOOST_TEST(c->stats().acks == 0u);
    BOOST_TEST(c->stats().acks_queued == 1u); // kept, retried: an operator can fix the ACL
}

BOOST_AUTO_TEST_CASE(redis_restart_refuses_appends_while_down_and_loses_nothing_accepted) {
    redis_server server;
    auto o = options_for(server, "a");
    o.claim_idle = 300ms; // the heartbeat runs during the outage too
    auto spool = open_or_fail(o);
    std::set<std::string> accepted;
    std::uint64_t n = 0;
    const auto append_one = [&]() -> boost::system::error_code {
        const spool_record r = make_record(n++);
        auto s = spool->append(r);
        if (s)
            accepted.insert(std::string(r.id.view()));
        return s ? boost::system::error_code{} : s.error();
    };
    for (int i = 0; i < 20; ++i)
        BOOST_REQUIRE(!append_one());
    std::vector<spool_record> held;
    BOOST_REQUIRE(!spool->read(0, 10, held));
    BOOST_REQUIRE_EQUAL(held.size(), 10u);

    // A crash: with appendfsync always, everything Redis answered is in its append-only file.
    server.stop(SIGKILL);
    const auto e1 = append_one();
    BOOST_TEST(e1.failed());
    BOOST_TEST_MESSAGE("append while down: " << e1.message() << "; " << spool->last_error());
    // During the reconnection delay an append fails at once, with the same kind of error.
    const auto t0 = clock_type::now();
    const auto e2 = append_one();
    BOOST_TEST(e2.failed());
    BOOST_TEST((clock_type::now() - t0 < 50ms));
    BOOST_TEST(spool->last_error().find("127.0.0.1:" + std::to_string(server.port())) !=
               std::string::npos);
    std::vector<spool_record> out;
    BOOST_TEST(spool->read(0, 10, out).failed()); // reads fail too; the dispatcher retries
    // Acknowledgements made while Redis is down are kept and sent later.
    BOOST_TEST(!spool->ack(held[0].sequence));
    BOOST_TEST(!spool->ack(held[1].sequence));

    server.start();
    std::size_t refused_after_restart = 0;
    BOOST_TEST(wait_for([&] {
        if (append_one()) {
            ++refused_after_restart;
            return false;
        }
        return true;
    }));
    BOOST_TEST_MESSAGE(
        "appends refused after the restart until reconnected: " << refused_after_restart);
    for (int i = 0; i < 20; ++i)
        BOOST_REQUIRE(!append_one());
    BOOST_TEST(wait_for([&] { return spool->stats().acks == 2; }));

    // Everything accepted is there: the 8 still held, and the rest to read.
    auto rest = read_all(*spool);
    std::set<std::string> seen = ids_of(rest);
    for (std::size_t i = 2; i < held.size(); ++i)
        BOOST_TEST(seen.insert(std::string(held[i].id.view())).second);
    BOOST_TEST(seen.size() + 2 == accepted.size());
    for (std::size_t i = 0; i < 2; ++i)
        seen.insert(std::string(held[i].id.view()));
    BOOST_TEST((seen == accepted));
    for (const auto& r : rest)
        BOOST_TEST(!spool->ack(r.sequence));
    for (std::size_t i = 2; i < held.size(); ++i)
        BOOST_TEST(!spool->ack(held[i].sequence));
    BOOST_TEST(wait_for([&] { return spool->stats().acks == accepted.size(); }));
    redis_client cli(server.port());
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 0);
    BOOST_TEST(cli.pending("webhook:{test}", "webhook") == 0);
}

BOOST_AUTO_TEST_CASE(a_connection_idle_across_a_clean_restart_is_replaced_before_use) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    BOOST_REQUIRE(spool->append(make_record(1)));
    server.stop(SIGTERM);
    server.start();
    // The old connection is dead; an append after a second of idleness checks it first and
    // goes through a new one, instead of failing.
    std::this_thread::sleep_for(1100ms); // the idle threshold is a fixed second
    BOOST_TEST(spool->append(make_record(2)).has_value(), spool->last_error());
    std::vector<spool_record> out;
    BOOST_TEST(!spool->read(0, 10, out));
    BOOST_TEST(out.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_connection_closed_by_the_server_gives_an_error_not_sigpipe) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    BOOST_REQUIRE(spool->append(make_record(1)));
    redis_client admin(server.port());
    // Redis drops every client but this one: the spool's append connection is closed under it.
    BOOST_TEST(admin.integer({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}) >= 3);
    // A record large enough to take several writes: the later ones hit the closed connection
    // (EPIPE), which must come back as an error, not kill the process with SIGPIPE.
    spool_record big = make_record(2);
    big.payload.assign(32u << 20, 'x');
    const auto r = spool->append(big);
    BOOST_TEST(r.has_error());
    BOOST_TEST_MESSAGE("append on a closed connection: " << spool->last_error());
    BOOST_TEST(spool->append(make_record(3)).has_value(), spool->last_error()); // reconnected
}

BOOST_AUTO_TEST_SUITE_END()
