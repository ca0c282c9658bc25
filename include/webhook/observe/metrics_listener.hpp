#ifndef WEBHOOK_OBSERVE_METRICS_LISTENER_HPP
#define WEBHOOK_OBSERVE_METRICS_LISTENER_HPP

/** @file
    A small HTTP/1.1 server that serves a `metrics_registry` for Prometheus to scrape. */

#include <webhook/observe/metrics.hpp>

#include <memory>
#include <mutex>
#include <string>

namespace webhook {

namespace detail {
class metrics_server;
} // namespace detail

/// Where a `metrics_listener` listens, and what it serves.
struct metrics_listener_options {
    /// The address to bind: an IPv4 or IPv6 literal (`0.0.0.0` or `::` for every interface).
    std::string address = "127.0.0.1";
    /// The port; 0 lets the system choose one (see `metrics_listener::port`).
    unsigned short port = 0;
    /// The path served; the query string of a request is ignored.
    std::string path = "/metrics";
};

/** Serves a registry over HTTP/1.1 on a thread of its own.

    `GET` or `HEAD` of the path answers 200 with the registry in the Prometheus text format
    (`Content-Type: text/plain; version=0.0.4; charset=utf-8`), or in OpenMetrics
    (`application/openmetrics-text; version=1.0.0; charset=utf-8`) when the request's `Accept`
    prefers `application/openmetrics-text` (with a quality at least that of `text/plain`, of
    a text wildcard or of the full wildcard), as Prometheus's own scrapes do. Another path answers 404, another
    method 405 with `Allow: GET, HEAD`, a collector's exception 500 with its message.

    Connections are kept alive as HTTP/1.1 says and served at once, each closed after a minute
    idle. A request's header is limited to 8 KiB (431 beyond) and its body to 8 KiB (413); a
    request that is not HTTP gets 400 and its connection closed, and the listener goes on.

    The registry is read at each request, from the listener's thread, under its mutex. */
class metrics_listener {
public:
    /** Listens at once on `options.address` and `options.port`, and serves from a thread of
        its own until `stop` or destruction.

        @throws boost::system::system_error, naming the address and port, when the address is
        not an IP literal or cannot be bound (the port is in use, say). */
    explicit metrics_listener(std::shared_ptr<const metrics_registry> registry,
                              metrics_listener_options options = {});

    metrics_listener(const metrics_listener&) = delete;
    metrics_listener& operator=(const metrics_listener&) = delete;

    /// Stops, as `stop` does.
    ~metrics_listener();

    /// The port bound: the one the system chose when `options.port` was 0.
    unsigned short port() const noexcept { return port_; }

    /** Stops listening, closes every connection and joins the thread. A request being
        answered is abandoned. Idempotent; later calls return at once. */
    void stop();

private:
    std::mutex stop_mutex_;
    std::unique_ptr<detail::metrics_server> server_;
    unsigned short port_ = 0;
};

} // namespace webhook

#include <webhook/observe/impl/metrics_listener.hpp>

#endif
