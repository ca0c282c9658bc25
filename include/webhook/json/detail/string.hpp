#ifndef WEBHOOK_JSON_DETAIL_STRING_HPP
#define WEBHOOK_JSON_DETAIL_STRING_HPP

// The JSON string writer: the portable block scanners (string_blocks.hpp) and, where the
// processor has them, the SSSE3 and AVX2 ones that also validate UTF-8 by blocks
// (string_simd.hpp).

#include <webhook/json/detail/string_blocks.hpp>
#include <webhook/json/detail/string_simd.hpp>
#include <webhook/json/detail/writer.hpp>
#include <webhook/json/options.hpp>

#include <string_view>

namespace webhook::json::detail {

#ifdef WEBHOOK_HAS_SSSE3_UTF8
/** Writes `s` (1 to 32 bytes) and returns true if it is ASCII without a byte to escape, as
    most ids, states and names are: two overlapping SSE2 loads show it, with no call and no
    UTF-8 state. Returns false, writing nothing, for every other string. */
WEBHOOK_JSON_ALWAYS_INLINE inline bool write_short_ascii(writer& w, std::string_view s) {
    const auto n = static_cast<unsigned>(s.size());
    const char* const p = s.data();
    unsigned high; // unused: sse2_scan<true> flags bytes from 0x80 among the escapes
    __m128i first;
    __m128i last;
    unsigned flagged;
    if (n >= 16) {
        first = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + n - 16));
        flagged = sse2_scan<true>(first, high) | sse2_scan<true>(last, high);
    } else {
        first = last = load_tail(p, n); // zeros after the string: flagged, so masked off
        flagged = sse2_scan<true>(first, high) & ((1u << n) - 1);
    }
    if (flagged != 0)
        return false;
    char* out = w.reserve(n + 2 + 16);
    *out = '"';
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 1), first);
    // The last 16 bytes; under 16, a harmless copy past the string (room: 16 bytes), which
    // avoids a branch on the length.
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 1 + n - 16 * (n >= 16)), last);
    out[n + 1] = '"';
    w.commit(out + n + 2);
    return true;
}
#endif

/// `write_string_with` on the widest blocks the target has, checking UTF-8 unless the options
/// say the caller guarantees it.
inline void write_string(writer& w, std::string_view s) {
#ifdef WEBHOOK_HAS_SSSE3_UTF8
    if (s.size() - 1 < 32 && write_short_ascii(w, s))
        return;
#endif
    if (w.options().invalid_utf8 == utf8_policy::assume_valid)
        return write_string_with<default_blocks, false>(w, s);
#ifdef WEBHOOK_HAS_SSSE3_UTF8
    if (webhook::detail::cpu_has_avx2())
        return write_string_avx2(w, s);
    if (webhook::detail::cpu_has_ssse3())
        return write_string_ssse3(w, s);
#endif
    write_string_with<default_blocks, true>(w, s);
}

} // namespace webhook::json::detail

#endif
