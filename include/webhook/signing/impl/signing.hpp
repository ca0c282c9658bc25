#ifndef WEBHOOK_SIGNING_IMPL_SIGNING_HPP
#define WEBHOOK_SIGNING_IMPL_SIGNING_HPP

#include <webhook/detail/base64.hpp>
#include <webhook/transport/detail/replace_field.hpp>
#include <webhook/transport/request.hpp>

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <array>
#include <charconv>
#include <optional>
#include <system_error>

namespace webhook {

namespace detail {

inline boost::beast::string_view beast_view(std::string_view s) noexcept {
    return {s.data(), s.size()};
}

/// The first value of header `name`, or empty when there is none.
inline std::string_view field_value(const boost::beast::http::fields& headers,
                                    std::string_view name) {
    const auto it = headers.find(beast_view(name));
    if (it == headers.end())
        return {};
    const auto v = it->value();
    return {v.data(), v.size()};
}

/// Unix seconds as sent: decimal digits only (no sign, no spaces), fitting in 64 bits.
inline std::optional<std::int64_t> parse_unix_seconds(std::string_view text) noexcept {
    if (text.empty() || text.front() < '0' || text.front() > '9')
        return std::nullopt; // from_chars would take a '-'
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return v;
}

/// Whether `|unix_seconds - now| <= tolerance`, `now` truncated to seconds, without overflow.
inline bool within_tolerance(std::int64_t unix_seconds, std::chrono::system_clock::time_point now,
                             std::chrono::seconds tolerance) noexcept {
    const std::int64_t n = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
    const auto tol = static_cast<std::uint64_t>(tolerance.count() > 0 ? tolerance.count() : 0);
    // Unsigned subtraction of the larger minus the smaller is exact even across the full range.
    const std::uint64_t distance =
        unix_seconds >= n
            ? static_cast<std::uint64_t>(unix_seconds) - static_cast<std::uint64_t>(n)
            : static_cast<std::uint64_t>(n) - static_cast<std::uint64_t>(unix_seconds);
    return distance <= tol;
}

/// The webhook-id must be a header value, and without '.', which would make
/// `<id>.<timestamp>.<body>` ambiguous (the specification forbids it). Nor may it start or end
/// with a space or tab: a header value loses those, and the receiver would check another id.
constexpr bool valid_webhook_id(std::string_view id) noexcept {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    if (id.empty() || blank(id.front()) || blank(id.back()))
        return false;
    for (const char c : id)
        if (c == '.' || is_forbidden_in_value(c))
            return false;
    return true;
}

/// Throws the first problem as `system_error`, with `path: message` as the text.
inline void throw_first(const std::vector<signing_problem>& problems, const char* what) {
    if (problems.empty())
        return;
    const signing_problem& p = problems.front();
    std::string text = what;
    if (!p.path.empty())
        text.append(" ").append(p.path);
    text.append(": ").append(p.message);
    boost::throw_exception(boost::system::system_error(make_error_code(p.code), text));
}

struct signing_access {
    using problems = std::vector<signing_problem>;

    static std::optional<hmac_key> load_hmac(const char* digest, const std::string& key,
                                             const std::string& path, problems& out) {
        if (digest == nullptr)
            return std::nullopt; // reported as the algorithm's problem
        std::optional<hmac_key> k = hmac_key::make(digest, key);
        if (!k)
            out.push_back({path, "cannot be loaded by OpenSSL", error::invalid_signing_secret});
        return k;
    }

    /// `validate`'s checks, then the keys loaded into OpenSSL.
    static problems build(const signing& s, request_signer& signer) {
        problems out = validate(s);
        if (const auto* sw = std::get_if<standard_webhooks_signing>(&s); sw && out.empty()) {
            for (std::size_t i = 0; i < sw->keys.size(); ++i) {
                standard_key_kind kind{};
                std::string bytes;
                (void)decode_standard_key(sw->keys[i].reveal(), kind, bytes); // checked above
                if (kind == standard_key_kind::whsec) {
                    if (auto k = load_hmac("SHA256", bytes, key_path(i), out))
                        signer.keys_.emplace_back(std::move(*k));
                } else if (auto k = ed25519_key::from_seed(bytes)) {
                    signer.keys_.emplace_back(std::move(*k));
                } else {
                    out.push_back({key_path(i), "cannot be loaded by OpenSSL",
                                   error::invalid_signing_secret});
                }
                cleanse(bytes);
            }
            signer.kind_ = request_signer::kind::standard_webhooks;
        } else if (const auto* h = std::get_if<hmac_header_signing>(&s); h && out.empty()) {
            if (auto k = load_hmac(digest_name(h->algorithm), h->key.reveal(), "key", out))
                signer.keys_.emplace_back(std::move(*k));
            signer.header_ = h->header;
            signer.timestamp_header_ = h->timestamp_header;
            signer.prefix_ = h->prefix;
            signer.encoding_ = h->encoding;
            signer.kind_ = request_signer::kind::hmac_header;
        }
        if (!out.empty())
            signer = request_signer();
        return out;
    }

    static problems build(const std::vector<secret>& keys, standard_webhooks_verifier& v) {
        problems out;
        if (keys.empty())
            out.push_back({"keys", "is empty: give at least one whsec_ or whpk_ key",
                           error::invalid_signing_secret});
        for (std::size_t i = 0; i < keys.size(); ++i) {
            standard_key_kind kind{};
            std::string bytes;
            const char* problem = decode_standard_key(keys[i].reveal(), kind, bytes);
            // Receivers should never hold the private key; refusing it keeps it off them.
            if (!problem && kind == standard_key_kind::whsk)
                problem = "is a whsk_ secret key: a receiver verifies with the whpk_ public key";
            if (problem) {
                out.push_back({key_path(i), problem, error::invalid_signing_secret});
            } else if (kind == standard_key_kind::whsec) {
                if (auto k = load_hmac("SHA256", bytes, key_path(i), out))
                    v.v1_.push_back(std::move(*k));
            } else if (auto k = ed25519_key::from_public(bytes)) {
                v.v1a_.push_back(std::move(*k));
            } else {
                out.push_back(
                    {key_path(i), "cannot be loaded by OpenSSL", error::invalid_signing_secret});
            }
            cleanse(bytes);
        }
        if (!out.empty()) {
            v.v1_.clear();
            v.v1a_.clear();
        }
        return out;
    }

    static problems build(const hmac_header_signing& s, const std::vector<secret>& keys,
                          hmac_header_verifier& v) {
        problems out;
        check_hmac_scheme(s, out, keys.empty());
        const char* digest = digest_name(s.algorithm);
        if (keys.empty()) {
            if (!s.key.empty())
                if (auto k = load_hmac(digest, s.key.reveal(), "key", out))
                    v.keys_.push_back(std::move(*k));
        } else {
            for (std::size_t i = 0; i < keys.size(); ++i) {
                if (keys[i].empty())
                    out.push_back({key_path(i), "is empty", error::invalid_signing_secret});
                else if (auto k = load_hmac(digest, keys[i].reveal(), key_path(i), out))
                    v.keys_.push_back(std::move(*k));
            }
        }
        v.mac_size_ = s.algorithm == hmac_algorithm::sha512 ? 64 : 32;
        v.header_ = s.header;
        v.timestamp_header_ = s.timestamp_header;
        v.prefix_ = s.prefix;
        v.encoding_ = s.encoding;
        if (!out.empty())
            v.keys_.clear();
        return out;
    }
};

} // namespace detail

inline std::string standard_webhooks_public_key(const secret& secret_key,
                                                boost::system::error_code& ec) {
    ec = {};
    detail::standard_key_kind kind{};
    std::string bytes;
    const char* problem = detail::decode_standard_key(secret_key.reveal(), kind, bytes);
    std::optional<detail::ed25519_key> key;
    if (!problem && kind == detail::standard_key_kind::whsk)
        key = detail::ed25519_key::from_seed(bytes);
    detail::cleanse(bytes);
    if (!key) {
        ec = error::invalid_signing_secret;
        return {};
    }
    std::string out = "whpk_";
    detail::base64_append(out, key->public_key());
    return out;
}

inline std::string standard_webhooks_public_key(const secret& secret_key) {
    boost::system::error_code ec;
    std::string out = standard_webhooks_public_key(secret_key, ec);
    if (ec)
        boost::throw_exception(boost::system::system_error(
            ec, "standard_webhooks_public_key: the key is not a whsk_ Ed25519 secret key"));
    return out;
}

inline request_signer request_signer::make(const signing& s, boost::system::error_code& ec) {
    request_signer signer;
    const auto problems = detail::signing_access::build(s, signer);
    ec = problems.empty() ? boost::system::error_code() : make_error_code(problems.front().code);
    return signer;
}

inline request_signer request_signer::make(const signing& s) {
    request_signer signer;
    detail::throw_first(detail::signing_access::build(s, signer), "signing");
    return signer;
}

inline void request_signer::sign(boost::beast::http::fields& fields, std::string_view id,
                                 std::int64_t unix_seconds, std::string_view body,
                                 sign_buffers& buffers) const {
    using detail::beast_view;
    if (kind_ == kind::none)
        return;
    char timestamp_buffer[24]; // an int64 is at most 20 characters
    const auto end =
        std::to_chars(timestamp_buffer, timestamp_buffer + sizeof timestamp_buffer, unix_seconds)
            .ptr;
    const std::string_view timestamp(timestamp_buffer,
                                     static_cast<std::size_t>(end - timestamp_buffer));
    // Big enough for HMAC-SHA512 and an Ed25519 signature.
    std::array<unsigned char, detail::max_mac_size> mac;
    std::string& value = buffers.value;
    value.clear();

    if (kind_ == kind::hmac_header) {
        const auto& key = std::get<detail::hmac_key>(keys_.front());
        if (timestamp_header_.empty())
            key.compute({body}, mac.data());
        else
            key.compute({timestamp, ".", body}, mac.data());
        value.append(prefix_);
        const std::string_view raw = detail::view_of(mac.data(), key.size());
        if (encoding_ == signature_encoding::hex)
            detail::hex_append(value, raw);
        else
            detail::base64_append(value, raw);
        detail::replace_field(fields, beast_view(header_), value);
        if (!timestamp_header_.empty())
            detail::replace_field(fields, beast_view(timestamp_header_), timestamp);
        return;
    }

    if (!detail::valid_webhook_id(id))
        boost::throw_exception(boost::system::system_error(
            make_error_code(error::invalid_header_value),
            "webhook-id is empty, contains '.' or a control character, or starts or "
            "ends with a space"));
    bool message_ready = false;
    for (const auto& key : keys_) {
        if (!value.empty())
            value += ' ';
        if (const auto* hmac = std::get_if<detail::hmac_key>(&key)) {
            hmac->compute({id, ".", timestamp, ".", body}, mac.data());
            value += "v1,";
            detail::base64_append(value, detail::view_of(mac.data(), hmac->size()));
        } else {
            if (!message_ready) { // Ed25519 signs the whole message at once
                buffers.message.assign(id).append(1, '.').append(timestamp).append(1, '.');
                buffers.message.append(body);
                message_ready = true;
            }
            std::get<detail::ed25519_key>(key).sign(buffers.message, mac.data());
            value += "v1a,";
            detail::base64_append(value,
                                  detail::view_of(mac.data(), detail::ed25519_signature_size));
        }
    }
    detail::replace_field(fields, beast_view(webhook_id_header), id);
    detail::replace_field(fields, beast_view(webhook_timestamp_header), timestamp);
    detail::replace_field(fields, beast_view(webhook_signature_header), value);
}

inline void request_signer::sign(boost::beast::http::fields& fields, std::string_view id,
                                 std::int64_t unix_seconds, std::string_view body) const {
    sign_buffers buffers;
    sign(fields, id, unix_seconds, body, buffers);
}

inline standard_webhooks_verifier standard_webhooks_verifier::make(const std::vector<secret>& keys,
                                                                   const verify_options& options,
                                                                   boost::system::error_code& ec) {
    standard_webhooks_verifier v;
    v.options_ = options;
    const auto problems = detail::signing_access::build(keys, v);
    ec = problems.empty() ? boost::system::error_code() : make_error_code(problems.front().code);
    return v;
}

inline standard_webhooks_verifier standard_webhooks_verifier::make(const std::vector<secret>& keys,
                                                                   const verify_options& options) {
    standard_webhooks_verifier v;
    v.options_ = options;
    detail::throw_first(detail::signing_access::build(keys, v), "standard_webhooks_verifier");
    return v;
}

inline boost::system::error_code
standard_webhooks_verifier::verify(std::string_view id, std::string_view timestamp,
                                   std::string_view signature, std::string_view body,
                                   std::chrono::system_clock::time_point now) const {
    if (id.empty() || timestamp.empty() || signature.empty())
        return error::signature_missing;
    const std::optional<std::int64_t> seconds = detail::parse_unix_seconds(timestamp);
    if (!seconds)
        return error::signature_malformed;
    if (!detail::within_tolerance(*seconds, now, options_.tolerance))
        return error::signature_timestamp_out_of_tolerance;

    constexpr std::size_t v1_size = 32; // HMAC-SHA256
    // Computed on first use: a header of v1a signatures needs no HMAC, v1 ones no message copy.
    std::vector<std::array<unsigned char, v1_size>> macs;
    std::string message;
    bool well_formed = false;
    std::array<unsigned char, detail::ed25519_signature_size> given;
    std::string_view rest = signature;
    while (!rest.empty()) {
        const std::size_t space = rest.find(' ');
        const std::string_view entry = rest.substr(0, space);
        rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
        const std::size_t comma = entry.find(',');
        if (comma == std::string_view::npos || comma == 0 || comma + 1 == entry.size())
            continue; // also skips the empty entries of doubled spaces
        const std::string_view version = entry.substr(0, comma);
        const std::string_view value = entry.substr(comma + 1);
        if (version == "v1") {
            if (detail::base64_decoded_size(value) != std::optional<std::size_t>(v1_size) ||
                !detail::base64_decode(value, given.data()))
                continue;
            well_formed = true;
            if (macs.empty() && !v1_.empty()) {
                macs.resize(v1_.size());
                for (std::size_t i = 0; i < v1_.size(); ++i)
                    v1_[i].compute({id, ".", timestamp, ".", body}, macs[i].data());
            }
            for (const auto& mac : macs)
                if (detail::equal_bytes(mac.data(), given.data(), v1_size))
                    return {};
        } else if (version == "v1a") {
            if (detail::base64_decoded_size(value) !=
                    std::optional<std::size_t>(detail::ed25519_signature_size) ||
                !detail::base64_decode(value, given.data()))
                continue;
            well_formed = true;
            if (message.empty() && !v1a_.empty())
                message.append(id).append(1, '.').append(timestamp).append(1, '.').append(body);
            for (const auto& key : v1a_)
                if (key.verify(message, given.data()))
                    return {};
        } else {
            well_formed = true; // another version: not ours to check
        }
    }
    return well_formed ? error::signature_mismatch : error::signature_malformed;
}

inline boost::system::error_code
standard_webhooks_verifier::verify(const boost::beast::http::fields& headers, std::string_view body,
                                   std::chrono::system_clock::time_point now) const {
    return verify(detail::field_value(headers, webhook_id_header),
                  detail::field_value(headers, webhook_timestamp_header),
                  detail::field_value(headers, webhook_signature_header), body, now);
}

inline hmac_header_verifier hmac_header_verifier::make(const hmac_header_signing& scheme,
                                                       const std::vector<secret>& keys,
                                                       const verify_options& options,
                                                       boost::system::error_code& ec) {
    hmac_header_verifier v;
    v.options_ = options;
    const auto problems = detail::signing_access::build(scheme, keys, v);
    ec = problems.empty() ? boost::system::error_code() : make_error_code(problems.front().code);
    return v;
}

inline hmac_header_verifier hmac_header_verifier::make(const hmac_header_signing& scheme,
                                                       const std::vector<secret>& keys,
                                                       const verify_options& options) {
    hmac_header_verifier v;
    v.options_ = options;
    detail::throw_first(detail::signing_access::build(scheme, keys, v), "hmac_header_verifier");
    return v;
}

inline boost::system::error_code
hmac_header_verifier::verify(std::string_view signature, std::string_view timestamp,
                             std::string_view body,
                             std::chrono::system_clock::time_point now) const {
    if (signature.empty() || (!timestamp_header_.empty() && timestamp.empty()))
        return error::signature_missing;
    if (!timestamp_header_.empty()) {
        const std::optional<std::int64_t> seconds = detail::parse_unix_seconds(timestamp);
        if (!seconds)
            return error::signature_malformed;
        if (!detail::within_tolerance(*seconds, now, options_.tolerance))
            return error::signature_timestamp_out_of_tolerance;
    }
    if (signature.size() < prefix_.size() ||
        !detail::iequals(signature.substr(0, prefix_.size()), prefix_))
        return error::signature_malformed;
    const std::string_view value = signature.substr(prefix_.size());
    std::array<unsigned char, detail::max_mac_size> given;
    const bool decoded =
        encoding_ == signature_encoding::hex
            ? value.size() == 2 * mac_size_ && detail::hex_decode(value, given.data())
            : detail::base64_decoded_size(value) == std::optional<std::size_t>(mac_size_) &&
                  detail::base64_decode(value, given.data());
    if (!decoded)
        return error::signature_malformed;
    std::array<unsigned char, detail::max_mac_size> mac;
    for (const auto& key : keys_) {
        if (timestamp_header_.empty())
            key.compute({body}, mac.data());
        else
            key.compute({timestamp, ".", body}, mac.data());
        if (detail::equal_bytes(mac.data(), given.data(), mac_size_))
            return {};
    }
    return error::signature_mismatch;
}

inline boost::system::error_code
hmac_header_verifier::verify(const boost::beast::http::fields& headers, std::string_view body,
                             std::chrono::system_clock::time_point now) const {
    return verify(detail::field_value(headers, header_),
                  timestamp_header_.empty() ? std::string_view()
                                            : detail::field_value(headers, timestamp_header_),
                  body, now);
}

} // namespace webhook

#endif
