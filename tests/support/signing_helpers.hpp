#ifndef WEBHOOK_TESTS_SUPPORT_SIGNING_HELPERS_HPP
#define WEBHOOK_TESTS_SUPPORT_SIGNING_HELPERS_HPP

// What the tests of request signing share (signing_*test.cpp): the specification's test
// vectors, the headers a signer sets, the problems and errors as text, fresh Ed25519 keys.

#include <webhook/signing.hpp>

#include <webhook/detail/base64.hpp>

#include <boost/system/system_error.hpp>
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace webhook::test {

// The Standard Webhooks test vector: the reference libraries' signing test
// (standard-webhooks/standard-webhooks, libraries/go/webhook_symmetric_test.go,
// TestSymmetricWebhookSign; the same values in the other languages' tests).
inline constexpr const char* vector_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline constexpr std::string_view vector_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
inline constexpr std::int64_t vector_timestamp = 1614265330;
inline constexpr std::string_view vector_payload = R"({"test": 2432232314})";
inline constexpr std::string_view vector_signature =
    "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// The asymmetric one (libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign):
// same id, timestamp and payload. The reference library takes the key without its prefix.
inline constexpr const char* vector_ed25519_secret =
    "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
inline constexpr std::string_view vector_ed25519_signature =
    "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";
// Its public key, derived with `openssl pkey -pubout` from the seed.
inline constexpr const char* vector_ed25519_public =
    "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";

// A second symmetric key, for rotation: base64 of "0123456789abcdef0123456789abcdef".
inline constexpr const char* other_secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
// Its signature of the test vector (`openssl mac -digest SHA256 ... HMAC`).
inline constexpr std::string_view other_signature =
    "v1,hK4CWvngkaAwjY1pABLuUbOIkEJjW9tAapq1no4ojG0=";

inline std::chrono::system_clock::time_point at(std::int64_t unix_seconds) {
    return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

inline const auto vector_now = at(vector_timestamp);

inline std::string field(const boost::beast::http::fields& f, std::string_view name) {
    const auto it = f.find(boost::beast::string_view(name.data(), name.size()));
    return it == f.end() ? "<absent>" : std::string(it->value());
}

inline std::size_t count(const boost::beast::http::fields& f, std::string_view name) {
    return f.count(boost::beast::string_view(name.data(), name.size()));
}

/// The signature headers `signing` gives the test vector's id, timestamp and payload.
inline boost::beast::http::fields signed_vector(const webhook::signing& s) {
    boost::beast::http::fields f;
    request_signer::make(s).sign(f, vector_id, vector_timestamp, vector_payload);
    return f;
}

inline std::string problems_of(const webhook::signing& s) {
    std::string lines;
    for (const signing_problem& p : webhook::validate(s))
        lines.append(lines.empty() ? "" : "\n").append(p.path).append(": ").append(p.message);
    return lines.empty() ? "valid" : lines;
}

inline error code_of(const boost::system::error_code& ec) {
    BOOST_TEST_REQUIRE((!ec || ec.category() == webhook::error_category()));
    return static_cast<error>(ec.value());
}

/// The error, as an `error` (0 when none), of verifying the vector with `signature`.
inline error verify_vector(const standard_webhooks_verifier& v, std::string_view signature,
                           std::chrono::system_clock::time_point now = vector_now) {
    return code_of(v.verify(vector_id, "1614265330", signature, vector_payload, now));
}

inline constexpr error ok{};

/// The text of the exception `f` throws.
template <class F>
inline std::string what_of(F f) {
    try {
        f();
    } catch (const boost::system::system_error& e) {
        return e.what();
    }
    return "<no exception>";
}

/// What Boost.System appends to `system_error::what()`: ` [webhook:<value>]`.
inline std::string code_suffix(error e) {
    return " [webhook:" + std::to_string(static_cast<int>(e)) + "]";
}

/// A fresh Ed25519 key pair in the specification's text forms.
struct key_pair {
    std::string secret_key;
    std::string public_key;
};

inline key_pair generate_ed25519() {
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

} // namespace webhook::test

#endif
