#ifndef WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP
#define WEBHOOK_TRANSPORT_DETAIL_BEAST_POOL_HPP

#include <webhook/transport/origin.hpp>
#include <webhook/transport/url.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/ssl.h>

#include <chrono>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace webhook::detail {

/// One HTTP/1.1 connection: a TCP stream, or a TLS stream over one.
struct connection {
    connection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context* tls_context) {
        if (tls_context)
            tls.emplace(ex, *tls_context);
        else
            plain.emplace(ex);
    }

    boost::beast::tcp_stream& tcp() noexcept {
        return tls ? boost::beast::get_lowest_layer(*tls) : *plain;
    }

    /// Calls `f` with the stream requests are written to and responses read from.
    template <class F>
    decltype(auto) visit(F&& f) {
        return tls ? f(*tls) : f(*plain);
    }

    std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
    std::optional<boost::beast::tcp_stream> plain;
    boost::beast::flat_buffer buffer;
    bool connected = false;
    std::chrono::steady_clock::time_point idle_since;
};

/** Connections and name resolutions, per origin. Shared by the transport and its operations
    (an operation keeps it alive until it completes); guarded by one mutex because `send` and
    `async_send` may be called from any thread. */
class beast_pool {
public:
    using clock = std::chrono::steady_clock;

    beast_pool(boost::asio::any_io_executor ex, beast_transport_options options)
        : executor_(std::move(ex)), options_(std::move(options)),
          tls_context_(boost::asio::ssl::context::tls_client) {
        if (!options_.proxy.empty())
            proxy_.emplace(options_.proxy);
        configure_tls();
    }

    const beast_transport_options& options() const noexcept { return options_; }
    const std::optional<endpoint_url>& proxy() const noexcept { return proxy_; }
    const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

    /// What `acquire` hands out: a connection, or nothing yet (then wait on `wake`).
    struct lease {
        std::unique_ptr<connection> conn;
        bool reused = false;
    };

    /** A connection for `where`: an idle one that is fresh enough, else a new one if the
        origin is below its limit, else an empty lease (then `wait`). */
    lease acquire(const origin& where) {
        std::lock_guard lock(mutex_);
        auto& entry = entry_for(where);
        const auto now = clock::now();
        while (!entry.idle.empty()) {
            auto conn = std::move(entry.idle.back());
            entry.idle.pop_back();
            if (now - conn->idle_since <= options_.idle_timeout)
                return {std::move(conn), true};
            --entry.open; // too old: the server may have closed it already
        }
        if (entry.open < options_.max_connections_per_origin) {
            ++entry.open;
            return {std::make_unique<connection>(executor_, where.tls ? &tls_context_ : nullptr),
                    false};
        }
        return {};
    }

    /** Calls `wake` once a connection to `where` is released or closed. Called on the
        transport's strand right after an empty `acquire`, as `release` is: no release can
        fall between the two. */
    void wait(const origin& where, std::function<void()> wake) {
        std::lock_guard lock(mutex_);
        entry_for(where).waiters.push_back(std::move(wake));
    }

    /// Returns a connection after a request: kept for reuse, or closed.
    void release(const origin& where, std::unique_ptr<connection> conn, bool keep) {
        std::function<void()> wake;
        {
            std::lock_guard lock(mutex_);
            auto& entry = entry_for(where);
            if (keep && conn && conn->connected) {
                conn->idle_since = clock::now();
                entry.idle.push_back(std::move(conn));
            } else {
                --entry.open;
            }
            if (!entry.waiters.empty()) {
                wake = std::move(entry.waiters.front());
                entry.waiters.pop_front();
            }
        }
        if (wake)
            wake();
    }

    /// Cached resolution of `host:port`, if any.
    std::optional<boost::asio::ip::tcp::resolver::results_type> resolved(const origin& where) {
        std::lock_guard lock(mutex_);
        auto& entry = entry_for(where);
        return entry.resolved;
    }

    void remember(const origin& where, boost::asio::ip::tcp::resolver::results_type results) {
        std::lock_guard lock(mutex_);
        entry_for(where).resolved = std::move(results);
    }

    void forget_resolution(const origin& where) {
        std::lock_guard lock(mutex_);
        entry_for(where).resolved.reset();
    }

    std::size_t open_connections(const origin& where) {
        std::lock_guard lock(mutex_);
        return entry_for(where).open;
    }

    /// Closes every idle connection and wakes every waiter (the transport is going away).
    void shut_down() {
        std::vector<std::function<void()>> waiters;
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
            for (auto& entry : entries_) {
                entry.idle.clear();
                for (auto& w : entry.waiters)
                    waiters.push_back(std::move(w));
                entry.waiters.clear();
            }
        }
        for (auto& w : waiters)
            w();
    }

    bool closed() {
        std::lock_guard lock(mutex_);
        return closed_;
    }

    boost::asio::ssl::context& tls_context() noexcept { return tls_context_; }

private:
    struct entry {
        webhook::origin where;
        std::vector<std::unique_ptr<connection>> idle;
        std::size_t open = 0; // idle and busy
        std::deque<std::function<void()>> waiters;
        std::optional<boost::asio::ip::tcp::resolver::results_type> resolved;
    };

    entry& entry_for(const origin& where) {
        for (auto& e : entries_)
            if (e.where == where)
                return e;
        entries_.push_back(entry{where, {}, 0, {}, {}});
        return entries_.back();
    }

    void configure_tls() {
        namespace ssl = boost::asio::ssl;
        SSL_CTX_set_min_proto_version(tls_context_.native_handle(), TLS1_2_VERSION);
        const tls_options& t = options_.tls;
        if (t.insecure_skip_verification) {
            tls_context_.set_verify_mode(ssl::verify_none);
        } else {
            tls_context_.set_verify_mode(ssl::verify_peer);
            if (t.ca_file.empty() && t.ca_directory.empty())
                tls_context_.set_default_verify_paths();
            if (!t.ca_file.empty())
                tls_context_.load_verify_file(t.ca_file);
            if (!t.ca_directory.empty())
                tls_context_.add_verify_path(t.ca_directory);
        }
        if (!t.certificate_file.empty())
            tls_context_.use_certificate_chain_file(t.certificate_file);
        if (!t.private_key_file.empty())
            tls_context_.use_private_key_file(t.private_key_file, ssl::context::pem);
    }

    boost::asio::any_io_executor executor_;
    beast_transport_options options_;
    std::optional<endpoint_url> proxy_;
    boost::asio::ssl::context tls_context_;
    std::mutex mutex_;
    std::list<entry> entries_; // a list: references stay valid as origins are added
    bool closed_ = false;
};

} // namespace webhook::detail

#endif
