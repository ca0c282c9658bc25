// libcurl's multi interface as a client of the HTTP transport benchmark (run_http.sh): N easy
// handles, each POSTing the incident event over a keep-alive connection and re-added as soon
// as its response is in, all driven by curl_multi_poll on one thread. One summary line per N
// (see http_common.hpp); the exit status is non-zero on any response other than 204.
//
//   http_curl_multi --url http://127.0.0.1:PORT/hook --connections 1,8,64 --seconds 5 --warmup 1

#include "http_curl_common.hpp"

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

using h::header_list;

// One run at `connections` requests in flight; the payload is a static string, not copied.
h::run_result run(const h::options& o, int connections, const header_list& headers) {
    const auto prepare = [](h::curl_slot& s) {
        CHECK_EASY(curl_easy_setopt(s.easy, CURLOPT_POSTFIELDS, h::payload.data()));
        CHECK_EASY(
            curl_easy_setopt(s.easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(h::payload.size())));
    };
    return h::run_multi(o, connections, headers, "curl_multi", prepare, [](bool) {});
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
