#ifndef WEBHOOK_TESTS_SPOOL_V1_JOURNAL_HPP
#define WEBHOOK_TESTS_SPOOL_V1_JOURNAL_HPP

// Journal files as releases before per-event headers wrote them (file format version 1; the
// layout is in include/webhook/spool/detail/journal_codec.hpp), encoded here by hand rather
// than with the library's encoder, which writes only the current version. For the tests of
// upgrades (spool/file_spool_recovery_test.cpp, which also checks these bytes against a segment the
// earlier release wrote) and the fuzz seeds (fuzz/make_spool_seeds.cpp).

#include <webhook/detail/crc32c.hpp>
#include <webhook/spool/spool.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace spool_v1 {

inline void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>(v >> (8 * i) & 0xFF);
}

inline void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        out += static_cast<char>(v >> (8 * i) & 0xFF);
}

/// "WHSP", version 1.
inline std::string file_header() {
    std::string out = "WHSP";
    put_u32(out, 1);
    return out;
}

/// `r` as a version 1 record with `sequence` (version 1 has no place for `r.headers`).
inline std::string record(const webhook::spool_record& r, std::uint64_t sequence) {
    std::string body;
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(r.created.time_since_epoch());
    put_u64(body, static_cast<std::uint64_t>(ms.count()));
    body += r.id.empty() ? std::string(webhook::event_id::size, '\0') : std::string(r.id.view());
    const auto put_string = [&body](const std::string& s) {
        put_u32(body, static_cast<std::uint32_t>(s.size()));
        body += s;
    };
    put_string(r.endpoint);
    put_string(r.target);
    put_string(r.payload);
    put_u32(body, static_cast<std::uint32_t>(r.last_status));
    put_string(r.last_error);
    put_u64(body, sequence);

    std::string length;
    put_u32(length, static_cast<std::uint32_t>(body.size()));
    std::string out;
    put_u32(out, 0x9E0D5CA7);
    put_u32(out, webhook::detail::crc32c(length + body));
    return out + length + body;
}

/// A whole segment file: the header, then each record with its own `sequence`.
inline std::string segment(const std::vector<webhook::spool_record>& records) {
    std::string out = file_header();
    for (const auto& r : records)
        out += record(r, r.sequence);
    return out;
}

/// One entry of an acknowledgement file (the same in every version).
inline std::string ack_entry(std::uint64_t sequence) {
    std::string out;
    put_u64(out, sequence);
    put_u32(out, webhook::detail::crc32c(out));
    return out;
}

} // namespace spool_v1

#endif
