#include <webhook/spool/file_spool.hpp>

#define BOOST_TEST_MODULE spool_file_spool_storage
#include <boost/test/unit_test.hpp>

#include <webhook/error.hpp>

#include "spool/file_spool_helpers.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sys/mount.h>

// How appends reach the disk: fsyncs shared or in the background, segments deleted once
// acknowledged, the size limits, a full disk.

using webhook::durability;
using webhook::file_spool;
using webhook::file_spool_options;
using webhook::spool_record;
using namespace std::chrono_literals;
using namespace webhook::test;

BOOST_AUTO_TEST_CASE(group_commit_shares_fsyncs_between_threads) {
    temp_dir dir;
    constexpr int threads = 8, per_thread = 200;
    std::map<std::uint64_t, std::string> payloads;
    {
        auto s = open_spool(dir.path);
        std::vector<std::vector<std::pair<std::uint64_t, std::string>>> got(threads);
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    auto r = make_record(static_cast<std::uint64_t>(t * 1000 + i));
                    auto seq = s->append(r);
                    if (seq)
                        got[static_cast<std::size_t>(t)].emplace_back(*seq, r.payload);
                }
            });
        for (auto& th : pool)
            th.join();
        for (const auto& v : got)
            for (const auto& [seq, payload] : v)
                payloads.emplace(seq, payload);
        BOOST_TEST(payloads.size() == std::size_t{threads * per_thread});
        const auto st = s->stats();
        BOOST_TEST(st.appends == std::uint64_t{threads * per_thread});
        BOOST_TEST(st.fsyncs < st.appends);
        BOOST_TEST(st.fsyncs > 0u);
        BOOST_TEST_MESSAGE("group commit: " << st.appends << " appends, " << st.fsyncs
                                            << " fsyncs");
    }
    auto s = open_spool(dir.path);
    const auto back = read_all(*s);
    BOOST_TEST_REQUIRE(back.size() == payloads.size());
    auto it = payloads.begin();
    for (const auto& r : back) {
        BOOST_TEST(r.sequence == it->first);
        BOOST_TEST(r.payload == it->second);
        ++it;
    }
}

BOOST_AUTO_TEST_CASE(a_single_thread_syncs_every_append) {
    temp_dir dir;
    auto s = open_spool(dir.path);
    for (std::uint64_t i = 1; i <= 50; ++i)
        append_ok(*s, make_record(i));
    BOOST_TEST(s->stats().appends == 50u);
    BOOST_TEST(s->stats().fsyncs == 50u);
}

BOOST_AUTO_TEST_CASE(fsync_interval_syncs_in_the_background) {
    temp_dir dir;
    file_spool_options o;
    o.durability = durability::fsync_interval;
    o.sync_interval = 1ms;
    {
        auto s = open_spool(dir.path, o);
        for (std::uint64_t i = 1; i <= 200; ++i)
            append_ok(*s, make_record(i));
        // Waits (without sleeping a fixed time) for the thread's first sync.
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (s->stats().fsyncs == 0 && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
        const auto st = s->stats();
        BOOST_TEST(st.fsyncs > 0u);
        BOOST_TEST(st.fsyncs < st.appends);
    }
    auto s = open_spool(dir.path, o);
    BOOST_TEST(s->recovery().records == 200u);
    BOOST_TEST(read_all(*s).size() == 200u);
}

BOOST_AUTO_TEST_CASE(acknowledged_segments_are_deleted) {
    temp_dir dir;
    file_spool_options o = fast();
    o.segment_bytes = 4096;
    auto s = open_spool(dir.path, o);
    std::size_t most_files = 0;
    for (std::uint64_t i = 1; i <= 10'000; ++i) {
        const auto seq = append_ok(*s, make_record(i, 100));
        BOOST_TEST_REQUIRE(!s->ack(seq));
        if (i % 97 == 0)
            most_files = std::max(most_files, files(dir.path, ".wal").size());
    }
    const auto st = s->stats();
    BOOST_TEST(st.appends == 10'000u);
    BOOST_TEST(st.acks == 10'000u);
    BOOST_TEST(st.unacked == 0u);
    BOOST_TEST(st.segments <= 2u);
    BOOST_TEST(st.bytes_on_disk < 3u * o.segment_bytes);
    BOOST_TEST(most_files <= 2u);
    BOOST_TEST(files(dir.path, ".wal").size() <= 2u);
    BOOST_TEST(files(dir.path, ".ack").size() <= 2u);
    BOOST_TEST(s->ack(1) == boost::system::errc::invalid_argument); // its segment is gone
    s.reset();
    BOOST_TEST(open_spool(dir.path, o)->recovery().records == 0u);
}

BOOST_AUTO_TEST_CASE(a_record_larger_than_a_segment_gets_its_own) {
    temp_dir dir;
    file_spool_options o = fast();
    o.segment_bytes = 4096;
    auto s = open_spool(dir.path, o);
    append_ok(*s, make_record(1));
    append_ok(*s, make_record(2, 10'000));
    append_ok(*s, make_record(3));
    BOOST_TEST(files(dir.path, ".wal").size() == 3u);
    BOOST_TEST(read_all(*s).at(1).payload.size() == 10'000u);
}

BOOST_AUTO_TEST_CASE(max_bytes_refuses_appends_and_keeps_earlier_records) {
    temp_dir dir;
    file_spool_options o = fast();
    o.max_bytes = 2000;
    std::vector<spool_record> stored;
    std::uint64_t record_size = 0;
    {
        auto s = open_spool(dir.path, o);
        for (std::uint64_t i = 1; i <= 100; ++i) {
            auto r = make_record(i % 2 ? 1 : 4, 150); // all the same size
            auto seq = s->append(r);
            if (!seq) {
                BOOST_TEST((seq.error() == webhook::error::spool_full));
                break;
            }
            r.sequence = *seq;
            stored.push_back(r);
            if (i == 1)
                record_size = fs::file_size(files(dir.path, ".wal").at(0)) - 8;
        }
        BOOST_TEST_REQUIRE(record_size > 0u);
        BOOST_TEST(stored.size() == (2000 - 8) / record_size);
        const auto size = fs::file_size(files(dir.path, ".wal").at(0));
        BOOST_TEST((s->append(make_record(1, 150)).error() == webhook::error::spool_full));
        BOOST_TEST(fs::file_size(files(dir.path, ".wal").at(0)) == size); // nothing written
    }
    auto s = open_spool(dir.path, o);
    BOOST_TEST(read_all(*s) == stored, boost::test_tools::per_element());
    // Acknowledging everything frees the space again: the old segment is deleted...
    for (const auto& r : stored)
        BOOST_TEST(!s->ack(r.sequence));
    std::vector<std::uint64_t> again;
    for (;;) {
        auto seq = s->append(make_record(1, 150));
        if (!seq)
            break;
        again.push_back(*seq);
    }
    BOOST_TEST(again.size() == stored.size());
    // ... and so is the full segment being appended to, which is left for a new one.
    for (auto seq : again)
        BOOST_TEST(!s->ack(seq));
    BOOST_TEST(s->append(make_record(1, 150)).has_value());
    BOOST_TEST(files(dir.path, ".wal").size() == 1u);
}

namespace {

/// A tmpfs of 256 KiB mounted on a directory while it lives.
struct tmpfs_mount {
    temp_dir dir;
    bool mounted = false;
    int error = 0;
    tmpfs_mount() {
        mounted = ::mount("tmpfs", dir.path.c_str(), "tmpfs", 0, "size=256k") == 0;
        error = mounted ? 0 : errno;
    }
    tmpfs_mount(const tmpfs_mount&) = delete;
    tmpfs_mount& operator=(const tmpfs_mount&) = delete;
    ~tmpfs_mount() {
        if (mounted)
            ::umount2(dir.path.c_str(), MNT_DETACH);
    }
};

} // namespace

/// Appends to a spool in a 256 KiB tmpfs until the disk is full: refused appends get ENOSPC
/// and leave nothing behind, accepted ones all come back.
void fill_the_disk(std::size_t segment_bytes) {
    tmpfs_mount fsys;
    if (!fsys.mounted) {
        BOOST_TEST_MESSAGE("skipped: cannot mount a tmpfs here (" << std::strerror(fsys.error)
                                                                  << ")");
        return;
    }
    const auto path = fsys.dir.path / "spool";
    file_spool_options o;
    o.segment_bytes = segment_bytes;
    std::vector<spool_record> stored;
    std::size_t refused = 0;
    {
        auto s = open_spool(path, o);
        for (std::uint64_t i = 1; i <= 1000 && refused < 3; ++i) {
            auto r = make_record(i, 3000);
            auto seq = s->append(r);
            if (seq) {
                r.sequence = *seq;
                stored.push_back(r);
            } else {
                BOOST_TEST(seq.error() == boost::system::errc::no_space_on_device,
                           seq.error().message());
                ++refused;
            }
        }
        BOOST_TEST_REQUIRE(refused == 3u);
        BOOST_TEST(stored.size() > 50u);
        BOOST_TEST(read_all(*s) == stored, boost::test_tools::per_element());
        BOOST_TEST_MESSAGE("disk full after " << stored.size() << " appends, "
                                              << s->stats().segments << " segments");
    }
    auto s = open_spool(path, o);
    BOOST_TEST(s->recovery().corrupt_records == 0u);
    BOOST_TEST(s->recovery().discarded_bytes == 0u);
    BOOST_TEST(read_all(*s) == stored, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(disk_full_inside_a_segment) {
    fill_the_disk(16 * 1024 * 1024); // a short write in the middle of a record
}

BOOST_AUTO_TEST_CASE(disk_full_when_starting_a_segment) {
    fill_the_disk(64 * 1024); // here it is the new segment file's header that does not fit
}
