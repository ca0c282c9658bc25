#ifndef WEBHOOK_TESTS_SUPPORT_TEST_PKI_HPP
#define WEBHOOK_TESTS_SUPPORT_TEST_PKI_HPP

// Certificates made at test time with the OpenSSL 3 C API: no key or certificate is checked in,
// none expires between two CI runs, and all of them live in memory as PEM strings.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

namespace webhook::test {

namespace detail {

/** Frees each OpenSSL object the PKI code holds, for std::unique_ptr. */
struct openssl_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(BIGNUM* p) const noexcept { BN_free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_free>;
using x509_ptr = std::unique_ptr<X509, openssl_free>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, openssl_free>;
using bio_ptr = std::unique_ptr<BIO, openssl_free>;
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_free>;

// Takes the oldest queued OpenSSL error too, so that the message says what went wrong.
[[noreturn]] inline void throw_openssl(const char* what) {
    std::string message = std::string("test_pki: ") + what;
    if (unsigned long e = ERR_get_error(); e != 0) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        message += ": ";
        message += text;
    }
    ERR_clear_error();
    throw std::runtime_error(message);
}

inline pkey_ptr make_p256_key() {
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        throw_openssl("EC P-256 key generation");
    return key;
}

/** One X.509v3 extension to add, by NID. */
struct extension_spec {
    int nid;
    const char* value; // in openssl.cnf syntax, e.g. "critical,CA:TRUE"
};

// A version 3 certificate for `key`, signed by `issuer_key` (self-signed when `issuer` is null),
// valid from an hour ago (clock skew between the two ends) to a day from now.
inline x509_ptr make_certificate(const std::string& common_name, EVP_PKEY* key, X509* issuer,
                                 EVP_PKEY* issuer_key,
                                 std::initializer_list<extension_spec> extensions) {
    x509_ptr cert(X509_new());
    if (!cert)
        throw_openssl("X509_new");
    X509* x = cert.get();
    if (X509_set_version(x, X509_VERSION_3) != 1)
        throw_openssl("X509_set_version");

    // Random serials: two runs never hand out two different certificates with the same
    // issuer and serial, which some verifiers cache on.
    bignum_ptr serial(BN_new());
    if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
        !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)))
        throw_openssl("serial number");

    if (!X509_gmtime_adj(X509_getm_notBefore(x), -60L * 60) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 24L * 60 * 60))
        throw_openssl("validity");
    if (X509_set_pubkey(x, key) != 1)
        throw_openssl("X509_set_pubkey");

    X509_NAME* subject = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) != 1)
        throw_openssl("subject name");
    if (X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject) != 1)
        throw_openssl("issuer name");

    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
    for (const extension_spec& spec : extensions) {
        extension_ptr ext(X509V3_EXT_nconf_nid(nullptr, &ctx, spec.nid, spec.value));
        if (!ext || X509_add_ext(x, ext.get(), -1) != 1)
            throw_openssl(spec.value);
    }

    if (X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        throw_openssl("X509_sign");
    return cert;
}

inline std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(size));
}

inline std::string to_pem(X509* cert) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        throw_openssl("PEM_write_bio_X509");
    return bio_contents(bio.get());
}

// PKCS#8 ("BEGIN PRIVATE KEY"), unencrypted.
inline std::string to_pem(EVP_PKEY* key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        throw_openssl("PEM_write_bio_PrivateKey");
    return bio_contents(bio.get());
}

/** A CA's key and self-signed certificate. */
struct authority {
    pkey_ptr key;
    x509_ptr cert;
};

inline authority make_authority(const std::string& common_name) {
    authority ca{make_p256_key(), nullptr};
    ca.cert = make_certificate(common_name, ca.key.get(), nullptr, nullptr,
                               {{NID_basic_constraints, "critical,CA:TRUE"},
                                {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                {NID_subject_key_identifier, "hash"}});
    return ca;
}

// The server certificate every TLS test uses: valid for all the names a loopback client may
// dial, so that host name verification can stay on.
inline std::pair<std::string, std::string>
make_server_pair(const authority& ca, const std::string& common_name,
                 const char* alt_names = "DNS:localhost,IP:127.0.0.1,IP:::1") {
    pkey_ptr key = make_p256_key();
    x509_ptr cert = make_certificate(common_name, key.get(), ca.cert.get(), ca.key.get(),
                                     {{NID_basic_constraints, "critical,CA:FALSE"},
                                      {NID_key_usage, "critical,digitalSignature"},
                                      {NID_ext_key_usage, "serverAuth"},
                                      {NID_subject_alt_name, alt_names},
                                      {NID_subject_key_identifier, "hash"},
                                      {NID_authority_key_identifier, "keyid:always"}});
    return {to_pem(cert.get()), to_pem(key.get())};
}

/** A directory for write_temp_file, made on first use and removed when the process exits. */
class temp_directory {
public:
    temp_directory() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "webhook-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr)
            throw std::system_error(errno, std::generic_category(), "test_pki: mkdtemp");
        path_ = pattern;
    }
    ~temp_directory() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temp_directory(const temp_directory&) = delete;
    temp_directory& operator=(const temp_directory&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

inline temp_directory& process_temp_directory() {
    static temp_directory directory;
    return directory;
}

} // namespace detail

/**
 * A throw-away public key infrastructure for the TLS tests, made fresh in memory:
 * a CA; a server certificate it signed for localhost, 127.0.0.1 and ::1 (serverAuth); a client
 * certificate it signed, CN=webhook-client (clientAuth); and an unrelated second CA with its own
 * localhost server certificate, which a client trusting only `ca_cert` must reject; and a
 * certificate the CA signed for wrong.example only, which fails host name verification.
 * All keys are EC P-256; every certificate is valid from an hour ago to a day from now.
 */
struct test_pki {
    std::string ca_cert{};
    std::string server_cert{}; // leaf only; the CA is the trust anchor
    std::string server_key{};
    std::string client_cert{};
    std::string client_key{};
    std::string untrusted_ca_cert{};
    std::string untrusted_server_cert{};
    std::string untrusted_server_key{};
    // Signed by the trusted CA, but for another name only: for host name verification tests.
    std::string wrong_name_server_cert{};
    std::string wrong_name_server_key{};

    /// A new PKI, a few milliseconds of key generation. Throws std::runtime_error on failure.
    static test_pki make() {
        test_pki pki;
        const detail::authority ca = detail::make_authority("webhook-test-ca");
        pki.ca_cert = detail::to_pem(ca.cert.get());
        std::tie(pki.server_cert, pki.server_key) = detail::make_server_pair(ca, "localhost");

        detail::pkey_ptr client_key = detail::make_p256_key();
        detail::x509_ptr client_cert = detail::make_certificate(
            "webhook-client", client_key.get(), ca.cert.get(), ca.key.get(),
            {{NID_basic_constraints, "critical,CA:FALSE"},
             {NID_key_usage, "critical,digitalSignature"},
             {NID_ext_key_usage, "clientAuth"},
             {NID_subject_key_identifier, "hash"},
             {NID_authority_key_identifier, "keyid:always"}});
        pki.client_cert = detail::to_pem(client_cert.get());
        pki.client_key = detail::to_pem(client_key.get());

        std::tie(pki.wrong_name_server_cert, pki.wrong_name_server_key) =
            detail::make_server_pair(ca, "wrong.example", "DNS:wrong.example");

        const detail::authority other = detail::make_authority("webhook-test-untrusted-ca");
        pki.untrusted_ca_cert = detail::to_pem(other.cert.get());
        std::tie(pki.untrusted_server_cert, pki.untrusted_server_key) =
            detail::make_server_pair(other, "localhost");
        return pki;
    }

    /// One PKI per process, made on first use (thread-safe), for tests that need no fresh one.
    static const test_pki& shared() {
        static const test_pki pki = make();
        return pki;
    }
};

/**
 * Writes `content` to a new file in a per-process temporary directory (removed at exit) and
 * returns its path; `suffix` ends the file name, e.g. ".pem". For options that take a path,
 * such as a client's CA file.
 */
inline std::string write_temp_file(std::string_view content, std::string_view suffix = ".tmp") {
    static std::atomic<unsigned> counter{0};
    const std::filesystem::path path = detail::process_temp_directory().path() /
                                       ("file-" + std::to_string(++counter) + std::string(suffix));
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out)
        throw std::runtime_error("write_temp_file: cannot write " + path.string());
    return path.string();
}

} // namespace webhook::test

#endif
