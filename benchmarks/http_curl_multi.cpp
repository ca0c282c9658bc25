// libcurl's multi interface as a client of the HTTP transport benchmark (run_http.sh): N easy
// handles, each POSTing the incident event over a keep-alive connection and re-added as soon
// as its response is in, all driven by curl_multi_poll on one thread. One summary line per N
// (see http_common.hpp); the exit status is non-zero on any response other than 204.
//
//   http_curl_multi --url http://127.0.0.1:PORT/hook --connections 1,8,64 --seconds 5 --warmup 1

#include "http_common.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

namespace h = bench::http;
using h::clock_type;

// The response body (none for 204) is discarded.
std::size_t discard(char*, std::size_t size, std::size_t count, void*) {
    return size * count;
}

struct slot {
    CURL* easy = nullptr;
    clock_type::time_point started{};
};

struct header_list {
    curl_slist* list = nullptr;
    header_list() {
        for (const std::string_view line : h::header_lines)
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

#define CHECK_EASY(call)                                                                       \
    do {                                                                                       \
        const CURLcode check_rc_ = (call);                                                     \
        if (check_rc_ != CURLE_OK) {                                                           \
            std::fprintf(stderr, "%s: %s\n", #call, curl_easy_strerror(check_rc_));          \
            std::exit(2);                                                                      \
        }                                                                                      \
    } while (false)

#define CHECK_MULTI(call)                                                                      \
    do {                                                                                       \
        const CURLMcode check_rc_ = (call);                                                    \
        if (check_rc_ != CURLM_OK) {                                                           \
            std::fprintf(stderr, "%s: %s\n", #call, curl_multi_strerror(check_rc_));         \
            std::exit(2);                                                                      \
        }                                                                                      \
    } while (false)

void configure(CURL* easy, const h::options& o, const header_list& headers, slot* s) {
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_URL, o.url.c_str()));
    // Loopback only: never a proxy from the environment.
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_PROXY, ""));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_NOPROXY, "*"));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, long{CURL_HTTP_VERSION_1_1}));
    // POSTFIELDS is not copied: the payload is a static string.
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, h::payload.data()));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(h::payload.size())));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.list));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L)); // every request bounded
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &discard));
    CHECK_EASY(curl_easy_setopt(easy, CURLOPT_PRIVATE, static_cast<void*>(s)));
}

// One run at `connections` requests in flight; returns its result (errors counted there).
h::run_result run(const h::options& o, int connections, const header_list& headers) {
    h::run_result result;
    result.client = "curl_multi";
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

    std::vector<slot> slots(static_cast<std::size_t>(connections));
    for (slot& s : slots) {
        s.easy = curl_easy_init();
        if (s.easy == nullptr) {
            std::fprintf(stderr, "curl_easy_init failed\n");
            std::exit(2);
        }
        configure(s.easy, o, headers, &s);
    }

    const auto begin = clock_type::now();
    const auto window_start =
        begin + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(o.warmup));
    const auto window_end = window_start + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(o.seconds));

    std::size_t in_flight = 0;
    for (slot& s : slots) {
        s.started = clock_type::now();
        CHECK_MULTI(curl_multi_add_handle(multi, s.easy));
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

            void* p = nullptr;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p));
            slot& s = *static_cast<slot*>(p);
            long status = 0;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status));
            long connects = 0;
            CHECK_EASY(curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects));
            CHECK_MULTI(curl_multi_remove_handle(multi, easy));
            --in_flight;

            const bool ok = code == CURLE_OK && status == h::expected_status;
            if (!ok) {
                ++result.errors;
                if (reported++ < 5)
                    std::fprintf(stderr, "curl_multi: request failed: %s, HTTP status %ld\n",
                                 curl_easy_strerror(code), status);
            } else if (now >= window_start && now < window_end) {
                ++result.requests;
                result.latency_ns.push_back(
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now - s.started).count());
            }
            if (now >= window_start && now < window_end)
                result.connects += connects;

            if (now < window_end) { // the same handle again, on the same pool of connections
                s.started = clock_type::now();
                CHECK_MULTI(curl_multi_add_handle(multi, easy));
                ++in_flight;
            }
        }
        if (in_flight == 0)
            break;
        CHECK_MULTI(curl_multi_poll(multi, nullptr, 0, 100, nullptr));
    }

    for (slot& s : slots)
        curl_easy_cleanup(s.easy);
    CHECK_MULTI(curl_multi_cleanup(multi));
    return result;
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
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        std::fprintf(stderr, "curl_global_init failed\n");
        return 2;
    }
    int status = 0;
    {
        const header_list headers;
        for (const int n : o.connections) {
            h::run_result r = run(o, n, headers);
            if (r.errors != 0 || r.requests == 0)
                status = 1;
            h::print_summary(r);
        }
    }
    curl_global_cleanup();
    return status;
}
