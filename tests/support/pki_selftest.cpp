#include "support/test_pki.hpp"

#define BOOST_TEST_MODULE support_pki_selftest
#include <boost/test/unit_test.hpp>

#include <openssl/x509_vfy.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

using webhook::test::test_pki;

namespace {

// The OpenSSL objects the PKI test inspects.
webhook::test::detail::x509_ptr parse_cert(const std::string& pem) {
    webhook::test::detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return webhook::test::detail::x509_ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

webhook::test::detail::pkey_ptr parse_key(const std::string& pem) {
    webhook::test::detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return webhook::test::detail::pkey_ptr(
        PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

bool chains_to(const std::string& leaf_pem, const std::string& ca_pem, int purpose) {
    auto leaf = parse_cert(leaf_pem);
    auto ca = parse_cert(ca_pem);
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(),
                                                                  &X509_STORE_free);
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(),
                                                                        &X509_STORE_CTX_free);
    X509_STORE_add_cert(store.get(), ca.get());
    X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr);
    X509_STORE_CTX_set_purpose(ctx.get(), purpose);
    const bool ok = X509_verify_cert(ctx.get()) == 1;
    ERR_clear_error();
    return ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(pki)

BOOST_AUTO_TEST_CASE(certificates_chain_and_name_as_intended) {
    const test_pki pki = test_pki::make();

    BOOST_TEST(chains_to(pki.server_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(chains_to(pki.client_cert, pki.ca_cert, X509_PURPOSE_SSL_CLIENT));
    BOOST_TEST(!chains_to(pki.server_cert, pki.ca_cert, X509_PURPOSE_SSL_CLIENT));
    BOOST_TEST(!chains_to(pki.client_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(!chains_to(pki.untrusted_server_cert, pki.ca_cert, X509_PURPOSE_SSL_SERVER));
    BOOST_TEST(
        chains_to(pki.untrusted_server_cert, pki.untrusted_ca_cert, X509_PURPOSE_SSL_SERVER));

    auto server = parse_cert(pki.server_cert);
    BOOST_TEST(X509_check_host(server.get(), "localhost", 0, 0, nullptr) == 1);
    BOOST_TEST(X509_check_ip_asc(server.get(), "127.0.0.1", 0) == 1);
    BOOST_TEST(X509_check_ip_asc(server.get(), "::1", 0) == 1);
    BOOST_TEST(X509_check_host(server.get(), "example.com", 0, 0, nullptr) == 0);

    BOOST_TEST(X509_check_private_key(server.get(), parse_key(pki.server_key).get()) == 1);
    BOOST_TEST(X509_check_private_key(parse_cert(pki.client_cert).get(),
                                      parse_key(pki.client_key).get()) == 1);
    BOOST_TEST(X509_check_private_key(parse_cert(pki.untrusted_server_cert).get(),
                                      parse_key(pki.untrusted_server_key).get()) == 1);

    // Valid now, and for about a day.
    BOOST_TEST(X509_cmp_current_time(X509_get0_notBefore(server.get())) < 0);
    BOOST_TEST(X509_cmp_current_time(X509_get0_notAfter(server.get())) > 0);
    BOOST_TEST(test_pki::make().ca_cert != pki.ca_cert); // fresh keys each time
}

BOOST_AUTO_TEST_CASE(write_temp_file_writes_into_one_directory) {
    const std::string a = webhook::test::write_temp_file(test_pki::shared().ca_cert, ".pem");
    const std::string b = webhook::test::write_temp_file("second", ".txt");
    BOOST_TEST(a != b);
    BOOST_TEST(a.ends_with(".pem"));
    BOOST_TEST(std::filesystem::path(a).parent_path() == std::filesystem::path(b).parent_path());
    std::ifstream in(a, std::ios::binary);
    std::stringstream content;
    content << in.rdbuf();
    BOOST_TEST(content.str() == test_pki::shared().ca_cert);
}

BOOST_AUTO_TEST_SUITE_END()
