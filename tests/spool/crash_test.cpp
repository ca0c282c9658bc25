// Crash suite: a poster process is killed with SIGKILL at random moments while it posts to a
// slow receiver process, restarted each time, and finally left to finish. Every event whose
// post returned success must have reached the receiver at least once.

#define BOOST_TEST_MODULE spool_crash
#include <boost/test/unit_test.hpp>

#include <webhook/spool/file_spool.hpp>

#include "support/child_process.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using webhook::test::child;
using webhook::test::lines_of;

namespace {

/// Polls (bounded) until `p` has at least `n` lines or `c` has ended.
void wait_for_lines(const fs::path& p, std::size_t n, child& c) {
    for (auto until = std::chrono::steady_clock::now() + 60s;
         c.running() && lines_of(p).size() < n && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(1ms);
}

struct figures {
    std::size_t posted = 0, kills = 0, lost = 0, duplicates = 0, received = 0;
    std::size_t trace_broken = 0; // deliveries whose traceparent is not their event's trace
};

figures run_seed(unsigned seed) {
    constexpr std::size_t events = 400;
    constexpr std::size_t kills = 5;
    const fs::path dir =
        fs::temp_directory_path() /
        ("webhook_crash_" + std::to_string(::getpid()) + "_" + std::to_string(seed));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path port_file = dir / "port", received_log = dir / "received",
                   posted_log = dir / "posted", spool_dir = dir / "spool";

    child receiver({WEBHOOK_CRASH_RECEIVER, port_file.string(), received_log.string(), "3"});
    for (auto until = std::chrono::steady_clock::now() + 10s;
         !fs::exists(port_file) && std::chrono::steady_clock::now() < until;)
        std::this_thread::sleep_for(1ms);
    BOOST_REQUIRE_MESSAGE(fs::exists(port_file), "the receiver process did not start");
    const std::string url = "http://127.0.0.1:" + lines_of(port_file).at(0) + "/hook";
    const std::vector<std::string> poster_args{WEBHOOK_CRASH_POSTER, spool_dir.string(), url,
                                               std::to_string(events), posted_log.string()};

    figures f;
    std::mt19937 rng(seed);
    for (std::size_t i = 0; i < kills; ++i) {
        child poster(poster_args);
        // A random point in the next stretch of posts, then a random moment within it.
        const std::size_t so_far = lines_of(posted_log).size();
        wait_for_lines(posted_log, so_far + std::uniform_int_distribution<std::size_t>(1, 60)(rng),
                       poster);
        std::this_thread::sleep_for(
            std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng)));
        if (poster.running()) {
            poster.signal(SIGKILL);
            ++f.kills;
        }
        poster.wait(10s);
    }
    child last(poster_args);
    BOOST_REQUIRE_MESSAGE(last.wait(180s) == 0, "the last poster run did not deliver everything");
    receiver.signal(SIGTERM);
    BOOST_TEST(receiver.wait(10s) == 0);

    std::map<std::string, std::size_t> seen;
    std::map<std::string, std::vector<std::string>> traces; // id -> traceparents received
    for (const auto& line : lines_of(received_log)) {
        const std::string id = line.substr(0, line.find(' '));
        ++seen[id];
        traces[id].push_back(line.substr(line.find(' ') + 1));
    }
    for (const auto& line : lines_of(posted_log)) {
        ++f.posted;
        const std::string id = line.substr(0, line.find(' '));
        if (seen.count(id) == 0)
            ++f.lost;
        // Its trace, whichever run sent it (replayed from the spool after a kill or not): the
        // trace id it was posted with, and a span of the sender's as the parent.
        char trace_id[33];
        std::snprintf(trace_id, sizeof trace_id, "%032llx",
                      std::stoull(line.substr(line.find(' ') + 1)) + 1);
        for (const auto& parent : traces[id])
            if (parent.size() != 55 || parent.substr(3, 32) != trace_id ||
                parent.substr(36, 16) == "00f067aa0ba902b7" || parent.substr(53) != "01")
                ++f.trace_broken;
    }
    for (const auto& [id, n] : seen) {
        f.received += n;
        f.duplicates += n - 1;
    }
    // Everything settled is acknowledged: a reopened spool has nothing left to deliver.
    auto reopened = webhook::file_spool::open(spool_dir);
    BOOST_REQUIRE(reopened);
    const std::size_t left = (*reopened)->recovery().records;
    BOOST_TEST(left == 0u);
    reopened->reset();
    if (left == 0 && f.lost == 0)
        fs::remove_all(dir);
    else
        BOOST_TEST_MESSAGE("kept for a look: " << dir);
    return f;
}

} // namespace

BOOST_AUTO_TEST_CASE(sigkill_at_random_moments_loses_no_event_whose_post_succeeded) {
    figures total;
    for (unsigned seed : {11u, 23u, 37u, 41u, 53u}) {
        const figures f = run_seed(seed);
        BOOST_TEST_MESSAGE("seed " << seed << ": posted " << f.posted << ", kills " << f.kills
                                   << ", lost " << f.lost << ", duplicates " << f.duplicates
                                   << ", requests received " << f.received);
        BOOST_TEST(f.lost == 0u);
        BOOST_TEST(f.trace_broken == 0u);
        BOOST_TEST(f.posted == 400u); // each number is logged once, by the run that posted it
        total.posted += f.posted;
        total.kills += f.kills;
        total.lost += f.lost;
        total.duplicates += f.duplicates;
    }
    std::cout << "crash suite: posted " << total.posted << ", kills " << total.kills << ", lost "
              << total.lost << ", duplicates " << total.duplicates << "\n";
    BOOST_TEST(total.kills >= 15u); // most kills must land while the poster is still at work
}
