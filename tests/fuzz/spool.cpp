// Spool recovery from arbitrary journal bytes: webhook::file_spool::open on a directory of
// segment and acknowledgement files (format: spool_input.hpp), in a fresh directory per input.
// Segments of both file format versions are read (the seeds hold version 2 ones, with and
// without per-event headers, and version 1 ones, `v1_*` and `upgrade_*`).
// Then, as a dispatcher would: read everything, acknowledge some, append one, close, open
// again. The spool must keep its promises whatever the files held: `read` returns the
// unacknowledged records in sequence order, once each, as many as `recovery()` counted;
// whatever it returns can be acknowledged; a new append gets a higher sequence; and a
// second open finds exactly the records left.
#include <webhook/spool/file_spool.hpp>

#include "fuzz_check.hpp"
#include "spool_input.hpp"

#include <webhook/detail/crc32c.hpp>
#include <webhook/spool/detail/journal_codec.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <unistd.h>

namespace fs = std::filesystem;
namespace sf = webhook::detail::spool_file;

namespace {

fs::path base;
const bool verbose = std::getenv("WEBHOOK_FUZZ_VERBOSE") != nullptr; // to study one input

void fix_record_crcs(std::string& b) {
    std::size_t pos = sf::file_header_size;
    while (pos + sf::record_header_size <= b.size()) {
        if (sf::get_u32(b.data() + pos) == sf::record_magic) {
            const std::uint32_t body = sf::get_u32(b.data() + pos + 8);
            if (body <= b.size() - pos - sf::record_header_size) {
                sf::put_u32(b.data() + pos + 4,
                            webhook::detail::crc32c(b.data() + pos + 8, 4 + std::size_t{body}));
                pos += sf::record_header_size + body;
                continue;
            }
        }
        ++pos;
    }
}

void fix_ack_crcs(std::string& b) {
    for (std::size_t i = 0; i + sf::ack_entry_size <= b.size(); i += sf::ack_entry_size)
        sf::put_u32(b.data() + i + 8, webhook::detail::crc32c(b.data() + i, 8));
}

std::vector<webhook::spool_record> read_all(webhook::file_spool& s) {
    std::vector<webhook::spool_record> out;
    FUZZ_CHECK(!s.read(0, std::numeric_limits<std::size_t>::max(), out));
    return out;
}

/// In sequence order, each once.
void check_order(const std::vector<webhook::spool_record>& v) {
    for (std::size_t i = 1; i < v.size(); ++i)
        FUZZ_CHECK(v[i - 1].sequence < v[i].sequence);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    // In $TMPDIR: scripts/fuzz.sh points it to a tmpfs when there is one.
    base = fs::temp_directory_path() / ("webhook-fuzz-spool-" + std::to_string(::getpid()));
    fs::create_directories(base);
    std::atexit([] {
        std::error_code ignored;
        fs::remove_all(base, ignored);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz_spool::input in =
        fuzz_spool::decode(std::string_view(reinterpret_cast<const char*>(data), size));
    const fs::path dir = base / "spool";
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (fuzz_spool::file& f : in.files) {
        if (f.kind == 0 && (in.flags & 1))
            fix_record_crcs(f.bytes);
        if (f.kind == 1 && (in.flags & 2))
            fix_ack_crcs(f.bytes);
        std::ofstream(dir / fuzz_spool::file_name(f), std::ios::binary | std::ios::trunc)
            .write(f.bytes.data(), static_cast<std::streamsize>(f.bytes.size()));
    }

    webhook::file_spool_options options;
    options.durability = webhook::durability::no_fsync;
    options.segment_bytes = 4096; // small: appends may start new segments
    std::vector<webhook::spool_record> left;
    {
        auto opened = webhook::file_spool::open(dir, options);
        FUZZ_CHECK(opened);
        webhook::file_spool& s = **opened;
        const webhook::recovery_report rep = s.recovery();

        std::vector<webhook::spool_record> all = read_all(s);
        if (verbose) {
            for (const auto& f : in.files)
                std::fprintf(stderr, "file %s: %zu bytes\n", fuzz_spool::file_name(f).c_str(),
                             f.bytes.size());
            std::fprintf(stderr, "recovered: %zu records, %zu acknowledged, %zu corrupt; read:",
                         rep.records, rep.acknowledged, rep.corrupt_records);
            for (const auto& r : all)
                std::fprintf(stderr, " %llu", static_cast<unsigned long long>(r.sequence));
            std::fprintf(stderr, "\n");
        }
        check_order(all);
        FUZZ_CHECK(all.size() == rep.records);
        FUZZ_CHECK(s.stats().unacked == rep.records);

        // Paging with `from` gives the same records.
        std::vector<webhook::spool_record> page, paged;
        for (std::uint64_t from = 0;;) {
            FUZZ_CHECK(!s.read(from, 2, page));
            if (page.empty())
                break;
            paged.insert(paged.end(), page.begin(), page.end());
            if (page.back().sequence == std::numeric_limits<std::uint64_t>::max())
                break;
            from = page.back().sequence + 1;
        }
        FUZZ_CHECK(paged == all);

        // Acknowledge a selection (by the flags' high bits).
        const unsigned every = (in.flags >> 4) + 1;
        for (std::size_t i = 0; i < all.size(); ++i) {
            if (i % every != 0) {
                left.push_back(all[i]);
                continue;
            }
            if (verbose)
                std::fprintf(stderr, "ack %llu\n",
                             static_cast<unsigned long long>(all[i].sequence));
            FUZZ_CHECK(!s.ack(all[i].sequence));
            // Again: nothing, or invalid_argument once the segment is gone (documented).
            const auto again = s.ack(all[i].sequence);
            FUZZ_CHECK(!again || again == boost::system::errc::invalid_argument);
        }
        const std::vector<webhook::spool_record> after_ack = read_all(s);
        FUZZ_CHECK(after_ack == left);

        // A new record goes after everything found.
        webhook::spool_record r;
        r.endpoint = "http://h/";
        r.payload = "{\"fuzz\":1}";
        r.headers = "x-fuzz: 1\r\n";
        const auto seq = s.append(r);
        if (seq) {
            FUZZ_CHECK(all.empty() || *seq > all.back().sequence);
            r.sequence = *seq;
            left.push_back(r);
        }
        FUZZ_CHECK(read_all(s) == left);
    }
    {
        // What is left survives a restart, and nothing else comes back.
        auto reopened = webhook::file_spool::open(dir, options);
        FUZZ_CHECK(reopened);
        FUZZ_CHECK((*reopened)->recovery().records == left.size());
        FUZZ_CHECK(read_all(**reopened) == left);
    }
    return 0;
}
