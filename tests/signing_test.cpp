#include <webhook/signing.hpp>

#define BOOST_TEST_MODULE signing
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"

#include <webhook/detail/base64.hpp>
#include <webhook/detail/hmac.hpp>

#include <boost/system/system_error.hpp>

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using webhook::error;
using webhook::hmac_algorithm;
using webhook::hmac_header_signing;
using webhook::request_signer;
using webhook::secret;
using webhook::signature_encoding;
using webhook::signing_problem;
using webhook::standard_webhooks_signing;
using webhook::standard_webhooks_verifier;
namespace http = boost::beast::http;

namespace {

// The Standard Webhooks test vector: the reference libraries' signing test
// (standard-webhooks/standard-webhooks, libraries/go/webhook_symmetric_test.go,
// TestSymmetricWebhookSign; the same values in the other languages' tests).
constexpr const char* vector_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view vector_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t vector_timestamp = 1614265330;
constexpr std::string_view vector_payload = R"({"test": 2432232314})";
constexpr std::string_view vector_signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// The asymmetric one (libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign):
// same id, timestamp and payload. The reference library takes the key without its prefix.
constexpr const char* vector_ed25519_secret = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
constexpr std::string_view vector_ed25519_signature =
    "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";
// Its public key, derived with `openssl pkey -pubout` from the seed.
constexpr const char* vector_ed25519_public = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";

// A second symmetric key, for rotation: base64 of "0123456789abcdef0123456789abcdef".
constexpr const char* other_secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
// Its signature of the test vector (`openssl mac -digest SHA256 ... HMAC`).
constexpr std::string_view other_signature = "v1,hK4CWvngkaAwjY1pABLuUbOIkEJjW9tAapq1no4ojG0=";

std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

const auto vector_now = at(vector_timestamp);

std::string field(const http::fields& f, std::string_view name) {
    const auto it = f.find(boost::beast::string_view(name.data(), name.size()));
    return it == f.end() ? "<absent>" : std::string(it->value());
}

std::size_t count(const http::fields& f, std::string_view name) {
    return f.count(boost::beast::string_view(name.data(), name.size()));
}

/// The signature headers `signing` gives the test vector's id, timestamp and payload.
http::fields signed_vector(const webhook::signing& s) {
    http::fields f;
    request_signer::make(s).sign(f, vector_id, vector_timestamp, vector_payload);
    return f;
}

std::string problems_of(const webhook::signing& s) {
    std::string lines;
    for (const signing_problem& p : webhook::validate(s))
        lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
    return lines.empty() ? "valid" : lines;
}

error code_of(const boost::system::error_code& ec) {
    BOOST_TEST_REQUIRE((!ec || ec.category() == webhook::error_category()));
    return static_cast<error>(ec.value());
}

/// The error, as an `error` (0 when none), of verifying the vector with `signature`.
error verify_vector(const standard_webhooks_verifier& v, std::string_view signature,
                    std::chrono::system_clock::time_point now = vector_now) {
    return code_of(v.verify(vector_id, "1614265330", signature, vector_payload, now));
}

constexpr error ok{};

/// The text of the exception `f` throws.
template <class F>
std::string what_of(F f) {
    try {
        f();
    } catch (const boost::system::system_error& e) {
        return e.what();
    }
    return "<no exception>";
}

/// What Boost.System appends to `system_error::what()`: ` [webhook:<value>]`.
std::string code_suffix(error e) {
    return " [webhook:" + std::to_string(static_cast<int>(e)) + "]";
}

/// A fresh Ed25519 key pair in the specification's text forms.
struct key_pair {
    std::string secret_key;
    std::string public_key;
};

key_pair generate_ed25519() {
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), &EVP_PKEY_free);
    BOOST_TEST_REQUIRE((pkey != nullptr));
    std::array<unsigned char, 32> seed{}, pub{};
    std::size_t seed_size = seed.size(), pub_size = pub.size();
    BOOST_TEST_REQUIRE(EVP_PKEY_get_raw_private_key(pkey.get(), seed.data(), &seed_size) == 1);
    BOOST_TEST_REQUIRE(EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &pub_size) == 1);
    BOOST_TEST_REQUIRE(seed_size == 32u);
    BOOST_TEST_REQUIRE(pub_size == 32u);
    using webhook::detail::base64_encode;
    using webhook::detail::view_of;
    return {"whsk_" + base64_encode(view_of(seed.data(), 32)),
            "whpk_" + base64_encode(view_of(pub.data(), 32))};
}

} // namespace

BOOST_AUTO_TEST_SUITE(standard_webhooks)

BOOST_AUTO_TEST_CASE(test_vector_signs_to_the_published_signature) {
    const http::fields f = signed_vector(standard_webhooks_signing{{secret(vector_secret)}});
    BOOST_TEST(field(f, "webhook-id") == vector_id);
    BOOST_TEST(field(f, "webhook-timestamp") == "1614265330");
    BOOST_TEST(field(f, "webhook-signature") == vector_signature);
}

BOOST_AUTO_TEST_CASE(test_vector_verifies) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    BOOST_TEST(verify_vector(v, vector_signature) == ok);
    http::fields f;
    f.set("webhook-id", vector_id);
    f.set("webhook-timestamp", "1614265330");
    f.set("webhook-signature", vector_signature);
    BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok);
}

BOOST_AUTO_TEST_CASE(ed25519_test_vector_signs_to_the_published_signature) {
    const http::fields f =
        signed_vector(standard_webhooks_signing{{secret(vector_ed25519_secret)}});
    BOOST_TEST(field(f, "webhook-signature") == vector_ed25519_signature);
}

BOOST_AUTO_TEST_CASE(ed25519_test_vector_verifies_with_the_public_key) {
    const auto v = standard_webhooks_verifier::make({secret(vector_ed25519_public)});
    BOOST_TEST(verify_vector(v, vector_ed25519_signature) == ok);
}

BOOST_AUTO_TEST_CASE(public_key_is_derived_from_the_secret_key) {
    BOOST_TEST(webhook::standard_webhooks_public_key(secret(vector_ed25519_secret)) ==
               vector_ed25519_public);
    boost::system::error_code ec;
    BOOST_TEST(webhook::standard_webhooks_public_key(secret(vector_secret), ec).empty());
    BOOST_TEST(code_of(ec) == error::invalid_signing_secret);
    const std::string what =
        what_of([] { (void)webhook::standard_webhooks_public_key(secret("whsk_c2VjcmV0")); });
    BOOST_TEST(what.find("c2VjcmV0") == std::string::npos, what);
}

BOOST_AUTO_TEST_CASE(generated_ed25519_key_round_trips) {
    const key_pair keys = generate_ed25519();
    BOOST_TEST(webhook::standard_webhooks_public_key(secret(keys.secret_key)) == keys.public_key);
    const http::fields f = signed_vector(standard_webhooks_signing{{secret(keys.secret_key)}});
    const std::string signature = field(f, "webhook-signature");
    BOOST_TEST(signature.starts_with("v1a,"));
    BOOST_TEST(signature.size() == 4u + 88u);
    const auto v = standard_webhooks_verifier::make({secret(keys.public_key)});
    BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok);
    BOOST_TEST(code_of(v.verify(f, R"({"test": 2432232315})", vector_now)) ==
               error::signature_mismatch);
    // Another key pair's public key does not accept it.
    const auto stranger = standard_webhooks_verifier::make({secret(generate_ed25519().public_key)});
    BOOST_TEST(code_of(stranger.verify(f, vector_payload, vector_now)) ==
               error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(v1_round_trips_through_fields) {
    const auto signer = request_signer::make(standard_webhooks_signing{{secret(other_secret)}});
    BOOST_TEST(signer.enabled());
    http::fields f;
    signer.sign(f, "evt_1", 1700000000, "{}");
    const auto v = standard_webhooks_verifier::make({secret(other_secret)});
    BOOST_TEST(code_of(v.verify(f, "{}", at(1700000000) + 299s)) == ok);
}

BOOST_AUTO_TEST_CASE(two_keys_send_two_space_separated_signatures_in_key_order) {
    const http::fields f =
        signed_vector(standard_webhooks_signing{{secret(other_secret), secret(vector_secret)}});
    BOOST_TEST(field(f, "webhook-signature") ==
               std::string(other_signature) + " " + std::string(vector_signature));
    BOOST_TEST(count(f, "webhook-signature") == 1u);
}

BOOST_AUTO_TEST_CASE(a_verifier_with_either_rotated_key_accepts) {
    const http::fields f =
        signed_vector(standard_webhooks_signing{{secret(other_secret), secret(vector_secret)}});
    for (const char* key : {vector_secret, other_secret}) {
        const auto v = standard_webhooks_verifier::make({secret(key)});
        BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok, key);
    }
    // And a verifier that holds both accepts a request signed with either alone.
    const auto both =
        standard_webhooks_verifier::make({secret(vector_secret), secret(other_secret)});
    BOOST_TEST(verify_vector(both, vector_signature) == ok);
    BOOST_TEST(verify_vector(both, other_signature) == ok);
    // A key it was not signed with does not.
    const auto neither = standard_webhooks_verifier::make(
        {secret("whsec_" + webhook::detail::base64_encode("a different secret, 32 bytes lo"))});
    BOOST_TEST(code_of(neither.verify(f, vector_payload, vector_now)) == error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(mixed_v1_and_v1a_keys_sign_both_versions) {
    const http::fields f = signed_vector(
        standard_webhooks_signing{{secret(vector_secret), secret(vector_ed25519_secret)}});
    BOOST_TEST(field(f, "webhook-signature") ==
               std::string(vector_signature) + " " + std::string(vector_ed25519_signature));
    const auto v = standard_webhooks_verifier::make({secret(vector_ed25519_public)});
    BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok);
}

BOOST_AUTO_TEST_CASE(tampering_with_anything_signed_is_a_mismatch) {
    const auto v =
        standard_webhooks_verifier::make({secret(vector_secret), secret(vector_ed25519_public)});
    for (const std::string_view sig : {vector_signature, vector_ed25519_signature}) {
        const auto now = vector_now;
        BOOST_TEST(code_of(v.verify(vector_id, "1614265330", sig, R"({"test": 2432232315})",
                                    now)) == error::signature_mismatch);
        BOOST_TEST(code_of(v.verify(vector_id, "1614265330", sig, "", now)) ==
                   error::signature_mismatch);
        BOOST_TEST(code_of(v.verify("msg_p5jXN8AQM9LWM0D4loKWxJeK", "1614265330", sig,
                                    vector_payload, now)) == error::signature_mismatch);
        BOOST_TEST(code_of(v.verify(vector_id, "1614265331", sig, vector_payload, now)) ==
                   error::signature_mismatch);
        // The timestamp is signed as text: a leading zero is another message.
        BOOST_TEST(code_of(v.verify(vector_id, "01614265330", sig, vector_payload, now)) ==
                   error::signature_mismatch);
    }
    // One character of the signature changed (still 32 bytes of valid base64).
    BOOST_TEST(verify_vector(v, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=") ==
               error::signature_mismatch);
    BOOST_TEST(verify_vector(v,
                             "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHe"
                             "YGb7KaaBRdM5WqyeFiL8Aw==") == error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(timestamp_tolerance_is_five_minutes_either_way_by_default) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    BOOST_TEST(verify_vector(v, vector_signature, vector_now + 300s) == ok);
    BOOST_TEST(verify_vector(v, vector_signature, vector_now + 300s + 999ms) == ok); // truncated
    BOOST_TEST(verify_vector(v, vector_signature, vector_now + 301s) ==
               error::signature_timestamp_out_of_tolerance);
    BOOST_TEST(verify_vector(v, vector_signature, vector_now - 300s) == ok);
    BOOST_TEST(verify_vector(v, vector_signature, vector_now - 301s) ==
               error::signature_timestamp_out_of_tolerance);
    // Checked before the signature: a stale forgery is reported as stale.
    BOOST_TEST(verify_vector(v, "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                             vector_now + 1h) == error::signature_timestamp_out_of_tolerance);
}

BOOST_AUTO_TEST_CASE(tolerance_is_configurable_and_extreme_values_do_not_overflow) {
    const auto tight =
        standard_webhooks_verifier::make({secret(vector_secret)}, {.tolerance = 10s});
    BOOST_TEST(verify_vector(tight, vector_signature, vector_now + 10s) == ok);
    BOOST_TEST(verify_vector(tight, vector_signature, vector_now - 11s) ==
               error::signature_timestamp_out_of_tolerance);
    const auto zero = standard_webhooks_verifier::make({secret(vector_secret)}, {.tolerance = -5s});
    BOOST_TEST(verify_vector(zero, vector_signature) == ok);
    BOOST_TEST(verify_vector(zero, vector_signature, vector_now + 1s) ==
               error::signature_timestamp_out_of_tolerance);
    const auto any = standard_webhooks_verifier::make({secret(vector_secret)},
                                                      {.tolerance = std::chrono::seconds::max()});
    BOOST_TEST(code_of(any.verify(vector_id, "9223372036854775807", vector_signature,
                                  vector_payload, at(0))) == error::signature_mismatch);
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    BOOST_TEST(code_of(v.verify(vector_id, "9223372036854775807", vector_signature, vector_payload,
                                at(-9'000'000'000))) ==
               error::signature_timestamp_out_of_tolerance);
}

BOOST_AUTO_TEST_CASE(absent_or_empty_headers_are_missing) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    BOOST_TEST(code_of(v.verify("", "1614265330", vector_signature, vector_payload, vector_now)) ==
               error::signature_missing);
    BOOST_TEST(code_of(v.verify(vector_id, "", vector_signature, vector_payload, vector_now)) ==
               error::signature_missing);
    BOOST_TEST(code_of(v.verify(vector_id, "1614265330", "", vector_payload, vector_now)) ==
               error::signature_missing);
    for (const std::string_view absent : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
        http::fields f = signed_vector(standard_webhooks_signing{{secret(vector_secret)}});
        f.erase(boost::beast::string_view(absent.data(), absent.size()));
        BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == error::signature_missing,
                   absent);
    }
    BOOST_TEST(code_of(v.verify(http::fields(), vector_payload, vector_now)) ==
               error::signature_missing);
}

BOOST_AUTO_TEST_CASE(a_timestamp_that_is_not_decimal_seconds_is_malformed) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    for (const std::string_view ts :
         {"abc", "-1614265330", "+1614265330", " 1614265330", "1614265330 ", "1614265330.5",
          "1.6e9", "0x603c2e72", "99999999999999999999"})
        BOOST_TEST(code_of(v.verify(vector_id, ts, vector_signature, vector_payload, vector_now)) ==
                       error::signature_malformed,
                   ts);
}

BOOST_AUTO_TEST_CASE(a_header_without_one_well_formed_entry_is_malformed) {
    const auto v =
        standard_webhooks_verifier::make({secret(vector_secret), secret(vector_ed25519_public)});
    for (const std::string_view sig : {
             "v1",                                               // no comma
             "v1,",                                              // no value
             ",g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",    // no version
             "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE",   // no padding
             "v1,g0hM9SsE-OTPJTGt_tmIKtSyZlE3uFJELVlNIOLJ1OE=",  // URL-safe alphabet
             "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=",  // non-zero unused bits
             "v1,!!!!",                                          // not base64
             "v1,AAAAAAAAAAAAAAAAAAAAAA==",                      // 16 bytes, not 32
             "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", // 32 bytes, not 64
             "v1 v1, ,x",                                        // all garbage
             "    ",                                             // spaces only
         })
        BOOST_TEST(verify_vector(v, sig) == error::signature_malformed, '"' << sig << '"');
}

BOOST_AUTO_TEST_CASE(well_formed_entries_that_do_not_verify_are_a_mismatch) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    // Only versions this verifier does not know, or holds no key for.
    BOOST_TEST(verify_vector(v, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") ==
               error::signature_mismatch);
    BOOST_TEST(verify_vector(v, "v1,garbage v2,anything") == error::signature_mismatch);
    BOOST_TEST(verify_vector(v, vector_ed25519_signature) == error::signature_mismatch);
    BOOST_TEST(verify_vector(v, "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=") ==
               error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(any_matching_entry_among_others_verifies) {
    const auto v = standard_webhooks_verifier::make({secret(vector_secret)});
    const std::string header = std::string("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ") +
                               "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= garbage v1, " +
                               std::string(vector_signature) + "  " + "v1,x";
    BOOST_TEST(verify_vector(v, header) == ok);
}

BOOST_AUTO_TEST_CASE(signing_replaces_earlier_signature_headers) {
    const auto signer = request_signer::make(standard_webhooks_signing{{secret(vector_secret)}});
    http::fields f;
    signer.sign(f, "msg_old", 1, "old");
    webhook::sign_buffers buffers;
    signer.sign(f, vector_id, vector_timestamp, vector_payload, buffers);
    BOOST_TEST(count(f, "webhook-id") == 1u);
    BOOST_TEST(count(f, "webhook-timestamp") == 1u);
    BOOST_TEST(count(f, "webhook-signature") == 1u);
    BOOST_TEST(field(f, "webhook-signature") == vector_signature);
    // Buffers reused for the next request give the same result.
    signer.sign(f, vector_id, vector_timestamp, vector_payload, buffers);
    BOOST_TEST(field(f, "webhook-signature") == vector_signature);
}

BOOST_AUTO_TEST_CASE(an_id_with_a_dot_or_control_character_is_refused) {
    const auto signer = request_signer::make(standard_webhooks_signing{{secret(vector_secret)}});
    for (const std::string_view id :
         {std::string_view(), std::string_view("msg.1"), std::string_view("msg\r\nX-Evil: 1"),
          std::string_view("a\0b", 3)}) {
        http::fields f;
        boost::system::error_code ec;
        try {
            signer.sign(f, id, vector_timestamp, vector_payload);
        } catch (const boost::system::system_error& e) {
            ec = e.code();
        }
        BOOST_TEST(code_of(ec) == error::invalid_header_value);
        BOOST_TEST((f.begin() == f.end())); // nothing set
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(hmac_header)

/// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
constexpr std::string_view rfc4231_data = "what do ya want for nothing?";

http::fields signed_with(const hmac_header_signing& s, std::string_view body,
                         std::int64_t timestamp = 0) {
    http::fields f;
    request_signer::make(s).sign(f, "ignored", timestamp, body);
    return f;
}

BOOST_AUTO_TEST_CASE(rfc4231_known_answers_in_hex_and_base64) {
    hmac_header_signing s{.key = "Jefe"};
    BOOST_TEST(field(signed_with(s, rfc4231_data), "X-Webhook-Signature") ==
               "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    s.algorithm = hmac_algorithm::sha512;
    s.prefix = "sha512=";
    BOOST_TEST(field(signed_with(s, rfc4231_data), "X-Webhook-Signature") ==
               "sha512=164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
               "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    s.encoding = signature_encoding::base64;
    s.prefix = "";
    BOOST_TEST(
        field(signed_with(s, rfc4231_data), "X-Webhook-Signature") ==
        "Fkt6e/z4GeLjlfvnO1bgo4e9ZCIugx/WECcM1+olBVSXWL91wFqZSm0DT2X48Ob9yuqxo01Ka0tjbgcKOLznNw==");
    s.algorithm = hmac_algorithm::sha256;
    BOOST_TEST(field(signed_with(s, rfc4231_data), "X-Webhook-Signature") ==
               "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

BOOST_AUTO_TEST_CASE(rfc4231_case_1_binary_key) {
    // Key 0x0b * 20, data "Hi There", through the detail wrappers and the hex encoder.
    const std::string key(20, '\x0b');
    std::array<unsigned char, webhook::detail::max_mac_size> mac{};
    std::string hex;
    const auto sha256 = webhook::detail::hmac_key::make("SHA256", key);
    BOOST_TEST_REQUIRE(sha256.has_value());
    sha256->compute({"Hi ", "There"}, mac.data());
    webhook::detail::hex_append(hex, webhook::detail::view_of(mac.data(), sha256->size()));
    BOOST_TEST(hex == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    const auto sha512 = webhook::detail::hmac_key::make("SHA512", key);
    BOOST_TEST_REQUIRE(sha512.has_value());
    sha512->compute({"Hi There"}, mac.data());
    hex.clear();
    webhook::detail::hex_append(hex, webhook::detail::view_of(mac.data(), sha512->size()));
    BOOST_TEST(hex == "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
                      "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854");
}

BOOST_AUTO_TEST_CASE(with_a_timestamp_header_the_content_is_timestamp_dot_body) {
    const hmac_header_signing s{
        .header = "X-Signature", .key = "Jefe", .timestamp_header = "X-Signature-Timestamp"};
    const http::fields f = signed_with(s, vector_payload, vector_timestamp);
    BOOST_TEST(field(f, "X-Signature") ==
               "sha256=4eb559d8c109b56f7d381e46a8e058df2e634c4d1a2ca8172e073da2dbe78fd8");
    BOOST_TEST(field(f, "X-Signature-Timestamp") == "1614265330");
    // Without one, the body alone, and no timestamp header.
    const http::fields g = signed_with({.header = "X-Signature", .key = "Jefe"}, vector_payload);
    BOOST_TEST(field(g, "X-Signature") ==
               "sha256=3a928b2a85b805f0c498fca50750252017808116ff8463ca74b22143dccab51a");
    BOOST_TEST(count(g, "X-Signature-Timestamp") == 0u);
    BOOST_TEST(count(g, "webhook-id") == 0u);
}

BOOST_AUTO_TEST_CASE(every_combination_round_trips) {
    for (const auto algorithm : {hmac_algorithm::sha256, hmac_algorithm::sha512})
        for (const auto encoding : {signature_encoding::hex, signature_encoding::base64})
            for (const std::string_view ts_header : {"", "X-Timestamp"}) {
                const hmac_header_signing s{.header = "X-Sig",
                                            .algorithm = algorithm,
                                            .encoding = encoding,
                                            .prefix = "v0=",
                                            .key = "a shared secret",
                                            .timestamp_header = std::string(ts_header)};
                const http::fields f = signed_with(s, vector_payload, vector_timestamp);
                const auto v = webhook::hmac_header_verifier::make(s);
                BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok);
                BOOST_TEST(code_of(v.verify(f, "{}", vector_now)) == error::signature_mismatch);
                const std::size_t size = algorithm == hmac_algorithm::sha256 ? 32 : 64;
                const std::size_t encoded =
                    encoding == signature_encoding::hex ? 2 * size : (size + 2) / 3 * 4;
                BOOST_TEST(field(f, "X-Sig").size() == 3 + encoded);
            }
}

BOOST_AUTO_TEST_CASE(verifier_accepts_any_of_several_keys) {
    const hmac_header_signing old_scheme{.key = "old key"};
    const http::fields f = signed_with(old_scheme, "body");
    hmac_header_signing new_scheme = old_scheme;
    new_scheme.key = "new key";
    const http::fields g = signed_with(new_scheme, "body");
    const auto both = webhook::hmac_header_verifier::make(new_scheme, {"new key", "old key"});
    BOOST_TEST(code_of(both.verify(f, "body", vector_now)) == ok);
    BOOST_TEST(code_of(both.verify(g, "body", vector_now)) == ok);
    const auto only_new = webhook::hmac_header_verifier::make(new_scheme);
    BOOST_TEST(code_of(only_new.verify(f, "body", vector_now)) == error::signature_mismatch);
    BOOST_TEST(code_of(only_new.verify(g, "body", vector_now)) == ok);
}

BOOST_AUTO_TEST_CASE(verify_reports_each_failure) {
    const hmac_header_signing s{.key = "Jefe", .timestamp_header = "X-Timestamp"};
    const auto v = webhook::hmac_header_verifier::make(s);
    const std::string good =
        "sha256=4eb559d8c109b56f7d381e46a8e058df2e634c4d1a2ca8172e073da2dbe78fd8";
    const auto check = [&](std::string_view sig, std::string_view ts,
                           std::chrono::system_clock::time_point now = vector_now) {
        return code_of(v.verify(sig, ts, vector_payload, now));
    };
    BOOST_TEST(check(good, "1614265330") == ok);
    BOOST_TEST(check("SHA256=4EB559D8C109B56F7D381E46A8E058DF2E634C4D1A2CA8172E073DA2DBE78FD8",
                     "1614265330") == ok); // prefix and hex ignore case
    BOOST_TEST(check("", "1614265330") == error::signature_missing);
    BOOST_TEST(check(good, "") == error::signature_missing);
    BOOST_TEST(check(good, "16142653e0") == error::signature_malformed);
    BOOST_TEST(check(good, "1614265330", vector_now + 301s) ==
               error::signature_timestamp_out_of_tolerance);
    BOOST_TEST(check(good, "1614265330", vector_now - 301s) ==
               error::signature_timestamp_out_of_tolerance);
    BOOST_TEST(check(good.substr(7), "1614265330") == error::signature_malformed); // no prefix
    BOOST_TEST(check("sha512=" + good.substr(7), "1614265330") == error::signature_malformed);
    BOOST_TEST(check(good.substr(0, good.size() - 2), "1614265330") ==
               error::signature_malformed);                                     // short
    BOOST_TEST(check(good + "00", "1614265330") == error::signature_malformed); // long
    BOOST_TEST(check(good.substr(0, good.size() - 1) + "g", "1614265330") ==
               error::signature_malformed); // not hex
    BOOST_TEST(check(good.substr(0, good.size() - 1) + "9", "1614265330") ==
               error::signature_mismatch);
    BOOST_TEST(check(good, "1614265331") == error::signature_mismatch); // timestamp is signed
    // The fields overload reads the configured names.
    http::fields f;
    f.set("X-Webhook-Signature", good);
    BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == error::signature_missing);
    f.set("x-timestamp", "1614265330");
    BOOST_TEST(code_of(v.verify(f, vector_payload, vector_now)) == ok);
}

BOOST_AUTO_TEST_CASE(base64_signatures_must_be_strict) {
    const hmac_header_signing s{
        .encoding = signature_encoding::base64, .prefix = "", .key = "Jefe"};
    const auto v = webhook::hmac_header_verifier::make(s);
    const auto check = [&](std::string_view sig) {
        return code_of(v.verify(sig, "", rfc4231_data, vector_now));
    };
    BOOST_TEST(check("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=") == ok);
    BOOST_TEST(check("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM") == error::signature_malformed);
    BOOST_TEST(check("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEN=") == error::signature_malformed);
    BOOST_TEST(check("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEI=") == error::signature_mismatch);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(configuration)

BOOST_AUTO_TEST_CASE(no_signing_signs_nothing) {
    const request_signer none = request_signer::make(webhook::no_signing{});
    BOOST_TEST(!none.enabled());
    BOOST_TEST(!request_signer().enabled());
    http::fields f;
    none.sign(f, "id.with.dots", 1, "body");
    BOOST_TEST((f.begin() == f.end()));
    BOOST_TEST(problems_of(webhook::no_signing{}) == "valid");
}

BOOST_AUTO_TEST_CASE(malformed_standard_webhooks_keys_are_each_a_problem) {
    const standard_webhooks_signing s{{
        secret(vector_secret),
        "whsec_not*base64",
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // no prefix
        "",
        "whsec_",
        "whsec_" + webhook::detail::base64_encode(std::string(22, 'a')),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ",
        std::string(vector_ed25519_public),
        "whsk_" + webhook::detail::base64_encode(std::string(31, 'k')),
        "whpk_%%%%",
    }};
    BOOST_TEST(problems_of(s) ==
               "keys[1]: is not whsec_ followed by base64\n"
               "keys[2]: has none of the prefixes whsec_, whsk_, whpk_\n"
               "keys[3]: is empty\n"
               "keys[4]: is not whsec_ followed by base64\n"
               "keys[5]: is shorter than the 24 bytes the Standard Webhooks specification "
               "requires\n"
               "keys[6]: is not whsec_ followed by base64\n"
               "keys[7]: is a whpk_ public key, which cannot sign: use the whsk_ secret key\n"
               "keys[8]: is not a 32-byte Ed25519 private key (whsk_ and the base64 of the "
               "seed)\n"
               "keys[9]: is not whpk_ followed by base64");
    for (const signing_problem& p : webhook::validate(s))
        BOOST_TEST(p.code == error::invalid_signing_secret);
    BOOST_TEST(problems_of(standard_webhooks_signing{}) ==
               "keys: is empty: give at least one whsec_ or whsk_ key");

    boost::system::error_code ec;
    const request_signer signer = request_signer::make(s, ec);
    BOOST_TEST(code_of(ec) == error::invalid_signing_secret);
    BOOST_TEST(!signer.enabled());
}

BOOST_AUTO_TEST_CASE(verifier_keys_are_whsec_or_whpk) {
    boost::system::error_code ec;
    (void)standard_webhooks_verifier::make({secret(vector_ed25519_secret)}, {}, ec);
    BOOST_TEST(code_of(ec) == error::invalid_signing_secret);
    const std::string what = what_of([] {
        (void)standard_webhooks_verifier::make({vector_secret, vector_ed25519_secret});
    });
    BOOST_TEST(what == "standard_webhooks_verifier keys[1]: is a whsk_ secret key: a receiver "
                       "verifies with the whpk_ public key: signing secret or key is malformed" +
                           code_suffix(error::invalid_signing_secret));
    BOOST_TEST(what_of([] { (void)standard_webhooks_verifier::make({}); }) ==
               "standard_webhooks_verifier keys: is empty: give at least one whsec_ or whpk_ "
               "key: signing secret or key is malformed" +
                   code_suffix(error::invalid_signing_secret));
    // A verifier that failed to build accepts nothing.
    const auto broken =
        standard_webhooks_verifier::make({"whsec_AAAA", secret(vector_secret)}, {}, ec);
    BOOST_TEST(code_of(ec) == error::invalid_signing_secret);
    BOOST_TEST(verify_vector(broken, vector_signature) == error::signature_mismatch);
}

BOOST_AUTO_TEST_CASE(key_text_never_appears_in_errors) {
    const std::string marker = "SuperSecretMarker";
    for (const std::string& key :
         {"whsec_" + marker + "!", "whsk_" + marker + "==", "whpk_" + marker, marker,
          "whsec_" + webhook::detail::base64_encode(marker)}) {
        const standard_webhooks_signing s{{secret(key)}};
        const std::string what = what_of([&] { (void)request_signer::make(s); });
        BOOST_TEST(what.starts_with("signing keys[0]: "), what);
        BOOST_TEST(what.find(marker) == std::string::npos, what);
        BOOST_TEST(what.find(webhook::detail::base64_encode(marker)) == std::string::npos, what);
        for (const signing_problem& p : webhook::validate(s))
            BOOST_TEST(p.message.find(marker) == std::string::npos, p.message);
        const std::string verifier_what =
            what_of([&] { (void)standard_webhooks_verifier::make({secret(key)}); });
        BOOST_TEST(verifier_what.find(marker) == std::string::npos, verifier_what);
        boost::system::error_code ec;
        (void)webhook::standard_webhooks_public_key(secret(key), ec);
        BOOST_TEST(ec.message().find(marker) == std::string::npos);
    }
    std::ostringstream os;
    os << secret(marker);
    BOOST_TEST(os.str() == "***");
}

BOOST_AUTO_TEST_CASE(hmac_header_configuration_problems) {
    BOOST_TEST(problems_of(hmac_header_signing{.key = "k"}) == "valid");
    const hmac_header_signing bad{.header = "X Signature",
                                  .algorithm = static_cast<hmac_algorithm>(7),
                                  .encoding = static_cast<signature_encoding>(9),
                                  .prefix = "sha256=\r\n",
                                  .key = "",
                                  .timestamp_header = "Content-Length"};
    BOOST_TEST(problems_of(bad) == "header: is not an HTTP header name (token)\n"
                                   "algorithm: is not sha256 or sha512\n"
                                   "encoding: is not hex or base64\n"
                                   "prefix: contains CR, LF, NUL or another control character\n"
                                   "key: is empty\n"
                                   "timestamp_header: is a header the library sets itself");
    std::vector<error> codes;
    for (const signing_problem& p : webhook::validate(bad))
        codes.push_back(p.code);
    BOOST_TEST(codes ==
                   (std::vector<error>{error::invalid_header_name, error::invalid_signing_secret,
                                       error::invalid_signing_secret, error::invalid_header_value,
                                       error::invalid_signing_secret, error::invalid_header_name}),
               boost::test_tools::per_element());
    BOOST_TEST(problems_of(hmac_header_signing{.header = "", .key = "k"}) ==
               "header: is not an HTTP header name (token)");
    BOOST_TEST(problems_of(hmac_header_signing{.header = "host", .key = "k"}) ==
               "header: is a header the library sets itself");
    BOOST_TEST(
        problems_of(hmac_header_signing{.key = "k", .timestamp_header = "x-webhook-signature"}) ==
        "timestamp_header: is the same header as header");
    BOOST_TEST(what_of([] { (void)request_signer::make(hmac_header_signing{}); }) ==
               "signing key: is empty: signing secret or key is malformed" +
                   code_suffix(error::invalid_signing_secret));
    boost::system::error_code ec;
    (void)request_signer::make(hmac_header_signing{.header = "a:b", .key = "k"}, ec);
    BOOST_TEST(code_of(ec) == error::invalid_header_name);
    (void)webhook::hmac_header_verifier::make(hmac_header_signing{.key = "k"}, {"x", ""}, {}, ec);
    BOOST_TEST(code_of(ec) == error::invalid_signing_secret);
    // Extra keys replace scheme.key, so an empty scheme.key is fine then.
    (void)webhook::hmac_header_verifier::make(hmac_header_signing{}, {"x"}, {}, ec);
    BOOST_TEST(code_of(ec) == ok);
}

BOOST_AUTO_TEST_CASE(signature_header_names_the_library_sets_are_refused_whatever_their_case) {
    // The signer replaces the field: these would lose their value to the signature, or frame
    // the message with it.
    for (const char* name :
         {"HOST", "content-length", "Transfer-Encoding", "connection", "Content-Type",
          "content-encoding", "user-agent", "Webhook-Id", "webhook-timestamp", "WEBHOOK-SIGNATURE",
          "keep-alive", "TE", "Upgrade", "Trailer", "Proxy-Connection"}) {
        BOOST_TEST(problems_of(hmac_header_signing{.header = name, .key = "k"}) ==
                       "header: is a header the library sets itself",
                   name);
        BOOST_TEST(problems_of(hmac_header_signing{.key = "k", .timestamp_header = name}) ==
                       "timestamp_header: is a header the library sets itself",
                   name);
    }
    // Authorization is the endpoint's to refuse, when it has authentication.
    BOOST_TEST(problems_of(hmac_header_signing{.header = "Authorization", .key = "k"}) == "valid");
}

BOOST_AUTO_TEST_CASE(configurations_compare_by_value) {
    const webhook::signing a = standard_webhooks_signing{{secret(vector_secret)}};
    webhook::signing b = a;
    BOOST_TEST((a == b));
    b = standard_webhooks_signing{{secret(other_secret)}};
    BOOST_TEST(!(a == b));
    BOOST_TEST((hmac_header_signing{} == hmac_header_signing{}));
    BOOST_TEST((webhook::verify_options{} == webhook::verify_options{.tolerance = 300s}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(base64)

using webhook::detail::base64_decode;

std::string decoded(std::string_view in) {
    const std::optional<std::string> out = base64_decode(in);
    return out ? "\"" + *out + "\"" : "<invalid>";
}

BOOST_AUTO_TEST_CASE(decodes_rfc4648_test_vectors) {
    // RFC 4648 section 10.
    BOOST_TEST(decoded("") == "\"\"");
    BOOST_TEST(decoded("Zg==") == "\"f\"");
    BOOST_TEST(decoded("Zm8=") == "\"fo\"");
    BOOST_TEST(decoded("Zm9v") == "\"foo\"");
    BOOST_TEST(decoded("Zm9vYg==") == "\"foob\"");
    BOOST_TEST(decoded("Zm9vYmE=") == "\"fooba\"");
    BOOST_TEST(decoded("Zm9vYmFy") == "\"foobar\"");
}

BOOST_AUTO_TEST_CASE(round_trips_every_byte) {
    std::string all;
    for (int c = 0; c < 256; ++c)
        all += static_cast<char>(c);
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        const std::string in = all.substr(n % 7, n);
        BOOST_TEST(decoded(webhook::detail::base64_encode(in)) == "\"" + in + "\"");
    }
}

BOOST_AUTO_TEST_CASE(padding_is_required_and_only_at_the_end) {
    BOOST_TEST(decoded("Zg") == "<invalid>");
    BOOST_TEST(decoded("Zg=") == "<invalid>");
    BOOST_TEST(decoded("Zm8") == "<invalid>");
    BOOST_TEST(decoded("Z===") == "<invalid>");
    BOOST_TEST(decoded("====") == "<invalid>");
    BOOST_TEST(decoded("Zg==Zg==") == "<invalid>");
    BOOST_TEST(decoded("Zm=v") == "<invalid>");
    BOOST_TEST(decoded("=m9v") == "<invalid>");
    BOOST_TEST(decoded("Zm9v=") == "<invalid>");
    BOOST_TEST(decoded("Zm9vYg===") == "<invalid>");
}

BOOST_AUTO_TEST_CASE(only_the_standard_alphabet) {
    BOOST_TEST(decoded("+/+/") == "\"\xfb\xff\xbf\"");
    BOOST_TEST(decoded("-_-_") == "<invalid>");
    BOOST_TEST(decoded("Zm9v\n") == "<invalid>");
    BOOST_TEST(decoded("Zm 9v") == "<invalid>");
    BOOST_TEST(decoded("Zm9v Zm9v") == "<invalid>");
    BOOST_TEST(decoded(std::string_view("Zm9\0", 4)) == "<invalid>");
    BOOST_TEST(decoded("Zm9\x80") == "<invalid>");
}

BOOST_AUTO_TEST_CASE(unused_bits_must_be_zero) {
    BOOST_TEST(decoded("Zg==") == "\"f\"");
    BOOST_TEST(decoded("Zh==") == "<invalid>");
    BOOST_TEST(decoded("Zm8=") == "\"fo\"");
    BOOST_TEST(decoded("Zm9=") == "<invalid>");
}

BOOST_AUTO_TEST_CASE(hex_decodes_either_case) {
    std::array<unsigned char, 4> out{};
    BOOST_TEST(webhook::detail::hex_decode("00fFa5", out.data()).value_or(0) == 3u);
    BOOST_TEST(out[0] == 0x00);
    BOOST_TEST(out[1] == 0xff);
    BOOST_TEST(out[2] == 0xa5);
    BOOST_TEST(!webhook::detail::hex_decode("0", out.data()));
    BOOST_TEST(!webhook::detail::hex_decode("0g", out.data()));
    BOOST_TEST(!webhook::detail::hex_decode(" 0", out.data()));
}

BOOST_AUTO_TEST_CASE(an_id_with_a_space_at_either_end_is_refused) {
    // Found by fuzzing: a header value loses outer blanks, so the receiver checked another id.
    const auto signer = webhook::request_signer::make(
        webhook::standard_webhooks_signing{{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}});
    for (const char* id : {" msg_1", "msg_1 ", "\tmsg_1", " "}) {
        boost::beast::http::fields f;
        BOOST_CHECK_EXCEPTION(signer.sign(f, id, 1614265330, "{}"), boost::system::system_error,
                              [](const boost::system::system_error& e) {
                                  return e.code() == webhook::error::invalid_header_value;
                              });
    }
    boost::beast::http::fields f;
    signer.sign(f, "msg 1", 1614265330, "{}"); // inside, a space is kept by the header
    BOOST_TEST(f["webhook-id"] == "msg 1");
}

BOOST_AUTO_TEST_SUITE_END()
