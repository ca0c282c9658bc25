// The PostgreSQL outbox benchmark (benchmarks/run_postgres.sh): events per second appended
// inside the caller's transactions and delivered to a real HTTP receiver (nginx on loopback),
// with `webhook::postgres_spool` against the outbox a user would write by hand
// (postgres_benchmark_handwritten.cpp), and against the file journal and the Redis spool.
//
//   postgres_benchmark append  --outbox postgres|postgres_nonotify|postgres_append|handwritten|file|redis
//                              --producers P --per-tx K --events N --conninfo S --url URL
//                              [--redis-port PORT] [--dir PATH] [--listen yes|no]
//   postgres_benchmark deliver --outbox postgres|handwritten|file|redis --workers W
//                              --events N --conninfo S --url URL [--redis-port PORT] [--dir PATH]
//                              [--listen yes|no]
//
// --listen no opens the library's outbox with `listen = false` (default yes, as run_postgres.sh
// runs it): no connection LISTENs, so no process is woken per commit; the appends still NOTIFY.
//
// append: P threads, each with its own connection, run N/K transactions in all:
//   postgres         BEGIN; INSERT INTO orders; K x d.post(event, outbox->in_transaction(conn));
//                    COMMIT (d: a dispatcher without a spool: it serializes, the transaction
//                    appends; nothing is delivered during the run)
//   handwritten      BEGIN; INSERT INTO orders; K x INSERT INTO handwritten_outbox; COMMIT
//   postgres_append  K x d.post(event, *outbox): postgres_spool::append, a transaction of its
//                    own per event on the spool's one append connection; no business row
//   file / redis     K x d.post(event, *spool): file_spool (default options: fsync_each_append)
//                    or redis_spool; no business row, no transaction
//   Measured from releasing the threads to the last one's return; p50/p99 of one call
//   (transaction). Then the tables (or the spool's counters) must hold exactly N events.
// deliver: a child process fills the outbox with N events (not timed: postgres through
//   in_transaction, 1000 a transaction; handwritten likewise; redis by appends; file: each
//   worker fills its own journal with its share before the start), then W worker processes
//   are forked and released at once:
//   postgres / redis a `webhook::dispatcher` (built-in HTTP transport, max_in_flight 8,
//                    spool_poll_interval 20 ms) with the shared spool, one per process
//   file             the same with a file_spool of its own (a journal cannot be shared)
//   handwritten      the SKIP LOCKED poller with libcurl
//   Measured from the release until every event was delivered (a 2xx) and the outbox is
//   empty: every worker has deleted (acknowledged) all it read. Then the run fails unless
//   exactly N were delivered, none failed, and the tables are empty (redis: XLEN 0).
// One summary line on stdout, e.g.
//   phase=append outbox=postgres producers=8 per_tx=10 events=10000 seconds=... events_per_s=...
//   p50_us=... p99_us=...

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>
#include <webhook/spool/postgres_spool.hpp>
#include <webhook/spool/redis_spool.hpp>

#include "json_payloads.hpp"
#include "postgres_benchmark.hpp"

#include <hiredis/hiredis.h>

#include <csignal>
#include <cstring>
#include <string_view>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace pg_bench;
using namespace std::chrono_literals;

namespace {

void usage() {
    std::fprintf(stderr,
                 "usage: postgres_benchmark append|deliver --outbox "
                 "postgres|postgres_append|handwritten|file|redis --conninfo S --url URL\n"
                 "       [--producers P (1)] [--per-tx K (1)] [--workers W (1)] [--events N "
                 "(10000)] [--redis-port PORT] [--dir PATH (/var/tmp)]\n"
                 "       [--listen yes|no (yes: postgres_spool_options::listen)]\n");
}

bool parse_options(int argc, char** argv, options& o) {
    if (argc < 2)
        return false;
    const std::string_view phase = argv[1];
    if (phase != "append" && phase != "deliver")
        return false;
    o.deliver = phase == "deliver";
    for (int i = 2; i + 1 < argc; i += 2) {
        const std::string_view a = argv[i], v = argv[i + 1];
        if (a == "--outbox") {
            o.outbox_name = std::string(v);
            if (v == "postgres" || v == "postgres_nonotify") {
                o.outbox = outbox_kind::postgres;
                o.notify = v == "postgres";
            } else if (v == "postgres_append" && !o.deliver)
                o.outbox = outbox_kind::postgres_append;
            else if (v == "handwritten")
                o.outbox = outbox_kind::handwritten;
            else if (v == "file")
                o.outbox = outbox_kind::file;
            else if (v == "redis")
                o.outbox = outbox_kind::redis;
            else
                return false;
        } else if (a == "--producers")
            o.producers = std::atoi(argv[i + 1]);
        else if (a == "--per-tx")
            o.per_tx = std::atoi(argv[i + 1]);
        else if (a == "--workers")
            o.workers = std::atoi(argv[i + 1]);
        else if (a == "--events")
            o.events = std::strtoull(argv[i + 1], nullptr, 10);
        else if (a == "--conninfo")
            o.conninfo = std::string(v);
        else if (a == "--url")
            o.url = std::string(v);
        else if (a == "--redis-port")
            o.redis_port = static_cast<std::uint16_t>(std::atoi(argv[i + 1]));
        else if (a == "--dir")
            o.dir = std::string(v);
        else if (a == "--listen" && (v == "yes" || v == "no"))
            o.listen = v == "yes";
        else
            return false;
    }
    return argc % 2 == 0 && !o.conninfo.empty() && !o.url.empty() && o.producers >= 1 &&
           o.producers <= 64 && o.per_tx >= 1 && o.per_tx <= 1000 && o.workers >= 1 &&
           o.workers <= 64 && o.events >= 1 && o.events % static_cast<unsigned>(o.per_tx) == 0 &&
           (o.outbox != outbox_kind::redis || o.redis_port != 0);
}

webhook::endpoint make_endpoint(const options& o) {
    webhook::endpoint ep{
        .url = o.url,
        .data_location = webhook::data_path("root/result"),
        .authentication = webhook::basic_auth{"webhook", "secret"},
    };
    ep.max_in_flight = 8;
    return ep;
}

std::shared_ptr<webhook::postgres_spool> open_outbox(const options& o) {
    webhook::postgres_spool_options po;
    po.conninfo = o.conninfo;
    po.listen = o.listen;
    po.notify = o.notify;
    std::string why;
    auto opened = webhook::postgres_spool::open(po, &why);
    if (!opened)
        fail("postgres_spool::open: " + opened.error().message() + ": " + why);
    return *opened;
}

std::string stream_name() {
    return "bench:{postgres_benchmark}";
}

std::shared_ptr<webhook::redis_spool> open_redis(const options& o, const std::string& consumer) {
    webhook::redis_spool_options ro;
    ro.port = o.redis_port;
    ro.stream = stream_name();
    ro.consumer = consumer;
    std::string why;
    auto opened = webhook::redis_spool::open(ro, &why);
    if (!opened)
        fail("redis_spool::open: " + why);
    return *opened;
}

// XLEN of the benchmark's stream, then (when `del`) the stream removed.
long long stream_length(const options& o, bool del) {
    timeval tv{2, 0};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", o.redis_port, tv);
    if (c == nullptr || c->err != 0)
        fail("cannot connect to Redis on port " + std::to_string(o.redis_port));
    long long len = -1;
    if (auto* r = static_cast<redisReply*>(redisCommand(c, "XLEN %s", stream_name().c_str()))) {
        if (r->type == REDIS_REPLY_INTEGER)
            len = r->integer;
        freeReplyObject(r);
    }
    if (del)
        if (auto* r = static_cast<redisReply*>(redisCommand(c, "DEL %s", stream_name().c_str())))
            freeReplyObject(r);
    redisFree(c);
    return len;
}

fs::path fresh_dir(const fs::path& parent) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    std::string tmpl = (parent / "postgres_benchmark.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
        fail("cannot make a folder in " + parent.string());
    return tmpl;
}

// Empties the business table, the hand-written outbox and the library's outbox tables (when
// they exist), and the Redis stream.
void reset(const options& o) {
    PGconn* c = connect(o.conninfo);
    reset_tables(c);
    PQfinish(c);
    if (o.redis_port != 0)
        stream_length(o, true);
}

template <class Appender>
void post_or_fail(webhook::dispatcher& d, const bench::incident_event& event, Appender&& to) {
    const auto id = d.post(event, to);
    if (!id)
        fail("post refused: " + id.error().message());
}

// ------------------------------------------------------------------------------------------
// append

append_result run_append(const options& o) {
    reset(o);
    std::shared_ptr<webhook::postgres_spool> outbox;
    std::shared_ptr<webhook::file_spool> file;
    std::shared_ptr<webhook::redis_spool> redis;
    fs::path dir;
    if (o.outbox == outbox_kind::postgres || o.outbox == outbox_kind::postgres_append)
        outbox = open_outbox(o);
    if (o.outbox == outbox_kind::file) {
        dir = fresh_dir(o.dir);
        auto opened = webhook::file_spool::open(dir / "spool"); // default: fsync_each_append
        if (!opened)
            fail("file_spool::open: " + opened.error().message());
        file = *opened;
    }
    if (o.outbox == outbox_kind::redis)
        redis = open_redis(o, "bench-append");

    webhook::dispatcher d(make_endpoint(o), webhook::dispatcher_options{});
    const auto event = bench::make_incident_event();
    const int k = o.per_tx;
    const std::uint64_t transactions = o.events / static_cast<unsigned>(k);
    const auto make = [&](int producer) -> std::function<void(std::uint64_t)> {
        switch (o.outbox) {
        case outbox_kind::postgres: {
            PGconn* c = connect(o.conninfo); // the caller's own connection, one per thread
            return [&, c, producer](std::uint64_t i) {
                exec(c, "BEGIN");
                insert_order(c, producer, i);
                auto tx = outbox->in_transaction(c);
                for (int j = 0; j < k; ++j)
                    if (const auto id = d.post(event, tx); !id)
                        fail("post(event, in_transaction) refused: " + id.error().message() + ": " +
                             tx.last_error());
                exec(c, "COMMIT");
            };
        }
        case outbox_kind::handwritten:
            return handwritten_producer(o, producer);
        case outbox_kind::postgres_append:
            return [&](std::uint64_t) {
                for (int j = 0; j < k; ++j)
                    post_or_fail(d, event, *outbox);
            };
        case outbox_kind::file:
            return [&](std::uint64_t) {
                for (int j = 0; j < k; ++j)
                    post_or_fail(d, event, *file);
            };
        case outbox_kind::redis:
            return [&](std::uint64_t) {
                for (int j = 0; j < k; ++j)
                    post_or_fail(d, event, *redis);
            };
        }
        fail("unknown outbox");
    };
    append_result r = run_producers(o.producers, transactions, make);

    // Exactly N events kept (and N/K orders where there is a business transaction).
    std::uint64_t kept = 0, orders = transactions;
    PGconn* c = connect(o.conninfo);
    if (o.outbox == outbox_kind::postgres || o.outbox == outbox_kind::postgres_append)
        kept = count_rows(c, "webhook_outbox");
    else if (o.outbox == outbox_kind::handwritten)
        kept = count_rows(c, "handwritten_outbox");
    else if (file)
        kept = file->stats().appends;
    else if (redis)
        kept = static_cast<std::uint64_t>(stream_length(o, true));
    if (o.outbox == outbox_kind::postgres || o.outbox == outbox_kind::handwritten)
        orders = count_rows(c, "orders");
    PQfinish(c);
    if (kept != o.events || orders != transactions)
        fail("the outbox holds " + std::to_string(kept) + " events (expected " +
             std::to_string(o.events) + "), orders " + std::to_string(orders) + " (expected " +
             std::to_string(transactions) + ")");
    if (!dir.empty()) {
        file.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    return r;
}

// ------------------------------------------------------------------------------------------
// deliver

// Fills the outbox with N events, in a child process (the parent starts no thread before it
// forks the workers).
void prefill(const options& o) {
    if (o.outbox == outbox_kind::file)
        return; // each worker fills its own journal
    const pid_t pid = ::fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL); // never outlives a parent killed by a timeout
        if (o.outbox == outbox_kind::handwritten) {
            handwritten_prefill(o, o.events);
            std::_Exit(0);
        }
        const auto event = bench::make_incident_event();
        webhook::dispatcher d(make_endpoint(o), webhook::dispatcher_options{});
        if (o.outbox == outbox_kind::postgres) {
            const auto outbox = open_outbox(o);
            PGconn* c = connect(o.conninfo);
            for (std::uint64_t done = 0; done < o.events;) {
                exec(c, "BEGIN");
                auto tx = outbox->in_transaction(c);
                for (int k = 0; k < 1000 && done < o.events; ++k, ++done)
                    post_or_fail(d, event, tx);
                exec(c, "COMMIT");
            }
            PQfinish(c);
        } else {
            const auto redis = open_redis(o, "bench-prefill");
            for (std::uint64_t i = 0; i < o.events; ++i)
                post_or_fail(d, event, *redis);
        }
        std::fflush(nullptr);
        std::_Exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail("filling the outbox failed");
}

// One delivering process of the library's outboxes.
int library_worker(const options& o, int index, shared_state& s) {
    webhook::any_spool spool;
    std::shared_ptr<webhook::postgres_spool> outbox;
    std::shared_ptr<webhook::redis_spool> redis;
    std::shared_ptr<webhook::file_spool> file;
    if (o.outbox == outbox_kind::postgres) {
        outbox = open_outbox(o);
        spool = outbox;
    } else if (o.outbox == outbox_kind::redis) {
        redis = open_redis(o, "bench-" + std::to_string(index));
        spool = redis;
    } else {
        // This worker's share, appended without syncing, then the journal opened again with
        // the default options: what the dispatcher replays.
        const auto w = static_cast<std::uint64_t>(o.workers);
        const auto i = static_cast<std::uint64_t>(index);
        const std::uint64_t share = o.events / w + (i < o.events % w ? 1 : 0);
        const fs::path path = o.dir / ("spool-" + std::to_string(index));
        {
            auto filling = webhook::file_spool::open(
                path, webhook::file_spool_options{.durability = webhook::durability::no_fsync});
            if (!filling)
                fail("file_spool::open: " + filling.error().message());
            webhook::dispatcher d(make_endpoint(o), webhook::dispatcher_options{});
            const auto event = bench::make_incident_event();
            for (std::uint64_t n = 0; n < share; ++n)
                post_or_fail(d, event, **filling);
        }
        auto opened = webhook::file_spool::open(path);
        if (!opened)
            fail("file_spool::open: " + opened.error().message());
        file = *opened;
        spool = file;
    }
    webhook::dispatcher_options dopt;
    dopt.spool = spool;
    dopt.spool_poll_interval = 20ms;
    dopt.shutdown_timeout = 0ms;
    dopt.on_outcome = [&s](const webhook::delivery& d) {
        if (d.ok())
            s.delivered.fetch_add(1, std::memory_order_relaxed);
        else if (d.status != webhook::delivery_status::abandoned) {
            s.failed.fetch_add(1, std::memory_order_relaxed);
            note_error(s, std::string("event ") + webhook::to_string(d.status) + ", HTTP " +
                              std::to_string(d.http_status) + ", " + d.error.message());
        }
    };
    // Drained: every event was delivered (by someone), and this process deleted all it read.
    const auto drained = [&] {
        if (s.delivered.load() < o.events)
            return false;
        if (outbox) {
            const auto st = outbox->stats();
            return st.held == 0 && st.acks >= st.reads;
        }
        if (redis) {
            const auto st = redis->stats();
            return st.held == 0 && st.acks >= st.reads;
        }
        return file->stats().unacked == 0;
    };
    s.ready.fetch_add(1);
    while (!s.go.load())
        std::this_thread::sleep_for(50us);
    {
        webhook::dispatcher d(make_endpoint(o), std::move(dopt));
        bool reported = false;
        while (!s.stop.load()) {
            if (!reported && drained()) {
                reported = true;
                s.drained.fetch_add(1);
            }
            std::this_thread::sleep_for(200us);
        }
    }
    if (outbox) {
        const auto st = outbox->stats();
        s.reads.fetch_add(st.reads);
        s.taken_over.fetch_add(st.taken_over);
    }
    if (redis) {
        const auto st = redis->stats();
        s.reads.fetch_add(st.reads);
        s.taken_over.fetch_add(st.claimed);
    }
    return 0;
}

struct deliver_result {
    double seconds = 0, prefill_seconds = 0;
    std::uint64_t reads = 0, read_calls = 0, taken_over = 0;
};

deliver_result run_deliver(options o) {
    deliver_result r;
    reset(o);
    fs::path run_dir;
    if (o.outbox == outbox_kind::file)
        o.dir = run_dir = fresh_dir(o.dir);
    const auto prefill_start = clock_type::now();
    prefill(o);
    r.prefill_seconds = std::chrono::duration<double>(clock_type::now() - prefill_start).count();

    void* mem = ::mmap(nullptr, sizeof(shared_state), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        fail("mmap");
    auto* s = new (mem) shared_state;
    std::vector<pid_t> children;
    for (int i = 0; i < o.workers; ++i) {
        const pid_t pid = ::fork();
        if (pid < 0)
            fail("fork");
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const int rc = o.outbox == outbox_kind::handwritten ? handwritten_worker(o, *s)
                                                                : library_worker(o, i, *s);
            std::fflush(nullptr);
            std::_Exit(rc);
        }
        children.push_back(pid);
    }
    for (auto until = clock_type::now() + 60s; s->ready.load() < o.workers;) {
        if (clock_type::now() > until)
            fail("the workers did not start within 60 s");
        std::this_thread::sleep_for(1ms);
    }
    const bool wait_drained = o.outbox != outbox_kind::handwritten; // it deletes, then counts
    const auto start = clock_type::now();
    s->go.store(true);
    for (const auto limit = start + 10min;;) {
        if (s->failed.load() != 0)
            break;
        if (s->delivered.load() >= o.events && (!wait_drained || s->drained.load() == o.workers))
            break;
        if (clock_type::now() > limit)
            fail("not every event was delivered within 10 minutes");
        std::this_thread::sleep_for(200us);
    }
    r.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    s->stop.store(true);
    for (const pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail("a worker process failed");
    }
    if (s->failed.load() != 0 || s->delivered.load() != o.events)
        fail("delivered " + std::to_string(s->delivered.load()) + " of " +
             std::to_string(o.events) + ", failed " + std::to_string(s->failed.load()) + ": " +
             s->first_error);
    r.reads = s->reads.load();
    r.read_calls = s->read_calls.load();
    r.taken_over = s->taken_over.load();
    if (o.outbox == outbox_kind::postgres || o.outbox == outbox_kind::handwritten) {
        PGconn* c = connect(o.conninfo);
        const std::uint64_t left =
            o.outbox == outbox_kind::handwritten
                ? count_rows(c, "handwritten_outbox")
                : count_rows(c, "webhook_outbox") + count_rows(c, "webhook_outbox_dead");
        PQfinish(c);
        if (left != 0)
            fail("the outbox still holds " + std::to_string(left) + " rows");
    } else if (o.outbox == outbox_kind::redis) {
        if (const long long len = stream_length(o, true); len != 0)
            fail("the stream is not empty at the end: XLEN " + std::to_string(len));
    } else {
        std::error_code ec;
        fs::remove_all(run_dir, ec);
    }
    return r;
}

// What the summary says of LISTEN: only the library's PostgreSQL outbox has it.
const char* listen_field(const options& o) {
    if (o.outbox != outbox_kind::postgres && o.outbox != outbox_kind::postgres_append)
        return "-";
    return o.listen ? "yes" : "no";
}

double percentile_us(std::vector<std::int64_t>& v, double q) {
    if (v.empty())
        return 0;
    const auto k = static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1000.0;
}

} // namespace

int main(int argc, char** argv) {
    options o;
    if (!parse_options(argc, argv, o)) {
        usage();
        return 2;
    }
    const auto n = static_cast<unsigned long long>(o.events);
    if (!o.deliver) {
        append_result r = run_append(o);
        std::printf("phase=append outbox=%s producers=%d per_tx=%d events=%llu seconds=%.3f "
                    "events_per_s=%.0f p50_us=%.1f p99_us=%.1f listen=%s\n",
                    o.outbox_name.c_str(), o.producers, o.per_tx, n, r.seconds,
                    static_cast<double>(o.events) / r.seconds, percentile_us(r.latency_ns, 0.5),
                    percentile_us(r.latency_ns, 0.99), listen_field(o));
    } else {
        const deliver_result r = run_deliver(o);
        std::printf("phase=deliver outbox=%s workers=%d events=%llu seconds=%.3f "
                    "events_per_s=%.0f prefill_s=%.3f reads=%llu read_calls=%llu "
                    "taken_over=%llu listen=%s\n",
                    o.outbox_name.c_str(), o.workers, n, r.seconds,
                    static_cast<double>(o.events) / r.seconds, r.prefill_seconds,
                    static_cast<unsigned long long>(r.reads),
                    static_cast<unsigned long long>(r.read_calls),
                    static_cast<unsigned long long>(r.taken_over), listen_field(o));
    }
    return 0;
}
