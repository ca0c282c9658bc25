#ifndef WEBHOOK_SPOOL_DETAIL_FILE_IO_HPP
#define WEBHOOK_SPOOL_DETAIL_FILE_IO_HPP

// The POSIX file operations of `file_spool` (impl/file_spool.hpp): a descriptor's owner and
// reads and writes that finish or fail. What the bytes mean is journal_codec.hpp's.

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <sys/types.h>
#include <unistd.h>

namespace webhook::detail::spool_file {

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

} // namespace webhook::detail::spool_file

#endif
