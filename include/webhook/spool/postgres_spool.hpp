#ifndef WEBHOOK_SPOOL_POSTGRES_SPOOL_HPP
#define WEBHOOK_SPOOL_POSTGRES_SPOOL_HPP

// The PostgreSQL outbox: events appended inside the caller's own transaction, delivered by
// workers in any number of processes. Needs libpq (Debian: libpq-dev); link the CMake target
// `webhook::postgres`.

#include <webhook/spool/detail/batch_leader.hpp>
#include <webhook/spool/postgres_error.hpp>
#include <webhook/spool/spool.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

struct pg_conn; // libpq's PGconn

namespace webhook {

namespace detail::postgres {
struct outcome;
}

/** How a `postgres_spool` connects and which rows it serves. */
struct postgres_spool_options {
    /// A libpq connection string or URI, e.g. "host=127.0.0.1 dbname=shop user=app".
    std::string conninfo;
    /** The outbox table, made on first use (with the schema version table `webhook_schema`),
        in the connection's `search_path` unless `schema` is set. Plain identifiers only:
        lower-case letters, digits and `_`, starting with a letter or `_`, at most 48. */
    std::string table = "webhook_outbox";
    /// The dead letters' table; empty: `<table>_dead`.
    std::string dead_letter_table;
    /// The schema (namespace) of both tables; empty: the connection's `search_path`.
    std::string schema;
    /** The name of the endpoint this spool serves, in the `destination` column: rows it
        appends carry it, and its `read` takes only rows that carry it. One table serves many
        endpoints, one `postgres_spool` (and dispatcher) each. Any text but empty. */
    std::string destination = "default";
    /** Every destination in use, when known: a row whose destination is none of these (and
        not `destination`) is moved to the dead letters with the reason "no endpoint named
        ...". Empty: rows of other destinations are left alone. */
    std::vector<std::string> destinations;
    /** This process's name in the `worker` column of the rows it holds; unique among the
        processes running at once. A process that starts with the name of one that died takes
        back at once what that one held; under another name, those rows wait until their
        lease ends. Empty: `<host name>-<process id>`. */
    std::string worker;
    /** How long a row read by a worker is its alone. A live worker renews the leases of what
        it holds every `lease / 3`, so a lease runs out only when its holder died (or lost
        the server for that long); then another worker takes the row. */
    std::chrono::milliseconds lease{30'000};
    /// The most appends of concurrent threads (`append`) committed in one transaction.
    std::size_t max_batch = 64;
    /** `LISTEN` for appends (a `NOTIFY` sent on commit), so that workers read new rows at
        once; without, only the dispatcher's `spool_poll_interval` finds them. */
    bool listen = true;
    /** Appends send that `NOTIFY` (on commit). PostgreSQL lets only one transaction that
        notifies commit at a time, so under many concurrent appending transactions this costs
        throughput: turn it off there and give the workers a short `spool_poll_interval`. */
    bool notify = true;
    /** The bound on making a connection, unless `conninfo` sets its own `connect_timeout`:
        a `read` waits for it on the dispatcher's thread while the server is unreachable. */
    std::chrono::seconds connect_timeout{5};
    /** The bound on each of the spool's own statements (`statement_timeout`) and on data
        unacknowledged by the peer (`tcp_user_timeout`), so that a stuck server or a blocked
        table fails a `read` (on the dispatcher's thread) instead of holding it. 0: none. */
    std::chrono::milliseconds command_timeout{10'000};
    /** After a failed connection attempt, calls fail at once with the same error for this
        long, doubled after each further failure up to `max_reconnect_delay`. */
    std::chrono::milliseconds reconnect_delay{50};
    std::chrono::milliseconds max_reconnect_delay{2'000};
};

/** What a row of the outbox carries besides the event, in the columns of Debezium's outbox
    event router (`aggregatetype`, `aggregateid`, `type`), so that the table can later feed
    change data capture as it is. Empty fields take their defaults. */
struct outbox_fields {
    /// The kind of business object the event is about, e.g. "order". Default: the
    /// destination.
    std::string aggregate_type;
    /// That object's id, e.g. the order number. Default: the event's id.
    std::string aggregate_id;
    /// The event's type, e.g. "order.placed". Default: "webhook".
    std::string type;
};

/** Counters of a `postgres_spool` since it was opened, for this process. */
struct postgres_spool_stats {
    /// Rows appended by this spool (its own `append`) and through `in_transaction`.
    std::uint64_t appends = 0;
    std::uint64_t transactional_appends = 0;
    /// Rows `read` returned; of those, rows another worker had held before (its lease ran
    /// out, or it was this worker's name in an earlier process).
    std::uint64_t reads = 0;
    std::uint64_t taken_over = 0;
    /// Rows deleted on acknowledgement.
    std::uint64_t acks = 0;
    /// Rows moved to the dead letters by `read`: malformed, or for an unknown destination.
    std::uint64_t malformed = 0;
    std::uint64_t unknown_destination = 0;
    /// Notifications received, lease renewals sent, connections made.
    std::uint64_t notifications = 0;
    std::uint64_t renewals = 0;
    std::uint64_t connects = 0;
    /// Rows read and not yet deleted (acknowledgements still queued included).
    std::size_t held = 0;
    /// Acknowledgements waiting to be sent.
    std::size_t acks_queued = 0;
};

class postgres_spool;

/** Appends events to the outbox inside the caller's open transaction, through the caller's
    own connection: the row is visible to workers when that transaction commits, and gone
    if it rolls back. Made by `postgres_spool::in_transaction`; give it to the dispatcher's
    `post(event, tx)`. It views the connection: use it while the transaction is open. Not
    thread-safe, as the connection is not. */
class postgres_transaction {
public:
    /** Inserts `r` (its `sequence` ignored) through the connection, with a `NOTIFY` that the
        server sends on commit. Returns the row's sequence (its `seq`), or
        `postgres_error::no_transaction` (no `BEGIN`), `transaction_failed` (the transaction
        failed earlier: roll it back), `connection_lost`, `command_failed` (the message is in
        `last_error()`). A failed insert fails the caller's transaction, as any failed
        statement does. */
    boost::system::result<std::uint64_t> append(const spool_record& r);

    /// What the last failed append said: the server's message.
    const std::string& last_error() const noexcept { return last_error_; }

private:
    friend class postgres_spool;
    postgres_transaction(std::shared_ptr<postgres_spool> spool, pg_conn* conn, outbox_fields fields)
        : spool_(std::move(spool)), conn_(conn), fields_(std::move(fields)) {}

    std::shared_ptr<postgres_spool> spool_;
    pg_conn* conn_;
    outbox_fields fields_;
    std::string last_error_;
};

/** A `spool` over a PostgreSQL table: the transactional outbox. Several processes (on any
    hosts) deliver from one table; a row is delivered by one of them at a time.

    - `in_transaction(conn)` appends inside the caller's transaction (see
      `postgres_transaction`); `append` appends in a transaction of its own. Either way the
      row is durable once committed, as the server's `synchronous_commit` promises.
    - `read` claims up to `max` rows of its destination that no live worker holds, oldest
      first (`SELECT ... FOR UPDATE SKIP LOCKED`, so that workers never wait for each other),
      and leases them to this worker (see `postgres_spool_options::lease`). Rows whose payload
      is not JSON, or whose headers are not header lines, are moved to the dead letters with
      the reason; so are rows for unknown destinations (see `destinations`). Never waits.
    - `ack` queues the row for deletion, which a background thread sends in batches.
    - The background thread also renews the leases of the rows held here, and listens for
      the notification of new rows, which wakes the dispatcher (`on_ready`).

    The tables are made when missing, and their schema version is kept in `webhook_schema`.
    All member functions may be called from any thread. */
class postgres_spool : public std::enable_shared_from_this<postgres_spool> {
public:
    /// Several processes read the table: the dispatcher reads when it has room and polls.
    static constexpr bool shared = true;

    /** Connects (two connections: appends and reads, and the background thread's), makes
        or checks the tables, takes back what this worker name held, and starts the background
        thread. Fails with the first error (`postgres_error::connection_failed`,
        `schema_too_new`, `invalid_options`, ...); the server's message is written into
        `*why` when given. */
    static boost::system::result<std::shared_ptr<postgres_spool>>
    open(postgres_spool_options options, std::string* why = nullptr);

    /** The dead letters' table as a spool of the same destination: give it to
        `dispatcher_options::dead_letters`, and read it to `requeue`. Opened on first call
        (its own connections), then the same one. */
    boost::system::result<std::shared_ptr<postgres_spool>> dead_letters(std::string* why = nullptr);

    postgres_spool(const postgres_spool&) = delete;
    postgres_spool& operator=(const postgres_spool&) = delete;

    /// Sends the queued acknowledgements (one try), stops the background thread, closes the
    /// connections. Rows still held stay leased until their lease runs out.
    ~postgres_spool();

    /** Appends through the caller's connection `conn`, which must have an open transaction,
        with `fields` in the outbox columns. The connection must see this spool's table (the
        same database, and the same `search_path` unless `schema` is set). */
    postgres_transaction in_transaction(pg_conn* conn, outbox_fields fields = {});

    /** Appends `r` in a transaction of its own and returns its sequence once committed.
        Appends of concurrent threads share a transaction (up to `max_batch`), so that they
        share its commit; a failure of that transaction fails all of them. Errors:
        `postgres_error::connection_lost`, `connection_failed` (while the server is
        unreachable, at once during the reconnection delay), `command_failed`, or
        `error::spool_full` when the server's disk is full. */
    boost::system::result<std::uint64_t> append(const spool_record& r);

    /** Marks the row with this `sequence` (from this spool's `read`) settled: queued for
        deletion. A sequence not held here gives `errc::invalid_argument`. */
    boost::system::error_code ack(std::uint64_t sequence);

    /** Replaces the contents of `out` with up to `max` rows now leased to this worker (see
        the class). `from` is ignored. Returns an error only when nothing was read. */
    boost::system::error_code read(std::uint64_t from, std::size_t max,
                                   std::vector<spool_record>& out);

    /** Calls `f` (on the background thread) whenever a notification says that rows of this
        destination were committed, for as long as `f` lives. The dispatcher subscribes
        itself, so that it reads them at once instead of at its next poll. */
    void on_ready(std::weak_ptr<const std::function<void()>> f);

    /// A description of the most recent error: what failed and the server's message.
    std::string last_error() const;

    postgres_spool_stats stats() const;

    const postgres_spool_options& options() const noexcept { return options_; }

private:
    class connection;
    struct append_request;
    friend class postgres_transaction;

    explicit postgres_spool(postgres_spool_options options, bool dead_letters);

    boost::system::error_code start(std::string* why);
    boost::system::error_code make_tables();
    detail::postgres::outcome insert(pg_conn* conn, const spool_record& r,
                                     const outbox_fields& fields) const;
    boost::system::error_code sweep_unknown();
    boost::system::error_code claim(std::size_t max, std::vector<spool_record>& out);
    void background_loop();
    bool send_acks(std::unique_lock<std::mutex>& lk);
    void renew(std::unique_lock<std::mutex>& lk);
    void listen_step(std::chrono::milliseconds wait);
    bool take_notifications(pg_conn* conn);
    void wake_subscribers();
    void send_appends(std::span<append_request* const> batch);
    bool together(std::span<append_request* const> batch);
    bool send_pipeline(pg_conn* conn, std::span<append_request* const> batch);
    void note(const boost::system::error_code& ec, const std::string& what) const;

    postgres_spool_options options_;
    const bool dead_letters_role_;             // this spool serves a dead letters' table
    std::string table_, dead_table_, channel_; // quoted, ready for SQL; the channel's name
    // The statements of every append, read, acknowledgement and renewal, made once.
    std::string insert_sql_, claim_sql_, delete_sql_, renew_sql_;

    // Appends: one connection; concurrent appends share a transaction (one commit).
    detail::batch_leader<append_request> appends_batch_{options_.max_batch};
    std::unique_ptr<connection> append_conn_;

    std::mutex read_mu_;
    std::unique_ptr<connection> read_conn_;
    std::chrono::steady_clock::time_point next_sweep_{};

    mutable std::mutex state_mu_;
    std::condition_variable state_cv_;
    std::set<std::uint64_t> held_;         // read, not yet acknowledged
    std::vector<std::uint64_t> ack_queue_; // acknowledged, not yet deleted
    bool stop_ = false;
    int wake_fd_ = -1; // an eventfd: wakes the background thread out of its wait on the socket

    std::unique_ptr<connection> background_conn_;
    std::thread background_;

    std::mutex subscribers_mu_;
    std::vector<std::weak_ptr<const std::function<void()>>> subscribers_;

    std::mutex dead_mu_;
    std::shared_ptr<postgres_spool> dead_;

    mutable std::mutex error_mu_;
    mutable std::string last_error_;

    std::atomic<std::uint64_t> appends_{0}, transactional_appends_{0}, reads_{0}, taken_over_{0},
        acks_{0}, malformed_{0}, unknown_destination_{0}, notifications_{0}, renewals_{0},
        connects_{0};
};

static_assert(spool<postgres_spool>);
static_assert(is_shared_spool_v<postgres_spool>);

} // namespace webhook

#include <webhook/spool/impl/postgres_spool.hpp>

#endif
