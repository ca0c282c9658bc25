#include <webhook/spool/file_spool.hpp>

#define BOOST_TEST_MODULE spool_file_spool
#include <boost/test/unit_test.hpp>

#include <webhook/detail/crc32c.hpp>
#include <webhook/error.hpp>

#include "spool/file_spool_helpers.hpp"

#include <chrono>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using webhook::durability;
using webhook::file_spool;
using webhook::file_spool_options;
using webhook::spool_record;
using namespace std::chrono_literals;
using namespace webhook::test;

// The format and what a reopen keeps; what open finds damaged is in
// file_spool_recovery_test.cpp, preallocation in file_spool_preallocation_test.cpp, fsyncs and
// the size limits in file_spool_storage_test.cpp.

namespace {

/// The bitwise definition, to check the table-driven one against.
std::uint32_t crc32c_reference(const std::string& s) {
    std::uint32_t c = 0xFFFFFFFF;
    for (unsigned char b : s) {
        c ^= b;
        for (int i = 0; i < 8; ++i)
            c = (c & 1) ? (c >> 1) ^ 0x82F63B78 : c >> 1;
    }
    return ~c;
}

} // namespace

BOOST_AUTO_TEST_CASE(crc32c_known_values) {
    using webhook::detail::crc32c;
    BOOST_TEST(crc32c(std::string_view("123456789")) == 0xE3069283u);
    // RFC 3720, B.4.
    BOOST_TEST(crc32c(std::string(32, '\0')) == 0x8A9136AAu);
    BOOST_TEST(crc32c(std::string(32, '\xFF')) == 0x62A8AB43u);
    std::string inc(32, '\0'), dec(32, '\0');
    for (int i = 0; i < 32; ++i) {
        inc[static_cast<std::size_t>(i)] = static_cast<char>(i);
        dec[static_cast<std::size_t>(i)] = static_cast<char>(31 - i);
    }
    BOOST_TEST(crc32c(inc) == 0x46DD794Eu);
    BOOST_TEST(crc32c(dec) == 0x113FDB5Cu);
    BOOST_TEST(crc32c(std::string_view()) == 0u);

    // Every length and alignment against the bitwise definition, and continuation.
    std::mt19937 rng(42);
    std::string data(300, '\0');
    for (auto& c : data)
        c = static_cast<char>(rng());
    for (std::size_t start = 0; start < 9; ++start)
        for (std::size_t len = 0; start + len <= data.size(); len += 7) {
            const std::string part = data.substr(start, len);
            BOOST_TEST_REQUIRE(crc32c(part) == crc32c_reference(part));
            const std::size_t cut = len / 3;
            BOOST_TEST_REQUIRE(crc32c(part.substr(cut), crc32c(part.substr(0, cut))) ==
                               crc32c(part));
        }
}

BOOST_AUTO_TEST_CASE(round_trip_of_every_field) {
    temp_dir dir;
    std::vector<spool_record> in;
    in.push_back(make_record(1));
    in.push_back(spool_record{}); // every string empty, no id, the epoch
    spool_record binary = make_record(3);
    binary.payload.clear();
    for (int i = 0; i < 512; ++i)
        binary.payload.push_back(static_cast<char>(i)); // NULs and every byte value
    // Headers are stored as given, whatever bytes they hold.
    binary.headers = std::string("x-a: \t\0\xFF\r\n", 10);
    binary.last_error = std::string("a\0b", 3);
    binary.last_status = -1;
    binary.created = std::chrono::system_clock::time_point(-86'400'123ms); // before 1970
    in.push_back(binary);
    in.push_back(make_record(4, 1024 * 1024)); // 1 MiB

    auto s = open_spool(dir.path);
    std::uint64_t prev = 0;
    for (auto& r : in) {
        r.sequence = append_ok(*s, r);
        BOOST_TEST(r.sequence > prev);
        prev = r.sequence;
    }
    BOOST_TEST(read_all(*s) == in, boost::test_tools::per_element());

    // `created` is kept to the millisecond (rounded down); a given `sequence` is ignored.
    spool_record fine = make_record(5);
    fine.created += 999us;
    fine.sequence = 12345;
    const auto seq = append_ok(*s, fine);
    BOOST_TEST(seq == prev + 1);
    std::vector<spool_record> out;
    BOOST_TEST(!s->read(seq, 1, out));
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST((out[0].created == fine.created - 999us));

    s.reset();
    auto again = open_spool(dir.path);
    auto back = read_all(*again);
    back.pop_back();
    BOOST_TEST(back == in, boost::test_tools::per_element());
    BOOST_TEST(again->recovery().records == 5u);
}

BOOST_AUTO_TEST_CASE(round_trip_with_and_without_headers) {
    temp_dir dir;
    std::vector<spool_record> in;
    for (std::uint64_t n = 1; n <= 6; ++n) {
        spool_record r = make_record(n);
        if (n % 2 == 0)
            r.headers.clear();
        in.push_back(r);
    }
    in[2].headers = "x-event-type: a\r\nx-tenant: acme\r\nx-note: tab\there\r\n";
    in[4].headers = "x-big: " + std::string(70'000, 'h') + "\r\n"; // more than a read-ahead chunk
    auto s = open_spool(dir.path, fast());
    for (auto& r : in)
        r.sequence = append_ok(*s, r);

    // One read into records that all had headers: those without get none, not the last ones.
    std::vector<spool_record> out(in.size(), make_record(9));
    BOOST_TEST(!s->read(0, 100, out));
    BOOST_TEST(out == in, boost::test_tools::per_element());
    BOOST_TEST(out[1].headers.empty());
    BOOST_TEST(out[2].headers == in[2].headers);

    s.reset();
    auto again = open_spool(dir.path, fast());
    BOOST_TEST(again->recovery().records == in.size());
    BOOST_TEST(read_all(*again) == in, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(read_reuses_the_strings_of_the_records_it_fills) {
    temp_dir dir;
    auto s = open_spool(dir.path, fast());
    append_ok(*s, make_record(1));
    std::vector<spool_record> out(1);
    out[0].headers.reserve(4096);
    out[0].payload.reserve(4096);
    const char* headers = out[0].headers.data();
    const char* payload = out[0].payload.data();
    BOOST_TEST(!s->read(0, 1, out));
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(out[0] == stored_record(1));
    BOOST_TEST(!out[0].headers.empty());
    BOOST_TEST(static_cast<const void*>(out[0].headers.data()) == headers);
    BOOST_TEST(static_cast<const void*>(out[0].payload.data()) == payload);
}

BOOST_AUTO_TEST_CASE(reopen_returns_unacked_records_in_order) {
    temp_dir dir;
    std::vector<spool_record> kept;
    {
        auto s = open_spool(dir.path);
        BOOST_TEST(s->directory() == dir.path);
        for (std::uint64_t i = 1; i <= 10; ++i) {
            auto r = make_record(i);
            r.sequence = append_ok(*s, r);
            BOOST_TEST(r.sequence == i);
            if (i == 2 || i == 5 || i == 9)
                BOOST_TEST(!s->ack(i));
            else
                kept.push_back(r);
        }
        BOOST_TEST(!s->ack(5)); // twice: harmless
        BOOST_TEST(s->ack(0) == boost::system::errc::invalid_argument);
        BOOST_TEST(s->ack(11) == boost::system::errc::invalid_argument); // never appended
        BOOST_TEST(s->stats().acks == 3u);
        BOOST_TEST(s->stats().unacked == 7u);
        BOOST_TEST(read_all(*s) == kept, boost::test_tools::per_element());
    }
    auto s = open_spool(dir.path);
    const auto& rep = s->recovery();
    BOOST_TEST(rep.segments == 1u);
    BOOST_TEST(rep.records == 7u);
    BOOST_TEST(rep.acknowledged == 3u);
    BOOST_TEST(rep.corrupt_records == 0u);
    BOOST_TEST(rep.discarded_bytes == 0u);
    BOOST_TEST(rep.torn_tail_bytes == 0u);
    BOOST_TEST(read_all(*s) == kept, boost::test_tools::per_element());
    BOOST_TEST(!s->ack(9)); // acked before the restart: still harmless

    // New appends continue, in a new segment.
    BOOST_TEST(append_ok(*s, make_record(11)) == 11u);
    BOOST_TEST(files(dir.path, ".wal").size() == 2u);
    BOOST_TEST(s->stats().unacked == 8u);
}

BOOST_AUTO_TEST_CASE(acks_of_every_segment_survive_a_reopen) {
    // Many segments, each with acknowledgements: the directory lists their files in no
    // particular order, and every segment's acknowledgements must still be found.
    temp_dir dir;
    file_spool_options o = fast();
    o.segment_bytes = 1024; // 5 to 7 records each: at least one that stays unacknowledged
    std::set<std::uint64_t> unacked;
    {
        auto spool = open_spool(dir.path, o);
        for (std::uint64_t n = 1; n <= 200; ++n) {
            const auto seq = append_ok(*spool, make_record(n));
            if (n % 3 == 0) // leave some in every segment, so that none is deleted
                unacked.insert(seq);
            else
                BOOST_TEST_REQUIRE(!spool->ack(seq));
        }
        BOOST_TEST_REQUIRE(files(dir.path, ".ack").size() > 10u);
    }
    auto spool = open_spool(dir.path, o);
    BOOST_TEST(spool->recovery().records == unacked.size());
    BOOST_TEST(spool->recovery().acknowledged == 200u - unacked.size());
    const auto seqs = sequences(read_all(*spool));
    BOOST_TEST(std::set<std::uint64_t>(seqs.begin(), seqs.end()) == unacked);
}

BOOST_AUTO_TEST_CASE(settling_an_old_segment_deletes_it_and_not_the_one_after) {
    temp_dir dir;
    {
        auto spool = open_spool(dir.path, fast());
        for (std::uint64_t n = 1; n <= 3; ++n)
            append_ok(*spool, make_record(n));
    }
    {
        auto spool = open_spool(dir.path, fast()); // a new segment for what comes now
        for (std::uint64_t n = 4; n <= 6; ++n)
            append_ok(*spool, make_record(n));
        for (std::uint64_t seq = 1; seq <= 3; ++seq) // the old segment is settled: it goes
            BOOST_TEST_REQUIRE(!spool->ack(seq));
        BOOST_TEST(files(dir.path, ".wal").size() == 1u);
    }
    auto spool = open_spool(dir.path, fast());
    BOOST_TEST(sequences(read_all(*spool)) == (std::vector<std::uint64_t>{4, 5, 6}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(empty_and_missing_directories) {
    temp_dir dir;
    {
        auto s = open_spool(dir.path);
        BOOST_TEST(s->recovery().segments == 0u);
        BOOST_TEST(read_all(*s).empty());
        BOOST_TEST(s->stats().segments == 0u);
        BOOST_TEST(files(dir.path, ".wal").empty()); // nothing created until an append
    }
    const auto nested = dir.path / "a" / "b";
    auto s = open_spool(nested);
    BOOST_TEST(fs::is_directory(nested));
    BOOST_TEST(append_ok(*s, make_record(1)) == 1u);

    // One spool per directory at a time.
    auto second = file_spool::open(nested);
    BOOST_TEST(!second.has_value());
    s.reset();
    BOOST_TEST(file_spool::open(nested).has_value());
}

BOOST_AUTO_TEST_CASE(read_walks_forward_with_a_cursor) {
    temp_dir dir;
    file_spool_options o = fast();
    o.segment_bytes = 600; // a few records a segment: reads cross segments
    auto s = open_spool(dir.path, o);
    for (std::uint64_t i = 1; i <= 20; ++i)
        append_ok(*s, make_record(i));
    BOOST_TEST(!s->ack(7));
    BOOST_TEST_REQUIRE(files(dir.path, ".wal").size() > 3u);

    const auto walk = [&](std::uint64_t from) {
        std::vector<std::uint64_t> seen;
        std::vector<spool_record> out(5, make_record(0, 100)); // replaced, not appended to
        for (;;) {
            BOOST_TEST_REQUIRE(!s->read(from, 3, out));
            BOOST_TEST_REQUIRE(out.size() <= 3u);
            if (out.empty())
                return seen;
            for (const auto& r : out) {
                BOOST_TEST(r == stored_record(r.sequence));
                seen.push_back(r.sequence);
            }
            from = out.back().sequence + 1;
        }
    };
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= 20; ++i)
        if (i != 7)
            expected.push_back(i);
    BOOST_TEST(walk(0) == expected, boost::test_tools::per_element());
    // A `from` that is not where the last read stopped.
    BOOST_TEST(walk(12) == std::vector<std::uint64_t>(expected.begin() + 10, expected.end()),
               boost::test_tools::per_element());

    for (std::uint64_t i = 21; i <= 24; ++i)
        append_ok(*s, make_record(i));
    BOOST_TEST(walk(21) == (std::vector<std::uint64_t>{21, 22, 23, 24}),
               boost::test_tools::per_element());
    std::vector<spool_record> out;
    BOOST_TEST(!s->read(25, 3, out));
    BOOST_TEST(out.empty());
    BOOST_TEST(!s->read(1, 0, out));
    BOOST_TEST(out.empty());
}

BOOST_AUTO_TEST_CASE(a_reader_sees_every_record_once_while_writers_append) {
    temp_dir dir;
    file_spool_options o;
    o.durability = durability::fsync_interval;
    o.sync_interval = 1ms;
    o.segment_bytes = 4096;
    constexpr int writers = 4, per_writer = 500, total = writers * per_writer;
    auto s = open_spool(dir.path, o);

    std::vector<std::uint64_t> seen;
    bool in_order = true, timed_out = false;
    int ack_errors = 0;
    std::thread reader([&] {
        std::vector<spool_record> out;
        std::uint64_t from = 0;
        const auto deadline = std::chrono::steady_clock::now() + 60s;
        while (seen.size() < std::size_t{total}) {
            if (std::chrono::steady_clock::now() > deadline) {
                timed_out = true;
                return;
            }
            if (s->read(from, 7, out))
                return;
            if (out.empty())
                std::this_thread::yield();
            for (const auto& r : out) {
                in_order = in_order && (seen.empty() || r.sequence > seen.back());
                seen.push_back(r.sequence);
                // Also deletes segments while writers add new ones.
                ack_errors += s->ack(r.sequence) ? 1 : 0;
                (void)s->stats();
            }
            if (!out.empty())
                from = out.back().sequence + 1;
        }
    });
    std::vector<std::thread> pool;
    std::vector<std::vector<std::uint64_t>> appended(writers);
    for (int t = 0; t < writers; ++t)
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_writer; ++i)
                if (auto seq = s->append(make_record(static_cast<std::uint64_t>(i))))
                    appended[static_cast<std::size_t>(t)].push_back(*seq);
        });
    for (auto& th : pool)
        th.join();
    reader.join();

    BOOST_TEST(!timed_out);
    BOOST_TEST(in_order);
    BOOST_TEST(ack_errors == 0);
    std::set<std::uint64_t> all;
    for (const auto& v : appended)
        all.insert(v.begin(), v.end());
    BOOST_TEST(all.size() == std::size_t{total});
    BOOST_TEST(seen == std::vector<std::uint64_t>(all.begin(), all.end()),
               boost::test_tools::per_element());
    BOOST_TEST(s->stats().unacked == 0u);
    BOOST_TEST(s->stats().segments <= 2u);
}
