#ifndef WEBHOOK_DETAIL_KEY_MATERIAL_HPP
#define WEBHOOK_DETAIL_KEY_MATERIAL_HPP

#include <cstddef>
#include <string>

namespace webhook::detail {

/// An Ed25519 private key (its seed) or public key: 32 bytes (RFC 8032).
inline constexpr std::size_t ed25519_key_size = 32;

/** Overwrites `s` before it is freed: decoded keys should not linger in freed memory. The
    writes go through a volatile pointer, so the compiler cannot drop them as dead stores. */
inline void cleanse(std::string& s) noexcept {
    volatile char* p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i)
        p[i] = 0;
}

} // namespace webhook::detail

#endif
