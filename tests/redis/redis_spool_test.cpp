#include <webhook/spool/redis_spool.hpp>

#define BOOST_TEST_MODULE redis_spool
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

// The stream: records round trip, consumers share and claim entries, foreign entries are skipped.
// Connections, credentials and restarts are in redis_spool_connection_test.cpp.

using namespace std::chrono_literals;
using webhook::redis_spool;
using webhook::redis_spool_options;
using webhook::spool_record;
using webhook::test::redis_client;
using webhook::test::redis_server;
using clock_type = std::chrono::steady_clock;
using namespace webhook::test;

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
