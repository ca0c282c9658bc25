#ifndef WEBHOOK_JSON_DETAIL_STRING_SIMD_HPP
#define WEBHOOK_JSON_DETAIL_STRING_SIMD_HPP

// The string writer with UTF-8 validated 16 (SSSE3) or 32 (AVX2) bytes at a time, for the
// processors that have them (chosen at run time by write_string in string.hpp). Each writes
// the same bytes and gives the same errors as write_string_with<default_blocks, true>.

#include <webhook/detail/utf8_simd.hpp>
#include <webhook/json/detail/string_blocks.hpp>

#ifdef WEBHOOK_HAS_SSSE3_UTF8
namespace webhook::json::detail {

/** The `rest` (1 to 15) bytes at `p` followed by zeros, read with overlapping loads of 8, 4
    or 1 bytes (nothing past `p + rest`). */
inline __m128i load_tail(const char* p, unsigned rest) noexcept {
    std::uint64_t low;
    std::uint64_t high = 0;
    if (rest >= 8) {
        low = load_word(p);
        high = load_word(p + rest - 8) >> (8 * (15 - rest)) >> 8; // bytes 8 to rest - 1
    } else if (rest >= 4) {
        std::uint32_t a;
        std::uint32_t b;
        std::memcpy(&a, p, 4);
        std::memcpy(&b, p + rest - 4, 4);
        low = a | std::uint64_t{b} << (8 * (rest - 4)); // the bytes both hold are equal
    } else {
        const auto byte = [p](unsigned i) {
            return std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
        };
        low = byte(0) | byte(rest / 2) | byte(rest - 1);
    }
    return _mm_set_epi64x(static_cast<long long>(high), static_cast<long long>(low));
}

/** Where a block of `scan_blocks_ssse3` stops: at its first escape if everything before it
    is valid (`errors`, by position), else where the scalar path must take over: the first byte
    of a sequence begun in the block before (`prev`, the 16 bytes before, all valid), or else
    the first byte from 0x80 or escape. Moves `in` and `out` there. */
inline void stop_ssse3(const char*& in, char*& out, std::uint32_t escapes, std::uint32_t high,
                       std::uint32_t errors, __m128i prev) noexcept {
    const std::uint32_t to_escape = escapes ^ (escapes - 1); // up to the first; all if none
    std::ptrdiff_t stop;
    if ((errors & to_escape) == 0)
        stop = std::countr_zero(escapes);
    else if (const unsigned cut = webhook::detail::utf8_complete_prefix(prev); cut != 16)
        stop = static_cast<std::ptrdiff_t>(cut) - 16;
    else
        stop = std::countr_zero(escapes | high);
    in += stop;
    out += stop;
}

/** The end of `scan_blocks_ssse3`: fewer than 16 bytes are left after `prev` (`pending`: its
    last 3 bytes are not all ASCII). */
WEBHOOK_TARGET_SSSE3 WEBHOOK_JSON_ALWAYS_INLINE inline bool
finish_ssse3(const char*& in, const char* end, char*& out, __m128i prev,
             std::uint32_t pending) noexcept {
    if (in == end) { // the string ends with the last block: is its last sequence complete?
        const unsigned cut = pending == 0 ? 16 : webhook::detail::utf8_complete_prefix(prev);
        in -= 16 - cut;
        out -= 16 - cut;
        return cut != 16;
    }
    // The last 1 to 15 bytes as a block followed by zeros, which are ASCII: a sequence cut
    // short by the end of the string shows as an error at the first of them.
    const auto rest = static_cast<unsigned>(end - in);
    const __m128i v = load_tail(in, rest);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v); // room: the string plus a block
    unsigned high;
    const unsigned escapes = sse2_scan<false>(v, high) & ((1u << rest) - 1);
    if ((high | pending) == 0) {
        if (escapes == 0) {
            in = end;
            out += rest;
            return false;
        }
        in += std::countr_zero(escapes);
        out += std::countr_zero(escapes);
        return true;
    }
    const unsigned errors = webhook::detail::utf8_error_mask_after(v, prev) & ((2u << rest) - 1);
    if ((escapes | errors) == 0) {
        in = end;
        out += rest;
        return false;
    }
    stop_ssse3(in, out, escapes, high, errors, prev);
    return true;
}

/** Blocks of 32, then 16 bytes, validating UTF-8 with SSSE3 (`webhook::detail::utf8_errors`)
    instead of one sequence at a time. A block that holds neither escapes nor invalid UTF-8
    is taken whole; a sequence it cuts is checked with the next block, which sees the bytes
    before it (`prev`; zero at the start, where a sequence may start). Stops as `stop_ssse3`
    says; returns as `scan_blocks`, always at the start of a sequence. */
WEBHOOK_TARGET_SSSE3 inline bool scan_blocks_ssse3(const char*& in, const char* end,
                                                   char*& out) noexcept {
    __m128i prev = _mm_setzero_si128();
    std::uint32_t pending = 0; // whether the last 3 bytes of `prev` are not all ASCII
    while (end - in >= 32) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), a);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), b);
        unsigned high_a;
        unsigned high_b;
        const std::uint32_t escapes = sse2_scan<false>(a, high_a) | sse2_scan<false>(b, high_b)
                                                                        << 16;
        const std::uint32_t high = high_a | high_b << 16;
        if ((high | pending) == 0) { // ASCII, after complete sequences: nothing to validate
            if (escapes == 0) {
                prev = b;
                in += 32;
                out += 32;
                continue;
            }
            in += std::countr_zero(escapes);
            out += std::countr_zero(escapes);
            return true;
        }
        const std::uint32_t errors = webhook::detail::utf8_error_mask_after(a, prev) |
                                     webhook::detail::utf8_error_mask_after(b, a) << 16;
        if ((escapes | errors) == 0) {
            prev = b;
            pending = high >> 29;
            in += 32;
            out += 32;
            continue;
        }
        stop_ssse3(in, out, escapes, high, errors, prev);
        return true;
    }
    while (end - in >= 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
        unsigned high;
        const unsigned escapes = sse2_scan<false>(v, high);
        if ((high | pending) == 0) {
            if (escapes == 0) {
                prev = v;
                in += 16;
                out += 16;
                continue;
            }
            in += std::countr_zero(escapes);
            out += std::countr_zero(escapes);
            return true;
        }
        const unsigned errors = webhook::detail::utf8_error_mask_after(v, prev);
        if ((escapes | errors) == 0) {
            prev = v;
            pending = high >> 13;
            in += 16;
            out += 16;
            continue;
        }
        stop_ssse3(in, out, escapes, high, errors, prev);
        return true;
    }
    return finish_ssse3(in, end, out, prev, pending);
}

/// `sse2_scan<false>` of 32 bytes with AVX2.
WEBHOOK_TARGET_AVX2 WEBHOOK_JSON_ALWAYS_INLINE inline std::uint32_t
avx2_scan(__m256i v, std::uint32_t& high) noexcept {
    high = static_cast<std::uint32_t>(_mm256_movemask_epi8(v));
    const __m256i quote = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('"'));
    const __m256i backslash = _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\\'));
    const __m256i control = _mm256_cmpeq_epi8(_mm256_min_epu8(v, _mm256_set1_epi8(0x1F)), v);
    return static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(quote, backslash), control)));
}

/** `scan_blocks_ssse3` with AVX2, 32 bytes a block. From the first block with bytes from
    0x80 on, every block is validated, with or without them: a branch on them is mispredicted
    in text where they come every few words, and costs more than the validation does at 32
    bytes a vector. */
WEBHOOK_TARGET_AVX2 inline bool scan_blocks_avx2(const char*& in, const char* end,
                                                 char*& out) noexcept {
    while (end - in >= 32) { // ASCII blocks first: nothing to validate until a byte from 0x80
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
        std::uint32_t high;
        const std::uint32_t escapes = avx2_scan(v, high);
        if ((escapes | high) == 0) {
            in += 32;
            out += 32;
            continue;
        }
        if (high != 0)
            break; // from this block on, validate every block
        in += std::countr_zero(escapes);
        out += std::countr_zero(escapes);
        return true;
    }
    __m256i prev = _mm256_setzero_si256(); // after ASCII: as at the start of a sequence
    while (end - in >= 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v);
        std::uint32_t high;
        const std::uint32_t escapes = avx2_scan(v, high);
        const std::uint32_t errors = webhook::detail::utf8_error_mask_avx2(v, prev);
        if ((escapes | errors) == 0) {
            prev = v;
            in += 32;
            out += 32;
            continue;
        }
        stop_ssse3(in, out, escapes, high, errors, _mm256_extracti128_si256(prev, 1));
        return true;
    }
    const __m128i last = _mm256_extracti128_si256(prev, 1);
    if (in == end) { // the string ends with the last block: is its last sequence complete?
        const unsigned cut = webhook::detail::utf8_complete_prefix(last);
        in -= 16 - cut;
        out -= 16 - cut;
        return cut != 16;
    }
    // The last 1 to 31 bytes as a block followed by zeros (see `scan_blocks_ssse3`).
    const auto rest = static_cast<unsigned>(end - in);
    __m128i low;
    __m128i high_half = _mm_setzero_si128();
    if (rest >= 16) {
        low = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
        if (rest > 16)
            high_half = load_tail(in + 16, rest - 16);
    } else {
        low = load_tail(in, rest);
    }
    const __m256i v = _mm256_set_m128i(high_half, low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), v); // room: the string plus a block
    std::uint32_t high;
    const std::uint64_t within = (std::uint64_t{1} << rest) - 1;
    const std::uint32_t escapes = avx2_scan(v, high) & static_cast<std::uint32_t>(within);
    if ((high | static_cast<unsigned>(_mm_movemask_epi8(last)) >> 13) == 0) {
        // ASCII after complete sequences (a short string, most often): nothing to validate
        if (escapes == 0) {
            in = end;
            out += rest;
            return false;
        }
        in += std::countr_zero(escapes);
        out += std::countr_zero(escapes);
        return true;
    }
    const std::uint32_t errors = webhook::detail::utf8_error_mask_avx2(v, prev) &
                                 static_cast<std::uint32_t>(within << 1 | 1);
    if ((escapes | errors) == 0) {
        in = end;
        out += rest;
        return false;
    }
    stop_ssse3(in, out, escapes, high, errors, last);
    return true;
}

// The two writers share `write_quoted`, and `flatten` inlines it with the scan into each, so
// that the scan's vector code runs with the writer's target. (GCC refuses to inline an
// `always_inline` function with a target into a function without it, such as `write_quoted`
// taken alone; hence the scans are plain `inline` and the writers flatten.)

/// `write_string_with<sse2_blocks, true>` with `scan_blocks_ssse3`: the same bytes and errors.
WEBHOOK_TARGET_SSSE3 WEBHOOK_JSON_FLATTEN inline void write_string_ssse3(writer& w,
                                                                         std::string_view s) {
    write_quoted<true, 32>(w, s, [](const char*& in, const char* end, char*& out) {
        return scan_blocks_ssse3(in, end, out);
    });
}

/// `write_string_ssse3` with `scan_blocks_avx2`.
WEBHOOK_TARGET_AVX2 WEBHOOK_JSON_FLATTEN inline void write_string_avx2(writer& w,
                                                                       std::string_view s) {
    write_quoted<true, 32>(w, s, [](const char*& in, const char* end, char*& out) {
        return scan_blocks_avx2(in, end, out);
    });
}

} // namespace webhook::json::detail
#endif

#endif
