#include <webhook/signing.hpp>

#define BOOST_TEST_MODULE signing
#include <boost/test/unit_test.hpp>

#include "support/print.hpp"
#include "support/signing_helpers.hpp"

#include <webhook/detail/base64.hpp>
#include <webhook/detail/hmac.hpp>

#include <boost/system/system_error.hpp>

#include <array>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

// Standard Webhooks signing and verifying; HMAC headers and the encodings are in
// signing_hmac_test.cpp, the configuration and its problems in signing_configuration_test.cpp.

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
using namespace webhook::test;

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
