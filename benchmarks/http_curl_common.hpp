#ifndef WEBHOOK_BENCHMARKS_HTTP_CURL_COMMON_HPP
#define WEBHOOK_BENCHMARKS_HTTP_CURL_COMMON_HPP

// What the libcurl clients of the HTTP benchmarks share: the request headers (those of
// http_common.hpp, with libcurl's own defaults switched off), error checks, and the options
// every easy handle gets.

#include "http_common.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace bench::http {

// The response body (none for 204) is discarded.
inline std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

struct header_list {
    curl_slist* list = nullptr;
    header_list() {
        for (const std::string_view line : header_lines)
            append(std::string(line));
        append("Expect:"); // no 100-continue round trip
        append("Accept:"); // curl's default "Accept: */*" off, as wrk sends none
    }
    void append(const std::string& line) {
        curl_slist* const next = curl_slist_append(list, line.c_str());
        if (next == nullptr) {
            std::fprintf(stderr, "curl_slist_append failed\n");
            std::exit(2);
        }
        list = next;
    }
    ~header_list() { curl_slist_free_all(list); }
    header_list(const header_list&) = delete;
    header_list& operator=(const header_list&) = delete;
};

#define CHECK_EASY(call)                                                                           \
    do {                                                                                           \
        const CURLcode check_rc_ = (call);                                                         \
        if (check_rc_ != CURLE_OK) {                                                               \
            std::fprintf(stderr, "%s: %s\n", #call, curl_easy_strerror(check_rc_));                \
            std::exit(2);                                                                          \
        }                                                                                          \
    } while (false)

#define CHECK_MULTI(call)                                                                          \
    do {                                                                                           \
        const CURLMcode check_rc_ = (call);                                                        \
        if (check_rc_ != CURLM_OK) {                                                               \
            std::fprintf(stderr, "%s: %s\n", #call, curl_multi_strerror(check_rc_));               \
            std::exit(2);                                                                          \
        }                                                                                          \
    } while (false)

/// The options of every request but its body: URL, HTTP/1.1, headers, no proxy, bounded.
inline void configure_common(CURL* easy, const std::string& url, const header_list& headers,
                             void* owner) {
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_URL, url.c_str()));
    // Loopback only: never a proxy from the environment.
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_PROXY, ""));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_NOPROXY, "*"));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.list));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L)); // every request bounded
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_PRIVATE, owner));
}

/// One easy handle and the request it carries.
struct curl_slot {
    CURL* easy = nullptr;
    std::string body; // for clients that make a body per request
    clock_type::time_point started{};
};

/** One run of `client` at `connections` requests in flight over keep-alive connections,
    with libcurl's multi interface on this thread. Before each request, `prepare(slot)` sets
    its body (`slot.started` is already set, so the client's own work is timed too); after
    each completion `observe(in_window)` is called. Errors are counted in the result. */
template <class Prepare, class Observe>
run_result run_multi(const options& o, int connections, const header_list& headers,
                     const char* client, Prepare prepare, Observe observe) {
    run_result result;
    result.client = client;
    result.connections = connections;
    result.seconds = o.seconds;
    result.connects = 0;
    result.latency_ns.reserve(static_cast<std::size_t>(o.seconds * 200000.0));

    CURLM* const multi = curl_multi_init();
    if (multi == nullptr) {
        std::fprintf(stderr, "curl_multi_init failed\n");
        std::exit(2);
    }
    // Keep one idle connection per handle in the pool, so none is closed between requests.
    CHECK_MULTI(curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(connections)));

    std::vector<curl_slot> slots(static_cast<std::size_t>(connections));
    for (curl_slot& s : slots) {
        s.easy = curl_easy_init();
        if (s.easy == nullptr) {
            std::fprintf(stderr, "curl_easy_init failed\n");
            std::exit(2);
        }
        configure_common(s.easy, o.url, headers, &s);
    }

    const auto begin = clock_type::now();
    const auto window_start = begin + std::chrono::duration_cast<clock_type::duration>(
                                          std::chrono::duration<double>(o.warmup));
    const auto window_end = window_start + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(o.seconds));
    const auto start = [&](curl_slot& s) {
        s.started = clock_type::now();
        prepare(s);
        CHECK_MULTI(curl_multi_add_handle(multi, s.easy));
    };

    std::size_t in_flight = 0;
    for (curl_slot& s : slots) {
        start(s);
        ++in_flight;
    }

    std::uint64_t reported = 0; // errors printed on stderr, at most a few
    while (in_flight > 0) {
        int running = 0;
        CHECK_MULTI(curl_multi_perform(multi, &running));

        int queued = 0;
        while (CURLMsg* const msg = curl_multi_info_read(multi, &queued)) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            CURL* const easy = msg->easy_handle;
            const CURLcode code = msg->data.result; // msg is invalid once the handle is removed
            const auto now = clock_type::now();
            const bool in_window = now >= window_start && now < window_end;

            void* p = nullptr;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p));
            curl_slot& s = *static_cast<curl_slot*>(p);
            long status = 0;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status));
            long connects = 0;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects));
            CHECK_MULTI(curl_multi_remove_handle(multi, easy));
            --in_flight;

            if (code != CURLE_OK || status != expected_status) {
                ++result.errors;
                if (reported++ < 5)
                    std::fprintf(stderr, "%s: request failed: %s, HTTP status %ld\n", client,
                                 curl_easy_strerror(code), status);
            } else if (in_window) {
                ++result.requests;
                result.latency_ns.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.started).count());
            }
            if (in_window)
                result.connects += connects;
            observe(in_window);

            if (now < window_end) { // the same handle again, on the same pool of connections
                start(s);
                ++in_flight;
            }
        }
        if (in_flight == 0)
            break;
        CHECK_MULTI(curl_multi_poll(multi, nullptr, 0, 100, nullptr));
    }

    for (curl_slot& s : slots)
        curl_easy_cleanup(s.easy);
    CHECK_MULTI(curl_multi_cleanup(multi));
    return result;
}

} // namespace bench::http

#endif
