// The peer of the dispatcher benchmark (benchmarks/run_dispatch.sh): the pipeline a user would
// write without the library. For every event, the same described struct goes through
// `boost::json::value_from`, is placed under root/result in two `boost::json::object`s and
// written with `boost::json::serialize`; the body is POSTed with libcurl's multi interface,
// N easy handles over N keep-alive connections on one thread (the pattern of
// http_curl_multi.cpp, with the same headers). Same command line and summary line as the HTTP
// benchmark's clients (http_common.hpp), `client=value_from_curl_multi`.
//
//   dispatch_curl_pipeline --url http://127.0.0.1:PORT/hook --connections 1,8,64 --seconds 5
//
// Each request's body is serialized afresh just before the handle is added (that is the point:
// such a pipeline pays for the JSON of every event). Boost.JSON writes 7.25 as 7.25E0, so the
// body is 323 bytes, not 321; at start-up it is checked to parse to the same JSON as the
// payload. Latency is from the start of the serialization to the completion message.
// Allocations (every operator new, and libcurl's own malloc family through
// curl_global_init_mem) over the measured window, per completed request, go to stderr.

#include "http_curl_common.hpp"
#include "json_count_allocations.hpp"
#include "json_payloads.hpp"

#include <boost/json.hpp>
#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

namespace h = bench::http;
using h::clock_type;

// libcurl's allocations, counted with the operator new ones (same thread-local counter).
void* count_malloc(std::size_t size) {
    bench::count_allocation();
    return std::malloc(size);
}
void count_free(void* p) {
    std::free(p);
}
void* count_realloc(void* p, std::size_t size) {
    bench::count_allocation();
    return std::realloc(p, size);
}
char* count_strdup(const char* s) {
    bench::count_allocation();
    const std::size_t n = std::strlen(s) + 1;
    char* const p = static_cast<char*>(std::malloc(n));
    if (p != nullptr)
        std::memcpy(p, s, n);
    return p;
}
void* count_calloc(std::size_t count, std::size_t size) {
    bench::count_allocation();
    return std::calloc(count, size);
}

// What the user's code does per event: value_from, wrap under root/result, serialize.
std::string serialize_event(const bench::incident_event& event) {
    boost::json::object result;
    result.emplace("result", boost::json::value_from(event));
    boost::json::object root;
    root.emplace("root", std::move(result));
    return boost::json::serialize(root);
}

using h::header_list;

h::run_result run(const h::options& o, int connections, const header_list& headers,
                  const bench::incident_event& event) {
    // Serializes the event into the slot's body and hands the body to its handle (not copied:
    // the string lives in the slot until the request completes).
    const auto prepare = [&](h::curl_slot& s) {
        s.body = serialize_event(event);
        CHECK_EASY(curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, s.body.data()));
        CHECK_EASY(
            curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(s.body.size())));
    };
    bool counting = false;
    std::uint64_t allocations_start = 0, allocations_end = 0;
    const auto observe = [&](bool in_window) {
        if (!in_window)
            return;
        if (!counting) {
            counting = true;
            allocations_start = bench::allocations();
        }
        allocations_end = bench::allocations();
    };
    h::run_result result =
        h::run_multi(o, connections, headers, "value_from_curl_multi", prepare, observe);
    std::fprintf(stderr, "value_from_curl_multi connections=%d allocations_per_event=%.2f\n",
                 connections,
                 result.requests ? static_cast<double>(allocations_end - allocations_start) /
                                       static_cast<double>(result.requests)
                                 : 0.0);
    return result;
}

} // namespace

int main(int argc, char** argv) {
    h::options o;
    if (!h::parse_options(argc, argv, o))
        return 2;
    const bench::incident_event event = bench::make_incident_event();
    const std::string body = serialize_event(event);
    if (o.print_payload) {
        std::fwrite(body.data(), 1, body.size(), stdout);
        return 0;
    }
    // The same document as every other client's, up to the number's spelling.
    if (boost::json::parse(body) != boost::json::parse(h::payload)) {
        std::fprintf(stderr, "value_from_curl_multi: the body is another document:\n%s\n%.*s\n",
                     body.c_str(), static_cast<int>(h::payload.size()), h::payload.data());
        return 1;
    }
    if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, &count_malloc, &count_free, &count_realloc,
                             &count_strdup, &count_calloc) != CURLE_OK) {
        std::fprintf(stderr, "curl_global_init_mem failed\n");
        return 2;
    }
    int status = 0;
    {
        const header_list headers;
        for (const int n : o.connections) {
            h::run_result r = run(o, n, headers, event);
            if (r.errors != 0 || r.requests == 0)
                status = 1;
            h::print_summary(r);
        }
    }
    curl_global_cleanup();
    return status;
}
