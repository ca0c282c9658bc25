#ifndef WEBHOOK_SPOOL_IMPL_FILE_SPOOL_RECOVERY_HPP
#define WEBHOOK_SPOOL_IMPL_FILE_SPOOL_RECOVERY_HPP

// `file_spool::open`'s recovery: the directory's segment and acknowledgement files read back,
// damage told from a torn tail and from preallocated zeros. Part of impl/file_spool.hpp.

#include <webhook/spool/detail/file_io.hpp>
#include <webhook/spool/detail/journal_codec.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace webhook {

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
    if (auto ec = list_files(wals, acks))
        return ec;

    std::uint64_t highest = 0; // a file's name counts: its first sequence may have been used
    segment_list doomed;
    for (std::size_t i = 0; i < wals.size(); ++i) {
        highest = std::max(highest, wals[i]);
        ++recovery_.segments;
        segment_ptr s = scan_segment(wals[i], i + 1 == wals.size());
        if (!s)
            continue;
        if (i + 1 < wals.size())
            cut_beyond(*s, wals[i + 1]);
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

/// The first sequences of the segment files (`wals`) and of the acknowledgement files (`acks`)
/// in the directory, each sorted; a segment file never finished being created is deleted.
inline boost::system::error_code file_spool::list_files(std::vector<std::uint64_t>& wals,
                                                        std::vector<std::uint64_t>& acks) {
    namespace fs = std::filesystem;
    using detail::spool_file::parse_name;
    std::error_code sec;
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
    std::sort(acks.begin(), acks.end()); // searched by `recover`
    return {};
}

inline void file_spool::cut_beyond(segment& s, std::uint64_t next_first) {
    // A segment's records come before the next segment's first sequence: that segment was
    // created after them. A record past it (bytes made to look like one, CRC and all) would be
    // read out of order and could never be acknowledged (`ack` looks in the later segment): it
    // counts as damaged.
    const auto beyond =
        std::find_if(s.entries.begin(), s.entries.end(),
                     [&](const segment::entry& e) { return e.sequence >= next_first; });
    if (beyond == s.entries.end())
        return;
    for (auto e = beyond; e != s.entries.end(); ++e) {
        ++recovery_.corrupt_records;
        recovery_.discarded_bytes += e->size;
    }
    // Cut off (nothing after them can be read: sequences only grow in a file), so that they
    // stay discarded once the later segment is gone: an empty or settled one is deleted, and
    // they would then look in order at the next `open`.
    const std::uint64_t cut = beyond->offset;
    s.entries.erase(beyond, s.entries.end());
    if (::ftruncate(s.fd.get(), static_cast<off_t>(cut)) == 0) {
        if (options_.durability != durability::no_fsync)
            ::fdatasync(s.fd.get());
        s.end = s.reserved = s.allocated = cut;
    }
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
    const auto version = file_header_version(bytes);
    if (!version || !readable_version(*version)) {
        ::munmap(map, size);
        // Not ours, damaged, or of a later release: leave it for an operator.
        ++recovery_.unreadable_segments;
        return nullptr;
    }
    auto s = std::make_shared<segment>(first, *version);
    const std::size_t keep = scan_records(*s, bytes, last);
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

/** Finds the intact records of the segment file `bytes` (header included) into `s.entries`,
    counting what is not one in `recovery_`; returns the size to keep (the torn tail and
    preallocated zeros cut off). `last`: the newest segment, the only one with a torn tail. */
inline std::size_t file_spool::scan_records(segment& s, std::string_view bytes, bool last) {
    using namespace detail::spool_file;
    const std::size_t size = bytes.size();
    // Sequences increase within a segment; requiring it keeps a record-like byte sequence
    // inside a damaged record's payload from being taken for a record.
    std::uint64_t prev = s.first_sequence == 0 ? 0 : s.first_sequence - 1;
    record_view v;
    const auto record_at = [&](std::size_t pos) {
        const std::size_t n = parse(bytes.substr(pos), s.version, v);
        return n != 0 && v.sequence > prev ? n : 0;
    };
    std::size_t pos = file_header_size;
    std::size_t keep = size;
    while (pos < size) {
        if (const std::size_t n = record_at(pos)) {
            s.entries.push_back({v.sequence, pos, static_cast<std::uint32_t>(n), false});
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
    return keep;
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
    bytes.resize(whole_ack_entries(*got)); // a torn last entry is ignored, and cut off
    if (bytes.size() != static_cast<std::size_t>(st.st_size))
        (void)::ftruncate(fd.get(), static_cast<off_t>(bytes.size()));
    s.ack_bytes = bytes.size();
    for (std::size_t i = 0; i < bytes.size(); i += ack_entry_size) {
        const auto seq = parse_ack_entry(std::string_view(bytes).substr(i, ack_entry_size));
        if (!seq)
            continue;
        auto e = std::lower_bound(
            s.entries.begin(), s.entries.end(), *seq,
            [](const segment::entry& x, std::uint64_t v) { return x.sequence < v; });
        if (e != s.entries.end() && e->sequence == *seq)
            e->settled = true;
    }
}

} // namespace webhook

#endif
