#include <webhook/detail/utf8_simd.hpp>

#define BOOST_TEST_MODULE detail_utf8
#include <boost/test/unit_test.hpp>

#include <webhook/detail/utf8.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <string_view>
#include <vector>

// The scalar UTF-8 rule (utf8_sequence_length, find_invalid_utf8) against a decoder written
// from RFC 3629's definition, and the SSSE3 and AVX2 block validators against the scalar
// rule: every pair and triple of bytes, every 4-byte lead, every kind of invalid sequence at
// every place relative to 16- and 32-byte blocks, and random mixtures.

namespace detail = webhook::detail;

namespace {

/// RFC 3629 by code points: the length of the sequence at `s[i]`, or 0.
std::size_t decode_length(std::string_view s, std::size_t i) {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char b0 = byte(i);
    std::size_t n;
    std::uint32_t cp;
    if (b0 >= 0xC0 && b0 < 0xE0) {
        n = 2;
        cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 < 0xF0) {
        n = 3;
        cp = b0 & 0x0F;
    } else if (b0 >= 0xF0 && b0 < 0xF8) {
        n = 4;
        cp = b0 & 0x07;
    } else {
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        if (i + k >= s.size() || (byte(i + k) & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (byte(i + k) & 0x3F);
    }
    const std::uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

std::string hex(std::string_view s) {
    std::string r;
    for (const char c : s) {
        char b[4];
        std::snprintf(b, sizeof b, "%02x", static_cast<unsigned char>(c));
        r += b;
    }
    return r;
}

} // namespace

BOOST_AUTO_TEST_CASE(sequence_length_follows_rfc_3629_for_every_two_and_three_bytes) {
    int failures = 0;
    std::string s(3, '\0');
    for (unsigned a = 0x80; a < 0x100; ++a)
        for (unsigned b = 0; b < 0x100; ++b)
            for (unsigned c = 0; c < 0x100; ++c) {
                s[0] = static_cast<char>(a);
                s[1] = static_cast<char>(b);
                s[2] = static_cast<char>(c);
                for (std::size_t size = 1; size <= 3; ++size) {
                    const std::string_view v(s.data(), size);
                    if (detail::utf8_sequence_length(v.data(), v.data() + size) !=
                            decode_length(v, 0) &&
                        ++failures <= 3)
                        BOOST_ERROR("utf8_sequence_length " << hex(v));
                }
            }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(sequence_length_follows_rfc_3629_for_four_byte_leads) {
    int failures = 0;
    for (unsigned a = 0xF0; a < 0x100; ++a)
        for (unsigned b = 0; b < 0x100; ++b)
            for (const unsigned c : {0x00u, 0x7Fu, 0x80u, 0xBFu, 0xC0u})
                for (const unsigned d : {0x41u, 0x80u, 0x9Fu, 0xBFu, 0xE0u}) {
                    const char bytes[] = {static_cast<char>(a), static_cast<char>(b),
                                          static_cast<char>(c), static_cast<char>(d)};
                    const std::string_view v(bytes, 4);
                    if (detail::utf8_sequence_length(v.data(), v.data() + 4) !=
                            decode_length(v, 0) &&
                        ++failures <= 3)
                        BOOST_ERROR("utf8_sequence_length " << hex(v));
                }
    BOOST_TEST(failures == 0);
}

#ifdef WEBHOOK_HAS_SSSE3_UTF8

namespace {

/// `s` as blocks of 16 bytes, each validated with the one before it (zeros before the first
/// and after the last, as the string writer does): the position of the first error flagged,
/// or `npos`.
WEBHOOK_TARGET_SSSE3 std::size_t first_error_by_blocks(std::string_view s) {
    std::string padded(s);
    padded.resize((s.size() / 16 + 1) * 16, '\0'); // at least one zero after the end
    __m128i prev = _mm_setzero_si128();
    for (std::size_t at = 0; at < padded.size(); at += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(padded.data() + at));
        const unsigned errors = detail::utf8_error_mask_after(v, prev);
        if (errors != 0)
            return at + static_cast<std::size_t>(std::countr_zero(errors));
        prev = v;
    }
    return std::string_view::npos;
}

/// The same with the 32-byte form, `utf8_error_mask(a, b)`, on blocks that each start where
/// a sequence may start: each block is taken up to `utf8_complete_prefix` of its second half.
WEBHOOK_TARGET_SSSE3 std::size_t first_error_by_pairs(std::string_view s) {
    std::string padded(s);
    padded.resize(s.size() + 33, '\0');
    for (std::size_t at = 0; at < s.size() + 1;) {
        const char* p = padded.data() + at;
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
        const std::uint32_t errors = detail::utf8_error_mask(a, b);
        if (errors != 0)
            return at + static_cast<std::size_t>(std::countr_zero(errors));
        at += 16 + detail::utf8_complete_prefix(b);
    }
    return std::string_view::npos;
}

/// The same with AVX2, 32-byte blocks each validated with the one before.
WEBHOOK_TARGET_AVX2 std::size_t first_error_by_avx2(std::string_view s) {
    std::string padded(s);
    padded.resize((s.size() / 32 + 1) * 32, '\0');
    __m256i prev = _mm256_setzero_si256();
    for (std::size_t at = 0; at < padded.size(); at += 32) {
        const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(padded.data() + at));
        const std::uint32_t errors = detail::utf8_error_mask_avx2(v, prev);
        if (errors != 0)
            return at + static_cast<std::size_t>(std::countr_zero(errors));
        prev = v;
    }
    return std::string_view::npos;
}

/// Checks every block form against `find_invalid_utf8`: the same verdict, and the first error
/// flagged at most 3 bytes after the start of the invalid sequence (where it is found to be
/// wrong, at latest its 4th byte); returns the failures.
int check_blocks(std::string_view s) {
    const std::size_t scalar = detail::find_invalid_utf8(s);
    int failures = 0;
    std::vector<std::size_t> found = {first_error_by_blocks(s), first_error_by_pairs(s)};
    if (detail::cpu_has_avx2())
        found.push_back(first_error_by_avx2(s));
    for (const std::size_t simd : found) {
        const bool same =
            scalar == std::string_view::npos
                ? simd == std::string_view::npos
                : simd != std::string_view::npos && simd >= scalar && simd <= scalar + 3;
        if (!same && ++failures <= 3)
            BOOST_ERROR("input " << hex(s) << " scalar " << static_cast<long long>(scalar)
                                 << " simd " << static_cast<long long>(simd));
    }
    return failures;
}

} // namespace

BOOST_AUTO_TEST_CASE(simd_blocks_agree_with_the_scalar_rule_on_every_byte_pair) {
    if (!detail::cpu_has_ssse3())
        return;
    int failures = 0;
    std::string s = "ab";
    for (unsigned a = 0; a < 0x100; ++a)
        for (unsigned b = 0; b < 0x100; ++b) {
            s = std::string(14, 'x') + static_cast<char>(a) + static_cast<char>(b) + "yz";
            failures += check_blocks(s);            // across the 16-byte boundary
            failures += check_blocks(s.substr(13)); // at the start, and at the end
        }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(simd_blocks_agree_with_the_scalar_rule_on_every_triple_after_a_lead) {
    if (!detail::cpu_has_ssse3())
        return;
    int failures = 0;
    std::string s(20, 'q');
    for (unsigned a = 0xC0; a < 0x100; ++a)
        for (unsigned b = 0; b < 0x100; ++b)
            for (unsigned c = 0; c < 0x100; ++c) {
                s[5] = static_cast<char>(a);
                s[6] = static_cast<char>(b);
                s[7] = static_cast<char>(c);
                failures += check_blocks(s);
            }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(simd_blocks_agree_with_the_scalar_rule_at_every_block_position) {
    if (!detail::cpu_has_ssse3())
        return;
    // Valid sequences of each length and each edge, and each kind of invalid one: overlong,
    // surrogate, above U+10FFFF, never in UTF-8, truncated, stray continuation.
    const char* const inserts[] = {"\xC3\xA9",
                                   "\xC2\x80",
                                   "\xDF\xBF",
                                   "\xE6\x97\xA5",
                                   "\xE0\xA0\x80",
                                   "\xED\x9F\xBF",
                                   "\xEE\x80\x80",
                                   "\xEF\xBF\xBF",
                                   "\xF0\x9F\x99\x82",
                                   "\xF0\x90\x80\x80",
                                   "\xF4\x8F\xBF\xBF",
                                   "\xC0\x80",
                                   "\xC1\xBF",
                                   "\xE0\x9F\xBF",
                                   "\xE0\x80\x80",
                                   "\xF0\x8F\xBF\xBF",
                                   "\xF0\x80\x80\x80",
                                   "\xED\xA0\x80",
                                   "\xED\xBF\xBF",
                                   "\xF4\x90\x80\x80",
                                   "\xF5\x80\x80\x80",
                                   "\xF7\xBF\xBF\xBF",
                                   "\xF8\x88\x80\x80\x80",
                                   "\xFF",
                                   "\xFE",
                                   "\xC3",
                                   "\xE6\x97",
                                   "\xE6",
                                   "\xF0\x9F\x99",
                                   "\xF0\x9F",
                                   "\xF0",
                                   "\x80",
                                   "\xBF",
                                   "\xC3\xA9\x80",
                                   "\xE6\x97\xA5\x80",
                                   "\xF0\x9F\x99\x82\x80",
                                   "\xE6\x97\xA5\xE6\x97",
                                   "\xC3\xC3\xA9",
                                   "\xE6\xC3\xA9",
                                   "\xF0\x9F\xC3\xA9"};
    int failures = 0;
    for (const char* insert : inserts)
        for (std::size_t length = 0; length <= 72; ++length)
            for (std::size_t at = 0; at <= length; ++at) {
                std::string s(length, 'm');
                s.insert(at, insert);
                failures += check_blocks(s);
            }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(simd_blocks_agree_with_the_scalar_rule_on_random_mixtures) {
    if (!detail::cpu_has_ssse3())
        return;
    std::mt19937_64 rng(3629);
    const std::vector<std::string> pieces = {"a",
                                             "plain ",
                                             "\xC3\xA9",
                                             "\xE6\x97\xA5",
                                             "\xF0\x9F\x99\x82",
                                             "\xE2\x80\x94",
                                             "\x80",
                                             "\xC3",
                                             "\xE6\x97",
                                             "\xF0\x9F",
                                             "\xED\xA0\x80",
                                             "\xF4\x90\x80\x80",
                                             "\xC0\xAF",
                                             "\xE0\x80\xAF",
                                             "\xFF",
                                             "\n"};
    int failures = 0;
    for (int round = 0; round < 50000; ++round) {
        std::string s;
        const auto count = rng() % 40;
        for (std::uint64_t i = 0; i < count; ++i) {
            // Mostly valid pieces, so that errors come late and blocks before them pass.
            const auto k = rng() % 8 == 0 ? rng() % pieces.size() : rng() % 6;
            s += pieces[k];
        }
        failures += check_blocks(s);
    }
    for (int round = 0; round < 50000; ++round) { // any bytes
        std::string s(rng() % 48, '\0');
        for (char& c : s)
            c = static_cast<char>(rng() % 3 == 0 ? 0x80 | rng() % 0x80 : rng() % 0x100);
        failures += check_blocks(s);
    }
    BOOST_TEST(failures == 0);
}

BOOST_AUTO_TEST_CASE(complete_prefix_leaves_out_a_sequence_cut_by_the_block_end) {
    const auto prefix = [](std::string_view tail) {
        std::string s(16 - tail.size(), 'k');
        s += tail;
        return detail::utf8_complete_prefix(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data())));
    };
    BOOST_TEST(prefix("") == 16u);
    BOOST_TEST(prefix("\xC3\xA9") == 16u);
    BOOST_TEST(prefix("\xE6\x97\xA5") == 16u);
    BOOST_TEST(prefix("\xF0\x9F\x99\x82") == 16u);
    BOOST_TEST(prefix("\xC3") == 15u);
    BOOST_TEST(prefix("\xE6") == 15u);
    BOOST_TEST(prefix("\xE6\x97") == 14u);
    BOOST_TEST(prefix("\xF0") == 15u);
    BOOST_TEST(prefix("\xF0\x9F") == 14u);
    BOOST_TEST(prefix("\xF0\x9F\x99") == 13u);
}

#endif
