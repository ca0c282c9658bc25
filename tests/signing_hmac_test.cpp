#include <webhook/signing.hpp>

#define BOOST_TEST_MODULE signing_hmac
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

// HMAC signatures in a header of their own, and the encodings of keys and signatures (base64, hex).

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
