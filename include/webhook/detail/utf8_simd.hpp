#ifndef WEBHOOK_DETAIL_UTF8_SIMD_HPP
#define WEBHOOK_DETAIL_UTF8_SIMD_HPP

// UTF-8 validation of 16 bytes at once with SSSE3, by the "lookup" idea of Keiser and Lemire
// ("Validating UTF-8 in less than one instruction per byte", 2021): every error of UTF-8 shows
// in a pair of adjacent bytes, as a function of three nibbles (the high and low nibble of the
// first byte, the high nibble of the second) that three 16-entry table lookups (pshufb) and two
// ANDs evaluate for 16 pairs at once; the one rule that needs more than a pair (the 2nd and 3rd
// continuation of a 3- or 4-byte sequence) is checked with the bytes 2 and 3 places before.
//
// SSSE3 is not in the x86-64 baseline: with GCC or Clang the functions carry a target
// attribute and callers check `cpu_has_ssse3()` at run time (always true when compiled with
// -mssse3 or more); the same for the AVX2 form (32 bytes at once) and `cpu_has_avx2()`.
// Elsewhere WEBHOOK_HAS_SSSE3_UTF8 is not defined and callers use `utf8_sequence_length`.

#if defined(__SSE2__) && (defined(__x86_64__) || defined(__i386__)) &&                             \
    (defined(__GNUC__) || defined(__clang__))
#define WEBHOOK_HAS_SSSE3_UTF8 1
#include <emmintrin.h>
#include <immintrin.h>
#include <tmmintrin.h>

#include <bit>
#include <cstdint>

#if defined(__SSSE3__)
#define WEBHOOK_TARGET_SSSE3
#else
#define WEBHOOK_TARGET_SSSE3 __attribute__((target("ssse3")))
#endif
#if defined(__AVX2__)
#define WEBHOOK_TARGET_AVX2
#else
#define WEBHOOK_TARGET_AVX2 __attribute__((target("avx2")))
#endif

namespace webhook::detail {

/// Whether this processor runs SSSE3 (checked once).
inline bool cpu_has_ssse3() noexcept {
#if defined(__SSSE3__)
    return true;
#else
    static const bool has = [] {
        __builtin_cpu_init(); // in case this runs before libgcc's own initializer
        return __builtin_cpu_supports("ssse3") != 0;
    }();
    return has;
#endif
}

/// Whether this processor runs AVX2 (checked once).
inline bool cpu_has_avx2() noexcept {
#if defined(__AVX2__)
    return true;
#else
    static const bool has = [] {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") != 0;
    }();
    return has;
#endif
}

namespace utf8_lookup {

// One bit per kind of error of a pair of bytes (first, second). A kind is set in the result
// when each of the three tables has it: the first byte's high nibble, its low nibble, the
// second byte's high nibble. Kinds that do not depend on a nibble are set in every entry of
// that nibble's table.
constexpr std::uint8_t too_short = 1 << 0;   // a lead byte, then no continuation
constexpr std::uint8_t too_long = 1 << 1;    // ASCII, then a continuation
constexpr std::uint8_t overlong_3 = 1 << 2;  // E0, then 80..9F
constexpr std::uint8_t too_large = 1 << 3;   // F4, then 90..BF; F5..FF, then 90..BF
constexpr std::uint8_t surrogate = 1 << 4;   // ED, then A0..BF
constexpr std::uint8_t overlong_2 = 1 << 5;  // C0 or C1, then a continuation
constexpr std::uint8_t f0_or_f5_80 = 1 << 6; // F0 (overlong), F5..FF (too large), then 80..8F
constexpr std::uint8_t two_conts = 1 << 7;   // a continuation after a continuation
// Not an error in itself: right only for the 2nd and 3rd continuations of 3- and 4-byte
// sequences, which the bytes 2 and 3 before tell.

constexpr std::uint8_t any_low = too_short | too_long | two_conts;

/// Index: the first byte's high nibble.
WEBHOOK_TARGET_SSSE3 inline __m128i first_high_table() noexcept {
    constexpr std::uint8_t lead_f = too_short | too_large | f0_or_f5_80;
    return _mm_setr_epi8(
        too_long, too_long, too_long, too_long, too_long, too_long, too_long, too_long, two_conts,
        two_conts, two_conts, two_conts, too_short | overlong_2, too_short,
        static_cast<char>(too_short | overlong_3 | surrogate), static_cast<char>(lead_f));
}

/// Index: the first byte's low nibble.
WEBHOOK_TARGET_SSSE3 inline __m128i first_low_table() noexcept {
    constexpr auto a = static_cast<char>(any_low);
    constexpr auto large = static_cast<char>(any_low | too_large | f0_or_f5_80);
    return _mm_setr_epi8(static_cast<char>(any_low | overlong_3 | overlong_2 | f0_or_f5_80),
                         static_cast<char>(any_low | overlong_2), a, a,
                         static_cast<char>(any_low | too_large), large, large, large, large, large,
                         large, large, large, static_cast<char>(large | surrogate), large, large);
}

/// Index: the second byte's high nibble.
WEBHOOK_TARGET_SSSE3 inline __m128i second_high_table() noexcept {
    constexpr auto cont_8 =
        static_cast<char>(too_long | overlong_2 | two_conts | overlong_3 | f0_or_f5_80);
    constexpr auto cont_9 =
        static_cast<char>(too_long | overlong_2 | two_conts | overlong_3 | too_large);
    constexpr auto cont_ab =
        static_cast<char>(too_long | overlong_2 | two_conts | surrogate | too_large);
    return _mm_setr_epi8(too_short, too_short, too_short, too_short, too_short, too_short,
                         too_short, too_short, cont_8, cont_9, cont_ab, cont_ab, too_short,
                         too_short, too_short, too_short);
}

} // namespace utf8_lookup

/** The errors of the 16 bytes `v` as UTF-8: a non-zero byte where a byte breaks the rules
    given the bytes before it, which `prev1`, `prev2`, `prev3` hold (`v` moved 1, 2, 3 places
    later, with the bytes before the block in front). A sequence cut short by the end of the
    block is not an error here: the bytes after it decide. */
WEBHOOK_TARGET_SSSE3 inline __m128i utf8_errors(__m128i v, __m128i prev1, __m128i prev2,
                                                __m128i prev3) noexcept {
    using namespace utf8_lookup;
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i first_high = _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble);
    const __m128i first_low = _mm_and_si128(prev1, nibble);
    const __m128i second_high = _mm_and_si128(_mm_srli_epi16(v, 4), nibble);
    const __m128i pair =
        _mm_and_si128(_mm_and_si128(_mm_shuffle_epi8(first_high_table(), first_high),
                                    _mm_shuffle_epi8(first_low_table(), first_low)),
                      _mm_shuffle_epi8(second_high_table(), second_high));
    // 0x80 where the byte must be a 2nd or 3rd continuation: 2 after E0..FF, or 3 after F0..FF.
    const __m128i third = _mm_subs_epu8(prev2, _mm_set1_epi8(0xE0 - 0x80));
    const __m128i fourth = _mm_subs_epu8(prev3, _mm_set1_epi8(0xF0 - 0x80));
    const __m128i must_continue =
        _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8(static_cast<char>(0x80)));
    return _mm_xor_si128(pair, must_continue);
}

/// Bit i set where byte i of `errors` is not zero.
inline unsigned nonzero_mask(__m128i errors) noexcept {
    return ~static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(errors, _mm_setzero_si128()))) &
           0xFFFF;
}

/** Bit i set where byte i of the 16 bytes `v` breaks UTF-8, for a block that starts where a
    sequence may start (the bytes before it are taken as ASCII, which for a block after
    complete sequences gives the same answer). */
WEBHOOK_TARGET_SSSE3 inline unsigned utf8_error_mask(__m128i v) noexcept {
    return nonzero_mask(
        utf8_errors(v, _mm_slli_si128(v, 1), _mm_slli_si128(v, 2), _mm_slli_si128(v, 3)));
}

/// `utf8_error_mask` of the 16 bytes `v` after the 16 bytes `prev` (zeros where a sequence
/// may start).
WEBHOOK_TARGET_SSSE3 inline unsigned utf8_error_mask_after(__m128i v, __m128i prev) noexcept {
    return nonzero_mask(utf8_errors(v, _mm_alignr_epi8(v, prev, 15), _mm_alignr_epi8(v, prev, 14),
                                    _mm_alignr_epi8(v, prev, 13)));
}

/// `utf8_error_mask` of the 32 bytes `a` then `b`, bit i for byte i.
WEBHOOK_TARGET_SSSE3 inline std::uint32_t utf8_error_mask(__m128i a, __m128i b) noexcept {
    return utf8_error_mask(a) | utf8_error_mask_after(b, a) << 16;
}

/** `utf8_errors` of the 32 bytes `v` with AVX2, `prev` the 32 bytes before them (zeros
    where a sequence may start): bit i of the result set where byte i breaks UTF-8. */
WEBHOOK_TARGET_AVX2 inline std::uint32_t utf8_error_mask_avx2(__m256i v, __m256i prev) noexcept {
    using namespace utf8_lookup;
    const __m256i first_high_tables = _mm256_broadcastsi128_si256(first_high_table());
    const __m256i first_low_tables = _mm256_broadcastsi128_si256(first_low_table());
    const __m256i second_high_tables = _mm256_broadcastsi128_si256(second_high_table());
    const __m256i before = _mm256_permute2x128_si256(prev, v, 0x21); // prev's high, v's low
    const __m256i prev1 = _mm256_alignr_epi8(v, before, 15);
    const __m256i prev2 = _mm256_alignr_epi8(v, before, 14);
    const __m256i prev3 = _mm256_alignr_epi8(v, before, 13);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i pair = _mm256_and_si256(
        _mm256_and_si256(_mm256_shuffle_epi8(first_high_tables,
                                             _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble)),
                         _mm256_shuffle_epi8(first_low_tables, _mm256_and_si256(prev1, nibble))),
        _mm256_shuffle_epi8(second_high_tables, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble)));
    const __m256i third = _mm256_subs_epu8(prev2, _mm256_set1_epi8(0xE0 - 0x80));
    const __m256i fourth = _mm256_subs_epu8(prev3, _mm256_set1_epi8(0xF0 - 0x80));
    const __m256i must_continue =
        _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8(static_cast<char>(0x80)));
    const __m256i errors = _mm256_xor_si256(pair, must_continue);
    return ~static_cast<std::uint32_t>(
        _mm256_movemask_epi8(_mm256_cmpeq_epi8(errors, _mm256_setzero_si256())));
}

/** Of 16 bytes free of `utf8_error_mask` errors, how many (13 to 16) hold complete
    sequences: a sequence that starts in the last 3 bytes and needs more is left out. */
inline unsigned utf8_complete_prefix(__m128i v) noexcept {
    // Byte 13 from F0, 14 from E0, 15 from C0: a lead byte whose sequence does not fit.
    const __m128i below =
        _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, static_cast<char>(0xEF),
                      static_cast<char>(0xDF), static_cast<char>(0xBF));
    const unsigned cut = nonzero_mask(_mm_subs_epu8(v, below));
    return static_cast<unsigned>(std::countr_zero(cut | 0x10000u));
}

} // namespace webhook::detail

#endif

#endif
