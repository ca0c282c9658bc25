#ifndef WEBHOOK_TESTS_SUPPORT_RECEIVER_CONNECTION_HPP
#define WEBHOOK_TESTS_SUPPORT_RECEIVER_CONNECTION_HPP

// The test receiver's side of one connection (support/test_receiver.hpp): requests read off the
// wire byte-exact, the TLS context and the peer's certificate, a graceful close, the filler of
// the streamed bodies.

#include "support/loopback_server.hpp"
#include "support/receiver_script.hpp"
#include "support/test_pki.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

namespace webhook::test::detail {

namespace http = boost::beast::http;

// Appends what one read brings; false at end of stream or on error.
template <class Stream>
net::awaitable<bool> read_more(Stream& stream, std::string& pending) {
    std::array<char, 8192> chunk;
    auto [ec, n] = co_await stream.async_read_some(net::buffer(chunk), use_tuple);
    pending.append(chunk.data(), n);
    co_return !ec;
}

// Reads one request. `pending` holds bytes read but not yet used, and keeps what follows the
// request (pipelining). The head is cut out byte-exact before Beast parses it.
template <class Stream>
net::awaitable<bool> read_request(Stream& stream, std::string& pending, std::string& raw_head,
                                  http::request<http::string_body>& out, std::uint64_t body_limit) {
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
        if (pending.size() > max_head_size || !co_await read_more(stream, pending))
            co_return false;
    }
    raw_head.assign(pending, 0, end + 4);

    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(max_head_size) + 4);
    parser.body_limit(body_limit);
    parser.eager(true);
    for (;;) {
        error_code ec;
        const std::size_t used = pending.empty() ? 0 : parser.put(net::buffer(pending), ec);
        pending.erase(0, used);
        if (ec && ec != http::error::need_more)
            co_return false;
        if (parser.is_done())
            break;
        if (used > 0 && !pending.empty())
            continue;
        if (!co_await read_more(stream, pending))
            co_return false;
    }
    out = parser.release();
    co_return true;
}

inline std::string peer_subject(SSL* ssl) {
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (cert == nullptr)
        return {};
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) < 0)
        return {};
    return bio_contents(bio.get());
}

inline net::ssl::context make_server_context(const receiver_options& o) {
    net::ssl::context ctx(net::ssl::context::tls_server);
    if (!o.tls)
        return ctx;
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain(net::buffer(o.cert_chain_pem));
    ctx.use_private_key(net::buffer(o.private_key_pem), net::ssl::context::pem);
    if (!o.client_ca_pem.empty()) {
        ctx.add_certificate_authority(net::buffer(o.client_ca_pem));
        ctx.set_verify_mode(net::ssl::verify_peer | net::ssl::verify_fail_if_no_peer_cert);
    }
    return ctx;
}

// Close the way a server that means it does: TLS close_notify (see tls_socket), then FIN.
template <class Stream>
net::awaitable<void> close_gracefully(Stream& stream) {
    error_code ignored;
    if constexpr (is_tls_v<Stream>) {
        stream.next_layer().refuse_reads();
        co_await stream.async_shutdown(use_tuple);
    } else {
        stream.shutdown(tcp::socket::shutdown_send, ignored);
    }
    lowest_socket(stream).close(ignored);
}

// 16 KiB of filler for the streamed bodies; shared, so that no behaviour grows with its output.
inline const std::string& filler() {
    static const std::string block(16 * 1024, 'x');
    return block;
}

inline const std::string& endless_chunk() {
    static const std::string chunk = "4000\r\n" + filler() + "\r\n";
    return chunk;
}

/** A connection's stream, its timer for delays, and what stop() must know. */
template <class Stream>
struct connection final : connection_base {
    template <class... Args>
    explicit connection(std::size_t i, Args&&... args)
        : stream(std::forward<Args>(args)...), timer(lowest_socket(stream).get_executor()),
          index(i) {}

    void stop() noexcept override {
        stopped = true;
        error_code ignored;
        lowest_socket(stream).close(ignored);
        timer.cancel();
    }

    Stream stream;
    net::steady_timer timer;
    std::size_t index;
    bool stopped = false; // by the server's stop(): start nothing new
    std::string client_subject;
};

} // namespace webhook::test::detail

#endif
