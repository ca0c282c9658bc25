// The library's transport as a client of the HTTP benchmark (benchmarks/run_http.sh):
// webhook::beast_transport on one io_context thread with N requests in flight
// (`webhook_async`), and the blocking send in a loop with one connection (`webhook_blocking`).
// Same request bytes as wrk and curl: the payload and headers of http_common.hpp.
//
//   http_webhook_client --url http://127.0.0.1:PORT/hook --connections 1,8,64 --seconds 5

#include <webhook/transport.hpp>

#include "http_common.hpp"
#include "json_count_allocations.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <functional>
#include <vector>

namespace h = bench::http;
namespace http = boost::beast::http;

namespace {

webhook::http_request make_bench_request(const webhook::endpoint_url& url) {
    webhook::http_request req{http::verb::post, url.target(), 11};
    req.set(http::field::host, url.host_header());
    req.set(http::field::content_type, h::content_type);
    req.set(http::field::authorization, h::authorization);
    req.set(http::field::user_agent, h::user_agent);
    req.body() = std::string(h::payload);
    req.prepare_payload();
    return req;
}

struct window {
    h::clock_type::time_point start, end;
    bool contains(h::clock_type::time_point t) const { return t >= start && t < end; }
};

window make_window(const h::options& o) {
    const auto start = h::clock_type::now() + std::chrono::duration_cast<h::clock_type::duration>(
                                                  std::chrono::duration<double>(o.warmup));
    return {start, start + std::chrono::duration_cast<h::clock_type::duration>(
                               std::chrono::duration<double>(o.seconds))};
}

void finish(h::run_result& r, const window& w, std::uint64_t allocations) {
    r.seconds = std::chrono::duration<double>(w.end - w.start).count();
    h::print_summary(r);
    std::fprintf(stderr, "%.*s connections=%d allocations_per_request=%.2f\n",
                 static_cast<int>(r.client.size()), r.client.data(), r.connections,
                 r.requests ? static_cast<double>(allocations) / static_cast<double>(r.requests)
                            : 0.0);
}

// N requests in flight on one thread: each completion starts the next request.
void run_async(const h::options& o, const webhook::endpoint_url& url, int connections) {
    boost::asio::io_context io(1);
    webhook::beast_transport_options options;
    options.max_connections_per_origin = static_cast<std::size_t>(connections);
    webhook::beast_transport transport(io.get_executor(), options);
    const auto request = make_bench_request(url);

    h::run_result result;
    result.client = "webhook_async";
    result.connections = connections;
    const window w = make_window(o);
    std::uint64_t allocations_at_start = 0;
    bool counting = false;
    std::vector<h::clock_type::time_point> started(static_cast<std::size_t>(connections));

    std::function<void(std::size_t)> launch = [&](std::size_t slot) {
        started[slot] = h::clock_type::now();
        transport.async_send(
            url.origin(), request,
            [&, slot](boost::system::error_code ec, webhook::http_response res) {
                const auto now = h::clock_type::now();
                if (!counting && now >= w.start) {
                    counting = true;
                    allocations_at_start = bench::allocations();
                }
                if (ec || res.result_int() != h::expected_status)
                    ++result.errors;
                else if (w.contains(now) && started[slot] >= w.start) {
                    ++result.requests;
                    result.latency_ns.push_back(
                        std::chrono::duration_cast<std::chrono::nanoseconds>(now - started[slot])
                            .count());
                }
                if (now < w.end)
                    launch(slot);
            });
    };
    result.latency_ns.reserve(4'000'000);
    for (std::size_t i = 0; i < started.size(); ++i)
        launch(i);
    io.run();
    finish(result, w, bench::allocations() - allocations_at_start);
}

// One blocking send after another, on the transport's own thread.
void run_blocking(const h::options& o, const webhook::endpoint_url& url) {
    webhook::beast_transport transport;
    const auto request = make_bench_request(url);
    h::run_result result;
    result.client = "webhook_blocking";
    result.connections = 1;
    result.latency_ns.reserve(4'000'000);
    const window w = make_window(o);
    for (;;) {
        const auto start = h::clock_type::now();
        if (start >= w.end)
            break;
        boost::system::error_code ec;
        const auto res = transport.send(url.origin(), request, ec);
        const auto now = h::clock_type::now();
        if (ec || res.result_int() != h::expected_status)
            ++result.errors;
        else if (start >= w.start && now < w.end) {
            ++result.requests;
            result.latency_ns.push_back(
                std::chrono::duration_cast<std::chrono::nanoseconds>(now - start).count());
        }
    }
    // The I/O (and its allocations) runs on the transport's thread: not counted here.
    finish(result, w, 0);
}

} // namespace

int main(int argc, char** argv) {
    h::options o;
    if (!h::parse_options(argc, argv, o))
        return 2;
    if (o.print_payload) {
        std::fwrite(h::payload.data(), 1, h::payload.size(), stdout);
        return 0;
    }
    const webhook::endpoint_url url(o.url);
    bool failed = false;
    for (const int n : o.connections) {
        if (n == 1) {
            run_blocking(o, url);
        }
        run_async(o, url, n);
    }
    return failed ? 1 : 0;
}
