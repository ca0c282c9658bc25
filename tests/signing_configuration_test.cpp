#include <webhook/signing.hpp>

#define BOOST_TEST_MODULE signing_configuration
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

// The signing configuration: its problems, its keys, and what never appears in errors.

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
