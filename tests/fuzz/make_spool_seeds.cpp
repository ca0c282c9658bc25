// Writes seeds for the spool target (corpus/spool/) from journals the real file_spool makes
// (file format version 2), and one with a version 1 segment as the releases before per-event
// headers wrote it (by the tests' encoder, spool/v1_journal.hpp):
//   make_spool_seeds <corpus dir>
// The seeds named `v1_*` are not made here: the release before version 2 wrote them.
#include <webhook/spool/file_spool.hpp>

#include "../spool/v1_journal.hpp"
#include "spool_input.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

webhook::spool_record record(std::uint64_t n) {
    webhook::spool_record r;
    r.created =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(1'700'000'000'000 + n));
    if (n % 2 == 1)
        r.id = webhook::event_id(r.created, n, n * 7919);
    r.endpoint = "https://example.com/hooks/{tenant}";
    r.target = n % 2 == 1 ? "/hooks/t" + std::to_string(n) : "";
    r.payload = "{\"n\":" + std::to_string(n) + "}";
    if (n % 4 != 0)
        r.headers = "x-event-type: t" + std::to_string(n) + "\r\nx-tenant: acme\r\n";
    r.last_status = n % 3 == 0 ? 503 : 0;
    r.last_error = n % 3 == 0 ? "service unavailable" : "";
    return r;
}

void save(const fs::path& out, const std::string& name, const fuzz_spool::input& in) {
    std::ofstream(out / name, std::ios::binary) << fuzz_spool::encode(in);
    std::cout << name << ": " << in.files.size() << " files\n";
}

/// A fresh spool directory (holding the version 1 segment `v1` first, if not empty) with `n`
/// records appended and the sequences in `acks` acknowledged.
fuzz_spool::input make(std::size_t n, std::initializer_list<std::uint64_t> acks,
                       std::size_t segment_bytes, unsigned flags, const std::string& v1 = {}) {
    const fs::path dir = fs::temp_directory_path() / "webhook-make-spool-seeds";
    fs::remove_all(dir);
    if (!v1.empty()) {
        fs::create_directories(dir);
        std::ofstream(dir / "seg-0000000000000001.wal", std::ios::binary) << v1;
    }
    {
        webhook::file_spool_options o;
        o.durability = webhook::durability::no_fsync;
        o.segment_bytes = segment_bytes;
        auto s = webhook::file_spool::open(dir, o).value();
        for (std::uint64_t i = 1; i <= n; ++i)
            (void)s->append(record(i)).value();
        for (const std::uint64_t a : acks)
            if (s->ack(a))
                std::abort();
    }
    auto in = fuzz_spool::read_directory(dir, flags);
    fs::remove_all(dir);
    return in;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: make_spool_seeds <corpus dir>\n";
        return 2;
    }
    const fs::path out = argv[1];
    fs::create_directories(out);
    save(out, "three_records", make(3, {}, 1 << 20, 0));
    save(out, "three_records_fix_crcs", make(3, {}, 1 << 20, 1 | 2));
    save(out, "three_records_second_acked", make(3, {2}, 1 << 20, 0x10));
    save(out, "segments_with_acks", make(5, {1, 3}, 200, 3 | 0x20));

    auto torn = make(3, {}, 1 << 20, 1);
    torn.files.front().bytes.resize(torn.files.front().bytes.size() - 5);
    save(out, "torn_tail", torn);

    auto damaged = make(3, {}, 1 << 20, 0);
    damaged.files.front().bytes[20] ^= 0x55; // in the first record's body: its CRC fails
    save(out, "damaged_first_record", damaged);

    auto leftover = make(2, {}, 1 << 20, 0);
    leftover.files.push_back({2, 7, "WHSP"});
    leftover.files.push_back({1, 9, std::string(12, '\0')}); // an ack file without a segment
    save(out, "leftover_tmp_and_orphan_ack", leftover);

    // An upgrade: records 1-3 in a version 1 segment, 4-6 appended after it (version 2), and
    // one of each acknowledged.
    std::vector<webhook::spool_record> old;
    for (std::uint64_t i = 1; i <= 3; ++i) {
        old.push_back(record(i));
        old.back().headers.clear();
        old.back().sequence = i;
    }
    auto upgrade = make(3, {2, 5}, 1 << 20, 0x10, spool_v1::segment(old));
    if (upgrade.files.size() != 4) // both segments, each with acknowledgements
        std::abort();
    save(out, "upgrade_v1_segment_then_v2", upgrade);
    return 0;
}
