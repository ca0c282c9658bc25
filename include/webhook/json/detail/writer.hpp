#ifndef WEBHOOK_JSON_DETAIL_WRITER_HPP
#define WEBHOOK_JSON_DETAIL_WRITER_HPP

#include <webhook/error.hpp>
#include <webhook/json/options.hpp>

#include <boost/system/error_code.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <string>

namespace webhook::json::detail {

/** Appends to a caller's `std::string` through a raw cursor.

    Callers reserve an upper bound once per value and then write without checks. The string
    is resized ahead of the cursor in steps (within its capacity, so a reused buffer does not
    reallocate) and cut back to the cursor when done; on error it is cut back to its
    original size, so the caller's content is exactly as it was.

    Errors do not unwind: the first one is kept and writing goes on harmlessly, which keeps
    error checks off the per-member path.
*/
class writer {
public:
    writer(std::string& out, const write_options& options) noexcept
        : out_(out), options_(options), start_(out.size()) {
        cursor_ = limit_ = out.data() + start_;
    }

    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;

    /// Without `finish` (an exception from an adapter or a user's range), the caller's string
    /// is cut back to what it held: nothing written, nothing zero-filled left behind.
    ~writer() {
        if (!finished_)
            out_.resize(start_);
    }

    const write_options& options() const noexcept { return options_; }

    /// The cursor as an offset into the string, which stays valid when `reserve` reallocates.
    std::size_t position() const noexcept {
        return static_cast<std::size_t>(cursor_ - out_.data());
    }

    /// The string's bytes; what lies before `position()` is written.
    char* data() noexcept { return out_.data(); }

    /// Makes room for `n` bytes at the cursor and returns the cursor.
    char* reserve(std::size_t n) {
        if (static_cast<std::size_t>(limit_ - cursor_) < n)
            grow(n);
        return cursor_;
    }

    /// Moves the cursor to `p`, the end of what was written since `reserve`.
    void commit(char* p) noexcept { cursor_ = p; }

    /// Appends bytes whose count is known at compile time, so that the copy becomes a few
    /// moves; returns where they were written.
    template <std::size_t N>
    char* append(const std::array<char, N>& bytes) {
        char* p = reserve(N);
        std::memcpy(p, bytes.data(), N);
        cursor_ = p + N;
        return p;
    }

    void append(const char* s, std::size_t n) {
        char* p = reserve(n);
        std::memcpy(p, s, n);
        cursor_ = p + n;
    }

    void put(char c) {
        char* p = reserve(1);
        *p = c;
        cursor_ = p + 1;
    }

    /// Records `e` unless an earlier error was recorded.
    void fail(error e) noexcept {
        if (!failed_) {
            failed_ = true;
            error_ = e;
        }
    }

    /// Sets the string's final size and returns the first error, if any.
    boost::system::error_code finish() {
        finished_ = true;
        if (failed_) {
            out_.resize(start_);
            return error_;
        }
        out_.resize(static_cast<std::size_t>(cursor_ - out_.data()));
        return {};
    }

private:
    /// Out of line, so that `reserve`, on every value's path, stays a compare and a branch.
    [[gnu::noinline]] void grow(std::size_t n) {
        // resize() zero-fills what it adds, so add a bounded step rather than the whole
        // capacity: the cost stays proportional to the message, not to the buffer. The step
        // is what this document holds so far (at least 512 bytes), so a document takes a few
        // calls. Past the capacity, std::string grows geometrically.
        const auto offset = static_cast<std::size_t>(cursor_ - out_.data());
        const std::size_t needed = offset + n;
        const std::size_t step = std::max<std::size_t>(512, offset - start_);
        out_.resize(needed <= out_.capacity() ? std::min(out_.capacity(), needed + step) : needed);
        cursor_ = out_.data() + offset;
        limit_ = out_.data() + out_.size();
    }

    std::string& out_;
    const write_options& options_;
    std::size_t start_;
    char* cursor_;
    char* limit_;
    bool failed_ = false;
    bool finished_ = false;
    error error_{};
};

} // namespace webhook::json::detail

#endif
