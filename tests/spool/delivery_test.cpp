// Durable delivery end to end: a receiver outage, the memory bound of a spooled backlog, and
// a full disk under `post`.

#define BOOST_TEST_MODULE spool_delivery
#include <boost/test/unit_test.hpp>

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>

#include "support/print.hpp"
#include "support/test_receiver.hpp"

#include <boost/asio/post.hpp>
#include <boost/describe.hpp>

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using webhook::test::test_receiver;

namespace {

struct reading {
    int number = 0;
    std::string note;
};
BOOST_DESCRIBE_STRUCT(reading, (), (number, note))

/// A fresh directory, removed with everything in it at the end of the test.
struct scratch_dir {
    fs::path path =
        fs::temp_directory_path() /
        ("webhook_spool_delivery_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    scratch_dir() {
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(path, ignored);
    }
    static inline int counter = 0;
};

/// Polls `done` until it holds or `limit` passes (for conditions another thread brings about).
template <class Condition>
bool eventually(Condition done, std::chrono::seconds limit = 30s) {
    for (auto until = std::chrono::steady_clock::now() + limit; !done();) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

std::size_t resident_kib() {
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stoul(line.substr(6));
    return 0;
}

/** A receiver that answers 200 at once while open and keeps every request waiting while
    closed: a slow receiver whose pace the test sets. Counts what it answered. */
class gated_transport {
public:
    using executor_type = boost::asio::any_io_executor;
    explicit gated_transport(executor_type ex) : executor_(std::move(ex)) {}
    executor_type get_executor() const { return executor_; }

    template <class Token>
    auto async_send(const webhook::origin&, const webhook::http_request&, Token&& token) {
        return boost::asio::async_initiate<Token,
                                           void(boost::system::error_code, webhook::http_response)>(
            [this](auto handler) {
                auto answer = [h = std::move(handler)]() mutable {
                    webhook::http_response ok;
                    ok.result(200);
                    std::move(h)(boost::system::error_code{}, std::move(ok));
                };
                std::lock_guard lock(mutex_);
                if (open_) {
                    ++answered_;
                    boost::asio::post(executor_, std::move(answer));
                } else {
                    waiting_.push_back(std::move(answer));
                }
            },
            token);
    }
    void open() {
        std::deque<std::function<void()>> go;
        {
            std::lock_guard lock(mutex_);
            open_ = true;
            answered_ += waiting_.size();
            go.swap(waiting_);
        }
        for (auto& a : go)
            boost::asio::post(executor_, std::move(a));
    }

private:
    executor_type executor_;
    std::mutex mutex_;
    bool open_ = false;
    std::size_t answered_ = 0;
    std::deque<std::function<void()>> waiting_;
};

} // namespace

BOOST_AUTO_TEST_CASE(a_receiver_outage_delays_but_loses_nothing_and_keeps_the_order) {
    scratch_dir dir;
    unsigned short port = 0;
    {
        test_receiver probe; // finds a free port, then goes: the receiver is down
        port = probe.port();
    }
    auto spool = webhook::file_spool::open(dir.path).value();
    webhook::endpoint e;
    e.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
    e.data_location = webhook::data_path("reading");
    e.ordered = true;
    e.retry.max_attempts = 10'000;
    e.retry.initial_delay = 5ms;
    e.retry.max_delay = 20ms;
    webhook::dispatcher_options o;
    o.spool = spool;
    webhook::dispatcher d{e, o};
    std::vector<webhook::event_id> ids;
    for (int i = 0; i < 20; ++i)
        ids.push_back(d.post(reading{i, "during the outage"}).value());
    // Down long enough to have failed several times.
    BOOST_REQUIRE(eventually([&] { return d.counters().retried_attempts >= 5; }));
    BOOST_TEST(d.counters().delivered == 0u);

    test_receiver receiver({.port = port}); // back, where the endpoint expects it
    BOOST_TEST(d.flush(30s));
    const auto c = d.counters();
    BOOST_TEST(c.delivered == 20u);
    BOOST_TEST(c.failed == 0u);
    const auto got = receiver.requests();
    BOOST_REQUIRE(got.size() == 20u);
    for (std::size_t i = 0; i < 20; ++i) {
        BOOST_TEST(got[i].header("webhook-id").value_or("") == std::string(ids[i].view()));
        BOOST_TEST(got[i].body == R"({"reading":{"number":)" + std::to_string(i) +
                                      R"(,"note":"during the outage"}})");
    }
    BOOST_TEST(spool->stats().unacked == 0u);
}

BOOST_AUTO_TEST_CASE(
    a_spooled_backlog_of_100000_events_keeps_memory_bounded_and_disk_is_reclaimed) {
    scratch_dir dir;
    webhook::file_spool_options so;
    so.durability = webhook::durability::no_fsync; // memory is measured here, not durability
    so.segment_bytes = 4 << 20;
    auto spool = webhook::file_spool::open(dir.path, so).value();
    webhook::endpoint e;
    e.url = "https://receiver.test/hook";
    e.queue.capacity = 1'000;
    webhook::dispatcher_options o;
    o.spool = spool;
    webhook::basic_dispatcher<gated_transport> d{e, o};

    const std::string note(1'000, 'x'); // 100,000 of these in memory would be > 100 MB
    for (int i = 0; i < 2'000; ++i)     // warm-up: buffers, queue and slots at their full size
        BOOST_REQUIRE(d.post(reading{i, note}));
    const std::size_t before = resident_kib();
    for (int i = 2'000; i < 100'000; ++i)
        BOOST_REQUIRE(d.post(reading{i, note}));
    const std::size_t after = resident_kib();
    const auto backlog = d.counters();
    BOOST_TEST_MESSAGE("resident memory " << before << " KiB -> " << after << " KiB with "
                                          << backlog.spooled << " events spooled, "
                                          << spool->stats().bytes_on_disk << " bytes on disk");
    BOOST_TEST(backlog.accepted == 100'000u);
    BOOST_TEST(backlog.queued + backlog.in_flight <= 1'000u + e.max_in_flight);
    BOOST_TEST(backlog.spooled >= 98'000u);
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer keeps freed memory in quarantine: resident memory says nothing here.
    BOOST_TEST_MESSAGE("resident memory not checked under AddressSanitizer");
#else
    BOOST_TEST(after - before < 16u * 1024); // KiB: the backlog is on disk, not in memory
#endif
    BOOST_TEST(spool->stats().bytes_on_disk > 100'000'000u);

    d.transport().open(); // the receiver catches up
    BOOST_TEST(d.flush(120s));
    BOOST_TEST(d.counters().delivered == 100'000u);
    const auto drained = spool->stats();
    BOOST_TEST(drained.unacked == 0u);
    BOOST_TEST(drained.segments <= 1u);
    BOOST_TEST(drained.bytes_on_disk <= so.segment_bytes + 64 * 1024);
}

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_post_cleanly_and_keeps_what_was_stored) {
    scratch_dir dir;
    const fs::path mount_point = dir.path / "tiny";
    fs::create_directories(mount_point);
    if (::mount("tmpfs", mount_point.c_str(), "tmpfs", 0, "size=256k") != 0) {
        BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here (" << std::strerror(errno)
                                                                  << "); run as root to test");
        return;
    }
    struct unmount {
        fs::path at;
        ~unmount() { ::umount2(at.c_str(), MNT_DETACH); }
    } unmount_at_end{mount_point};

    std::vector<webhook::event_id> stored;
    boost::system::error_code refusal;
    {
        auto spool = webhook::file_spool::open(mount_point / "spool").value();
        webhook::endpoint e;
        e.url = "https://receiver.test/hook";
        webhook::dispatcher_options o;
        o.spool = spool;
        o.shutdown_timeout = 0ms;
        webhook::basic_dispatcher<gated_transport> d{e, o}; // never answers: all stays stored
        const std::string note(1'000, 'x');
        for (int i = 0; i < 1'000 && !refusal; ++i) {
            const auto id = d.post(reading{i, note});
            if (id)
                stored.push_back(*id);
            else
                refusal = id.error();
        }
        BOOST_TEST(d.counters().rejected == 1u);
    }
    BOOST_TEST(refusal == boost::system::errc::no_space_on_device);
    BOOST_TEST(stored.size() > 100u);
    auto reopened = webhook::file_spool::open(mount_point / "spool").value();
    std::vector<webhook::spool_record> records;
    BOOST_REQUIRE(!reopened->read(0, 10'000, records));
    BOOST_REQUIRE(records.size() == stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i)
        BOOST_TEST(records[i].id == stored[i]);
}
