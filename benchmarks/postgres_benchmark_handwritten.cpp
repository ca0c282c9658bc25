// The outbox a user would write by hand, for the PostgreSQL outbox benchmark
// (postgres_benchmark.cpp has the library's side and main):
//
//   CREATE TABLE handwritten_outbox (id bigserial PRIMARY KEY,
//       event_id uuid NOT NULL DEFAULT gen_random_uuid(), payload text NOT NULL,
//       created timestamptz NOT NULL DEFAULT now())
//
// - Appending: in the business transaction, after the order's INSERT, one
//   `INSERT INTO handwritten_outbox (payload) VALUES ($1)` per event, the payload made per
//   event with nlohmann::json: `json{{"root", {{"result", event}}}}.dump()` (the described
//   incident event, NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE in json_payloads.hpp), the same
//   document the dispatcher sends under its data location root/result.
// - Delivering: a polling worker process with one connection and one libcurl easy handle
//   (keep-alive, reused for every request). Each round is one transaction:
//     BEGIN
//     SELECT id, event_id, payload FROM handwritten_outbox ORDER BY id LIMIT 16
//         FOR UPDATE SKIP LOCKED
//     POST each row, one after the other (Content-Type: application/json, webhook-id: the
//         row's uuid, Basic authentication), every answer must be 2xx
//     DELETE FROM handwritten_outbox WHERE id = ANY($1::bigint[])
//     COMMIT
//   and, when the SELECT found nothing, COMMIT and sleep 10 ms. No retries, no leases, no
//   notification: what a first version looks like.

#include "json_payloads.hpp"
#include "postgres_benchmark.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <string>
#include <thread>
#include <vector>

namespace pg_bench {

namespace {

std::string serialize(const bench::incident_event& event) {
    return nlohmann::json{{"root", {{"result", event}}}}.dump();
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
    return size * n;
}

// One easy handle, reused: libcurl keeps the connection open between requests.
class poster {
public:
    explicit poster(const std::string& url) : easy_(curl_easy_init()) {
        if (easy_ == nullptr)
            fail("curl_easy_init");
        curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(easy_, CURLOPT_POST, 1L);
        curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, 10'000L);
        curl_easy_setopt(easy_, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(easy_, CURLOPT_USERPWD, "webhook:secret");
        curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &discard);
    }
    ~poster() { curl_easy_cleanup(easy_); }
    poster(const poster&) = delete;
    poster& operator=(const poster&) = delete;

    // POSTs `body` with the event's id; the HTTP status, or 0 with `error` set.
    long post(const char* body, int size, const char* event_id, std::string& error) {
        const std::string id_header = std::string("webhook-id: ") + event_id;
        curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
        headers = curl_slist_append(headers, id_header.c_str());
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE, static_cast<long>(size));
        const CURLcode rc = curl_easy_perform(easy_);
        long status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &status);
        else
            error = curl_easy_strerror(rc);
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);
        curl_slist_free_all(headers);
        return status;
    }

private:
    CURL* easy_;
};

} // namespace

std::function<void(std::uint64_t)> handwritten_producer(const options& o, int producer) {
    PGconn* c = connect(o.conninfo); // one per producer thread, for the whole run (not closed)
    const auto event = bench::make_incident_event();
    return [c, producer, event, per_tx = o.per_tx](std::uint64_t i) {
        exec(c, "BEGIN");
        insert_order(c, producer, i);
        for (int k = 0; k < per_tx; ++k) {
            const std::string payload = serialize(event);
            exec(c, "INSERT INTO handwritten_outbox (payload) VALUES ($1)", {payload.c_str()});
        }
        exec(c, "COMMIT");
    };
}

void handwritten_prefill(const options& o, std::uint64_t n) {
    PGconn* c = connect(o.conninfo);
    const std::string payload = serialize(bench::make_incident_event());
    for (std::uint64_t done = 0; done < n;) {
        exec(c, "BEGIN");
        for (int k = 0; k < 1000 && done < n; ++k, ++done)
            exec(c, "INSERT INTO handwritten_outbox (payload) VALUES ($1)", {payload.c_str()});
        exec(c, "COMMIT");
    }
    PQfinish(c);
}

int handwritten_worker(const options& o, shared_state& s) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    PGconn* c = connect(o.conninfo);
    {
        poster http(o.url);
        s.ready.fetch_add(1);
        while (!s.go.load())
            std::this_thread::sleep_for(std::chrono::microseconds(50));
        std::string ids, error;
        while (!s.stop.load()) {
            exec(c, "BEGIN");
            PGresult* rows = exec(c,
                                  "SELECT id, event_id, payload FROM handwritten_outbox ORDER BY id"
                                  " LIMIT 16 FOR UPDATE SKIP LOCKED",
                                  {}, true);
            const int n = PQntuples(rows);
            s.read_calls.fetch_add(1, std::memory_order_relaxed);
            if (n == 0) {
                PQclear(rows);
                exec(c, "COMMIT");
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                continue;
            }
            ids = "{";
            for (int i = 0; i < n; ++i) {
                const long status = http.post(PQgetvalue(rows, i, 2), PQgetlength(rows, i, 2),
                                              PQgetvalue(rows, i, 1), error);
                if (status < 200 || status > 299) {
                    s.failed.fetch_add(1);
                    note_error(s,
                               "hand-written worker: HTTP " + std::to_string(status) + " " + error);
                    fail("hand-written worker: a POST failed");
                }
                ids += (i ? "," : "") + std::string(PQgetvalue(rows, i, 0));
            }
            ids += "}";
            PQclear(rows);
            exec(c, "DELETE FROM handwritten_outbox WHERE id = ANY($1::bigint[])", {ids.c_str()});
            exec(c, "COMMIT");
            s.reads.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
            s.delivered.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
        }
    }
    PQfinish(c);
    curl_global_cleanup();
    return 0;
}

} // namespace pg_bench
