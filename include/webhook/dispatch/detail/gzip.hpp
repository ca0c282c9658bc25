#ifndef WEBHOOK_DISPATCH_DETAIL_GZIP_HPP
#define WEBHOOK_DISPATCH_DETAIL_GZIP_HPP

#include <boost/system/errc.hpp>
#include <boost/system/error_code.hpp>

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace webhook::detail {

/** Compresses request bodies into gzip members (RFC 1952) with zlib.

    One `z_stream` is kept and reset between calls (`deflateReset`), so that once the first
    call has allocated zlib's window and tables, compressing allocates nothing more, and `out`
    only when its capacity is too small. Not thread-safe: one compressor per thread or
    connection. Movable; not copyable. */
class gzip_compressor {
public:
    /** @param level zlib's compression level, 0 (store) to 9 (smallest), or -1 for zlib's
               default (6). An invalid level is reported by the first `compress`. */
    explicit gzip_compressor(int level = -1) noexcept : level_(level) {}

    gzip_compressor(gzip_compressor&&) noexcept = default;
    gzip_compressor& operator=(gzip_compressor&&) noexcept = default;

    /** Replaces the content of `out` with one complete gzip member holding `in`.

        The header has no file name and a zero modification time, so equal input gives equal
        output.

        @returns `errc::not_enough_memory` when zlib cannot allocate its state,
                 `errc::invalid_argument` for an invalid level, `errc::io_error` for any other
                 zlib failure; `out` is then unspecified. */
    boost::system::error_code compress(std::string_view in, std::string& out) {
        using boost::system::errc::make_error_code;
        namespace errc = boost::system::errc;
        if (!stream_) {
            auto s = std::make_unique<z_stream>(); // zero-filled: zlib's default allocator
            // windowBits 15 + 16: the largest window, with a gzip header and trailer.
            const int rc =
                deflateInit2(s.get(), level_, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
            if (rc != Z_OK) // and no deflateEnd: zlib has freed what it allocated
                return make_error_code(rc == Z_MEM_ERROR ? errc::not_enough_memory
                                                         : errc::invalid_argument);
            stream_.reset(s.release());
        } else if (deflateReset(stream_.get()) != Z_OK) {
            return make_error_code(errc::io_error);
        }

        z_stream& z = *stream_;
        // Sized once by deflateBound, which counts the gzip header and trailer: a single pass.
        out.resize(std::max<std::size_t>(deflateBound(&z, static_cast<uLong>(in.size())), 32));
        std::size_t in_done = 0;
        std::size_t out_done = 0;
        for (;;) {
            // avail_in and avail_out are 32-bit: feed larger buffers in pieces.
            const std::size_t in_chunk = std::min<std::size_t>(in.size() - in_done, UINT_MAX);
            if (out_done == out.size())
                out.resize(out.size() * 2); // deflateBound was exceeded: cannot happen, but safe
            const std::size_t out_chunk = std::min<std::size_t>(out.size() - out_done, UINT_MAX);
            // zlib's interface is not const-correct; it never writes through next_in.
            z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data() + in_done));
            z.avail_in = static_cast<uInt>(in_chunk);
            z.next_out = reinterpret_cast<Bytef*>(out.data() + out_done);
            z.avail_out = static_cast<uInt>(out_chunk);
            const bool last = in_done + in_chunk == in.size();
            const int rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
            in_done += in_chunk - z.avail_in;
            out_done += out_chunk - z.avail_out;
            if (rc == Z_STREAM_END)
                break;
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                return make_error_code(errc::io_error);
        }
        out.resize(out_done);
        return {};
    }

private:
    struct stream_deleter {
        void operator()(z_stream* s) const noexcept {
            deflateEnd(s);
            delete s;
        }
    };

    int level_;
    // On the heap: zlib's state points back at its z_stream, which therefore must not move.
    std::unique_ptr<z_stream, stream_deleter> stream_;
};

} // namespace webhook::detail

#endif
