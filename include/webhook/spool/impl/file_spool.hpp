#ifndef WEBHOOK_SPOOL_IMPL_FILE_SPOOL_HPP
#define WEBHOOK_SPOOL_IMPL_FILE_SPOOL_HPP

// `file_spool`: its state, appending (write_next), acknowledging and reading. Opening and
// recovery are in file_spool_recovery.hpp; the on-disk format in detail/journal_codec.hpp.

#include <webhook/error.hpp>
#include <webhook/spool/detail/file_io.hpp>
#include <webhook/spool/detail/journal_codec.hpp>
#include <webhook/spool/detail/record_fields.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace webhook {

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
    return dir_ / detail::spool_file::file_name(first, ext);
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
    const auto g = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    segment& s = *g->seg;
    const std::uint64_t start = s.end; // this writer is the only one changing it
    const std::uint64_t end = start + g->bytes.size();
    const std::uint64_t zeros_to = zeros_target(s, end);
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
    bool synced = false;
    const auto ec = write_group(s, *g, start, zeros_to, allocated, synced);

    lk.lock();
    fsyncs_ += synced ? 1 : 0;
    if (left)
        left->allocated = left_end;
    s.allocated = allocated;
    finish_group(g, start, end, ec, doomed);
}

inline std::uint64_t file_spool::zeros_target(const segment& s, std::uint64_t end) const {
    // A file that grows makes its `fdatasync` write the inode too (the size, new blocks): a
    // second disk write before the cache flush, which cost about as much as the records'
    // (one producer: 3 requests a sync instead of 2, ~25% of the append). So with a sync per
    // append the file is extended with zeros ahead of the records, written and synced with
    // the group that reaches beyond them; the groups after it then change no metadata.
    // (`fallocate` would leave unwritten extents, whose conversion at the first write into
    // each block is again a metadata change.) The file stays within `segment_bytes`, and all
    // files within `max_bytes`.
    if (options_.durability != durability::fsync_each_append || options_.preallocate_bytes == 0 ||
        s.preallocation_failed || end <= s.allocated)
        return 0;
    const std::uint64_t others = total_bytes_ - s.reserved; // the other segments' files
    const std::uint64_t budget = options_.max_bytes > others ? options_.max_bytes - others : 0;
    const std::uint64_t limit = std::min<std::uint64_t>(options_.segment_bytes, budget);
    const std::uint64_t zeros_to = std::min<std::uint64_t>(end + options_.preallocate_bytes, limit);
    return zeros_to > end ? zeros_to : 0;
}

inline boost::system::error_code file_spool::write_group(segment& s, const group& g,
                                                         std::uint64_t start,
                                                         std::uint64_t zeros_to,
                                                         std::uint64_t& allocated, bool& synced) {
    using namespace detail::spool_file;
    const std::uint64_t end = start + g.bytes.size();
    const bool sync = options_.durability == durability::fsync_each_append;
    if (!s.fd) {
        if (auto ec = create_file(s, std::exchange(zeros_to, 0), allocated)) {
            allocated = 0; // no file: the next group creates it
            return ec;
        }
    }
    auto ec = pwrite_all(s.fd.get(), g.bytes.data(), g.bytes.size(), start);
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
    return ec;
}

inline void file_spool::finish_group(const std::shared_ptr<group>& g, std::uint64_t start,
                                     std::uint64_t end, boost::system::error_code ec,
                                     segment_list& doomed) {
    segment& s = *g->seg;
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
    put_file_header(header);
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
        put_ack_entry(entry, sequence);
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
            detail::spool_fields::assign(v, out[n++]);
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

#include <webhook/spool/impl/file_spool_recovery.hpp>

#endif
