#ifndef WEBHOOK_TRANSPORT_DETAIL_TRUST_STORE_HPP
#define WEBHOOK_TRANSPORT_DETAIL_TRUST_STORE_HPP

// The system's trust store, read once per process. Reading the CA bundle costs about 750 KB and
// 20 to 35 ms per TLS context (OpenSSL 3 parses every certificate): with one context per
// endpoint, a hub of 10,000 endpoints spent 7 GB and minutes on it. An X509_STORE is made to
// be shared (OpenSSL locks it inside), so every context that trusts the defaults uses this one.

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

namespace webhook::detail {

/** The store of `SSL_CERT_FILE` / `SSL_CERT_DIR` or OpenSSL's default locations, loaded at the
    first call (later changes to those variables are not seen); null only when OpenSSL cannot
    allocate one. Never freed: contexts hold it to the end of the process. */
inline X509_STORE* default_trust_store() noexcept {
    static X509_STORE* const store = [] {
        X509_STORE* s = X509_STORE_new();
        // A missing default file or directory is no error here: the handshake then fails to
        // verify, as it would with SSL_CTX_set_default_verify_paths.
        if (s)
            (void)X509_STORE_set_default_paths(s);
        return s;
    }();
    return store;
}

/// Makes `ctx` trust the shared default store. @return false when there is none.
inline bool use_default_trust_store(SSL_CTX* ctx) noexcept {
    X509_STORE* store = default_trust_store();
    if (store == nullptr)
        return false;
    SSL_CTX_set1_cert_store(ctx, store); // takes a reference of its own
    return true;
}

} // namespace webhook::detail

#endif
