#ifndef WEBHOOK_CONFIG_IMPL_SIGNING_OPTIONS_HPP
#define WEBHOOK_CONFIG_IMPL_SIGNING_OPTIONS_HPP

#include <webhook/detail/base64.hpp>
#include <webhook/detail/key_material.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>
#include <webhook/transport/request.hpp>

#include <cstddef>
#include <optional>
#include <string>

namespace webhook {

namespace detail {

/// The Standard Webhooks key forms.
enum class standard_key_kind { whsec, whsk, whpk };

/** Decodes a Standard Webhooks key into `bytes`; returns what is wrong with it, or null.
    The messages describe the key, never quote it. */
inline const char* decode_standard_key(std::string_view text, standard_key_kind& kind,
                                       std::string& bytes) {
    if (text.empty())
        return "is empty";
    struct form {
        std::string_view prefix;
        standard_key_kind kind;
        const char* not_base64;
    };
    static constexpr form forms[] = {
        {"whsec_", standard_key_kind::whsec, "is not whsec_ followed by base64"},
        {"whsk_", standard_key_kind::whsk, "is not whsk_ followed by base64"},
        {"whpk_", standard_key_kind::whpk, "is not whpk_ followed by base64"},
    };
    for (const form& f : forms) {
        if (!text.starts_with(f.prefix))
            continue;
        kind = f.kind;
        std::optional<std::string> decoded = base64_decode(text.substr(f.prefix.size()));
        if (!decoded || decoded->empty())
            return f.not_base64;
        bytes = std::move(*decoded);
        // The specification: "Random. At least 24 bytes" for symmetric secrets.
        if (kind == standard_key_kind::whsec && bytes.size() < 24)
            return "is shorter than the 24 bytes the Standard Webhooks specification requires";
        if (kind == standard_key_kind::whsk && bytes.size() != ed25519_key_size)
            return "is not a 32-byte Ed25519 private key (whsk_ and the base64 of the seed)";
        if (kind == standard_key_kind::whpk && bytes.size() != ed25519_key_size)
            return "is not a 32-byte Ed25519 public key";
        return nullptr;
    }
    return "has none of the prefixes whsec_, whsk_, whpk_";
}

/// "keys[3]"
inline std::string key_path(std::size_t i) {
    return "keys[" + std::to_string(i) + "]";
}

inline const char* digest_name(hmac_algorithm a) noexcept {
    switch (a) {
    case hmac_algorithm::sha256:
        return "SHA256";
    case hmac_algorithm::sha512:
        return "SHA512";
    }
    return nullptr;
}

/// Checks an HMAC header scheme's names, algorithm, encoding and prefix (not its key).
inline void check_hmac_scheme(const hmac_header_signing& s, std::vector<signing_problem>& out,
                              bool check_key) {
    const auto check_name = [&](const std::string& name, const char* path) {
        if (check_header(name, {}))
            return out.push_back(
                {path, "is not an HTTP header name (token)", error::invalid_header_name});
        // The signer replaces the field: a name the library sets (or one that frames the
        // message) would lose its value to the signature, or corrupt the request.
        if (find_reserved_header(name))
            return out.push_back(
                {path, "is a header the library sets itself", error::invalid_header_name});
    };
    check_name(s.header, "header");
    if (digest_name(s.algorithm) == nullptr)
        out.push_back({"algorithm", "is not sha256 or sha512", error::invalid_signing_secret});
    if (s.encoding != signature_encoding::hex && s.encoding != signature_encoding::base64)
        out.push_back({"encoding", "is not hex or base64", error::invalid_signing_secret});
    if (check_header("X", s.prefix))
        out.push_back({"prefix", "contains CR, LF, NUL or another control character",
                       error::invalid_header_value});
    if (check_key && s.key.empty())
        out.push_back({"key", "is empty", error::invalid_signing_secret});
    if (!s.timestamp_header.empty()) {
        check_name(s.timestamp_header, "timestamp_header");
        if (iequals(s.timestamp_header, s.header))
            out.push_back(
                {"timestamp_header", "is the same header as header", error::invalid_header_name});
    }
}

} // namespace detail

inline std::vector<signing_problem> validate(const signing& s) {
    std::vector<signing_problem> out;
    if (const auto* sw = std::get_if<standard_webhooks_signing>(&s)) {
        if (sw->keys.empty())
            out.push_back({"keys", "is empty: give at least one whsec_ or whsk_ key",
                           error::invalid_signing_secret});
        for (std::size_t i = 0; i < sw->keys.size(); ++i) {
            detail::standard_key_kind kind{};
            std::string bytes;
            const char* problem = detail::decode_standard_key(sw->keys[i].reveal(), kind, bytes);
            if (!problem && kind == detail::standard_key_kind::whpk)
                problem = "is a whpk_ public key, which cannot sign: use the whsk_ secret key";
            if (problem)
                out.push_back({detail::key_path(i), problem, error::invalid_signing_secret});
            detail::cleanse(bytes);
        }
    } else if (const auto* h = std::get_if<hmac_header_signing>(&s)) {
        detail::check_hmac_scheme(*h, out, true);
    }
    return out;
}

} // namespace webhook

#endif
