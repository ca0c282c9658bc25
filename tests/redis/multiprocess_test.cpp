// Several dispatcher processes share one Redis stream (webhook::redis_spool): three workers
// deliver to one receiver process while producer processes post; one worker is killed with
// SIGKILL mid-stream, and in a second run Redis itself is killed and restarted. Every event
// whose post succeeded must reach the receiver at least once; duplicates are counted.

#define BOOST_TEST_MODULE redis_multiprocess
#include <boost/test/unit_test.hpp>

#include "redis/redis_server.hpp"
#include "support/child_process.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using webhook::test::child;
using webhook::test::lines_of;
using webhook::test::redis_client;
using webhook::test::redis_server;

namespace {

/// Polls (bounded) until `done()`.
template <class Done>
bool wait_until(Done done, std::chrono::seconds limit) {
    for (auto until = clock_type::now() + limit; clock_type::now() < until;) {
        if (done())
            return true;
        std::this_thread::sleep_for(5ms); // other processes: no clock of ours to drive
    }
    return done();
}

struct figures {
    std::size_t events = 0, kills = 0, lost = 0, duplicates = 0, received = 0, refused = 0;
};

/// The receiver, the redis-server and the test's folder.
struct scene {
    fs::path dir;
    redis_server server;
    std::unique_ptr<child> receiver;
    std::string url;

    explicit scene(const std::string& name)
        : dir(fs::temp_directory_path() /
              ("webhook_redis_multi_" + std::to_string(::getpid()) + "_" + name)) {
        fs::remove_all(dir);
        fs::create_directories(dir);
        const fs::path port_file = dir / "port";
        receiver = std::make_unique<child>(std::vector<std::string>{
            WEBHOOK_CRASH_RECEIVER, port_file.string(), (dir / "received").string(), "2"});
        BOOST_REQUIRE_MESSAGE(wait_until([&] { return fs::exists(port_file); }, 10s),
                              "the receiver process did not start");
        url = "http://127.0.0.1:" + lines_of(port_file).at(0) + "/hook";
    }

    std::unique_ptr<child> worker(const std::string& name, int claim_idle_ms) {
        return std::make_unique<child>(
            std::vector<std::string>{WEBHOOK_REDIS_WORKER, std::to_string(server.port()), url, name,
                                     std::to_string(claim_idle_ms)},
            dir / "workers.out");
    }
    std::unique_ptr<child> producer(const std::string& name, int claim_idle_ms, std::uint64_t from,
                                    std::uint64_t count) {
        return std::make_unique<child>(
            std::vector<std::string>{WEBHOOK_REDIS_WORKER, std::to_string(server.port()), url, name,
                                     std::to_string(claim_idle_ms), std::to_string(from),
                                     std::to_string(count), (dir / "posted").string(),
                                     (dir / "refused").string()},
            dir / "workers.out");
    }

    /// Posted ids that the receiver has not logged.
    std::size_t missing() const {
        std::set<std::string> seen;
        for (const auto& id : lines_of(dir / "received"))
            seen.insert(id);
        std::size_t n = 0;
        for (const auto& line : lines_of(dir / "posted"))
            n += seen.count(line.substr(0, line.find(' '))) == 0;
        return n;
    }

    figures count() const {
        figures f;
        std::map<std::string, std::size_t> seen;
        for (const auto& id : lines_of(dir / "received"))
            ++seen[id];
        std::set<std::string> numbers;
        for (const auto& line : lines_of(dir / "posted")) {
            ++f.events;
            numbers.insert(line.substr(line.find(' ') + 1));
            if (seen.count(line.substr(0, line.find(' '))) == 0)
                ++f.lost;
        }
        BOOST_TEST(numbers.size() == f.events); // each number accepted once
        for (const auto& [id, n] : seen) {
            f.received += n;
            f.duplicates += n - 1;
        }
        f.refused = lines_of(dir / "refused").size();
        return f;
    }

    /// Waits for the stream to empty, stops everything, and counts.
    figures finish(std::vector<std::unique_ptr<child>>& workers) {
        // Settled means acknowledged and deleted: the stream empties once the last answers
        // are in and their acknowledgements sent.
        redis_client cli(server.port());
        const bool empty = wait_until(
            [&] {
                return cli.integer({"XLEN", "webhook:{multi}"}) == 0 &&
                       cli.pending("webhook:{multi}", "webhook") == 0;
            },
            30s);
        BOOST_TEST(empty, "the stream still has " << cli.integer({"XLEN", "webhook:{multi}"})
                                                  << " entries");
        for (auto& w : workers)
            w->signal(SIGTERM);
        for (auto& w : workers)
            BOOST_TEST(w->wait(20s) == 0);
        receiver->signal(SIGTERM);
        BOOST_TEST(receiver->wait(10s) == 0);
        for (const auto& line : lines_of(dir / "workers.out"))
            BOOST_TEST_MESSAGE("  " << line);
        const figures f = count();
        if (empty && f.lost == 0)
            fs::remove_all(dir);
        else
            BOOST_TEST_MESSAGE("kept for a look: " << dir);
        return f;
    }
};

constexpr int claim_idle_ms = 500;

} // namespace

BOOST_AUTO_TEST_CASE(a_worker_killed_mid_stream_loses_no_event) {
    constexpr std::uint64_t k = 3000;
    scene s("kill");
    std::vector<std::unique_ptr<child>> workers;
    for (const char* name : {"w1", "w2", "w3"})
        workers.push_back(s.worker(name, claim_idle_ms));
    // Two producers post half each; they deliver too while they post, then stop, leaving
    // what they held for the workers to claim.
    auto p1 = s.producer("p1", claim_idle_ms, 0, k / 2);
    auto p2 = s.producer("p2", claim_idle_ms, k / 2, k - k / 2);

    // Mid-stream: a third of the events delivered, and w2 holding some of the rest (read from
    // the stream, not yet acknowledged).
    BOOST_REQUIRE(wait_until([&] { return lines_of(s.dir / "received").size() >= k / 3; }, 60s));
    redis_client cli(s.server.port());
    const auto held_by_w2 = [&] {
        auto r = cli.run({"XPENDING", "webhook:{multi}", "webhook", "-", "+", "1000", "w2"});
        return r->type == REDIS_REPLY_ARRAY ? r->elements : 0;
    };
    BOOST_REQUIRE(wait_until([&] { return held_by_w2() > 0; }, 30s));
    BOOST_REQUIRE(workers[1]->running());
    workers[1]->signal(SIGKILL);
    BOOST_TEST(workers[1]->wait(10s) == -1); // killed, not exited
    const std::size_t held_at_kill = held_by_w2();
    workers.erase(workers.begin() + 1);

    BOOST_TEST(p1->wait(60s) == 0);
    BOOST_TEST(p2->wait(60s) == 0);
    BOOST_TEST(wait_until([&] { return s.missing() == 0; }, 60s));
    // What w2 held went to the others after the idle time.
    BOOST_TEST(held_by_w2() == 0u);
    figures f = s.finish(workers);
    f.kills = 1;
    std::cout << "redis multi-process (SIGKILL of a worker): events " << f.events << ", kills "
              << f.kills << ", lost " << f.lost << ", duplicates " << f.duplicates
              << " (the killed worker held " << held_at_kill << "), requests received "
              << f.received << "\n";
    BOOST_TEST(f.events == k);
    BOOST_TEST(f.lost == 0u);
}

BOOST_AUTO_TEST_CASE(redis_killed_and_restarted_mid_stream_loses_no_accepted_event) {
    constexpr std::uint64_t k = 2000;
    scene s("restart");
    std::vector<std::unique_ptr<child>> workers;
    for (const char* name : {"w1", "w2", "w3"})
        workers.push_back(s.worker(name, claim_idle_ms));
    auto p1 = s.producer("p1", claim_idle_ms, 0, k / 2);
    auto p2 = s.producer("p2", claim_idle_ms, k / 2, k - k / 2);

    BOOST_REQUIRE(wait_until([&] { return lines_of(s.dir / "posted").size() >= k / 4; }, 60s));
    const auto unix_ms = [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    };
    const auto down = unix_ms();
    s.server.stop(SIGKILL); // a crash: appendfsync always keeps every answered write
    // Down for twice the claim idle time (so heartbeats fail and held entries look idle when
    // it is back), and until the producers noticed.
    BOOST_TEST(wait_until([&] { return lines_of(s.dir / "refused").size() >= 20; }, 10s));
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * claim_idle_ms)); // the outage
    s.server.start();
    const auto up = unix_ms();

    BOOST_TEST(p1->wait(60s) == 0);
    BOOST_TEST(p2->wait(60s) == 0);
    BOOST_TEST(wait_until([&] { return s.missing() == 0; }, 60s));
    const figures c = s.finish(workers);
    // Refusals only while Redis was down, and while reconnecting just after (the delay
    // between attempts is at most 100 ms here).
    std::size_t outside = 0;
    for (const auto& line : lines_of(s.dir / "refused")) {
        const long long t = std::stoll(line.substr(0, line.find(' ')));
        if (t < down || t > up + 1000) {
            ++outside;
            BOOST_TEST_MESSAGE("refused outside the outage: " << line);
        }
    }
    std::cout << "redis multi-process (Redis killed and restarted): events " << c.events
              << ", kills 0, lost " << c.lost << ", duplicates " << c.duplicates
              << ", posts refused while down " << c.refused << ", outage " << (up - down)
              << " ms\n";
    BOOST_TEST(c.events == k);
    BOOST_TEST(c.lost == 0u);
    BOOST_TEST(c.refused > 0u);
    BOOST_TEST(outside == 0u);
}
