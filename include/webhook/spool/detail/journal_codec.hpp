#ifndef WEBHOOK_SPOOL_DETAIL_JOURNAL_CODEC_HPP
#define WEBHOOK_SPOOL_DETAIL_JOURNAL_CODEC_HPP

// The on-disk format of `file_spool`'s journal, as pure functions over bytes (no file I/O:
// impl/file_spool.hpp reads and writes the files). All integers are little-endian.
//
// Segment file `seg-<first sequence as 16 lower-case hex digits>.wal`:
//   file header (8 bytes): "WHSP", u32 version; then records back to back, all of that
//   version's layout. New segments are written as version 2; version 1 (releases before
//   per-event headers) is still read, so that an upgrade replays what they accepted.
// Record: a 12-byte header, then the body.
//   u32 magic 0x9E0D5CA7 | u32 CRC-32C of everything after it (length and body) |
//   u32 body length |
//   body, version 2: i64 created (Unix ms) | 26 bytes event id (all zero: none) |
//         u32 length + endpoint | u32 length + target | u32 length + payload |
//         u32 length + headers | i32 last_status | u32 length + last_error | u64 sequence
//   body, version 1: the same without `u32 length + headers` (read with empty headers).
//   The sequence is last so that the CRC of everything before it can be computed before the
//   sequence is known, outside the lock.
// A segment is appended to only by the process that created it: after `open`, the first
// append starts a new segment. So a version 1 segment found at `open` is never appended to
// (no file mixes versions); it is read, acknowledged and deleted like any other.
// After the last record, a segment may hold zero bytes up to its end: space preallocated for
// records (durability::fsync_each_append; see `file_spool::write_next`) that a crash left
// unused. A record starts with its magic, never with a zero byte, so `open` tells them from
// damage; they are not part of the format's records and any version may have them.
// Acknowledgement file `seg-<same digits>.ack` (unchanged in version 2): entries of
// u64 sequence | u32 CRC-32C of those 8 bytes.

#include <webhook/detail/crc32c.hpp>
#include <webhook/spool/detail/record_fields.hpp>
#include <webhook/spool/event_id.hpp>
#include <webhook/spool/spool.hpp>

#include <boost/system/errc.hpp>
#include <boost/system/error_code.hpp>

#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace webhook::detail::spool_file {

inline constexpr char file_magic[4] = {'W', 'H', 'S', 'P'};
/// The version new segments are written as.
inline constexpr std::uint32_t file_version = 2;
/// The oldest version `open` still reads (a segment of any other version is unreadable).
inline constexpr std::uint32_t oldest_file_version = 1;
inline constexpr std::size_t file_header_size = 8;
inline constexpr std::uint32_t record_magic = 0x9E0D5CA7; // no ASCII bytes: rare in payloads
inline constexpr std::size_t record_header_size = 12;

inline constexpr bool readable_version(std::uint32_t version) noexcept {
    return version >= oldest_file_version && version <= file_version;
}

/// The body of a record of `version` whose strings are all empty.
inline constexpr std::size_t min_body_size(std::uint32_t version) noexcept {
    return 8 + 26 + 4 + 4 + 4 + (version >= 2 ? 4 : 0) + 4 + 4 + 8;
}

inline constexpr std::size_t ack_entry_size = 12;

inline void put_u32(char* p, std::uint32_t v) noexcept {
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<char>(v >> (8 * i));
}
inline void put_u64(char* p, std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<char>(v >> (8 * i));
}
inline std::uint32_t get_u32(const char* p) noexcept {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = v << 8 | static_cast<unsigned char>(p[i]);
    return v;
}
inline std::uint64_t get_u64(const char* p) noexcept {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = v << 8 | static_cast<unsigned char>(p[i]);
    return v;
}

// --- Segment files ---------------------------------------------------------------------------

/// Writes the header of a new segment (`file_header_size` bytes: magic, `file_version`).
inline void put_file_header(char* p) noexcept {
    std::memcpy(p, file_magic, 4);
    put_u32(p + 4, file_version);
}

/** The version in the segment file header at the start of `bytes`, or none when they do not
    start with one (too short, or not the magic). Whether this release reads that version is
    `readable_version`'s to say. */
inline std::optional<std::uint32_t> file_header_version(std::string_view bytes) noexcept {
    if (bytes.size() < file_header_size || std::memcmp(bytes.data(), file_magic, 4) != 0)
        return std::nullopt;
    return get_u32(bytes.data() + 4);
}

/// The name of the file of the segment whose first sequence is `first`: `seg-<16 hex
/// digits><ext>` (`ext` ".wal", ".ack" or ".wal.tmp").
inline std::string file_name(std::uint64_t first, const char* ext) {
    char name[48];
    std::snprintf(name, sizeof name, "seg-%016llx%s", static_cast<unsigned long long>(first), ext);
    return name;
}

/// The first sequence in a file name `seg-<16 hex digits><ext>`, if it is one.
inline std::optional<std::uint64_t> parse_name(std::string_view name, std::string_view ext) {
    constexpr std::string_view prefix = "seg-";
    if (name.size() != prefix.size() + 16 + ext.size() || !name.starts_with(prefix) ||
        !name.ends_with(ext))
        return std::nullopt;
    std::uint64_t v = 0;
    const char* first = name.data() + prefix.size();
    const auto [ptr, ec] = std::from_chars(first, first + 16, v, 16);
    if (ec != std::errc{} || ptr != first + 16)
        return std::nullopt;
    return v;
}

/// Whether every byte of `bytes` is zero (preallocated space, not a record).
inline bool all_zero(std::string_view bytes) noexcept {
    return bytes.find_first_not_of('\0') == std::string_view::npos;
}

// --- Records ---------------------------------------------------------------------------------

/// A record's fields, pointing into the bytes it was parsed from (`id`: the 26 bytes as
/// stored, all zero for none).
using spool_fields::record_view;

/** Serializes `r` into `out` as a record of `file_version`, with sequence 0 and without the
    CRC: `seal` adds both. `errc::value_too_large` when the body would not fit its u32
    length. */
inline boost::system::error_code encode(const spool_record& r, std::string& out) {
    constexpr std::uint64_t limit = std::numeric_limits<std::uint32_t>::max();
    const std::uint64_t body = std::uint64_t{min_body_size(file_version)} + r.endpoint.size() +
                               r.target.size() + r.payload.size() + r.headers.size() +
                               r.last_error.size();
    if (body > limit)
        return boost::system::errc::make_error_code(boost::system::errc::value_too_large);
    out.resize(record_header_size + body);
    char* p = out.data();
    put_u32(p, record_magic);
    put_u32(p + 4, 0);
    put_u32(p + 8, static_cast<std::uint32_t>(body));
    p += record_header_size;
    put_u64(p, static_cast<std::uint64_t>(spool_fields::unix_ms(r.created)));
    p += 8;
    std::memcpy(p, r.id.view().data(), event_id::size); // an empty id is all zero bytes
    p += event_id::size;
    const auto put_string = [&p](const std::string& s) {
        put_u32(p, static_cast<std::uint32_t>(s.size()));
        if (!s.empty())
            std::memcpy(p + 4, s.data(), s.size());
        p += 4 + s.size();
    };
    put_string(r.endpoint);
    put_string(r.target);
    put_string(r.payload);
    put_string(r.headers);
    put_u32(p, static_cast<std::uint32_t>(r.last_status));
    p += 4;
    put_string(r.last_error);
    put_u64(p, 0);
    return {};
}

/// The CRC of an encoded record's bytes that do not depend on the sequence.
inline std::uint32_t partial_crc(const std::string& rec) noexcept {
    return crc32c(rec.data() + 8, rec.size() - 8 - 8);
}

/// Sets the sequence of an encoded record and completes its CRC.
inline void seal(char* rec, std::size_t size, std::uint64_t sequence,
                 std::uint32_t partial) noexcept {
    put_u64(rec + size - 8, sequence);
    put_u32(rec + 4, crc32c(rec + size - 8, 8, partial));
}

/** The size of the intact record of `version` (a readable one: see `readable_version`) at the
    start of `bytes`, its fields in `v`; or 0 when there is none there (bad magic, length, CRC
    or field). A record at an offset of a buffer: `parse(bytes.substr(offset), ...)`. */
inline std::size_t parse(std::string_view bytes, std::uint32_t version, record_view& v) noexcept {
    if (bytes.size() < record_header_size || get_u32(bytes.data()) != record_magic)
        return 0;
    const std::uint32_t body = get_u32(bytes.data() + 8);
    if (body < min_body_size(version) || body > bytes.size() - record_header_size)
        return 0;
    const std::size_t size = record_header_size + body;
    if (crc32c(bytes.data() + 8, size - 8) != get_u32(bytes.data() + 4))
        return 0;
    // The CRC matched, so the fields are what was written; checked anyway so that no length
    // can lead outside the record.
    const char* p = bytes.data() + record_header_size;
    const char* const end = bytes.data() + size;
    v.created_ms = static_cast<std::int64_t>(get_u64(p));
    v.id = {p + 8, event_id::size};
    p += 8 + event_id::size;
    const auto get_string = [&p, end](std::string_view& s) {
        if (end - p < 4)
            return false;
        const std::uint32_t n = get_u32(p);
        p += 4;
        if (static_cast<std::size_t>(end - p) < n)
            return false;
        s = {p, n};
        p += n;
        return true;
    };
    if (!get_string(v.endpoint) || !get_string(v.target) || !get_string(v.payload))
        return 0;
    v.headers = {}; // version 1 has none
    if ((version >= 2 && !get_string(v.headers)) || end - p < 4)
        return 0;
    v.last_status = static_cast<std::int32_t>(get_u32(p));
    p += 4;
    if (!get_string(v.last_error) || end - p != 8)
        return 0;
    v.sequence = get_u64(p);
    if (!all_zero(v.id) && !event_id::parse(v.id))
        return 0;
    return size;
}

// --- Acknowledgement files -------------------------------------------------------------------

/// Writes the entry acknowledging `sequence` (`ack_entry_size` bytes).
inline void put_ack_entry(char* p, std::uint64_t sequence) noexcept {
    put_u64(p, sequence);
    put_u32(p + 8, crc32c(p, 8));
}

/// The sequence in the entry at the start of `bytes`, or none when it is short or its CRC does
/// not match.
inline std::optional<std::uint64_t> parse_ack_entry(std::string_view bytes) noexcept {
    if (bytes.size() < ack_entry_size || crc32c(bytes.data(), 8) != get_u32(bytes.data() + 8))
        return std::nullopt;
    return get_u64(bytes.data());
}

/// The bytes of the whole entries in an acknowledgement file of `size` bytes (a torn last
/// entry is not one).
inline constexpr std::size_t whole_ack_entries(std::size_t size) noexcept {
    return size - size % ack_entry_size;
}

} // namespace webhook::detail::spool_file

#endif
