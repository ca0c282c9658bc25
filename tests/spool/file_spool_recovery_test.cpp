#include <webhook/spool/file_spool.hpp>

#define BOOST_TEST_MODULE spool_file_spool_recovery
#include <boost/test/unit_test.hpp>

#include <webhook/error.hpp>

#include "spool/file_spool_helpers.hpp"
#include "spool/v1_journal.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// What open finds on the disk: segments of the earlier file format version, torn and damaged
// records, files that are not segments.

using webhook::file_spool;
using webhook::file_spool_options;
using webhook::spool_record;
using namespace std::chrono_literals;
using namespace webhook::test;

namespace {

/// The records of `release_1_segment`.
std::vector<spool_record> release_1_records() {
    std::vector<spool_record> v(3);
    v[0].sequence = 1;
    v[0].created = std::chrono::system_clock::time_point(1'700'000'000'001ms);
    v[0].id = webhook::event_id(v[0].created, 1, 7919);
    v[0].endpoint = "https://example.com/hooks/{tenant}";
    v[0].target = "/hooks/t1";
    v[0].payload = "{\"n\":1}";
    v[1].sequence = 2;
    v[1].payload = "{}";
    v[2].sequence = 3;
    v[2].created = std::chrono::system_clock::time_point(1'700'000'000'003ms);
    v[2].endpoint = "https://example.com/hooks";
    v[2].payload = "{\"n\":3}";
    v[2].last_status = 503;
    v[2].last_error = "service unavailable";
    return v;
}

/// `release_1_records()` as the release before per-event headers (file format version 1)
/// wrote them: its `file_spool` appended them to an empty directory and acknowledged the
/// second (`release_1_ack`). Kept byte for byte.
const std::string release_1_segment = [] {
    static const char bytes[] = "\x57\x48\x53\x50\x01\x00\x00\x00\xa7\x5c\x0d\x9e\x6f\x77\xca\x47"
                                "\x70\x00\x00\x00\x01\x68\xe5\xcf\x8b\x01\x00\x00\x30\x31\x48\x46"
                                "\x37\x59\x41\x54\x30\x31\x30\x30\x30\x47\x30\x30\x30\x30\x30\x30"
                                "\x30\x30\x30\x37\x51\x46\x22\x00\x00\x00\x68\x74\x74\x70\x73\x3a"
                                "\x2f\x2f\x65\x78\x61\x6d\x70\x6c\x65\x2e\x63\x6f\x6d\x2f\x68\x6f"
                                "\x6f\x6b\x73\x2f\x7b\x74\x65\x6e\x61\x6e\x74\x7d\x09\x00\x00\x00"
                                "\x2f\x68\x6f\x6f\x6b\x73\x2f\x74\x31\x07\x00\x00\x00\x7b\x22\x6e"
                                "\x22\x3a\x31\x7d\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
                                "\x00\x00\x00\x00\xa7\x5c\x0d\x9e\x7f\x1b\x85\x13\x40\x00\x00\x00"
                                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x7b\x7d"
                                "\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00"
                                "\xa7\x5c\x0d\x9e\xf5\xf7\x62\x3f\x71\x00\x00\x00\x03\x68\xe5\xcf"
                                "\x8b\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                                "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x19\x00"
                                "\x00\x00\x68\x74\x74\x70\x73\x3a\x2f\x2f\x65\x78\x61\x6d\x70\x6c"
                                "\x65\x2e\x63\x6f\x6d\x2f\x68\x6f\x6f\x6b\x73\x00\x00\x00\x00\x07"
                                "\x00\x00\x00\x7b\x22\x6e\x22\x3a\x33\x7d\xf7\x01\x00\x00\x13\x00"
                                "\x00\x00\x73\x65\x72\x76\x69\x63\x65\x20\x75\x6e\x61\x76\x61\x69"
                                "\x6c\x61\x62\x6c\x65\x03\x00\x00\x00\x00\x00\x00\x00";
    return std::string(bytes, sizeof bytes - 1);
}();
const std::string release_1_ack("\x02\x00\x00\x00\x00\x00\x00\x00\xc4\x48\x50\x1e", 12);

/// The directory's files ending in `ext`, by name.
std::vector<std::string> file_names(const fs::path& dir, const std::string& ext) {
    std::vector<std::string> v;
    for (const auto& p : files(dir, ext))
        v.push_back(p.filename().string());
    return v;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_tests_version_1_encoder_writes_what_the_earlier_release_wrote) {
    // So that the tests below, and the fuzz seeds, may make version 1 segments of their own.
    BOOST_TEST_REQUIRE(release_1_segment.size() == 333u);
    BOOST_TEST(spool_v1::segment(release_1_records()) == release_1_segment);
    BOOST_TEST(spool_v1::ack_entry(2) == release_1_ack);
}

BOOST_AUTO_TEST_CASE(a_version_1_segment_is_replayed_after_an_upgrade_and_then_appended_after) {
    temp_dir dir;
    const auto old_segment = dir.path / "seg-0000000000000001.wal";
    write_file(old_segment, release_1_segment);
    write_file(dir.path / "seg-0000000000000001.ack", release_1_ack);
    const auto old = release_1_records();
    std::vector<spool_record> expected{old[0], old[2]}; // the second was acknowledged
    {
        auto s = open_spool(dir.path, fast());
        const auto& rep = s->recovery();
        BOOST_TEST(rep.segments == 1u);
        BOOST_TEST(rep.unreadable_segments == 0u);
        BOOST_TEST(rep.records == 2u);
        BOOST_TEST(rep.acknowledged == 1u);
        BOOST_TEST(rep.corrupt_records == 0u);
        BOOST_TEST(rep.discarded_bytes == 0u);
        // Every field as the old release stored it, and no headers: even in records that had
        // some before the read.
        std::vector<spool_record> out(3, make_record(7));
        BOOST_TEST(!s->read(0, 10, out));
        BOOST_TEST(out == expected, boost::test_tools::per_element());
        BOOST_TEST(out.at(0).headers.empty());

        // New records go to a new segment, of version 2; the old file is not written to.
        spool_record fresh = make_record(4);
        BOOST_TEST_REQUIRE(!fresh.headers.empty());
        fresh.sequence = append_ok(*s, fresh);
        BOOST_TEST(fresh.sequence == 4u);
        expected.push_back(fresh);
        BOOST_TEST(
            file_names(dir.path, ".wal") ==
                (std::vector<std::string>{"seg-0000000000000001.wal", "seg-0000000000000004.wal"}),
            boost::test_tools::per_element());
        BOOST_TEST(read_file(dir.path / "seg-0000000000000004.wal").substr(0, 8) ==
                   std::string("WHSP\x02\0\0\0", 8));
        BOOST_TEST(read_file(old_segment) == release_1_segment);
        BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
    }
    {
        // Both versions in one directory, read in sequence order.
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().segments == 2u);
        BOOST_TEST(s->recovery().records == 3u);
        BOOST_TEST(s->recovery().acknowledged == 1u);
        BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
        // Settling the old records deletes the old segment like any other.
        BOOST_TEST(!s->ack(1));
        BOOST_TEST(!s->ack(3));
        BOOST_TEST(!fs::exists(old_segment));
        BOOST_TEST(!fs::exists(dir.path / "seg-0000000000000001.ack"));
        spool_record plain = make_record(5);
        BOOST_TEST_REQUIRE(plain.headers.empty());
        plain.sequence = append_ok(*s, plain);
        BOOST_TEST(plain.sequence == 5u);
        expected.erase(expected.begin(), expected.begin() + 2); // the new record only
        expected.push_back(plain);
    }
    auto s = open_spool(dir.path, fast());
    BOOST_TEST(s->recovery().records == 2u);
    BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(damage_in_a_version_1_segment_is_found_as_in_version_2) {
    // Five records written as the earlier release would have (the tests' encoder, checked
    // above), then the checks of the two tests above: every byte of a middle record flipped,
    // and the last record torn at every offset.
    std::vector<spool_record> all;
    std::vector<std::uint64_t> ends{8}; // each record's end offset; the file header first
    for (std::uint64_t i = 1; i <= 5; ++i) {
        spool_record r = make_record(i, 30);
        r.headers.clear();
        r.sequence = i;
        all.push_back(r);
        ends.push_back(ends.back() + spool_v1::record(r, i).size());
    }
    const std::string original = spool_v1::segment(all);
    BOOST_TEST_REQUIRE(original.size() == ends.back());
    const std::string name = "seg-0000000000000001.wal";
    {
        temp_dir dir;
        write_file(dir.path / name, original);
        BOOST_TEST(read_all(*open_spool(dir.path, fast())) == all,
                   boost::test_tools::per_element());
    }

    auto expected = all;
    expected.erase(expected.begin() + 2);
    for (std::uint64_t at = ends[2]; at < ends[3]; ++at) {
        BOOST_TEST_CONTEXT("byte " << at - ends[2] << " of the third record flipped") {
            temp_dir dir;
            std::string damaged = original;
            damaged[at] = static_cast<char>(damaged[at] ^ 0xFF);
            write_file(dir.path / name, damaged);
            auto s = open_spool(dir.path, fast());
            const auto& rep = s->recovery();
            BOOST_TEST(rep.records == 4u);
            BOOST_TEST(rep.corrupt_records == 1u);
            BOOST_TEST(rep.discarded_bytes == ends[3] - ends[2]);
            BOOST_TEST(rep.torn_tail_bytes == 0u);
            BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
        }
    }

    expected = all;
    expected.pop_back();
    for (std::uint64_t cut = 1; cut < ends[5] - ends[4]; ++cut) {
        BOOST_TEST_CONTEXT("cut " << cut << " bytes into the last record") {
            temp_dir dir;
            write_file(dir.path / name, original.substr(0, ends[4] + cut));
            {
                auto s = open_spool(dir.path, fast());
                const auto& rep = s->recovery();
                BOOST_TEST(rep.records == 4u);
                BOOST_TEST(rep.torn_tail_bytes == cut);
                BOOST_TEST(rep.discarded_bytes == cut);
                BOOST_TEST(rep.corrupt_records == 0u);
                BOOST_TEST(read_file(dir.path / name) == original.substr(0, ends[4]));
                BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
                BOOST_TEST(append_ok(*s, make_record(99)) == 5u);
                BOOST_TEST(files(dir.path, ".wal").size() == 2u); // not after the old records
            }
            auto s = open_spool(dir.path, fast());
            BOOST_TEST(s->recovery().torn_tail_bytes == 0u);
            BOOST_TEST(s->recovery().records == 5u);
        }
    }
}

BOOST_AUTO_TEST_CASE(segments_of_an_unknown_version_are_left_alone) {
    // A later release's segment (or a damaged header) is reported and kept for an operator,
    // even though its records would parse: its layout cannot be known.
    temp_dir made, dir;
    {
        auto s = open_spool(made.path, fast());
        append_ok(*s, make_record(1));
    }
    std::string later = read_file(made.path / "seg-0000000000000001.wal");
    later[4] = 3;
    std::string zero = later;
    zero[4] = 0;
    write_file(dir.path / "seg-0000000000000001.wal", later);
    write_file(dir.path / "seg-0000000000000002.wal", zero);
    {
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().segments == 2u);
        BOOST_TEST(s->recovery().unreadable_segments == 2u);
        BOOST_TEST(s->recovery().records == 0u);
        BOOST_TEST(read_all(*s).empty());
        BOOST_TEST(append_ok(*s, make_record(2)) == 3u); // after their names
    }
    BOOST_TEST(read_file(dir.path / "seg-0000000000000001.wal") == later);
    BOOST_TEST(read_file(dir.path / "seg-0000000000000002.wal") == zero);
}

BOOST_AUTO_TEST_CASE(torn_ack_entry_is_ignored_and_acked_segments_are_deleted_on_open) {
    temp_dir dir;
    {
        auto s = open_spool(dir.path, fast());
        for (std::uint64_t i = 1; i <= 3; ++i)
            append_ok(*s, make_record(i));
        BOOST_TEST(!s->ack(1));
        BOOST_TEST(!s->ack(2));
    }
    const auto acks = files(dir.path, ".ack");
    BOOST_TEST_REQUIRE(acks.size() == 1u);
    BOOST_TEST(fs::file_size(acks[0]) == 24u);
    write_file(acks[0], read_file(acks[0]) + "\x03\0\0\0\0"); // a torn third entry
    {
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().records == 1u);
        BOOST_TEST(s->recovery().acknowledged == 2u);
        BOOST_TEST(fs::file_size(acks[0]) == 24u); // cut back to whole entries
        BOOST_TEST(sequences(read_all(*s)) == std::vector<std::uint64_t>{3});
        BOOST_TEST(!s->ack(3)); // lands after the cut, so it is read back
    }
    auto s = open_spool(dir.path, fast());
    BOOST_TEST(s->recovery().acknowledged == 3u);
    BOOST_TEST(s->recovery().records == 0u);
    // Nothing is left to deliver, but the newest segment stays until a new one replaces it,
    // so that sequence numbers do not start over.
    BOOST_TEST(files(dir.path, ".wal").size() == 1u);
    BOOST_TEST(append_ok(*s, make_record(4)) == 4u);
    BOOST_TEST(files(dir.path, ".wal").size() == 1u); // the new one only
    BOOST_TEST(files(dir.path, ".ack").empty());
    BOOST_TEST(s->ack(3) == boost::system::errc::invalid_argument); // its segment is gone
}

BOOST_AUTO_TEST_CASE(torn_tail_at_every_offset_of_the_last_record) {
    temp_dir base;
    constexpr std::uint64_t n = 5;
    std::vector<spool_record> expected;
    std::uint64_t last_start = 0, last_end = 0;
    {
        auto s = open_spool(base.path, fast());
        for (std::uint64_t i = 1; i <= n; ++i) {
            auto r = make_record(i, 40);
            r.sequence = append_ok(*s, r);
            if (i < n)
                expected.push_back(r);
            const auto size = fs::file_size(files(base.path, ".wal").at(0));
            (i < n ? last_start : last_end) = size;
        }
    }
    const fs::path segment_name = files(base.path, ".wal").at(0).filename();
    BOOST_TEST_REQUIRE(last_end > last_start);
    for (std::uint64_t cut = 1; cut < last_end - last_start; ++cut) {
        BOOST_TEST_CONTEXT("cut " << cut << " bytes into the last record") {
            temp_dir dir;
            fs::copy(base.path, dir.path, fs::copy_options::recursive);
            fs::resize_file(dir.path / segment_name, last_start + cut);
            {
                auto s = open_spool(dir.path, fast());
                const auto& rep = s->recovery();
                BOOST_TEST(rep.records == n - 1);
                BOOST_TEST(rep.torn_tail_bytes == cut);
                BOOST_TEST(rep.discarded_bytes == cut);
                BOOST_TEST(rep.corrupt_records == 0u);
                BOOST_TEST(fs::file_size(dir.path / segment_name) == last_start);
                BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
                BOOST_TEST(append_ok(*s, make_record(99)) >= n);
            }
            auto s = open_spool(dir.path, fast());
            BOOST_TEST(s->recovery().torn_tail_bytes == 0u);
            BOOST_TEST(s->recovery().discarded_bytes == 0u);
            BOOST_TEST(s->recovery().records == n);
        }
    }
}

BOOST_AUTO_TEST_CASE(records_past_the_next_segment_stay_discarded_once_it_is_deleted) {
    // Records 1 to 5 in a segment, and an empty segment named 4 after it: 4 and 5 cannot be
    // in order (found by the fuzz target). The empty segment goes at the first append; the
    // next open must not take 4 and 5 back.
    temp_dir dir;
    std::vector<spool_record> expected;
    {
        auto s = open_spool(dir.path, fast());
        for (std::uint64_t i = 1; i <= 5; ++i) {
            auto r = make_record(i, 40);
            r.sequence = append_ok(*s, r);
            if (i <= 3)
                expected.push_back(r);
        }
    }
    write_file(dir.path / "seg-0000000000000004.wal", std::string("WHSP\x02\0\0\0", 8));
    {
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().records == 3u);
        BOOST_TEST(s->recovery().corrupt_records == 2u);
        BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
        auto r = make_record(9, 40);
        r.sequence = append_ok(*s, r);
        BOOST_TEST(r.sequence == 5u);
        expected.push_back(r);
        BOOST_TEST(!fs::exists(dir.path / "seg-0000000000000004.wal"));
    }
    auto s = open_spool(dir.path, fast());
    BOOST_TEST(s->recovery().records == 4u);
    BOOST_TEST(s->recovery().corrupt_records == 0u);
    BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_flipped_byte_loses_only_its_record) {
    temp_dir base;
    std::vector<spool_record> all;
    std::vector<std::uint64_t> ends; // each record's end offset in the segment
    {
        auto s = open_spool(base.path, fast());
        for (std::uint64_t i = 1; i <= 5; ++i) {
            auto r = make_record(i, 30);
            r.sequence = append_ok(*s, r);
            all.push_back(r);
            ends.push_back(fs::file_size(files(base.path, ".wal").at(0)));
        }
    }
    const fs::path segment_name = files(base.path, ".wal").at(0).filename();
    const std::string original = read_file(base.path / segment_name);
    auto expected = all;
    expected.erase(expected.begin() + 2);
    // Every byte of the third record: header (magic, CRC, length) and body.
    const std::uint64_t begin = ends[1], end = ends[2];
    for (std::uint64_t at = begin; at < end; ++at) {
        BOOST_TEST_CONTEXT("byte " << at - begin << " of the record flipped") {
            temp_dir dir;
            std::string damaged = original;
            damaged[at] = static_cast<char>(damaged[at] ^ 0xFF);
            write_file(dir.path / segment_name, damaged);
            auto s = open_spool(dir.path, fast());
            const auto& rep = s->recovery();
            BOOST_TEST(rep.records == 4u);
            BOOST_TEST(rep.corrupt_records == 1u);
            BOOST_TEST(rep.discarded_bytes == end - begin);
            BOOST_TEST(rep.torn_tail_bytes == 0u);
            BOOST_TEST(read_all(*s) == expected, boost::test_tools::per_element());
        }
    }

    // A length longer than the file: in the middle, one damaged record; at the end, torn.
    for (std::size_t which : {2, 4}) {
        temp_dir dir;
        std::string damaged = original;
        const std::uint64_t start = ends[which - 1];
        std::memcpy(&damaged[start + 8], "\xF0\xFF\xFF\x7F", 4);
        write_file(dir.path / segment_name, damaged);
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().records == 4u);
        BOOST_TEST(s->recovery().corrupt_records == (which == 4 ? 0u : 1u));
        BOOST_TEST(s->recovery().torn_tail_bytes == (which == 4 ? ends[4] - start : 0u));
    }
}

BOOST_AUTO_TEST_CASE(a_bad_file_header_is_reported_and_left_alone) {
    temp_dir dir;
    {
        auto s = open_spool(dir.path, fast());
        append_ok(*s, make_record(1));
    }
    const auto foreign = dir.path / "seg-0000000000000010.wal";
    write_file(foreign, "not a spool segment at all");
    write_file(dir.path / "notes.txt", "unrelated");
    {
        auto s = open_spool(dir.path, fast());
        BOOST_TEST(s->recovery().segments == 2u);
        BOOST_TEST(s->recovery().unreadable_segments == 1u);
        BOOST_TEST(s->recovery().records == 1u);
        // Appends go after the file's name, so that no new segment can take it.
        BOOST_TEST(append_ok(*s, make_record(2)) == 0x11u);
    }
    auto s = open_spool(dir.path, fast());
    BOOST_TEST(s->recovery().segments == 3u);
    BOOST_TEST(s->recovery().unreadable_segments == 1u);
    BOOST_TEST(s->recovery().records == 2u);
    BOOST_TEST(sequences(read_all(*s)) == (std::vector<std::uint64_t>{1, 0x11}));
    BOOST_TEST(read_file(foreign) == "not a spool segment at all");
    BOOST_TEST(fs::exists(dir.path / "notes.txt"));
}
