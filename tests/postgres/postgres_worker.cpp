// A process of the PostgreSQL multi-process test: a webhook::dispatcher whose spool is a
// postgres_spool (the table "outbox", destination "shop") shared with the other processes.
//
//   postgres_worker CONNINFO URL WORKER LEASE_MS
//       delivers what the outbox holds until SIGTERM, then exits 0 (what it holds then stays
//       leased under its name until the lease runs out).
//   postgres_worker CONNINFO URL WORKER LEASE_MS FROM COUNT BATCH COMMITTED_LOG FAILED_LOG
//       a producer, delivering nothing: commits the events numbered FROM..FROM+COUNT-1,
//       BATCH per transaction, each with a row in the business table "orders (n, id)" in the
//       same transaction. Logs "<webhook-id> <number>" to COMMITTED_LOG for each event once
//       its COMMIT succeeded; a failed attempt is logged to FAILED_LOG as "<unix ms> <what>"
//       and tried again with new ids (5 ms later, at most 2000 times). A COMMIT whose answer
//       was lost with the connection is settled by looking for its "orders" rows once
//       connected again. Exits 0 when all are committed, 1 when one was given up.
// Counters go to stdout at the end.

#include <webhook/dispatcher.hpp>
#include <webhook/spool/postgres_spool.hpp>

#include <boost/describe.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

struct numbered_event {
    std::uint64_t number = 0;
    std::string note;
};
BOOST_DESCRIBE_STRUCT(numbered_event, (), (number, note))

bool write_line(int fd, const std::string& line) {
    return ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

long long unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// A server message on one line.
std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r')
            c = ' ';
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// What a transaction's COMMIT said.
enum class commit_result { committed, rolled_back, ambiguous };

/// The producer: commits numbered events through the outbox, in transactions of its own.
class producer {
public:
    producer(std::string conninfo, std::string name, webhook::dispatcher& d,
             std::shared_ptr<webhook::postgres_spool> outbox, int committed_log, int failed_log)
        : conninfo_(std::move(conninfo)), name_(std::move(name)), d_(d), outbox_(std::move(outbox)),
          committed_log_(committed_log), failed_log_(failed_log) {}
    ~producer() { PQfinish(conn_); }
    producer(const producer&) = delete;
    producer& operator=(const producer&) = delete;

    /// Commits the events [from, from + n) in one transaction, trying again until it is
    /// committed (bounded); false when given up.
    bool commit_batch(std::uint64_t from, std::uint64_t n) {
        std::vector<std::string> ids;
        for (int attempt = 0; attempt <= 2000; ++attempt) {
            ++transactions_;
            auto r = try_batch(from, n, ids);
            if (r == commit_result::ambiguous)
                r = settle_ambiguous(from, n, ids);
            if (r == commit_result::committed) {
                for (std::uint64_t i = 0; i < n; ++i)
                    if (!write_line(committed_log_, ids[i] + " " + std::to_string(from + i) + "\n"))
                        return false;
                committed_ += n;
                return true;
            }
            ++failures_;
            std::this_thread::sleep_for(5ms); // the server is away: try again soon
        }
        std::cerr << name_ << ": events " << from << "+" << n << " given up\n";
        return false;
    }

    void print() const {
        std::cout << name_ << ": committed " << committed_ << " in " << transactions_
                  << " transactions; failed attempts " << failures_ << ", ambiguous commits "
                  << ambiguous_ << " (" << ambiguous_committed_ << " had committed)" << std::endl;
    }

private:
    void failed(const std::string& what) {
        write_line(failed_log_, std::to_string(unix_ms()) + " " + one_line(what) + "\n");
    }

    /// Connected, reconnecting if the connection broke.
    bool connected() {
        if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK)
            return true;
        PQfinish(conn_);
        conn_ = PQconnectdb(conninfo_.c_str());
        if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK)
            return true;
        failed(std::string("connect: ") + (conn_ ? PQerrorMessage(conn_) : "out of memory"));
        return false;
    }

    /// Runs `sql`; on failure logs it as `what` and rolls back if the connection still works.
    bool command(const char* sql, const char* what, const std::vector<const char*>& params = {}) {
        result_ptr r(PQexecParams(conn_, sql, static_cast<int>(params.size()), nullptr,
                                  params.data(), nullptr, nullptr, 0));
        const auto s = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
        if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
            return true;
        failed(std::string(what) + ": " + PQerrorMessage(conn_));
        if (PQstatus(conn_) == CONNECTION_OK)
            result_ptr(PQexec(conn_, "ROLLBACK"));
        return false;
    }

    /// One attempt: BEGIN, per event its outbox row and its "orders" row, COMMIT.
    commit_result try_batch(std::uint64_t from, std::uint64_t n, std::vector<std::string>& ids) {
        ids.clear();
        if (!connected() || !command("BEGIN", "BEGIN"))
            return commit_result::rolled_back;
        for (std::uint64_t i = from; i < from + n; ++i) {
            const std::string number = std::to_string(i);
            auto tx = outbox_->in_transaction(conn_, {"order", number, "order.placed"});
            const auto id = d_.post(numbered_event{i, "from " + name_}, tx);
            if (!id) {
                failed("append: " + id.error().message() + ": " + tx.last_error());
                if (PQstatus(conn_) == CONNECTION_OK)
                    result_ptr(PQexec(conn_, "ROLLBACK"));
                return commit_result::rolled_back;
            }
            ids.emplace_back(id->view());
            if (!command("INSERT INTO orders (n, id) VALUES ($1::bigint, $2)", "INSERT orders",
                         {number.c_str(), ids.back().c_str()}))
                return commit_result::rolled_back;
        }
        result_ptr r(PQexec(conn_, "COMMIT"));
        // A COMMIT of a failed transaction answers "ROLLBACK": only "COMMIT" is a commit.
        if (r && PQresultStatus(r.get()) == PGRES_COMMAND_OK &&
            std::string(PQcmdStatus(r.get())) == "COMMIT")
            return commit_result::committed;
        failed(std::string("COMMIT: ") + PQerrorMessage(conn_));
        return PQstatus(conn_) == CONNECTION_BAD ? commit_result::ambiguous
                                                 : commit_result::rolled_back;
    }

    /** The connection broke during COMMIT: the transaction may have committed. The "orders"
        rows (all or none) say which, once the server answers again (bounded). */
    commit_result settle_ambiguous(std::uint64_t from, std::uint64_t n,
                                   const std::vector<std::string>& ids) {
        ++ambiguous_;
        const std::string lo = std::to_string(from), hi = std::to_string(from + n);
        for (int attempt = 0; attempt < 2000; ++attempt, std::this_thread::sleep_for(5ms)) {
            if (!connected())
                continue;
            const char* params[] = {lo.c_str(), hi.c_str()};
            result_ptr r(PQexecParams(conn_,
                                      "SELECT id FROM orders WHERE n >= $1::bigint AND n < "
                                      "$2::bigint ORDER BY n",
                                      2, nullptr, params, nullptr, nullptr, 0));
            if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK)
                continue;
            const int rows = PQntuples(r.get());
            bool same = static_cast<std::uint64_t>(rows) == n;
            for (int i = 0; same && i < rows; ++i)
                same = ids[static_cast<std::size_t>(i)] == PQgetvalue(r.get(), i, 0);
            failed("ambiguous COMMIT of " + lo + "+" + std::to_string(n) + ": " +
                   (same        ? "committed"
                    : rows == 0 ? "not committed"
                                : "inconsistent"));
            if (same)
                ++ambiguous_committed_;
            return same ? commit_result::committed : commit_result::rolled_back;
        }
        return commit_result::rolled_back; // never settled: the retries give up too
    }

    std::string conninfo_, name_;
    webhook::dispatcher& d_;
    std::shared_ptr<webhook::postgres_spool> outbox_;
    int committed_log_, failed_log_;
    PGconn* conn_ = nullptr;
    std::uint64_t committed_ = 0, transactions_ = 0, failures_ = 0, ambiguous_ = 0,
                  ambiguous_committed_ = 0;
};

webhook::endpoint endpoint_for(const std::string& url) {
    webhook::endpoint e;
    e.url = url;
    e.data_location = webhook::data_path("event");
    e.max_in_flight = 4;
    e.retry.initial_delay = 10ms;
    e.retry.max_delay = 100ms;
    return e;
}

/// Delivers until SIGTERM; prints the counters.
int deliver(const std::string& url, const std::string& name,
            const std::shared_ptr<webhook::postgres_spool>& outbox, const sigset_t& stop) {
    auto dead = outbox->dead_letters();
    if (!dead) {
        std::cerr << name << ": no dead letters: " << outbox->last_error() << "\n";
        return 1;
    }
    webhook::dispatcher_options o;
    o.spool = outbox;
    o.dead_letters = *dead;
    o.spool_poll_interval = 20ms;
    o.shutdown_timeout = 0ms; // what is held stays leased, then goes to the others
    o.on_outcome = [name](const webhook::delivery& d) {
        if (!d.ok() && d.status != webhook::delivery_status::abandoned)
            std::cerr << name << ": event " << d.id << " ended " << d.status << ": "
                      << d.error.message() << "\n";
    };
    webhook::dispatcher_counters c;
    {
        webhook::dispatcher d{endpoint_for(url), o};
        int sig = 0;
        sigwait(&stop, &sig);
        c = d.counters();
    }
    const auto st = outbox->stats();
    std::cout << name << ": accepted " << c.accepted << " delivered " << c.delivered << " failed "
              << c.failed << " abandoned " << c.abandoned << "; outbox reads " << st.reads
              << " taken over " << st.taken_over << " acks " << st.acks << " renewals "
              << st.renewals << " notifications " << st.notifications << " connects " << st.connects
              << " held " << st.held << std::endl;
    return 0;
}

/// Commits COUNT events from FROM, BATCH per transaction; prints the counters.
int produce(char** argv, const std::shared_ptr<webhook::postgres_spool>& outbox) {
    const std::uint64_t from = std::stoull(argv[5]), count = std::stoull(argv[6]),
                        batch = std::max<std::uint64_t>(1, std::stoull(argv[7]));
    // Lines are short and written with one O_APPEND write each: a kill never tears one.
    const int committed = ::open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int failed = ::open(argv[9], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (committed < 0 || failed < 0) {
        std::perror("postgres_worker: logs");
        return 1;
    }
    webhook::dispatcher_options o;
    o.shutdown_timeout = 0ms;
    webhook::dispatcher d{endpoint_for(argv[2]), o}; // serializes; the outbox keeps events
    producer p(argv[1], argv[3], d, outbox, committed, failed);
    int status = 0;
    for (std::uint64_t n = from; n < from + count && status == 0; n += batch)
        if (!p.commit_batch(n, std::min(batch, from + count - n)))
            status = 1;
    p.print();
    ::close(committed);
    ::close(failed);
    return status;
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 5 && argc != 10) {
        std::fprintf(stderr,
                     "usage: %s CONNINFO URL WORKER LEASE_MS [FROM COUNT BATCH COMMITTED_LOG "
                     "FAILED_LOG]\n",
                     argv[0]);
        return 2;
    }
    // Gone with the test, should the test die without stopping this process.
    const pid_t parent = ::getppid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        return 1;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr); // before any thread starts: they inherit it

    webhook::postgres_spool_options so;
    so.conninfo = argv[1];
    so.table = "outbox";
    so.destination = "shop";
    so.worker = argv[3];
    so.lease = std::chrono::milliseconds(std::stoi(argv[4]));
    so.reconnect_delay = 10ms;
    so.max_reconnect_delay = 100ms;
    std::string why;
    auto outbox = webhook::postgres_spool::open(so, &why);
    if (!outbox) {
        std::cerr << argv[3] << ": cannot open the outbox: " << why << "\n";
        return 1;
    }
    return argc == 10 ? produce(argv, *outbox) : deliver(argv[2], argv[3], *outbox, stop);
}
