#ifndef WEBHOOK_DETAIL_HMAC_HPP
#define WEBHOOK_DETAIL_HMAC_HPP

// Thin wrappers over OpenSSL 3's EVP_MAC (HMAC) and EVP_PKEY (Ed25519), and hex encoding.

#include <webhook/detail/key_material.hpp>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>

namespace webhook::detail {

/// Largest HMAC we make (SHA-512); EVP_MAX_MD_SIZE.
inline constexpr std::size_t max_mac_size = 64;
inline constexpr std::size_t ed25519_signature_size = 64;

inline const unsigned char* bytes_of(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

inline std::string_view view_of(const unsigned char* p, std::size_t n) noexcept {
    return {reinterpret_cast<const char*>(p), n};
}

/// Constant-time equality of two byte ranges of the same length (CRYPTO_memcmp).
inline bool equal_bytes(const unsigned char* a, const unsigned char* b, std::size_t n) noexcept {
    return CRYPTO_memcmp(a, b, n) == 0;
}

/** An HMAC keyed once. `compute` works on a copy of the keyed context, so one `hmac_key`
    serves any number of threads at once, and the key schedule is not redone per message. */
class hmac_key {
public:
    /** Keys an HMAC with `digest` (an OpenSSL digest name: "SHA256", "SHA512").
        @return nothing when OpenSSL cannot (an unknown digest, no memory). */
    static std::optional<hmac_key> make(const char* digest, std::string_view key) {
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (mac == nullptr)
            return std::nullopt;
        std::shared_ptr<EVP_MAC_CTX> ctx(EVP_MAC_CTX_new(mac), &EVP_MAC_CTX_free);
        EVP_MAC_free(mac); // the context holds its own reference
        if (!ctx)
            return std::nullopt;
        OSSL_PARAM params[] = {
            OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
            OSSL_PARAM_construct_end()};
        // A zero-length key is legal HMAC, but EVP_MAC_init reads a null pointer as "no key".
        static constexpr unsigned char no_byte = 0;
        const unsigned char* k = key.empty() ? &no_byte : bytes_of(key);
        if (EVP_MAC_init(ctx.get(), k, key.size(), params) != 1)
            return std::nullopt;
        hmac_key h;
        h.size_ = EVP_MAC_CTX_get_mac_size(ctx.get());
        if (h.size_ == 0 || h.size_ > max_mac_size)
            return std::nullopt;
        h.ctx_ = std::move(ctx);
        return h;
    }

    /// Bytes of each HMAC: 32 for SHA-256, 64 for SHA-512.
    std::size_t size() const noexcept { return size_; }

    /** The HMAC of the concatenation of `parts`, written to `out` (`size()` bytes): the parts
        of a signed message are hashed in place, never copied into one buffer.
        @throws std::bad_alloc when OpenSSL fails (it fails only for lack of memory here). */
    void compute(std::initializer_list<std::string_view> parts, unsigned char* out) const {
        const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(
            EVP_MAC_CTX_dup(ctx_.get()), &EVP_MAC_CTX_free);
        if (!ctx)
            throw std::bad_alloc();
        for (const std::string_view part : parts)
            if (!part.empty() && EVP_MAC_update(ctx.get(), bytes_of(part), part.size()) != 1)
                throw std::bad_alloc();
        std::size_t written = 0;
        if (EVP_MAC_final(ctx.get(), out, &written, max_mac_size) != 1 || written != size_)
            throw std::bad_alloc();
    }

private:
    hmac_key() = default;
    std::shared_ptr<EVP_MAC_CTX> ctx_; // keyed, never updated: only copied
    std::size_t size_ = 0;
};

/** An Ed25519 key (RFC 8032): a private key (made from its 32-byte seed) signs and verifies,
    a public key only verifies. Immutable once made, so it is shared across threads. */
class ed25519_key {
public:
    /// From the 32-byte private key (the seed); nothing when it is not 32 bytes.
    static std::optional<ed25519_key> from_seed(std::string_view seed) {
        if (seed.size() != ed25519_key_size)
            return std::nullopt;
        return make(
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes_of(seed), seed.size()));
    }

    /// From the 32-byte public key; nothing when it is not 32 bytes.
    static std::optional<ed25519_key> from_public(std::string_view key) {
        if (key.size() != ed25519_key_size)
            return std::nullopt;
        return make(
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(key), key.size()));
    }

    /// The 32-byte public key.
    std::string public_key() const {
        std::string out(ed25519_key_size, '\0');
        std::size_t n = out.size();
        if (EVP_PKEY_get_raw_public_key(pkey_.get(), reinterpret_cast<unsigned char*>(out.data()),
                                        &n) != 1 ||
            n != ed25519_key_size)
            throw std::bad_alloc();
        return out;
    }

    /** Signs `message` (Ed25519 is one-shot: the whole message at once) into `out`
        (64 bytes). Only for a key made `from_seed`.
        @throws std::bad_alloc when OpenSSL fails. */
    void sign(std::string_view message, unsigned char* out) const {
        const md_ctx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        std::size_t n = ed25519_signature_size;
        if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1 ||
            EVP_DigestSign(ctx.get(), out, &n, bytes_of(message), message.size()) != 1 ||
            n != ed25519_signature_size)
            throw std::bad_alloc();
    }

    /// Whether `signature` (64 bytes) is this key's signature of `message`.
    bool verify(std::string_view message, const unsigned char* signature) const {
        const md_ctx ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
        if (!ctx)
            throw std::bad_alloc();
        if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1)
            throw std::bad_alloc();
        return EVP_DigestVerify(ctx.get(), signature, ed25519_signature_size, bytes_of(message),
                                message.size()) == 1;
    }

private:
    using md_ctx = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

    static std::optional<ed25519_key> make(EVP_PKEY* pkey) {
        if (pkey == nullptr)
            return std::nullopt;
        ed25519_key k;
        k.pkey_.reset(pkey, &EVP_PKEY_free);
        return k;
    }

    ed25519_key() = default;
    std::shared_ptr<EVP_PKEY> pkey_;
};

/// Appends lowercase hex of `in` to `out`.
inline void hex_append(std::string& out, std::string_view in) {
    constexpr char digits[] = "0123456789abcdef";
    out.reserve(out.size() + in.size() * 2);
    for (const char ch : in) {
        const auto c = static_cast<unsigned char>(ch);
        out += digits[c >> 4];
        out += digits[c & 15];
    }
}

/// The value of a hex digit (either case), or -1.
constexpr int hex_digit(char c) noexcept {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/** Decodes hex (either case, an even number of digits, nothing else) into `out`, which must
    have room for `in.size() / 2` bytes; returns the number of bytes, or `std::nullopt`. */
constexpr std::optional<std::size_t> hex_decode(std::string_view in, unsigned char* out) noexcept {
    if (in.size() % 2 != 0)
        return std::nullopt;
    for (std::size_t i = 0; i < in.size(); i += 2) {
        const int hi = hex_digit(in[i]);
        const int lo = hex_digit(in[i + 1]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out[i / 2] = static_cast<unsigned char>(hi << 4 | lo);
    }
    return in.size() / 2;
}

} // namespace webhook::detail

#endif
