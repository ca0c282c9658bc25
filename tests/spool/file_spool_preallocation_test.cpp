#include <webhook/spool/file_spool.hpp>

#define BOOST_TEST_MODULE spool_file_spool_preallocation
#include <boost/test/unit_test.hpp>

#include "spool/file_spool_helpers.hpp"

#include <algorithm>
#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

// Segments preallocated with zeros: what appends write, and what open makes of the zeros.

using webhook::file_spool;
using webhook::file_spool_options;
using webhook::spool_record;
using namespace webhook::test;

namespace {

/// fsync_each_append (the default) with zeros preallocated `ahead` bytes at a time.
file_spool_options preallocating(std::size_t ahead) {
    file_spool_options o;
    o.preallocate_bytes = ahead;
    return o;
}

/// The records of a spool that preallocated: `n` appended, the directory copied while it was
/// open (what a crash between appends leaves: the records, then zeros), then closed (which
/// cuts the zeros off, so that the closed file's size is where the records end).
struct preallocated_image {
    temp_dir closed, crashed;
    fs::path segment_name;
    std::vector<spool_record> records;
    std::vector<std::uint64_t> ends; // each record's end offset
    std::uint64_t size_while_open = 0;

    explicit preallocated_image(std::uint64_t n, std::size_t ahead = 64 * 1024) {
        {
            auto s = open_spool(closed.path, preallocating(ahead));
            for (std::uint64_t i = 1; i <= n; ++i) {
                auto r = make_record(i, 40);
                r.sequence = append_ok(*s, r);
                records.push_back(r);
            }
            segment_name = files(closed.path, ".wal").at(0).filename();
            size_while_open = fs::file_size(closed.path / segment_name);
            fs::remove_all(crashed.path);
            fs::copy(closed.path, crashed.path, fs::copy_options::recursive);
        }
        // The record ends, from a spool that writes the same records without zeros.
        temp_dir plain;
        auto s = open_spool(plain.path, fast());
        for (std::uint64_t i = 1; i <= n; ++i) {
            append_ok(*s, make_record(i, 40));
            ends.push_back(fs::file_size(files(plain.path, ".wal").at(0)));
        }
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(an_append_extends_the_file_only_once_per_preallocation) {
    // With a sync per append, the segment is kept ahead of its records by zeros, so that the
    // fdatasync of an append does not change the file's size (one disk write, not two).
    temp_dir dir;
    constexpr std::size_t ahead = 16 * 1024;
    auto s = open_spool(dir.path, preallocating(ahead));
    std::uint64_t last_size = 0;
    std::size_t changes = 0;
    for (std::uint64_t i = 1; i <= 300; ++i) {
        append_ok(*s, make_record(i, 100));
        const auto size = fs::file_size(files(dir.path, ".wal").at(0));
        BOOST_TEST_REQUIRE(size >= last_size); // never shrinks while written
        if (size != last_size)
            ++changes;
        last_size = size;
        BOOST_TEST(s->stats().bytes_on_disk == size);
    }
    // The same records without preallocation: where they end.
    temp_dir plain;
    {
        auto p = open_spool(plain.path, fast());
        for (std::uint64_t i = 1; i <= 300; ++i)
            append_ok(*p, make_record(i, 100));
    }
    const auto records_end = fs::file_size(files(plain.path, ".wal").at(0));
    BOOST_TEST(last_size > records_end);
    BOOST_TEST(last_size <= records_end + ahead);
    BOOST_TEST(changes >= records_end / ahead);
    BOOST_TEST(changes <= records_end / ahead + 1);
    BOOST_TEST(s->stats().fsyncs == 300u); // the zeros go with an append's sync
    s.reset();
    // Closing cuts the zeros off: the file is what a spool without preallocation writes.
    BOOST_TEST(read_file(files(dir.path, ".wal").at(0)) ==
               read_file(files(plain.path, ".wal").at(0)));
}

BOOST_AUTO_TEST_CASE(preallocation_stays_within_segment_bytes_and_max_bytes) {
    {
        temp_dir dir;
        file_spool_options o = preallocating(1024 * 1024);
        o.segment_bytes = 4096;
        auto s = open_spool(dir.path, o);
        for (std::uint64_t i = 1; i <= 40; ++i) {
            append_ok(*s, make_record(i, 200));
            for (const auto& f : files(dir.path, ".wal"))
                BOOST_TEST(fs::file_size(f) <= 4096u);
        }
        const auto wals = files(dir.path, ".wal");
        BOOST_TEST_REQUIRE(wals.size() > 2u);
        BOOST_TEST(fs::file_size(wals.back()) == 4096u);
        // Segments left behind hold no zeros: only the one written to has them (as a crash
        // would find it), and closing cuts those too.
        temp_dir crashed;
        fs::remove_all(crashed.path);
        fs::copy(dir.path, crashed.path, fs::copy_options::recursive);
        s.reset();
        const auto records_end = fs::file_size(wals.back());
        BOOST_TEST(records_end < 4096u);
        BOOST_TEST(open_spool(dir.path, fast())->recovery().preallocated_bytes == 0u);
        auto again = open_spool(crashed.path, fast());
        BOOST_TEST(again->recovery().preallocated_bytes == 4096u - records_end);
        BOOST_TEST(again->recovery().discarded_bytes == 0u);
        BOOST_TEST(again->recovery().records == 40u);
    }
    {
        temp_dir dir;
        file_spool_options o = preallocating(1024 * 1024);
        o.max_bytes = 3000;
        auto s = open_spool(dir.path, o);
        std::size_t stored = 0;
        while (s->append(make_record(stored + 1, 200)))
            ++stored;
        BOOST_TEST(stored > 5u);
        BOOST_TEST(fs::file_size(files(dir.path, ".wal").at(0)) <= 3000u);
        BOOST_TEST(s->stats().bytes_on_disk <= 3000u);
    }
}

BOOST_AUTO_TEST_CASE(the_zeros_after_the_records_of_a_crashed_spool_are_not_damage) {
    const preallocated_image image(5);
    BOOST_TEST_REQUIRE(image.size_while_open > image.ends.back());
    // Closed: the zeros were cut off.
    BOOST_TEST(fs::file_size(image.closed.path / image.segment_name) == image.ends.back());
    {
        auto s = open_spool(image.crashed.path, fast());
        const auto& rep = s->recovery();
        BOOST_TEST(rep.records == 5u);
        BOOST_TEST(rep.preallocated_bytes == image.size_while_open - image.ends.back());
        BOOST_TEST(rep.corrupt_records == 0u);
        BOOST_TEST(rep.discarded_bytes == 0u);
        BOOST_TEST(rep.torn_tail_bytes == 0u);
        BOOST_TEST(fs::file_size(image.crashed.path / image.segment_name) == image.ends.back());
        BOOST_TEST(read_all(*s) == image.records, boost::test_tools::per_element());
        BOOST_TEST(append_ok(*s, make_record(6)) == 6u); // in a new segment
        BOOST_TEST(files(image.crashed.path, ".wal").size() == 2u);
    }
    auto s = open_spool(image.crashed.path);
    BOOST_TEST(s->recovery().preallocated_bytes == 0u);
    BOOST_TEST(s->recovery().records == 6u);
}

BOOST_AUTO_TEST_CASE(a_torn_write_into_preallocated_space_is_cut_with_the_zeros_after_it) {
    // The last record written up to every offset, zeros after it (the preallocation): torn,
    // as in a file that grows; the zeros after it count as part of the torn tail.
    const preallocated_image image(5);
    const std::string crashed = read_file(image.crashed.path / image.segment_name);
    const std::uint64_t last_start = image.ends[3], last_end = image.ends[4];
    const auto expected = std::vector<spool_record>(image.records.begin(), image.records.end() - 1);
    // The record ends with the high bytes of its sequence, zeros: written up to them, it is
    // whole (and found so).
    std::uint64_t whole_from = last_end - last_start;
    while (crashed[last_start + whole_from - 1] == '\0')
        --whole_from;
    BOOST_TEST_REQUIRE(whole_from < last_end - last_start);
    for (std::uint64_t cut = 1; cut < whole_from; ++cut) {
        BOOST_TEST_CONTEXT("the last record written up to byte " << cut) {
            temp_dir dir;
            std::string torn = crashed;
            std::fill(torn.begin() + static_cast<std::ptrdiff_t>(last_start + cut),
                      torn.begin() + static_cast<std::ptrdiff_t>(last_end), '\0');
            write_file(dir.path / image.segment_name, torn);
            {
                auto s = open_spool(dir.path, fast());
                const auto& rep = s->recovery();
                BOOST_TEST(rep.records == 4u);
                BOOST_TEST(rep.torn_tail_bytes == torn.size() - last_start);
                BOOST_TEST(rep.discarded_bytes == torn.size() - last_start);
                BOOST_TEST(rep.preallocated_bytes == 0u);
                BOOST_TEST(rep.corrupt_records == 0u);
                BOOST_TEST(fs::file_size(dir.path / image.segment_name) == last_start);
                BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
            }
            auto s = open_spool(dir.path, fast());
            BOOST_TEST(s->recovery().discarded_bytes == 0u);
            BOOST_TEST(s->recovery().records == 4u);
        }
    }
}

BOOST_AUTO_TEST_CASE(zeros_in_an_older_segment_or_after_a_bare_header_are_not_damage) {
    // A crash after a new segment started but before the one left had its zeros cut; and one
    // right after a segment file was made (its header, then zeros, no record yet).
    temp_dir dir;
    std::vector<spool_record> expected;
    {
        auto s = open_spool(dir.path, fast());
        for (std::uint64_t i = 1; i <= 3; ++i) {
            auto r = make_record(i, 40);
            r.sequence = append_ok(*s, r);
            expected.push_back(r);
        }
    }
    const auto first = files(dir.path, ".wal").at(0);
    const auto records_end = fs::file_size(first);
    write_file(first, read_file(first) + std::string(5000, '\0'));
    write_file(dir.path / "seg-0000000000000004.wal",
               std::string("WHSP\x02\0\0\0", 8) + std::string(7000, '\0'));
    {
        auto s = open_spool(dir.path, fast());
        const auto& rep = s->recovery();
        BOOST_TEST(rep.segments == 2u);
        BOOST_TEST(rep.records == 3u);
        BOOST_TEST(rep.preallocated_bytes == 12000u);
        BOOST_TEST(rep.corrupt_records == 0u);
        BOOST_TEST(rep.discarded_bytes == 0u);
        BOOST_TEST(rep.unreadable_segments == 0u);
        BOOST_TEST(fs::file_size(first) == records_end);
        BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
        // The empty segment's name is the highest: sequences go on after it.
        BOOST_TEST(append_ok(*s, make_record(5)) == 5u);
    }
    auto s = open_spool(dir.path, fast());
    BOOST_TEST(s->recovery().records == 4u);
    BOOST_TEST(s->recovery().preallocated_bytes == 0u);
}

BOOST_AUTO_TEST_CASE(a_spool_killed_between_appends_into_preallocated_space_loses_nothing) {
    // A real process, killed with SIGKILL after its appends returned: the reopened spool has
    // every record, finds the zeros after them, and nothing damaged.
    temp_dir dir;
    constexpr std::uint64_t n = 20;
    int ready[2];
    BOOST_TEST_REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    BOOST_TEST_REQUIRE(child >= 0);
    if (child == 0) {
        ::close(ready[0]);
        auto opened = file_spool::open(dir.path, preallocating(64 * 1024));
        if (!opened)
            ::_exit(1);
        for (std::uint64_t i = 1; i <= n; ++i)
            if (!(*opened)->append(make_record(i, 40)))
                ::_exit(2);
        const char done = 'd';
        (void)::write(ready[1], &done, 1);
        for (;;)
            ::pause(); // killed here
    }
    ::close(ready[1]);
    char done = 0;
    const bool appended = ::read(ready[0], &done, 1) == 1;
    ::close(ready[0]);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    BOOST_TEST_REQUIRE(appended);
    BOOST_TEST(WIFSIGNALED(status));
    const auto wal = files(dir.path, ".wal").at(0);
    const auto size = fs::file_size(wal);
    auto s = open_spool(dir.path);
    const auto& rep = s->recovery();
    BOOST_TEST(rep.records == n);
    BOOST_TEST(rep.preallocated_bytes > 0u);
    BOOST_TEST(rep.preallocated_bytes == size - fs::file_size(wal));
    BOOST_TEST(rep.corrupt_records == 0u);
    BOOST_TEST(rep.discarded_bytes == 0u);
    std::vector<spool_record> expected;
    for (std::uint64_t i = 1; i <= n; ++i) {
        expected.push_back(make_record(i, 40));
        expected.back().sequence = i;
    }
    BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
}
