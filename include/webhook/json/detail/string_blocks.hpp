#ifndef WEBHOOK_JSON_DETAIL_STRING_BLOCKS_HPP
#define WEBHOOK_JSON_DETAIL_STRING_BLOCKS_HPP

#include <webhook/detail/utf8.hpp>
#include <webhook/error.hpp>
#include <webhook/json/detail/escape.hpp>
#include <webhook/json/detail/writer.hpp>
#include <webhook/json/options.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

// The SSSE3 and AVX2 string writers are functions of their own (they carry a target
// attribute); what they call must be inlined into them, not left as calls with their cursors
// in memory.
#if defined(__GNUC__) || defined(__clang__)
#define WEBHOOK_JSON_ALWAYS_INLINE __attribute__((always_inline))
#define WEBHOOK_JSON_FLATTEN __attribute__((flatten))
#else
#define WEBHOOK_JSON_ALWAYS_INLINE
#define WEBHOOK_JSON_FLATTEN
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#define WEBHOOK_JSON_HAS_SSE2 1
#endif

// The string writer: blocks of 8 (SWAR) or 16 (SSE2) bytes are copied and scanned at once for
// bytes needing attention; only those take the byte-at-a-time path.
namespace webhook::json::detail {

// A byte needs attention if it is below 0x20, a quote or a backslash, and (when validating
// UTF-8) if it is not ASCII. Word-at-a-time tests below: borrows can flag bytes above a flagged
// one, never below, so the lowest flag is exact and "any flag" means "some byte needs it".
constexpr std::uint64_t ones = 0x0101010101010101ULL;
constexpr std::uint64_t highs = 0x8080808080808080ULL;

/// Eight bytes as a number whose least significant byte is the first in memory, so that the
/// borrow-based tests below flag the earliest bytes correctly on any byte order.
WEBHOOK_JSON_ALWAYS_INLINE inline std::uint64_t load_word(const char* p) noexcept {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    if constexpr (std::endian::native == std::endian::big)
        x = __builtin_bswap64(x);
    return x;
}

/// The high bit of each byte of `x` (from `load_word`) that needs attention; `Validate`: bytes
/// from 0x80 need it too.
template <bool Validate>
WEBHOOK_JSON_ALWAYS_INLINE inline std::uint64_t attention_mask(std::uint64_t x) noexcept {
    const std::uint64_t quote = x ^ (ones * '"');
    const std::uint64_t backslash = x ^ (ones * '\\');
    const std::uint64_t control = (x - ones * 0x20) & ~x;
    const std::uint64_t is_quote = (quote - ones) & ~quote;
    const std::uint64_t is_backslash = (backslash - ones) & ~backslash;
    if constexpr (Validate)
        return (control | is_quote | is_backslash | x) & highs;
    else
        return (control | is_quote | is_backslash) & highs;
}

/// Eight bytes at a time, in plain C++: the fallback, and the reference for the tests.
struct swar_blocks {
    static constexpr std::size_t width = 8;

    using mask = std::uint64_t;

    /// Copies `width` bytes from `in` to `out`; returns a mask of those needing attention and
    /// sets `high` to the mask of those from 0x80 (valid when `Validate`).
    template <bool Validate>
    static mask copy_and_scan(const char* in, char* out, mask& high) noexcept {
        std::memcpy(out, in, 8);
        const std::uint64_t x = load_word(in);
        high = x & highs;
        return attention_mask<Validate>(x);
    }

    /// Index of the first byte flagged in a non-zero mask.
    static std::size_t first(mask m) noexcept {
        return static_cast<std::size_t>(std::countr_zero(m)) / 8;
    }

    /// `m` without the flags of bytes before index `i` (< `width`).
    static mask from(mask m, std::size_t i) noexcept { return m & (~mask{0} << (8 * i)); }

    using wide = swar_blocks; // the blocks used while at least `wide::width` bytes are left
};

#ifdef WEBHOOK_JSON_HAS_SSE2
/// The masks of one 16-byte vector: `high`, bytes from 0x80; the result, bytes needing
/// attention (`Validate`: those from 0x80 too).
template <bool Validate>
inline unsigned sse2_scan(__m128i v, unsigned& high) noexcept {
    high = static_cast<unsigned>(_mm_movemask_epi8(v));
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    __m128i low;
    if constexpr (Validate) // signed: below 0x20, or from 0x80
        low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    else // unsigned: up to 0x1F only
        low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
    return static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), low)));
}

/// Thirty-two bytes at a time with SSE2: two vectors, one branch.
struct sse2_pair_blocks {
    static constexpr std::size_t width = 32;
    using mask = std::uint32_t;

    template <bool Validate>
    static mask copy_and_scan(const char* in, char* out, mask& high) noexcept {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + 16));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), a);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 16), b);
        unsigned high_a;
        unsigned high_b;
        const unsigned ma = sse2_scan<Validate>(a, high_a);
        const unsigned mb = sse2_scan<Validate>(b, high_b);
        high = high_a | high_b << 16;
        return ma | mb << 16;
    }

    static std::size_t first(mask m) noexcept {
        return static_cast<std::size_t>(std::countr_zero(m));
    }

    static mask from(mask m, std::size_t i) noexcept { return m & (~mask{0} << i); }
};

/// Sixteen bytes at a time with SSE2, which every x86-64 processor has; 32 while there are.
struct sse2_blocks {
    static constexpr std::size_t width = 16;
    using mask = unsigned;

    template <bool Validate>
    static mask copy_and_scan(const char* in, char* out, mask& high) noexcept {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), v);
        return sse2_scan<Validate>(v, high);
    }

    static std::size_t first(mask m) noexcept {
        return static_cast<std::size_t>(std::countr_zero(m));
    }

    static mask from(mask m, std::size_t i) noexcept { return m & (~mask{0} << i); }

    using wide = sse2_pair_blocks;
};
using default_blocks = sse2_blocks;
#else
using default_blocks = swar_blocks;
#endif

/** Copies the last `rest` (1 to 15) bytes of a string, from `in` to `out`, if none needs
    attention; returns whether it did. Overlapping loads and stores of 8, 4 or 1 bytes: nothing
    is read past the string, and no load waits on smaller stores. */
template <bool Validate>
WEBHOOK_JSON_ALWAYS_INLINE inline bool copy_clean_tail(const char* in, std::size_t rest,
                                                       char* out) noexcept {
    if (rest >= 8) {
        const std::uint64_t a = load_word(in);
        const std::uint64_t b = load_word(in + rest - 8);
        if (attention_mask<Validate>(a) | attention_mask<Validate>(b))
            return false;
        std::memcpy(out + rest - 8, in + rest - 8, 8);
        std::memcpy(out, in, 8);
        return true;
    }
    if (rest >= 4) {
        std::uint32_t a;
        std::uint32_t b;
        std::memcpy(&a, in, 4);
        std::memcpy(&b, in + rest - 4, 4);
        if (attention_mask<Validate>(a | (std::uint64_t{b} << 32)))
            return false;
        std::memcpy(out + rest - 4, &b, 4);
        std::memcpy(out, &a, 4);
        return true;
    }
    const auto a = static_cast<unsigned char>(in[0]);
    const auto b = static_cast<unsigned char>(in[rest / 2]);
    const auto c = static_cast<unsigned char>(in[rest - 1]);
    const std::uint64_t spaces = ones * ' ' & ~std::uint64_t{0xFFFFFF};
    if (attention_mask<Validate>(a | (b << 8) | (std::uint64_t{c} << 16) | spaces))
        return false;
    out[0] = static_cast<char>(a);
    out[rest / 2] = static_cast<char>(b);
    out[rest - 1] = static_cast<char>(c);
    return true;
}

/// `webhook::detail::utf8_sequence_length` (`p` at a byte from 0x80), with one load and masks
/// when 4 bytes are left.
inline std::size_t utf8_length(const char* p, const char* end) noexcept {
    if (std::endian::native != std::endian::little || end - p < 4)
        return webhook::detail::utf8_sequence_length(p, end);
    std::uint32_t x;
    std::memcpy(&x, p, 4);
    const std::uint32_t b0 = x & 0xFF;
    const std::uint32_t b1 = x >> 8 & 0xFF;
    if ((x & 0xC0E0) == 0x80C0) // 110xxxxx 10xxxxxx, not overlong
        return b0 >= 0xC2 ? 2 : 0;
    if ((x & 0xC0C0F0) == 0x8080E0) // 1110xxxx, not overlong, not a surrogate
        return (b0 == 0xE0 && b1 < 0xA0) || (b0 == 0xED && b1 > 0x9F) ? 0 : 3;
    if ((x & 0xC0C0C0F8) == 0x808080F0) // 11110xxx, not overlong, not above U+10FFFF
        return (b0 == 0xF0 && b1 < 0x90) || b0 > 0xF4 || (b0 == 0xF4 && b1 > 0x8F) ? 0 : 4;
    return 0;
}

/** The block at `in` (already copied to `out`) needs attention for bytes from 0x80 only,
    flagged in `high`: validates the UTF-8 sequences that start in it, without leaving the block
    loop, and moves `in` and `out` past them (a sequence may end in the next block; its bytes
    there are copied). Returns false at an invalid sequence, with `in` and `out` at it. */
template <class Blocks>
inline bool validate_block(const char*& in, const char* end, char*& out,
                           typename Blocks::mask high) noexcept {
    const char* const block_end = in + Blocks::width;
    const char* p = in + Blocks::first(high);
    for (;;) {
        const std::size_t n = utf8_length(p, end);
        if (n == 0) {
            out += p - in;
            in = p;
            return false;
        }
        p += n;
        if (p >= block_end)
            break;
        high = Blocks::from(high, static_cast<std::size_t>(p - in));
        if (high == 0) {
            p = block_end;
            break;
        }
        p = in + Blocks::first(high);
    }
    for (const char* q = block_end; q < p; ++q) // at most 3 bytes of the last sequence
        out[q - in] = *q;
    out += p - in;
    in = p;
    return true;
}

/** Copies and scans whole blocks from `in` until one needs attention (returns true, with
    `in` and `out` at that byte) or fewer than a block is left (returns false). */
template <class Blocks, bool Validate>
inline bool scan_blocks(const char*& in, const char* end, char*& out) noexcept {
    while (static_cast<std::size_t>(end - in) >= Blocks::width) {
        typename Blocks::mask high;
        const auto mask = Blocks::template copy_and_scan<Validate>(in, out, high);
        if (mask == 0) {
            in += Blocks::width;
            out += Blocks::width;
            continue;
        }
        if (Validate && (mask & ~high) == 0) { // non-ASCII only
            if (validate_block<Blocks>(in, end, out, high))
                continue;
            return true; // at an invalid sequence
        }
        const std::size_t clean = Blocks::first(mask);
        in += clean;
        out += clean;
        return true;
    }
    return false;
}

inline constexpr char replacement_character[] = "\xEF\xBF\xBD"; // U+FFFD

template <bool Validate>
constexpr bool is_clean(unsigned char c) noexcept {
    return !needs_escape(c) && (!Validate || c < 0x80);
}

/** The byte at `in` needs attention: writes its escape, or the run of non-ASCII bytes that
    starts there (validated), or applies the policy for invalid UTF-8. `out` is the cursor,
    with room for the rest of the string plus `slack`. Returns false when writing must stop
    (invalid UTF-8, rejected). */
template <bool Validate, std::size_t Slack>
inline bool write_attention(writer& w, const char*& in, const char* end, char*& out) {
    const auto c = static_cast<unsigned char>(*in);
    if (!Validate || c < 0x80) { // an escape: the room needed grows by up to 5 bytes
        w.commit(out);
        out = w.reserve(static_cast<std::size_t>(end - in) + 6 + 1 + Slack);
        out += write_escape(out, c);
        ++in;
        return true;
    }
    do { // a run of non-ASCII bytes, one sequence at a time
        const std::size_t n = utf8_length(in, end);
        if (n != 0) {
            if (end - in >= 4)
                std::memcpy(out, in, 4); // room: the rest of the string plus slack
            else
                std::memcpy(out, in, n);
            out += n;
            in += n;
        } else if (w.options().invalid_utf8 == utf8_policy::replace) {
            w.commit(out);
            out = w.reserve(static_cast<std::size_t>(end - in) + 3 + 1 + Slack);
            std::memcpy(out, replacement_character, 3);
            out += 3;
            ++in;
        } else {
            w.fail(error::invalid_utf8);
            return false;
        }
    } while (in != end && static_cast<unsigned char>(*in) >= 0x80);
    return true;
}

/** Fewer than a block is left from `in`: copies it if nothing in it needs attention and
    returns true, or copies up to the first byte that does and returns false. */
template <bool Validate>
WEBHOOK_JSON_ALWAYS_INLINE inline bool write_tail(const char*& in, const char* end,
                                                  char*& out) noexcept {
    const auto rest = static_cast<std::size_t>(end - in);
    if (rest == 0)
        return true;
    if (copy_clean_tail<Validate>(in, rest, out)) {
        in += rest;
        out += rest;
        return true;
    }
    while (is_clean<Validate>(static_cast<unsigned char>(*in)))
        *out++ = *in++; // stops at the byte that made the tail fail
    return false;
}

/** The quotes around `s` and, between them, the runs that `scan` copies (it returns true at a
    byte that needs attention, false once the string is done), each followed by that byte as
    `write_attention` writes it. Room is reserved for the unescaped size plus `Width` (the most
    `scan` stores past what it keeps); escapes reserve more only when they occur. */
template <bool Validate, std::size_t Width, class Scan>
inline void write_quoted(writer& w, std::string_view s, Scan scan) {
    const char* in = s.data();
    const char* const end = in + s.size();
    char* out = w.reserve(s.size() + 2 + Width);
    *out++ = '"';
    while (scan(in, end, out) && write_attention<Validate, Width>(w, in, end, out)) {
    }
    *out++ = '"';
    w.commit(out);
}

/** Writes `s` as a quoted JSON string, block by block (`Blocks`: `swar_blocks` or
    `sse2_blocks`); `Validate`: check UTF-8 and apply `write_options::invalid_utf8`. */
template <class Blocks, bool Validate>
void write_string_with(writer& w, std::string_view s) {
    write_quoted<Validate, Blocks::width>(w, s, [](const char*& in, const char* end, char*& out) {
        bool attention = scan_blocks<typename Blocks::wide, Validate>(in, end, out);
        if constexpr (!std::is_same_v<typename Blocks::wide, Blocks>) {
            if (!attention)
                attention = scan_blocks<Blocks, Validate>(in, end, out);
        }
        return attention || !write_tail<Validate>(in, end, out);
    });
}

} // namespace webhook::json::detail

#endif
