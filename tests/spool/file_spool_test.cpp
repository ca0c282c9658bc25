#include <webhook/spool/file_spool.hpp>

#define BOOST_TEST_MODULE spool_file_spool
#include <boost/test/unit_test.hpp>

#include <webhook/detail/crc32c.hpp>
#include <webhook/error.hpp>

#include "spool/v1_journal.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using webhook::durability;
using webhook::file_spool;
using webhook::file_spool_options;
using webhook::spool_record;
using namespace std::chrono_literals;

namespace {

/// A fresh directory, removed with everything in it at the end.
struct temp_dir {
    fs::path path;
    temp_dir() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        path = fs::temp_directory_path() / ("webhook-spool-" + std::to_string(::getpid()) + "-" +
                                            std::to_string(counter++) + "-" + std::to_string(rd()));
        fs::create_directories(path);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

/// A record whose fields all depend on `n`; `created` is whole milliseconds, as stored.
spool_record make_record(std::uint64_t n, std::size_t payload_size = 0) {
    spool_record r;
    r.created = std::chrono::system_clock::time_point(
        1'700'000'000'000ms + std::chrono::milliseconds(static_cast<std::int64_t>(n)));
    r.id = webhook::event_id(r.created, n, n * 7919);
    r.endpoint = "https://example.com/hooks/{tenant}";
    r.target = "/hooks/t" + std::to_string(n);
    r.payload = "{\"n\":" + std::to_string(n) + "}";
    if (payload_size > r.payload.size())
        r.payload.append(payload_size - r.payload.size(), static_cast<char>('a' + n % 26));
    // Per-event headers on most records, none on every fifth: both cases of the field.
    if (n % 5 != 0)
        r.headers =
            "x-event-type: incident.updated\r\nx-tenant: t" + std::to_string(n % 10) + "\r\n";
    r.last_status = static_cast<int>(n % 3 == 0 ? 503 : 0);
    r.last_error = n % 3 == 0 ? "service unavailable" : "";
    return r;
}

/// `make_record(seq)` as `read` returns it.
spool_record stored_record(std::uint64_t seq) {
    auto r = make_record(seq);
    r.sequence = seq;
    return r;
}

std::shared_ptr<file_spool> open_spool(const fs::path& dir, file_spool_options o = {}) {
    auto r = file_spool::open(dir, o);
    BOOST_TEST_REQUIRE(r.has_value(), "open failed: " << r.error().message());
    return *r;
}

file_spool_options fast() {
    file_spool_options o;
    o.durability = durability::no_fsync;
    return o;
}

std::uint64_t append_ok(file_spool& s, const spool_record& r) {
    auto seq = s.append(r);
    BOOST_TEST_REQUIRE(seq.has_value(), "append failed: " << seq.error().message());
    return *seq;
}

std::vector<spool_record> read_all(file_spool& s) {
    std::vector<spool_record> out;
    BOOST_TEST_REQUIRE(!s.read(0, 1'000'000, out));
    return out;
}

std::vector<std::uint64_t> sequences(const std::vector<spool_record>& v) {
    std::vector<std::uint64_t> seqs;
    for (const auto& r : v)
        seqs.push_back(r.sequence);
    return seqs;
}

/// The directory's files ending in `ext`, sorted.
std::vector<fs::path> files(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> v;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().ends_with(ext))
            v.push_back(e.path());
    std::sort(v.begin(), v.end());
    return v;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

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

template <>
struct boost::test_tools::tt_detail::print_log_value<spool_record> {
    void operator()(std::ostream& os, const spool_record& r) {
        os << "{seq " << r.sequence << ", id " << r.id << ", payload " << r.payload.size()
           << " bytes, headers " << r.headers.size() << " bytes}";
    }
};

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
