#ifndef WEBHOOK_DETAIL_CRC32C_HPP
#define WEBHOOK_DETAIL_CRC32C_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE4_2__) && defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace webhook::detail {

namespace crc32c_detail {

// Slice-by-8 tables: tables[k][b] is the CRC of byte b followed by k zero bytes, so that eight
// input bytes are folded in with eight lookups instead of eight dependent steps.
using table_set = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr table_set make_tables() noexcept {
    constexpr std::uint32_t poly = 0x82F63B78; // Castagnoli, reflected
    table_set t{};
    for (std::uint32_t b = 0; b < 256; ++b) {
        std::uint32_t c = b;
        for (int i = 0; i < 8; ++i)
            c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
        t[0][b] = c;
    }
    for (std::size_t k = 1; k < 8; ++k)
        for (std::size_t b = 0; b < 256; ++b)
            t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFF];
    return t;
}

inline constexpr table_set tables = make_tables();

} // namespace crc32c_detail

/** The CRC-32C (Castagnoli, as in iSCSI and ext4) of `size` bytes at `data`.

    Continues from `crc`, the CRC of the bytes before (0 to start), so that
    `crc32c(b, nb, crc32c(a, na))` is the CRC of `a` followed by `b`. Uses the SSE4.2
    instruction when the build enables it, else a table-driven slice-by-8 loop. */
inline std::uint32_t crc32c(const void* data, std::size_t size, std::uint32_t crc = 0) noexcept {
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint32_t c = ~crc;
#if defined(__SSE4_2__) && defined(__x86_64__)
    for (; size >= 8; size -= 8, p += 8) {
        std::uint64_t w;
        std::memcpy(&w, p, 8);
        c = static_cast<std::uint32_t>(_mm_crc32_u64(c, w));
    }
    for (; size > 0; --size)
        c = _mm_crc32_u8(c, *p++);
#else
    const auto& t = crc32c_detail::tables;
    for (; size >= 8; size -= 8, p += 8) {
        // Assembled byte by byte: correct on any endianness, and one load on x86.
        c ^= std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
             std::uint32_t{p[3]} << 24;
        c = t[7][c & 0xFF] ^ t[6][(c >> 8) & 0xFF] ^ t[5][(c >> 16) & 0xFF] ^ t[4][c >> 24] ^
            t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
    }
    for (; size > 0; --size)
        c = t[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
#endif
    return ~c;
}

/// The CRC-32C of `bytes`, continuing from `crc` (see the overload above).
inline std::uint32_t crc32c(std::string_view bytes, std::uint32_t crc = 0) noexcept {
    return crc32c(bytes.data(), bytes.size(), crc);
}

} // namespace webhook::detail

#endif
