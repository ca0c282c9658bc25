#ifndef WEBHOOK_TRANSPORT_DETAIL_IMPL_CONNECTION_HPP
#define WEBHOOK_TRANSPORT_DETAIL_IMPL_CONNECTION_HPP

// Part of basic_pool (detail/beast_pool.hpp): a new connection, once its addresses are known:
// TCP (the guard's check of direct connections), the proxy's CONNECT tunnel, TLS. Decisions:
// sansio/connection.hpp and sansio/resolution.hpp.

#include <webhook/error.hpp>
#include <webhook/transport/detail/sansio/connection.hpp>
#include <webhook/transport/detail/sansio/resolution.hpp>
#include <webhook/transport/detail/trust_store.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <memory>

namespace webhook::detail {

template <class Executor>
void basic_pool<Executor>::configure_tls() {
    namespace ssl = boost::asio::ssl;
    SSL_CTX_set_min_proto_version(tls_context_->native_handle(), TLS1_2_VERSION);
    const tls_options& t = options_.tls;
    if (t.insecure_skip_verification) {
        tls_context_->set_verify_mode(ssl::verify_none);
    } else {
        tls_context_->set_verify_mode(ssl::verify_peer);
        // The system's CAs: one store for the whole process (see trust_store.hpp).
        if (t.ca_file.empty() && t.ca_directory.empty() &&
            !use_default_trust_store(tls_context_->native_handle()))
            tls_context_->set_default_verify_paths();
        if (!t.ca_file.empty())
            tls_context_->load_verify_file(t.ca_file);
        if (!t.ca_directory.empty())
            tls_context_->add_verify_path(t.ca_directory);
    }
    if (!t.certificate_file.empty())
        tls_context_->use_certificate_chain_file(t.certificate_file);
    if (!t.private_key_file.empty())
        tls_context_->use_private_key_file(t.private_key_file, ssl::context::pem);
}

template <class Executor>
void basic_pool<Executor>::connect_tcp(op_ptr op, entry& target) {
    auto& c = conn_of(*op);
    if (c.timed_out || op->cancelled)
        return fail(std::move(op), boost::beast::error::timeout); // fail() tells which
    auto results = *target.resolved; // shared with the cache: copying is cheap
    // Direct connections: the destination's addresses, checked on every connect, so that a
    // re-resolution is checked too. (The proxy's address is exempt.)
    if (options_.destinations.public_only && !proxy_ &&
        !sansio::keep_permitted(options_.destinations, results))
        return refuse(std::move(op), target);
    op->enter(timed_phase::connect);
    const send_op_base* o = op.get(); // before `op` moves into the handler
    boost::asio::async_connect(
        c.socket(), results,
        [&c, o](const boost::system::error_code&, const tcp::endpoint&) {
            return !c.timed_out && !o->cancelled; // closed by either: try no other address
        },
        [this, op = std::move(op)](boost::system::error_code ec, const tcp::endpoint&) mutable {
            on_tcp_connected(std::move(op), ec);
        });
}

template <class Executor>
void basic_pool<Executor>::on_tcp_connected(op_ptr op, boost::system::error_code ec) {
    if (ec) {
        auto& target = connect_target(entry_of(*op));
        target.resolved.reset(); // the address may have moved: resolve again next time
        return fail(std::move(op), ec);
    }
    boost::system::error_code ignored;
    conn_of(*op).socket().set_option(tcp::no_delay(true), ignored);
    if (sansio::needs_tunnel(proxy_.has_value(), entry_of(*op).where.tls))
        return open_tunnel(std::move(op));
    after_tunnel(std::move(op));
}

/// Asks the proxy for a tunnel to the origin (CONNECT host:port), within the handshake timeout.
template <class Executor>
void basic_pool<Executor>::open_tunnel(op_ptr op) {
    auto& c = conn_of(*op);
    c.tunnel = std::make_unique<connection_base::tunnel_exchange>();
    auto& t = *c.tunnel;
    t.request = {boost::beast::http::verb::connect, sansio::authority(entry_of(*op).where), 11};
    t.request.set(boost::beast::http::field::host, t.request.target());
    t.response.skip(true); // a 2xx answer to CONNECT has no body
    connection::arm(conn_ptr(*op), clock::now() + options_.handshake_timeout);
    boost::beast::http::async_write(
        c.socket(), t.request,
        [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
            on_tunnel_written(std::move(op), ec);
        });
}

template <class Executor>
void basic_pool<Executor>::on_tunnel_written(op_ptr op, boost::system::error_code ec) {
    if (ec)
        return fail(std::move(op), ec);
    auto& c = conn_of(*op);
    boost::beast::http::async_read(
        c.socket(), c.buffer, c.tunnel->response,
        [this, op = std::move(op)](boost::system::error_code ec, std::size_t) mutable {
            on_tunnel_answered(std::move(op), ec);
        });
}

template <class Executor>
void basic_pool<Executor>::on_tunnel_answered(op_ptr op, boost::system::error_code ec) {
    if (ec)
        return fail(std::move(op), ec);
    auto& c = conn_of(*op);
    const bool opened = sansio::tunnel_opened(c.tunnel->response.get().result_int());
    c.tunnel.reset();
    if (!opened)
        return fail(std::move(op), make_error_code(error::proxy_connect_failed));
    after_tunnel(std::move(op));
}

/// The connection reaches the origin: ready for plain HTTP, or the TLS handshake.
template <class Executor>
void basic_pool<Executor>::after_tunnel(op_ptr op) {
    auto& c = conn_of(*op);
    const auto& where = entry_of(*op).where;
    if (!where.tls) {
        c.connected = true;
        boost::system::error_code ignored;
        c.plain->non_blocking(true, ignored); // send() writes without waiting first
        return send(std::move(op));
    }
    op->enter(timed_phase::tls);
    if (sansio::sends_server_name(where.host) &&
        !SSL_set_tlsext_host_name(c.tls->native_handle(), where.host.c_str()))
        return fail(std::move(op),
                    boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                              boost::asio::error::get_ssl_category()));
    if (!options_.tls.insecure_skip_verification)
        c.tls->set_verify_callback(boost::asio::ssl::host_name_verification(where.host));
    connection::arm(conn_ptr(*op), clock::now() + options_.handshake_timeout);
    c.tls->async_handshake(boost::asio::ssl::stream_base::client,
                           [this, op = std::move(op)](boost::system::error_code ec) mutable {
                               if (ec)
                                   return fail(std::move(op), ec);
                               conn_of(*op).connected = true;
                               send(std::move(op));
                           });
}

} // namespace webhook::detail

#endif
