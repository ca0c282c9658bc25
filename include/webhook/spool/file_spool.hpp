#ifndef WEBHOOK_SPOOL_FILE_SPOOL_HPP
#define WEBHOOK_SPOOL_FILE_SPOOL_HPP

#include <webhook/spool/spool.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace webhook {

/** When `file_spool::append` calls `fdatasync`, and so what a successful append promises. */
enum class durability {
    /// Every append is on disk when it returns; appends from many threads share one
    /// `fdatasync` (group commit). Survives power loss.
    fsync_each_append,
    /// Appends return once written to the file (survives the process being killed); a
    /// background thread syncs every `sync_interval`, so power loss loses at most that much.
    fsync_interval,
    /// Appends return once written to the file; the OS decides when it reaches the disk.
    no_fsync,
};

/** How a `file_spool` behaves. */
struct file_spool_options {
    webhook::durability durability = durability::fsync_each_append;
    /// For `durability::fsync_interval`: how often unsynced data is synced.
    std::chrono::milliseconds sync_interval{100};
    /// A new segment file starts once the current one would grow beyond this. A larger record
    /// still goes in, alone in its own segment.
    std::size_t segment_bytes = 16 * 1024 * 1024;
    /// The most bytes all segment files may hold together; an append beyond it fails with
    /// `error::spool_full` and writes nothing.
    std::uint64_t max_bytes = 1024ull * 1024 * 1024;
    /// For `durability::fsync_each_append`: the segment file being appended to is extended
    /// with zeros this far ahead of its records (within `segment_bytes` and `max_bytes`), so
    /// that the `fdatasync` of an append writes the records and no change of the file's size:
    /// one disk write and a cache flush instead of two writes and a flush. The zeros are
    /// written (not `fallocate`d) and synced with the append that extends the file, once per
    /// this many bytes; the zeros left at the end are cut off when the segment is left, when
    /// the spool closes, or by `open` after a crash. 0: files grow with every append.
    std::size_t preallocate_bytes = 1024 * 1024;
};

/** What `file_spool::open` found in the directory. */
struct recovery_report {
    /// Segment files scanned.
    std::size_t segments = 0;
    /// Intact records not yet acknowledged: `read` returns them.
    std::size_t records = 0;
    /// Intact records already acknowledged (skipped).
    std::size_t acknowledged = 0;
    /// Damaged regions skipped inside segments, the torn tail not included. Each is at least
    /// one lost record.
    std::size_t corrupt_records = 0;
    /// Bytes of the damaged regions and of the torn tail.
    std::uint64_t discarded_bytes = 0;
    /// Of those, the bytes cut from the end of the last segment (a write the process did not
    /// finish, and any preallocated zeros after it); the file is truncated there.
    std::uint64_t torn_tail_bytes = 0;
    /// Zero bytes found after the last record of a segment, where no torn write precedes
    /// them: space preallocated for records that never came (the process stopped first; see
    /// `file_spool_options::preallocate_bytes`). Not damage; cut off like a torn tail.
    std::uint64_t preallocated_bytes = 0;
    /// Segment files whose file header is not one this release reads (another program's
    /// file, a damaged header, or a later release's format version). They are left untouched
    /// (and unread) for an operator to look at.
    std::size_t unreadable_segments = 0;
};

/** Counters of a `file_spool` since it was opened. */
struct file_spool_stats {
    /// Successful appends.
    std::uint64_t appends = 0;
    /// `fdatasync` calls that made appended records durable (not counting those made when a
    /// segment file is created).
    std::uint64_t fsyncs = 0;
    /// Successful acknowledgements (a repeated one not counted).
    std::uint64_t acks = 0;
    /// Records that `read` found damaged on disk after `open`; they are skipped as if settled.
    std::uint64_t damaged_reads = 0;
    /// The segment and acknowledgement files' bytes, preallocated zeros included.
    std::uint64_t bytes_on_disk = 0;
    /// Segment files in use.
    std::size_t segments = 0;
    /// Stored records not yet acknowledged.
    std::size_t unacked = 0;
};

/** The built-in durable `spool`: a journal of segment files in one directory (Linux).

    Records are appended to the newest segment `seg-<first sequence, 16 hex digits>.wal`, each
    with a CRC-32C, so that `open` can tell intact records from damaged ones after a crash.
    With `durability::fsync_each_append` the segment being written is kept ahead of its
    records by zeros (`file_spool_options::preallocate_bytes`), which `open` tells from damage.
    Acknowledgements go to a side file per segment (`seg-....ack`); once every record of a
    segment is acknowledged and a newer segment exists, both files are deleted. (The newest
    stays: it is appended to, or after a restart its name keeps sequence numbers from starting
    over.)

    Acknowledgements are written but never synced: one lost in a crash only means its record
    is delivered again, which at-least-once delivery allows.

    One `file_spool` per directory at a time: `open` takes an exclusive lock on it. All member
    functions may be called from any thread. */
class file_spool {
public:
    /** Opens the journal in `dir` (created if needed, with its parents), recovering the
        records there: `read` returns the unacknowledged ones, and new appends continue after
        the highest sequence found. See `recovery()` for what was found. Fails with the
        system error, such as `errc::resource_unavailable_try_again` when another `file_spool`
        has the directory open. */
    static boost::system::result<std::shared_ptr<file_spool>> open(const std::filesystem::path& dir,
                                                                   file_spool_options options = {});

    file_spool(const file_spool&) = delete;
    file_spool& operator=(const file_spool&) = delete;

    /// Syncs what the durability policy still owes, stops the sync thread, closes the files.
    ~file_spool();

    /** Stores `r` (its `sequence` ignored; `created` kept to the millisecond) and returns its
        sequence number once it is as durable as `options.durability` promises. On error
        nothing of it is stored and its sequence number is not used again:
        `error::spool_full` when `max_bytes` would be exceeded, or the system error of the
        failed write or sync (such as `errc::no_space_on_device`). */
    boost::system::result<std::uint64_t> append(const spool_record& r);

    /** Marks record `sequence` settled: `read` never returns it again, also after `open`.
        Acknowledging a settled record again does nothing. A sequence that is not stored (never
        appended, failed, or its segment already deleted) gives `errc::invalid_argument`. An
        error writing the acknowledgement file is returned, but the record is settled in this
        process anyway (after a restart it would be delivered again). */
    boost::system::error_code ack(std::uint64_t sequence);

    /** Replaces the contents of `out` with up to `max` unacknowledged records whose sequence
        is at least `from`, in sequence order, reusing `out`'s strings. Cheap to call again
        with a higher `from`; records appended meanwhile are found. */
    boost::system::error_code read(std::uint64_t from, std::size_t max,
                                   std::vector<spool_record>& out);

    /// What `open` found.
    const recovery_report& recovery() const noexcept { return recovery_; }

    file_spool_stats stats() const;

    /// The journal's directory.
    const std::filesystem::path& directory() const noexcept { return dir_; }

private:
    struct segment;
    struct group;
    struct planned;
    using segment_ptr = std::shared_ptr<segment>;
    using segment_list = std::vector<segment_ptr>;

    file_spool(std::filesystem::path dir, file_spool_options options);

    // Recovery (impl/file_spool_recovery.hpp).
    boost::system::error_code recover();
    boost::system::error_code list_files(std::vector<std::uint64_t>& wals,
                                         std::vector<std::uint64_t>& acks);
    segment_ptr scan_segment(std::uint64_t first, bool last);
    std::size_t scan_records(segment& s, std::string_view bytes, bool last);
    void cut_beyond(segment& s, std::uint64_t next_first);
    void apply_acks(segment& s);
    // Writing and the rest (impl/file_spool.hpp).
    void write_next(std::unique_lock<std::mutex>& lk, segment_list& doomed);
    std::uint64_t zeros_target(const segment& s, std::uint64_t end) const;
    boost::system::error_code write_group(segment& s, const group& g, std::uint64_t start,
                                          std::uint64_t zeros_to, std::uint64_t& allocated,
                                          bool& synced);
    void finish_group(const std::shared_ptr<group>& g, std::uint64_t start, std::uint64_t end,
                      boost::system::error_code ec, segment_list& doomed);
    boost::system::error_code create_file(segment& s, std::uint64_t zeros_to,
                                          std::uint64_t& allocated);
    void settle(segment& s, std::size_t index, segment_list& doomed);
    void doom(segment_ptr s, segment_list& doomed);
    void reap(segment_list& doomed);
    segment_list::iterator find_segment(std::uint64_t sequence);
    void sync_loop();
    void sync_dirty(std::unique_lock<std::mutex>& lk);
    std::filesystem::path path_of(std::uint64_t first, const char* ext) const;

    const std::filesystem::path dir_;
    const file_spool_options options_;
    recovery_report recovery_;
    int dir_fd_ = -1; // holds the directory's lock; synced after creating or deleting files

    mutable std::mutex mu_;           // everything below, except where noted
    std::condition_variable written_; // a group was written (or failed)
    segment_list segments_;           // in sequence order; the last may be `active_`
    segment_ptr active_;              // appended to; none until the first append after open
    std::deque<std::shared_ptr<group>> queue_; // serialized appends waiting to be written
    bool writing_ = false;     // a thread is writing `queue_.front()` outside the lock
    segment_ptr last_written_; // used only by the thread that is writing (see `writing_`)
    std::uint64_t next_sequence_ = 1;
    std::uint64_t total_bytes_ = 0; // segment bytes, written or queued: for max_bytes
    std::size_t unacked_ = 0;
    std::uint64_t appends_ = 0, fsyncs_ = 0, acks_ = 0, damaged_reads_ = 0;

    segment_list dirty_; // fsync_interval: segments written since their last sync
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread syncer_;

    std::mutex read_mu_;        // one `read` at a time, for the buffers below
    std::vector<planned> plan_; // the records a `read` fetches, chosen under `mu_`
    std::string chunk_;         // bytes read ahead from one segment
};

static_assert(spool<file_spool>);

} // namespace webhook

#include <webhook/spool/impl/file_spool.hpp>

#endif
