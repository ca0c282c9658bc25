#ifndef WEBHOOK_IMPL_FILE_SPOOL_HPP
#define WEBHOOK_IMPL_FILE_SPOOL_HPP

#include <webhook/detail/crc32c.hpp>
#include <webhook/error.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace webhook {

// The on-disk format. All integers are little-endian.
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
// records (durability::fsync_each_append; see `write_next`) that a crash left unused. A record
// starts with its magic, never with a zero byte, so `open` tells them from damage; they are
// not part of the format's records and any version may have them.
// Acknowledgement file `seg-<same digits>.ack` (unchanged in version 2): entries of
// u64 sequence | u32 CRC-32C of those 8 bytes.
namespace detail::spool_file {

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

/// A record's fields, pointing into the bytes it was parsed from.
struct record_view {
    std::uint64_t sequence = 0;
    std::int64_t created_ms = 0;
    std::string_view id, endpoint, target, payload, headers, last_error;
    std::int32_t last_status = 0;
};

/** Serializes `r` into `out` as a record of `file_version`, with sequence 0 and without the
    CRC: `seal` adds both. */
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
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(r.created.time_since_epoch());
    put_u64(p, static_cast<std::uint64_t>(ms.count()));
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
    or field). */
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
    if (v.id.find_first_not_of('\0') != std::string_view::npos && !event_id::parse(v.id))
        return 0;
    return size;
}

/// Copies `v` into `r`, reusing `r`'s strings.
inline void assign(const record_view& v, spool_record& r) {
    using std::chrono::milliseconds;
    using clock = std::chrono::system_clock;
    // Clamped so that a far-away time cannot overflow the clock's finer representation.
    constexpr auto lo = std::chrono::ceil<milliseconds>(clock::duration::min()).count();
    constexpr auto hi = std::chrono::floor<milliseconds>(clock::duration::max()).count();
    r.sequence = v.sequence;
    r.created = clock::time_point(milliseconds(std::clamp(v.created_ms, lo, hi)));
    r.id = event_id::parse(v.id).value_or(event_id{});
    r.endpoint.assign(v.endpoint);
    r.target.assign(v.target);
    r.payload.assign(v.payload);
    r.headers.assign(v.headers);
    r.last_status = v.last_status;
    r.last_error.assign(v.last_error);
}

inline boost::system::error_code errno_code(int e = errno) noexcept {
    return {e, boost::system::system_category()};
}

/// Owns a file descriptor.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~unique_fd() { reset(); }
    void reset() noexcept {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }
    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

private:
    int fd_ = -1;
};

/// Writes all of `size` bytes at `offset`; a short write is retried, so it ends in an error.
inline boost::system::error_code pwrite_all(int fd, const char* data, std::size_t size,
                                            std::uint64_t offset) noexcept {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return errno_code(n < 0 ? errno : EIO);
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return {};
}

/// Writes zeros over [from, to).
inline boost::system::error_code write_zeros(int fd, std::uint64_t from,
                                             std::uint64_t to) noexcept {
    static const char zeros[64 * 1024] = {};
    for (; from < to;) {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizeof zeros, to - from));
        if (auto ec = pwrite_all(fd, zeros, n, from))
            return ec;
        from += n;
    }
    return {};
}

/// Whether every byte of `bytes` is zero.
inline bool all_zero(std::string_view bytes) noexcept {
    return bytes.find_first_not_of('\0') == std::string_view::npos;
}

/// Reads up to `size` bytes at `offset`; fewer only at the end of the file.
inline boost::system::result<std::size_t> pread_all(int fd, char* data, std::size_t size,
                                                    std::uint64_t offset) noexcept {
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::pread(fd, data + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno_code();
        if (n == 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    return done;
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

} // namespace detail::spool_file

struct file_spool::segment {
    struct entry {
        std::uint64_t sequence;
        std::uint64_t offset;
        std::uint32_t size; // header included
        bool settled;       // acknowledged, or found damaged by `read`
    };

    segment(std::uint64_t first, std::uint32_t format_version)
        : first_sequence(first), version(format_version) {}

    const std::uint64_t first_sequence;
    const std::uint32_t version; // of the file format: its records' layout
    // Set once, by the writer that creates the file (or by `open`); used after that only by
    // those who learned of the segment's records under `mu_`, hence without the lock.
    detail::spool_file::unique_fd fd;
    // The rest under `mu_`.
    detail::spool_file::unique_fd ack_fd; // opened at the first ack
    std::vector<entry> entries;           // the written records, in sequence order
    std::size_t first_live = 0;           // entries before it are all settled
    std::uint64_t end = 0;                // header and written records: where the next go
    std::uint64_t reserved = 0;           // `end` and the bytes queued to be written here
    // The file's size when it was extended with zeros beyond `end` (else at most `end`);
    // changed only by the writing thread.
    std::uint64_t allocated = 0;
    bool preallocation_failed = false; // not tried again in this file (writing thread only)
    std::uint64_t ack_bytes = 0;
    std::size_t unsettled = 0; // queued or written, and neither acknowledged nor failed
    bool dirty = false;        // in `dirty_`
};

/// Appends written together: one write and at most one sync.
struct file_spool::group {
    struct item {
        std::uint64_t sequence;
        std::uint64_t offset; // in `bytes`
        std::uint32_t size;
    };
    segment_ptr seg;
    std::string bytes;
    std::vector<item> items;
    boost::system::error_code error;
    bool done = false;
};

/// A record `read` fetches.
struct file_spool::planned {
    segment_ptr seg;
    std::size_t index; // in seg->entries
    std::uint64_t sequence;
    std::uint64_t offset;
    std::uint32_t size;
    std::uint64_t end; // the segment's written size then: reading ahead stops there
};

inline file_spool::file_spool(std::filesystem::path dir, file_spool_options options)
    : dir_(std::move(dir)), options_(options) {}

inline boost::system::result<std::shared_ptr<file_spool>>
file_spool::open(const std::filesystem::path& dir, file_spool_options options) {
    // A zero interval would make the sync thread spin.
    options.sync_interval = std::max(options.sync_interval, std::chrono::milliseconds(1));
    std::shared_ptr<file_spool> s(new file_spool(dir, options));
    if (auto ec = s->recover())
        return ec;
    if (options.durability == durability::fsync_interval)
        s->syncer_ = std::thread([p = s.get()] { p->sync_loop(); });
    return s;
}

inline file_spool::~file_spool() {
    std::unique_lock lk(mu_);
    stop_ = true;
    lk.unlock();
    stop_cv_.notify_all();
    if (syncer_.joinable())
        syncer_.join();
    lk.lock();
    if (options_.durability == durability::fsync_interval)
        sync_dirty(lk);
    lk.unlock();
    // The zeros preallocated after the last records: not needed by anyone after this.
    if (last_written_ && last_written_->fd && last_written_->allocated > last_written_->end)
        (void)::ftruncate(last_written_->fd.get(), static_cast<off_t>(last_written_->end));
    if (dir_fd_ >= 0)
        ::close(dir_fd_);
}

inline std::filesystem::path file_spool::path_of(std::uint64_t first, const char* ext) const {
    char name[48];
    std::snprintf(name, sizeof name, "seg-%016llx%s", static_cast<unsigned long long>(first), ext);
    return dir_ / name;
}

inline boost::system::error_code file_spool::recover() {
    namespace fs = std::filesystem;
    using namespace detail::spool_file;
    std::error_code sec;
    fs::create_directories(dir_, sec);
    if (sec)
        return {sec.value(), boost::system::system_category()};
    dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0)
        return errno_code();
    // Two spools appending to one directory would corrupt each other's segments.
    if (::flock(dir_fd_, LOCK_EX | LOCK_NB) != 0)
        return errno_code();

    std::vector<std::uint64_t> wals;
    std::vector<std::uint64_t> acks;
    fs::directory_iterator it(dir_, sec);
    for (; !sec && it != fs::directory_iterator(); it.increment(sec)) {
        const std::string name = it->path().filename().string();
        if (auto first = parse_name(name, ".wal"))
            wals.push_back(*first);
        else if (auto first = parse_name(name, ".ack"))
            acks.push_back(*first);
        else if (parse_name(name, ".wal.tmp")) // a segment never finished being created
            ::unlink(it->path().c_str());
    }
    if (sec)
        return {sec.value(), boost::system::system_category()};
    std::sort(wals.begin(), wals.end());
    std::sort(acks.begin(), acks.end()); // searched below

    std::uint64_t highest = 0; // a file's name counts: its first sequence may have been used
    segment_list doomed;
    for (std::size_t i = 0; i < wals.size(); ++i) {
        highest = std::max(highest, wals[i]);
        ++recovery_.segments;
        segment_ptr s = scan_segment(wals[i], i + 1 == wals.size());
        if (!s)
            continue;
        if (i + 1 < wals.size()) {
            // A segment's records come before the next segment's first sequence: that segment
            // was created after them. A record past it (bytes made to look like one, CRC and
            // all) would be read out of order and could never be acknowledged (`ack` looks in
            // the later segment): it counts as damaged.
            const auto beyond =
                std::find_if(s->entries.begin(), s->entries.end(),
                             [&](const segment::entry& e) { return e.sequence >= wals[i + 1]; });
            if (beyond != s->entries.end()) {
                for (auto e = beyond; e != s->entries.end(); ++e) {
                    ++recovery_.corrupt_records;
                    recovery_.discarded_bytes += e->size;
                }
                // Cut off (nothing after them can be read: sequences only grow in a file), so
                // that they stay discarded once the later segment is gone: an empty or settled
                // one is deleted, and they would then look in order at the next `open`.
                const std::uint64_t cut = beyond->offset;
                s->entries.erase(beyond, s->entries.end());
                if (::ftruncate(s->fd.get(), static_cast<off_t>(cut)) == 0) {
                    if (options_.durability != durability::no_fsync)
                        ::fdatasync(s->fd.get());
                    s->end = s->reserved = s->allocated = cut;
                }
            }
        }
        if (!s->entries.empty())
            highest = std::max(highest, s->entries.back().sequence);
        if (std::binary_search(acks.begin(), acks.end(), s->first_sequence))
            apply_acks(*s);
        for (const auto& e : s->entries)
            ++(e.settled ? recovery_.acknowledged : recovery_.records);
        s->unsettled = static_cast<std::size_t>(std::count_if(s->entries.begin(), s->entries.end(),
                                                              [](auto& e) { return !e.settled; }));
        unacked_ += s->unsettled;
        total_bytes_ += s->reserved;
        segments_.push_back(s);
    }
    // Nothing left to deliver in these; new appends go to a new segment. The newest stays
    // until then: its name keeps the sequence numbers from starting over.
    for (const auto& s : segment_list(segments_))
        if (s->unsettled == 0 && s != segments_.back())
            doom(s, doomed);
    // Acknowledgements whose segment is gone (a crash between deleting the two files).
    for (std::uint64_t first : acks)
        if (!std::binary_search(wals.begin(), wals.end(), first))
            ::unlink(path_of(first, ".ack").c_str());
    reap(doomed);
    next_sequence_ = highest + 1;
    return {};
}

inline file_spool::segment_ptr file_spool::scan_segment(std::uint64_t first, bool last) {
    using namespace detail::spool_file;
    const auto path = path_of(first, ".wal");
    unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
        ++recovery_.unreadable_segments;
        return nullptr;
    }
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) { // created without its header reaching the disk: holds nothing
        auto s = std::make_shared<segment>(first, file_version);
        s->fd = std::move(fd);
        return s;
    }
    void* map = size < file_header_size
                    ? MAP_FAILED
                    : ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
    if (map == MAP_FAILED) {
        ++recovery_.unreadable_segments;
        return nullptr;
    }
    const std::string_view bytes(static_cast<const char*>(map), size);
    const std::uint32_t version = get_u32(bytes.data() + 4);
    if (std::memcmp(bytes.data(), file_magic, 4) != 0 || !readable_version(version)) {
        ::munmap(map, size);
        // Not ours, damaged, or of a later release: leave it for an operator.
        ++recovery_.unreadable_segments;
        return nullptr;
    }
    auto s = std::make_shared<segment>(first, version);

    // Sequences increase within a segment; requiring it keeps a record-like byte sequence
    // inside a damaged record's payload from being taken for a record.
    std::uint64_t prev = first == 0 ? 0 : first - 1;
    record_view v;
    const auto record_at = [&](std::size_t pos) {
        const std::size_t n = parse(bytes.substr(pos), version, v);
        return n != 0 && v.sequence > prev ? n : 0;
    };
    std::size_t pos = file_header_size;
    std::size_t keep = size;
    while (pos < size) {
        if (const std::size_t n = record_at(pos)) {
            s->entries.push_back({v.sequence, pos, static_cast<std::uint32_t>(n), false});
            prev = v.sequence;
            pos += n;
            continue;
        }
        // Only zeros after the last record: space preallocated for records that did not come
        // (see `write_next`), not damage. (Zeros after a torn write are part of the torn tail.)
        if (all_zero(bytes.substr(pos))) {
            recovery_.preallocated_bytes += size - pos;
            keep = pos;
            break;
        }
        // Damaged: resynchronize at the next position where an intact record starts.
        const char magic0 = static_cast<char>(record_magic & 0xFF);
        std::size_t next = pos + 1;
        for (; next < size; ++next) {
            const void* hit = std::memchr(bytes.data() + next, magic0, size - next);
            next =
                hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - bytes.data()) : size;
            if (next == size || record_at(next))
                break;
        }
        recovery_.discarded_bytes += next - pos;
        if (next == size && last) { // the write a crash interrupted
            recovery_.torn_tail_bytes += next - pos;
            keep = pos;
        } else {
            ++recovery_.corrupt_records;
        }
        pos = next;
    }
    ::munmap(map, size);
    if (keep < size) {
        // Cut, so that new bytes never follow the damage (they go to a new segment anyway),
        // and to give back preallocated space.
        if (::ftruncate(fd.get(), static_cast<off_t>(keep)) == 0 &&
            options_.durability != durability::no_fsync)
            ::fdatasync(fd.get());
    }
    s->fd = std::move(fd);
    s->end = s->reserved = s->allocated = keep;
    return s;
}

inline void file_spool::apply_acks(segment& s) {
    using namespace detail::spool_file;
    const auto path = path_of(s.first_sequence, ".ack");
    unique_fd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0)
        return; // lost acknowledgements only mean deliveries again
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    const auto got = pread_all(fd.get(), bytes.data(), bytes.size(), 0);
    if (!got)
        return;
    bytes.resize(*got - *got % ack_entry_size); // a torn last entry is ignored, and cut off
    if (bytes.size() != static_cast<std::size_t>(st.st_size))
        (void)::ftruncate(fd.get(), static_cast<off_t>(bytes.size()));
    s.ack_bytes = bytes.size();
    for (std::size_t i = 0; i < bytes.size(); i += ack_entry_size) {
        const char* p = bytes.data() + i;
        if (detail::crc32c(p, 8) != get_u32(p + 8))
            continue;
        const std::uint64_t seq = get_u64(p);
        auto e = std::lower_bound(
            s.entries.begin(), s.entries.end(), seq,
            [](const segment::entry& x, std::uint64_t v) { return x.sequence < v; });
        if (e != s.entries.end() && e->sequence == seq)
            e->settled = true;
    }
}

inline boost::system::result<std::uint64_t> file_spool::append(const spool_record& r) {
    using namespace detail::spool_file;
    // Serialized and checksummed before taking the lock; only the sequence is left.
    std::string rec;
    if (auto ec = encode(r, rec))
        return ec;
    const std::uint32_t partial = partial_crc(rec);

    segment_list doomed;
    std::unique_lock lk(mu_);
    // Every sequence number is used up: only a journal naming 2^64 - 1 (in a file name or a
    // record) gets here. Wrapping to 0 would put new records before the old ones.
    if (next_sequence_ == 0)
        return error::spool_full;
    // Whether the record fits, counting the space freed when a segment holding nothing
    // unacknowledged is left (and so deleted).
    const auto fits = [&](bool roll) {
        const std::uint64_t need = rec.size() + (roll ? file_header_size : 0);
        const std::uint64_t freed = roll && !segments_.empty() && segments_.back()->unsettled == 0
                                        ? segments_.back()->reserved
                                        : 0;
        return need <= options_.max_bytes && total_bytes_ - freed <= options_.max_bytes - need;
    };
    bool roll = !active_ || (active_->reserved > file_header_size &&
                             active_->reserved + rec.size() > options_.segment_bytes);
    if (!fits(roll)) {
        // A full segment whose records are all acknowledged is left early, to free it.
        if (roll || !fits(true))
            return error::spool_full;
        roll = true;
    }
    if (roll) {
        const segment_ptr newest = segments_.empty() ? nullptr : segments_.back();
        active_ = std::make_shared<segment>(next_sequence_, file_version);
        active_->end = active_->reserved = file_header_size; // the file is created when written
        total_bytes_ += file_header_size;
        segments_.push_back(active_);
        // Its files go once this append's group is done, so normally after the new file
        // exists (see `settle`).
        if (newest && newest->unsettled == 0)
            doom(newest, doomed);
    }
    const std::uint64_t seq = next_sequence_++;
    if (queue_.empty() || queue_.back()->seg != active_) {
        queue_.push_back(std::make_shared<group>());
        queue_.back()->seg = active_;
    }
    const auto g = queue_.back();
    g->items.push_back({seq, g->bytes.size(), static_cast<std::uint32_t>(rec.size())});
    seal(rec.data(), rec.size(), seq, partial);
    g->bytes += rec;
    active_->reserved += rec.size();
    total_bytes_ += rec.size();
    ++active_->unsettled;

    // Leader/follower: whoever finds no writer writes the oldest group, while the others
    // wait; a group's appends all return together.
    while (!g->done) {
        if (!writing_)
            write_next(lk, doomed);
        else
            written_.wait(lk);
    }
    lk.unlock();
    reap(doomed);
    if (g->error)
        return g->error;
    return seq;
}

inline void file_spool::write_next(std::unique_lock<std::mutex>& lk, segment_list& doomed) {
    using namespace detail::spool_file;
    const auto g = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    segment& s = *g->seg;
    const std::uint64_t start = s.end; // this writer is the only one changing it
    const std::uint64_t end = start + g->bytes.size();
    const bool sync = options_.durability == durability::fsync_each_append;
    // A file that grows makes its `fdatasync` write the inode too (the size, new blocks): a
    // second disk write before the cache flush, which cost about as much as the records'
    // (one producer: 3 requests a sync instead of 2, ~25% of the append). So with a sync per
    // append the file is extended with zeros ahead of the records, written and synced with
    // the group that reaches beyond them; the groups after it then change no metadata.
    // (`fallocate` would leave unwritten extents, whose conversion at the first write into
    // each block is again a metadata change.) The file stays within `segment_bytes`, and all
    // files within `max_bytes`.
    std::uint64_t zeros_to = 0;
    if (sync && options_.preallocate_bytes > 0 && !s.preallocation_failed && end > s.allocated) {
        const std::uint64_t others = total_bytes_ - s.reserved; // the other segments' files
        const std::uint64_t budget = options_.max_bytes > others ? options_.max_bytes - others : 0;
        const std::uint64_t limit = std::min<std::uint64_t>(options_.segment_bytes, budget);
        zeros_to = std::min<std::uint64_t>(end + options_.preallocate_bytes, limit);
        if (zeros_to <= end)
            zeros_to = 0;
    }
    // The segment written before, if this group starts another: its zeros are cut off.
    segment_ptr left;
    std::uint64_t left_end = 0;
    if (last_written_ != g->seg) {
        left = std::exchange(last_written_, g->seg);
        if (left && left->fd && left->allocated > left->end)
            left_end = left->end;
        else
            left.reset();
    }
    std::uint64_t allocated = s.allocated;
    lk.unlock();

    if (left)
        (void)::ftruncate(left->fd.get(), static_cast<off_t>(left_end)); // only space is lost
    boost::system::error_code ec;
    if (!s.fd) {
        ec = create_file(s, std::exchange(zeros_to, 0), allocated);
        if (ec)
            allocated = 0; // no file: the next group creates it
    }
    bool synced = false;
    if (!ec) {
        ec = pwrite_all(s.fd.get(), g->bytes.data(), g->bytes.size(), start);
        allocated = std::max(allocated, end);
        if (!ec && zeros_to > end) {
            if (!write_zeros(s.fd.get(), end, zeros_to)) {
                allocated = zeros_to;
            } else {
                // Full disk (or the like): the records are written; the zeros are only an
                // optimization, cut off and not tried again in this file.
                s.preallocation_failed = true;
                (void)::ftruncate(s.fd.get(), static_cast<off_t>(end));
            }
        }
        if (!ec && sync) {
            synced = true;
            if (::fdatasync(s.fd.get()) != 0)
                ec = errno_code();
        }
        if (ec) {
            // Nothing refused may be replayed: cut the file back to where this group began.
            if (::ftruncate(s.fd.get(), static_cast<off_t>(start)) == 0 && sync)
                ::fdatasync(s.fd.get());
            allocated = start;
        }
    }

    lk.lock();
    fsyncs_ += synced ? 1 : 0;
    if (left)
        left->allocated = left_end;
    s.allocated = allocated;
    if (!ec) {
        for (const auto& i : g->items)
            s.entries.push_back({i.sequence, start + i.offset, i.size, false});
        s.end = end;
        appends_ += g->items.size();
        unacked_ += g->items.size();
        if (options_.durability == durability::fsync_interval && !s.dirty) {
            s.dirty = true;
            dirty_.push_back(g->seg);
        }
    } else {
        s.reserved -= g->bytes.size();
        total_bytes_ -= g->bytes.size();
        s.unsettled -= g->items.size();
        if (g->seg != segments_.back() && s.unsettled == 0)
            doom(g->seg, doomed);
    }
    g->error = ec;
    g->done = true;
    writing_ = false;
    written_.notify_all();
}

inline boost::system::error_code file_spool::create_file(segment& s, std::uint64_t zeros_to,
                                                         std::uint64_t& allocated) {
    using namespace detail::spool_file;
    // Written under a temporary name and renamed: a segment file always has its header.
    const auto tmp = path_of(s.first_sequence, ".wal.tmp");
    unique_fd fd(::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd)
        return errno_code();
    char header[file_header_size];
    std::memcpy(header, file_magic, 4);
    put_u32(header + 4, file_version);
    const bool sync = options_.durability != durability::no_fsync;
    auto ec = pwrite_all(fd.get(), header, sizeof header, 0);
    allocated = file_header_size;
    // The first preallocation goes with the header's sync (see `write_next`).
    if (!ec && zeros_to > file_header_size) {
        if (!write_zeros(fd.get(), file_header_size, zeros_to)) {
            allocated = zeros_to;
        } else {
            s.preallocation_failed = true;
            (void)::ftruncate(fd.get(), static_cast<off_t>(file_header_size));
        }
    }
    if (!ec && sync && ::fdatasync(fd.get()) != 0)
        ec = errno_code();
    if (!ec && ::rename(tmp.c_str(), path_of(s.first_sequence, ".wal").c_str()) != 0)
        ec = errno_code();
    if (ec) {
        ::unlink(tmp.c_str());
        return ec;
    }
    if (sync && ::fsync(dir_fd_) != 0)
        return errno_code(); // the file stays; an empty segment is harmless
    s.fd = std::move(fd);
    return {};
}

inline file_spool::segment_list::iterator file_spool::find_segment(std::uint64_t sequence) {
    // The last segment whose first sequence is at most `sequence`, or end().
    auto it = std::upper_bound(
        segments_.begin(), segments_.end(), sequence,
        [](std::uint64_t v, const segment_ptr& s) { return v < s->first_sequence; });
    return it == segments_.begin() ? segments_.end() : std::prev(it);
}

inline boost::system::error_code file_spool::ack(std::uint64_t sequence) {
    using namespace detail::spool_file;
    segment_list doomed;
    boost::system::error_code ec;
    {
        std::lock_guard lk(mu_);
        const auto it = find_segment(sequence);
        if (it == segments_.end())
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        const segment_ptr s = *it; // a copy: `settle` may remove it from the list
        auto e = std::lower_bound(
            s->entries.begin(), s->entries.end(), sequence,
            [](const segment::entry& x, std::uint64_t v) { return x.sequence < v; });
        if (e == s->entries.end() || e->sequence != sequence)
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        if (e->settled)
            return {};
        // Appended without a sync: see the class documentation.
        if (!s->ack_fd)
            s->ack_fd = unique_fd(::open(path_of(s->first_sequence, ".ack").c_str(),
                                         O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
        char entry[ack_entry_size];
        put_u64(entry, sequence);
        put_u32(entry + 8, detail::crc32c(entry, 8));
        const ssize_t w = s->ack_fd ? ::write(s->ack_fd.get(), entry, sizeof entry) : -1;
        if (w == static_cast<ssize_t>(sizeof entry)) {
            s->ack_bytes += sizeof entry;
        } else {
            ec = errno_code(w < 0 ? errno : ENOSPC);
            // A partial entry would misalign every later one.
            if (w > 0)
                (void)::ftruncate(s->ack_fd.get(), static_cast<off_t>(s->ack_bytes));
        }
        ++acks_;
        settle(*s, static_cast<std::size_t>(e - s->entries.begin()), doomed);
    }
    reap(doomed);
    return ec;
}

inline void file_spool::settle(segment& s, std::size_t index, segment_list& doomed) {
    s.entries[index].settled = true;
    --s.unsettled;
    --unacked_;
    // The newest segment is kept even when settled: it is appended to, or (after `open`) its
    // name holds the highest sequence number, so that they never start over.
    if (s.unsettled == 0 && segments_.back().get() != &s) {
        const auto it = find_segment(s.first_sequence);
        doom(*it, doomed);
    }
}

inline void file_spool::doom(segment_ptr s, segment_list& doomed) {
    // Off the list at once; the files are deleted by `reap`, outside the lock. `s` is a copy:
    // a reference into the list would name the next segment once this one is erased.
    total_bytes_ -= s->reserved;
    segments_.erase(std::find(segments_.begin(), segments_.end(), s));
    doomed.push_back(s);
}

inline void file_spool::reap(segment_list& doomed) {
    if (doomed.empty())
        return;
    // The segment before its acknowledgements: a crash in between must not bring back
    // records whose acknowledgements are gone.
    for (const auto& s : doomed) {
        ::unlink(path_of(s->first_sequence, ".wal").c_str());
        ::unlink(path_of(s->first_sequence, ".ack").c_str());
    }
    if (options_.durability != durability::no_fsync)
        ::fsync(dir_fd_);
    doomed.clear(); // closes the files, unless a `read` still uses one
}

inline boost::system::error_code file_spool::read(std::uint64_t from, std::size_t max,
                                                  std::vector<spool_record>& out) {
    using namespace detail::spool_file;
    std::lock_guard rl(read_mu_);
    std::size_t n = 0;
    boost::system::error_code ec;
    segment_list doomed;
    while (n < max && !ec) {
        // Choose the records under the lock (a binary search, then a walk over unsettled
        // entries), read them without it.
        plan_.clear();
        {
            std::lock_guard lk(mu_);
            auto it = find_segment(from);
            if (it == segments_.end())
                it = segments_.begin(); // `from` is before every stored record
            for (; it != segments_.end() && plan_.size() < max - n; ++it) {
                segment& s = **it;
                while (s.first_live < s.entries.size() && s.entries[s.first_live].settled)
                    ++s.first_live;
                auto e = std::lower_bound(
                    s.entries.begin() + static_cast<std::ptrdiff_t>(s.first_live), s.entries.end(),
                    from, [](const segment::entry& x, std::uint64_t v) { return x.sequence < v; });
                for (; e != s.entries.end() && plan_.size() < max - n; ++e)
                    if (!e->settled)
                        plan_.push_back({*it, static_cast<std::size_t>(e - s.entries.begin()),
                                         e->sequence, e->offset, e->size, s.end});
            }
        }
        if (plan_.empty())
            break;

        // Read ahead in chunks, so that consecutive small records cost one pread.
        constexpr std::size_t chunk_size = 64 * 1024;
        const segment* chunk_seg = nullptr;
        std::uint64_t chunk_offset = 0;
        std::size_t damaged = 0;
        for (const planned& p : plan_) {
            if (p.seg.get() != chunk_seg || p.offset < chunk_offset ||
                p.offset + p.size > chunk_offset + chunk_.size()) {
                const std::size_t want = std::max<std::size_t>(
                    p.size, std::min<std::uint64_t>(chunk_size, p.end - p.offset));
                chunk_.resize(want);
                const auto got = pread_all(p.seg->fd.get(), chunk_.data(), want, p.offset);
                if (!got) {
                    ec = got.error();
                    break;
                }
                chunk_.resize(*got);
                chunk_seg = p.seg.get();
                chunk_offset = p.offset;
            }
            const std::size_t at = static_cast<std::size_t>(p.offset - chunk_offset);
            record_view v;
            if (at + p.size > chunk_.size() ||
                parse(std::string_view(chunk_).substr(at, p.size), p.seg->version, v) != p.size) {
                // Damaged since `open` (or the file was cut): it cannot be delivered; skip it
                // for good rather than fail every read from here on.
                std::lock_guard lk(mu_);
                if (!p.seg->entries[p.index].settled) {
                    ++damaged_reads_;
                    settle(*p.seg, p.index, doomed);
                }
                ++damaged;
                continue;
            }
            if (n == out.size())
                out.emplace_back();
            assign(v, out[n++]);
        }
        from = plan_.back().sequence + 1;
        if (damaged == 0)
            break; // got all the plan had; a shorter plan means there were no more
    }
    plan_.clear(); // lets deleted segments' files close
    out.resize(n);
    reap(doomed);
    return ec;
}

inline file_spool_stats file_spool::stats() const {
    std::lock_guard lk(mu_);
    file_spool_stats st;
    st.appends = appends_;
    st.fsyncs = fsyncs_;
    st.acks = acks_;
    st.damaged_reads = damaged_reads_;
    for (const auto& s : segments_)
        st.bytes_on_disk += std::max(s->end, s->allocated) + s->ack_bytes;
    st.segments = segments_.size();
    st.unacked = unacked_;
    return st;
}

inline void file_spool::sync_loop() {
    std::unique_lock lk(mu_);
    while (!stop_) {
        stop_cv_.wait_for(lk, options_.sync_interval, [this] { return stop_; });
        sync_dirty(lk);
    }
}

inline void file_spool::sync_dirty(std::unique_lock<std::mutex>& lk) {
    if (dirty_.empty())
        return;
    segment_list batch = std::move(dirty_);
    dirty_.clear();
    for (const auto& s : batch)
        s->dirty = false; // written again from here on: synced again next time
    lk.unlock();
    std::uint64_t synced = 0;
    for (const auto& s : batch)
        synced += ::fdatasync(s->fd.get()) == 0 ? 1 : 0;
    lk.lock();
    fsyncs_ += synced;
}

} // namespace webhook

#endif
