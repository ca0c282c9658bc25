// Signature verification: webhook::standard_webhooks_verifier and hmac_header_verifier, with
// fixed keys, on request parts a hostile sender chooses. Input: one mode byte, then the
// webhook-id (or the HMAC scheme's unused id), the timestamp and the signature header, each
// ended by '\n', then the body. Receiver's clock: 1700000000 s.
//
// Verification must end in one of the documented errors, and accept only what carries the
// real signature: on success, the header holds the HMAC (or the Ed25519 signature) of the
// content, as computed here apart. And whatever the id and body, what request_signer signs
// verifies, and stops verifying when the body changes.
#include <webhook/signing.hpp>

#include <webhook/detail/base64.hpp>
#include <webhook/detail/hmac.hpp>

#include "fuzz_check.hpp"

#include <boost/beast/http/fields.hpp>
#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace d = webhook::detail;
using clock = std::chrono::system_clock;

constexpr std::int64_t now_s = 1'700'000'000;
const clock::time_point now{std::chrono::seconds{now_s}};

// The Standard Webhooks specification's example key (24 bytes), and an Ed25519 seed.
const std::string whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
std::string ed25519_seed() {
    std::string seed(32, '\0');
    for (std::size_t i = 0; i < seed.size(); ++i)
        seed[i] = static_cast<char>(i * 7 + 1);
    return seed;
}
const std::string whsk = "whsk_" + d::base64_encode(ed25519_seed());
const std::string hmac_key_text = "It's a Secret to Everybody";

struct fixture {
    webhook::standard_webhooks_verifier standard = webhook::standard_webhooks_verifier::make(
        {whsec, webhook::standard_webhooks_public_key(whsk)});
    webhook::request_signer standard_signer =
        webhook::request_signer::make(webhook::standard_webhooks_signing{{whsec, whsk}});
    d::hmac_key v1 = *d::hmac_key::make("SHA256", *d::base64_decode(whsec.substr(6)));
    d::ed25519_key v1a = *d::ed25519_key::from_seed(ed25519_seed());

    // Two HMAC header schemes: GitHub's (hex SHA-256, body only), and base64 SHA-512 over
    // `<timestamp>.<body>`.
    webhook::hmac_header_signing github{.header = "X-Hub-Signature-256",
                                        .algorithm = webhook::hmac_algorithm::sha256,
                                        .encoding = webhook::signature_encoding::hex,
                                        .prefix = "sha256=",
                                        .key = hmac_key_text,
                                        .timestamp_header = ""};
    webhook::hmac_header_signing timestamped{.header = "X-Signature",
                                             .algorithm = webhook::hmac_algorithm::sha512,
                                             .encoding = webhook::signature_encoding::base64,
                                             .prefix = "",
                                             .key = hmac_key_text,
                                             .timestamp_header = "X-Timestamp"};
    webhook::hmac_header_verifier github_verifier = webhook::hmac_header_verifier::make(github);
    webhook::hmac_header_verifier timestamped_verifier =
        webhook::hmac_header_verifier::make(timestamped);
    webhook::request_signer github_signer = webhook::request_signer::make(github);
    webhook::request_signer timestamped_signer = webhook::request_signer::make(timestamped);
    d::hmac_key sha256 = *d::hmac_key::make("SHA256", hmac_key_text);
    d::hmac_key sha512 = *d::hmac_key::make("SHA512", hmac_key_text);
};

const fixture& keys() {
    static const fixture f;
    return f;
}

const bool verbose = std::getenv("WEBHOOK_FUZZ_VERBOSE") != nullptr; // to study one input

void trace(boost::system::error_code ec) {
    if (verbose)
        std::fprintf(stderr, "verify: %s\n", ec ? ec.message().c_str() : "ok");
}

bool is_documented(boost::system::error_code ec) {
    return ec == webhook::error::signature_missing || ec == webhook::error::signature_malformed ||
           ec == webhook::error::signature_timestamp_out_of_tolerance ||
           ec == webhook::error::signature_mismatch;
}

std::string mac_of(const d::hmac_key& k, std::initializer_list<std::string_view> parts) {
    std::array<unsigned char, d::max_mac_size> mac{};
    k.compute(parts, mac.data());
    return std::string(d::view_of(mac.data(), k.size()));
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

std::string hex(std::string_view bytes) {
    std::string out;
    d::hex_append(out, bytes);
    return out;
}

/// Whether a Standard Webhooks header holds the real signature of the content.
bool holds_real_signature(std::string_view header, std::string_view id, std::string_view ts,
                          std::string_view body) {
    const fixture& f = keys();
    const std::string v1 = "v1," + d::base64_encode(mac_of(f.v1, {id, ".", ts, ".", body}));
    std::array<unsigned char, d::ed25519_signature_size> sig{};
    const std::string message = std::string(id) + "." + std::string(ts) + "." + std::string(body);
    f.v1a.sign(message, sig.data());
    const std::string v1a = "v1a," + d::base64_encode(d::view_of(sig.data(), sig.size()));
    while (!header.empty()) {
        const std::size_t space = header.find(' ');
        const std::string_view entry = header.substr(0, space);
        if (entry == v1 || entry == v1a)
            return true;
        header = space == std::string_view::npos ? std::string_view() : header.substr(space + 1);
    }
    return false;
}

/// Signs with `signer`, verifies with `verify`; then the same with one more body byte.
template <class Verify>
void round_trip(const webhook::request_signer& signer, std::string_view id, std::string_view body,
                Verify verify) {
    // An id with a space or tab at either end is refused (found here: it was signed as given
    // but sent trimmed; corpus/signature/regression_id_with_outer_space).
    boost::beast::http::fields fields;
    try {
        signer.sign(fields, id, now_s, body);
    } catch (const boost::system::system_error& e) {
        FUZZ_CHECK(e.code() == webhook::error::invalid_header_value); // a bad id: documented
        return;
    }
    FUZZ_CHECK(!verify(fields, body));
    const std::string changed = std::string(body) + "x";
    FUZZ_CHECK(verify(fields, changed) == webhook::error::signature_mismatch);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1)
        return 0;
    const unsigned mode = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::string_view parts[3];
    for (auto& part : parts) {
        const std::size_t nl = rest.find('\n');
        part = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    }
    const auto [id, timestamp, signature] = parts;
    const std::string_view body = rest;
    const fixture& f = keys();

    switch (mode % 3) {
    case 0: {
        const auto ec = f.standard.verify(id, timestamp, signature, body, now);
        trace(ec);
        FUZZ_CHECK(!ec || is_documented(ec));
        if (!ec)
            FUZZ_CHECK(holds_real_signature(signature, id, timestamp, body));
        round_trip(f.standard_signer, id, body, [&](const auto& fields, std::string_view b) {
            return f.standard.verify(fields, b, now);
        });
        break;
    }
    case 1: {
        const auto ec = f.github_verifier.verify(signature, timestamp, body, now);
        trace(ec);
        FUZZ_CHECK(!ec || is_documented(ec));
        if (!ec)
            FUZZ_CHECK(lower(signature) == "sha256=" + hex(mac_of(f.sha256, {body})));
        round_trip(f.github_signer, id, body, [&](const auto& fields, std::string_view b) {
            return f.github_verifier.verify(fields, b, now);
        });
        break;
    }
    default: {
        const auto ec = f.timestamped_verifier.verify(signature, timestamp, body, now);
        trace(ec);
        FUZZ_CHECK(!ec || is_documented(ec));
        if (!ec)
            FUZZ_CHECK(signature == d::base64_encode(mac_of(f.sha512, {timestamp, ".", body})));
        round_trip(f.timestamped_signer, id, body, [&](const auto& fields, std::string_view b) {
            return f.timestamped_verifier.verify(fields, b, now);
        });
        break;
    }
    }
    return 0;
}
