#include <webhook/transport/detail/trust_store.hpp>

#define BOOST_TEST_MODULE transport_trust_store
#include <boost/test/unit_test.hpp>

#include <webhook/transport/beast_transport.hpp>

#include "support/test_pki.hpp"
#include "support/test_receiver.hpp"
#include "transport/beast_transport_helpers.hpp"

#include <cstdlib>
#include <string>

// The system's trust store, read once per process and shared by every transport that trusts
// the defaults. Here "the system" is SSL_CERT_FILE, set to the test CA before any TLS context
// exists, as an operator would point OpenSSL at a bundle of their own.

using namespace webhook::test;

namespace {

struct system_trusts_the_test_ca {
    system_trusts_the_test_ca() { ::setenv("SSL_CERT_FILE", ca_file().c_str(), 1); }
};

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(system_trusts_the_test_ca);

BOOST_AUTO_TEST_CASE(every_transport_that_trusts_the_defaults_verifies_with_the_one_store) {
    test_receiver receiver(webhook::test::tls_options(pki()));
    webhook::beast_transport first(fast_timeouts()); // no ca_file: the system's store
    webhook::beast_transport second(fast_timeouts());
    const auto a = post(first, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!a.ec, a.ec.message());
    const auto b = post(second, receiver.url("/hook"));
    BOOST_TEST_REQUIRE(!b.ec, b.ec.message());
    X509_STORE* store = webhook::detail::default_trust_store();
    BOOST_TEST_REQUIRE(store != nullptr);
    BOOST_TEST(store == webhook::detail::default_trust_store());         // read once
    BOOST_TEST(sk_X509_OBJECT_num(X509_STORE_get0_objects(store)) == 1); // the test CA
    BOOST_TEST(receiver.request_count() == 2u);
}

BOOST_AUTO_TEST_CASE(a_transport_with_its_own_ca_file_does_not_use_or_change_the_shared_store) {
    test_receiver receiver(webhook::test::tls_options(pki()));
    const std::string other_ca = write_temp_file(pki().untrusted_ca_cert, ".pem");
    auto own = fast_timeouts();
    own.tls.ca_file = other_ca;
    webhook::beast_transport with_own_ca(own);
    const auto refused = post(with_own_ca, receiver.url("/hook"));
    BOOST_TEST(is_tls_error(refused.ec), refused.ec.message());
    webhook::beast_transport with_defaults(fast_timeouts());
    const auto verified = post(with_defaults, receiver.url("/hook"));
    BOOST_TEST(!verified.ec, verified.ec.message());
    BOOST_TEST(
        sk_X509_OBJECT_num(X509_STORE_get0_objects(webhook::detail::default_trust_store())) == 1);
}
