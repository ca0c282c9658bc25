#include <webhook/spool/redis_spool.hpp>

#define BOOST_TEST_MODULE redis_spool
#include <boost/test/unit_test.hpp>

#include "redis/redis_server.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using webhook::redis_spool;
using webhook::redis_spool_options;
using webhook::spool_record;
using webhook::test::redis_client;
using webhook::test::redis_server;
using clock_type = std::chrono::steady_clock;

namespace {

redis_spool_options options_for(const redis_server& s, std::string consumer,
                                std::string stream = "webhook:{test}") {
    redis_spool_options o;
    o.port = s.port();
    o.stream = std::move(stream);
    o.consumer = std::move(consumer);
    o.reconnect_delay = 10ms;
    o.max_reconnect_delay = 100ms;
    return o;
}

std::shared_ptr<redis_spool> open_or_fail(const redis_spool_options& o) {
    std::string why;
    auto s = redis_spool::open(o, &why);
    BOOST_REQUIRE_MESSAGE(s, "open: " << (s ? "" : s.error().message()) << " " << why);
    return *s;
}

webhook::event_id make_id(std::uint64_t n) {
    return webhook::event_id(std::chrono::system_clock::time_point(std::chrono::milliseconds(
                                 1'700'000'000'000 + static_cast<std::int64_t>(n))),
                             n * 7919, n * 104729 + 1);
}

spool_record make_record(std::uint64_t n) {
    spool_record r;
    r.id = make_id(n);
    r.endpoint = "https://collector.example.com/{tenant}/events";
    r.created = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(1'700'000'000'000 + static_cast<std::int64_t>(n)));
    r.payload = R"({"n":)" + std::to_string(n) + "}";
    return r;
}

/// Polls (bounded) until `done()`; true if it came.
bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    for (auto until = clock_type::now() + limit; clock_type::now() < until;) {
        if (done())
            return true;
        std::this_thread::sleep_for(2ms); // another process (redis) or thread: no clock of ours
    }
    return done();
}

std::vector<spool_record> read_all(redis_spool& s, std::size_t max = 100) {
    std::vector<spool_record> out, all;
    for (int i = 0; i < 1000; ++i) {
        BOOST_REQUIRE(!s.read(0, max, out));
        if (out.empty())
            break;
        all.insert(all.end(), out.begin(), out.end());
    }
    return all;
}

std::set<std::string> ids_of(const std::vector<spool_record>& v) {
    std::set<std::string> ids;
    for (const auto& r : v)
        ids.insert(std::string(r.id.view()));
    return ids;
}

/// The field names of the stream's entries, in stream order.
std::vector<std::vector<std::string>> field_names(redis_client& cli, const std::string& stream) {
    std::vector<std::vector<std::string>> entries;
    const auto r = cli.run({"XRANGE", stream, "-", "+"});
    for (std::size_t i = 0; i < r->elements; ++i) {
        const redisReply* fields = r->element[i]->element[1];
        entries.emplace_back();
        for (std::size_t f = 0; f < fields->elements; f += 2)
            entries.back().emplace_back(fields->element[f]->str, fields->element[f]->len);
    }
    return entries;
}

} // namespace

BOOST_AUTO_TEST_SUITE(redis_spool_suite)

BOOST_AUTO_TEST_CASE(append_read_ack_round_trip_keeps_every_field) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    BOOST_TEST(spool->consumer() == "a");

    std::vector<spool_record> in;
    spool_record full;
    full.id = make_id(1);
    full.endpoint = "https://example.com/hooks/{id}";
    full.created =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1'712'345'678'901));
    full.target = "/hooks/42?x=1";
    full.payload =
        std::string("{\"s\":\"caf\xc3\xa9\",\"nul\":\"") + '\0' + "\",\"crlf\":\"\r\n\"}";
    full.headers = "x-event-type: order.shipped\r\nx-tenant: acme\tb\r\n";
    full.last_status = 503;
    full.last_error = "service unavailable: retries exhausted";
    in.push_back(full);
    spool_record plain; // no id, target, headers, status or error; an empty payload
    plain.endpoint = "http://127.0.0.1/x";
    plain.created = std::chrono::system_clock::time_point(std::chrono::milliseconds(-5));
    in.push_back(plain);
    spool_record negative = make_record(2);
    negative.last_status = -1;
    in.push_back(negative);

    std::set<std::uint64_t> sequences;
    for (const auto& r : in) {
        auto seq = spool->append(r);
        BOOST_REQUIRE(seq);
        sequences.insert(*seq);
    }
    BOOST_TEST(sequences.size() == 3u);

    std::vector<spool_record> out;
    BOOST_REQUIRE(!spool->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 3u);
    std::set<std::uint64_t> read_sequences;
    for (std::size_t i = 0; i < 3; ++i) {
        BOOST_TEST(!sequences.count(out[i].sequence)); // its own handle, not the append's
        read_sequences.insert(out[i].sequence);
        spool_record expected = in[i];
        expected.sequence = out[i].sequence;
        BOOST_TEST((out[i] == expected), "record " << i << " differs");
    }
    BOOST_TEST(read_sequences.size() == 3u);
    BOOST_TEST(out[0].sequence < out[1].sequence);
    BOOST_TEST(out[1].sequence < out[2].sequence);

    // Read once: nothing more to read while they are held.
    std::vector<spool_record> again;
    BOOST_REQUIRE(!spool->read(0, 10, again));
    BOOST_TEST(again.empty());
    BOOST_TEST(spool->stats().held == 3u);

    redis_client cli(server.port());
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 3);
    BOOST_TEST(cli.pending("webhook:{test}", "webhook") == 3);
    for (const auto& r : out)
        BOOST_TEST(!spool->ack(r.sequence));
    BOOST_TEST(spool->ack(out[0].sequence) ==
               boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
    BOOST_TEST(spool->ack(12345) ==
               boost::system::errc::make_error_code(boost::system::errc::invalid_argument));
    BOOST_TEST(wait_for([&] { return spool->stats().acks == 3; }));
    // Acknowledged means gone: from the group's pending entries and from the stream.
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 0);
    BOOST_TEST(cli.pending("webhook:{test}", "webhook") == 0);
    const auto st = spool->stats();
    BOOST_TEST(st.appends == 3u);
    BOOST_TEST(st.reads == 3u);
    BOOST_TEST(st.held == 0u);
    BOOST_TEST(st.acks_queued == 0u);
    BOOST_TEST(st.connects == 3u);
}

BOOST_AUTO_TEST_CASE(headers_are_a_field_only_when_set_and_read_back_exactly) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    std::vector<spool_record> in;
    for (std::uint64_t n = 1; n <= 4; ++n) {
        spool_record r = make_record(n);
        if (n % 2 == 1)
            r.headers = "x-event-type: e" + std::to_string(n) + "\r\nx-tenant: acme\r\n";
        in.push_back(r);
        BOOST_REQUIRE(spool->append(r));
    }
    redis_client cli(server.port());
    const auto names = field_names(cli, "webhook:{test}");
    BOOST_REQUIRE_EQUAL(names.size(), 4u);
    const std::vector<std::string> with{"id", "endpoint", "created", "payload", "headers"},
        without{"id", "endpoint", "created", "payload"};
    for (std::size_t i = 0; i < 4; ++i)
        BOOST_TEST((names[i] == (i % 2 == 0 ? with : without)), "entry " << i);

    // Read into records that all had headers: those without get none, not a stale value.
    std::vector<spool_record> out(4, in[0]);
    BOOST_REQUIRE(!spool->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        spool_record expected = in[i];
        expected.sequence = out[i].sequence;
        BOOST_TEST((out[i] == expected), "record " << i << " differs");
    }
    BOOST_TEST(out[1].headers.empty());
}

BOOST_AUTO_TEST_CASE(entries_of_earlier_releases_without_headers_are_read_with_none) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    redis_client cli(server.port());
    // What a release before per-event headers appended: no `headers` field.
    const spool_record old = make_record(5);
    cli.run({"XADD", "webhook:{test}", "*", "id", std::string(old.id.view()), "endpoint",
             old.endpoint, "created", "1700000000005", "payload", old.payload});
    spool_record fresh = make_record(6);
    fresh.headers = "x-tenant: acme\r\n";
    BOOST_REQUIRE(spool->append(fresh));

    std::vector<spool_record> out(2, fresh);
    BOOST_REQUIRE(!spool->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 2u);
    spool_record expected = old;
    expected.sequence = out[0].sequence;
    BOOST_TEST((out[0] == expected));
    BOOST_TEST(out[0].headers.empty());
    BOOST_TEST(out[1].headers == fresh.headers);
    BOOST_TEST(spool->stats().malformed == 0u);
}

BOOST_AUTO_TEST_CASE(read_respects_max_and_hands_each_entry_to_one_consumer) {
    redis_server server;
    auto a = open_or_fail(options_for(server, "a"));
    auto b = open_or_fail(options_for(server, "b"));
    constexpr std::uint64_t n = 300;
    for (std::uint64_t i = 0; i < n; ++i)
        BOOST_REQUIRE(a->append(make_record(i)));

    std::vector<spool_record> out;
    BOOST_REQUIRE(!a->read(0, 7, out));
    BOOST_TEST(out.size() == 7u);
    std::vector<spool_record> got_a = out, got_b;
    // Alternating reads of different sizes; every entry goes to exactly one of them.
    for (int i = 0; i < 200; ++i) {
        BOOST_REQUIRE(!b->read(0, 13, out));
        got_b.insert(got_b.end(), out.begin(), out.end());
        const bool b_empty = out.empty();
        BOOST_REQUIRE(!a->read(0, 11, out));
        got_a.insert(got_a.end(), out.begin(), out.end());
        if (b_empty && out.empty())
            break;
    }
    BOOST_TEST(got_a.size() + got_b.size() == n);
    std::set<std::string> all = ids_of(got_a);
    for (const auto& id : ids_of(got_b))
        BOOST_TEST(all.insert(id).second, "entry " << id << " read by both");
    BOOST_TEST(all.size() == n);
    // Each consumer gets the stream's order (FIFO per consumer).
    for (const auto* got : {&got_a, &got_b})
        BOOST_TEST(std::is_sorted(got->begin(), got->end(), [](const auto& x, const auto& y) {
            return x.created < y.created;
        }));
}

BOOST_AUTO_TEST_CASE(concurrent_appends_share_round_trips_and_all_arrive) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    constexpr int threads = 8, each = 250;
    std::vector<std::vector<std::uint64_t>> seqs(threads);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                auto s = spool->append(make_record(static_cast<std::uint64_t>(t * each + i)));
                if (s)
                    seqs[static_cast<std::size_t>(t)].push_back(*s);
            }
        });
    for (auto& t : ts)
        t.join();
    std::set<std::uint64_t> unique;
    for (const auto& v : seqs) {
        BOOST_TEST(v.size() == static_cast<std::size_t>(each));
        BOOST_TEST(std::is_sorted(v.begin(), v.end()));
        unique.insert(v.begin(), v.end());
    }
    BOOST_TEST(unique.size() == static_cast<std::size_t>(threads * each));
    redis_client cli(server.port());
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == threads * each);
    BOOST_TEST(ids_of(read_all(*spool)).size() == static_cast<std::size_t>(threads * each));
}

BOOST_AUTO_TEST_CASE(own_pending_entries_are_replayed_after_reopening_with_the_same_name) {
    redis_server server;
    std::vector<spool_record> first;
    {
        auto s = open_or_fail(options_for(server, "worker-1"));
        for (std::uint64_t i = 0; i < 10; ++i)
            BOOST_REQUIRE(s->append(make_record(i)));
        BOOST_REQUIRE(!s->read(0, 6, first));
        BOOST_REQUIRE_EQUAL(first.size(), 6u);
        BOOST_TEST(!s->ack(first[0].sequence)); // settled: not replayed
        BOOST_TEST(wait_for([&] { return s->stats().acks == 1; }));
    } // stops holding 5 entries, as a process that exits or dies would

    // Another consumer sees only the 4 never read; the 5 held stay with worker-1's name.
    auto other = open_or_fail(options_for(server, "worker-2"));
    const auto others = read_all(*other);
    BOOST_TEST(others.size() == 4u);

    auto again = open_or_fail(options_for(server, "worker-1"));
    std::vector<spool_record> out;
    BOOST_REQUIRE(!again->read(0, 3, out)); // in pieces: the replay continues where it was
    std::vector<spool_record> replayed = out;
    BOOST_REQUIRE(!again->read(0, 3, out));
    replayed.insert(replayed.end(), out.begin(), out.end());
    BOOST_REQUIRE(!again->read(0, 3, out));
    BOOST_TEST(out.empty());
    BOOST_REQUIRE_EQUAL(replayed.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i) {
        spool_record expected = first[i + 1];
        expected.sequence = replayed[i].sequence;
        BOOST_TEST((replayed[i] == expected), "replayed record " << i << " differs");
    }
    BOOST_TEST(again->stats().replayed == 5u);
}

BOOST_AUTO_TEST_CASE(entries_idle_longer_than_claim_idle_are_claimed_by_another_consumer) {
    redis_server server;
    auto o = options_for(server, "dead");
    o.claim_idle = 200ms;
    std::vector<spool_record> held;
    {
        auto dead = open_or_fail(o);
        for (std::uint64_t i = 0; i < 5; ++i)
            BOOST_REQUIRE(dead->append(make_record(i)));
        BOOST_REQUIRE(!dead->read(0, 10, held));
        BOOST_REQUIRE_EQUAL(held.size(), 5u);
    } // its heartbeat stops
    const auto gone = clock_type::now();

    o.consumer = "alive";
    auto alive = open_or_fail(o);
    std::vector<spool_record> out, claimed;
    BOOST_REQUIRE(!alive->read(0, 10, out));
    BOOST_TEST(out.empty()); // not idle long enough yet (well under 200 ms here)
    BOOST_TEST(wait_for([&] {
        BOOST_REQUIRE(!alive->read(0, 10, out));
        claimed.insert(claimed.end(), out.begin(), out.end());
        return claimed.size() >= 5;
    }));
    const auto after = clock_type::now() - gone;
    BOOST_TEST((after >= 200ms));
    BOOST_TEST((after < 2s));
    BOOST_REQUIRE_EQUAL(claimed.size(), 5u);
    for (std::size_t i = 0; i < 5; ++i)
        BOOST_TEST(claimed[i].id == held[i].id); // the original webhook-id
    BOOST_TEST(alive->stats().claimed == 5u);
    for (const auto& r : claimed)
        BOOST_TEST(!alive->ack(r.sequence));
    BOOST_TEST(wait_for([&] { return alive->stats().acks == 5; }));
    redis_client cli(server.port());
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 0);
}

BOOST_AUTO_TEST_CASE(heartbeat_keeps_held_entries_from_being_claimed) {
    redis_server server;
    auto o = options_for(server, "holder");
    o.claim_idle = 200ms;
    auto holder = open_or_fail(o);
    for (std::uint64_t i = 0; i < 5; ++i)
        BOOST_REQUIRE(holder->append(make_record(i)));
    std::vector<spool_record> held;
    BOOST_REQUIRE(!holder->read(0, 10, held));
    BOOST_REQUIRE_EQUAL(held.size(), 5u);

    o.consumer = "thief";
    auto thief = open_or_fail(o);
    // Five times the idle time: without the heartbeat all five would be claimed by now.
    std::vector<spool_record> out;
    std::size_t stolen = 0;
    for (auto until = clock_type::now() + 1000ms; clock_type::now() < until;) {
        BOOST_REQUIRE(!thief->read(0, 10, out));
        stolen += out.size();
        std::this_thread::sleep_for(20ms); // the dispatcher's poll interval, roughly
    }
    BOOST_TEST(stolen == 0u);
    BOOST_TEST(holder->stats().heartbeats >= 3u);
    BOOST_TEST(thief->stats().claimed == 0u);

    // Two settle; the holder then dies: the other three go to the thief after the idle time.
    BOOST_TEST(!holder->ack(held[0].sequence));
    BOOST_TEST(!holder->ack(held[1].sequence));
    BOOST_TEST(wait_for([&] { return holder->stats().acks == 2; }));
    holder.reset();
    std::vector<spool_record> claimed;
    BOOST_TEST(wait_for([&] {
        BOOST_REQUIRE(!thief->read(0, 10, out));
        claimed.insert(claimed.end(), out.begin(), out.end());
        return claimed.size() >= 3;
    }));
    BOOST_REQUIRE_EQUAL(claimed.size(), 3u);
    for (std::size_t i = 0; i < 3; ++i)
        BOOST_TEST(claimed[i].id == held[i + 2].id);
}

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

BOOST_AUTO_TEST_CASE(foreign_and_deleted_entries_are_skipped) {
    redis_server server;
    auto spool = open_or_fail(options_for(server, "a"));
    redis_client cli(server.port());
    cli.run({"XADD", "webhook:{test}", "*", "hello", "world"}); // not a record
    cli.run({"XADD", "webhook:{test}", "*", "id", "not-an-id", "endpoint", "e", "created", "1",
             "payload", "{}"}); // a bad id
    BOOST_REQUIRE(spool->append(make_record(7)));
    std::vector<spool_record> out;
    BOOST_REQUIRE(!spool->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    BOOST_TEST(out[0].id == make_id(7));
    BOOST_TEST(spool->stats().malformed == 2u);
    BOOST_TEST(spool->last_error().find("not a spool record") != std::string::npos);
    // Acknowledged (never handed out again) but left in the stream for someone to look at.
    BOOST_TEST(wait_for([&] { return cli.pending("webhook:{test}", "webhook") == 1; }));
    BOOST_TEST(cli.integer({"XLEN", "webhook:{test}"}) == 3);
}

BOOST_AUTO_TEST_CASE(entries_appended_before_the_group_existed_are_delivered) {
    redis_server server;
    redis_client cli(server.port());
    {
        auto writer = open_or_fail(options_for(server, "w"));
        BOOST_REQUIRE(writer->append(make_record(1)));
    }
    // The group is dropped (an operator, or a Redis without persistence that restarted):
    // recreated from the stream's start on the next read.
    cli.run({"XGROUP", "DESTROY", "webhook:{test}", "webhook"});
    redis_spool_options o = options_for(server, "r");
    auto reader = open_or_fail(o);
    cli.run({"XGROUP", "DESTROY", "webhook:{test}", "webhook"});
    std::vector<spool_record> out;
    BOOST_REQUIRE(!reader->read(0, 10, out));
    BOOST_REQUIRE_EQUAL(out.size(), 1u);
    BOOST_TEST(out[0].id == make_id(1));
}

BOOST_AUTO_TEST_SUITE_END()
