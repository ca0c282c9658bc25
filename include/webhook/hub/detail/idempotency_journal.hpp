#ifndef WEBHOOK_HUB_DETAIL_IDEMPOTENCY_JOURNAL_HPP
#define WEBHOOK_HUB_DETAIL_IDEMPOTENCY_JOURNAL_HPP

// A hub's idempotency keys on disk, so that a duplicate is refused across a restart: one line
// per change, `+<expiry, Unix ms> <key>` when a key is published and `-<key>` when its publish
// was refused everywhere. Opening reads the keys still within their window and rewrites the
// file with only those; a torn last line (a crash mid-write) is ignored.

#include <webhook/spool/detail/file_io.hpp>

#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fcntl.h>

namespace webhook::detail {

class idempotency_journal {
public:
    using system_time = std::chrono::system_clock::time_point;
    /// Keys within their window, by key, with the time each leaves it.
    using live_keys = std::map<std::string, system_time, std::less<>>;

    idempotency_journal() = default;

    /** Opens (or creates) the journal at `path` and fills `live` with the keys whose window
        has not passed at `now`. */
    static boost::system::result<idempotency_journal> open(const std::filesystem::path& path,
                                                           system_time now, live_keys& live) {
        live.clear();
        if (const auto ec = read(path, now, live))
            return ec;
        idempotency_journal j;
        j.path_ = path;
        if (const auto ec = j.rewrite(live))
            return ec;
        return j;
    }

    explicit operator bool() const noexcept { return static_cast<bool>(fd_); }

    /// Appends that `key` was published and leaves its window at `expiry`.
    boost::system::error_code record(std::string_view key, system_time expiry) {
        return append(added(key, expiry));
    }

    /// Appends that `key` was given back (its publish was sent nowhere).
    boost::system::error_code forget(std::string_view key) {
        return append("-" + std::string(key) + "\n");
    }

    /// Lines appended since the file was last rewritten (for compaction).
    std::size_t lines() const noexcept { return lines_; }

    /// Replaces the file with the keys in `live` only.
    boost::system::error_code rewrite(const live_keys& live) {
        std::string text;
        for (const auto& [key, expiry] : live)
            text += added(key, expiry);
        const auto temporary = path_.string() + ".tmp";
        spool_file::unique_fd fd(
            ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd)
            return spool_file::errno_code();
        if (const auto ec = spool_file::pwrite_all(fd.get(), text.data(), text.size(), 0))
            return ec;
        if (::fsync(fd.get()) != 0 || std::rename(temporary.c_str(), path_.c_str()) != 0)
            return spool_file::errno_code();
        fd_ = std::move(fd);
        size_ = text.size();
        lines_ = live.size();
        return {};
    }

private:
    /// The line that records `key`, published, leaving its window at `expiry`.
    static std::string added(std::string_view key, system_time expiry) {
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(expiry.time_since_epoch());
        return "+" + std::to_string(ms.count()) + " " + std::string(key) + "\n";
    }

    static boost::system::error_code read(const std::filesystem::path& path, system_time now,
                                          live_keys& live) {
        spool_file::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd)
            return errno == ENOENT ? boost::system::error_code{} : spool_file::errno_code();
        std::string text;
        char buffer[65536];
        for (std::uint64_t at = 0;;) {
            const auto n = spool_file::pread_all(fd.get(), buffer, sizeof buffer, at);
            if (!n)
                return n.error();
            text.append(buffer, *n);
            at += *n;
            if (*n < sizeof buffer)
                break;
        }
        for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos;
             start = end + 1)
            apply(std::string_view(text).substr(start, end - start), now, live);
        return {};
    }

    /// One whole line: a key added or given back. A line that is not one of those is skipped.
    static void apply(std::string_view line, system_time now, live_keys& live) {
        if (line.starts_with('-')) {
            if (const auto it = live.find(line.substr(1)); it != live.end())
                live.erase(it);
            return;
        }
        const auto space = line.find(' ');
        if (!line.starts_with('+') || space == std::string_view::npos || space + 1 == line.size())
            return;
        std::int64_t ms = 0;
        for (const char c : line.substr(1, space - 1)) {
            if (c < '0' || c > '9')
                return;
            ms = ms * 10 + (c - '0');
        }
        const system_time expiry{std::chrono::milliseconds(ms)};
        if (expiry > now)
            live.insert_or_assign(std::string(line.substr(space + 1)), expiry);
    }

    boost::system::error_code append(const std::string& line) {
        if (const auto ec = spool_file::pwrite_all(fd_.get(), line.data(), line.size(), size_))
            return ec;
        size_ += line.size();
        ++lines_;
        return {};
    }

    std::filesystem::path path_;
    spool_file::unique_fd fd_;
    std::uint64_t size_ = 0;
    std::size_t lines_ = 0;
};

} // namespace webhook::detail

#endif
