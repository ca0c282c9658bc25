#ifndef WEBHOOK_SPOOL_IMPL_POSTGRES_SPOOL_HPP
#define WEBHOOK_SPOOL_IMPL_POSTGRES_SPOOL_HPP

// `postgres_spool`'s members. The SQL is in detail/postgres_sql.hpp, the connection in
// postgres_connection.hpp, the background thread in postgres_background.hpp.

#include <webhook/error.hpp>
#include <webhook/spool/detail/postgres_sql.hpp>
#include <webhook/spool/detail/process_name.hpp>
#include <webhook/spool/detail/record_fields.hpp>
#include <webhook/spool/impl/postgres_background.hpp>
#include <webhook/spool/impl/postgres_connection.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <utility>

#include <sys/eventfd.h>
#include <unistd.h>

namespace webhook {

namespace detail::postgres {

inline std::uint64_t to_u64(const char* s) noexcept {
    std::uint64_t v = 0;
    std::from_chars(s, s + std::strlen(s), v);
    return v;
}

/// The parameters of `insert_row` for `r` (all text), kept alive for the call.
struct insert_params {
    insert_params(const spool_record& r, const outbox_fields& f, const std::string& destination,
                  const char* channel)
        : id(uuid_of(r.id)),
          aggregate_type(f.aggregate_type.empty() ? destination : f.aggregate_type),
          aggregate_id(f.aggregate_id.empty() ? std::string(r.id.view()) : f.aggregate_id),
          type(f.type.empty() ? "webhook" : f.type),
          created(std::to_string(spool_fields::unix_ms(r.created))),
          status(std::to_string(r.last_status)), values{id.c_str(),
                                                        aggregate_type.c_str(),
                                                        aggregate_id.c_str(),
                                                        type.c_str(),
                                                        r.payload.c_str(),
                                                        destination.c_str(),
                                                        r.endpoint.c_str(),
                                                        r.target.c_str(),
                                                        r.headers.c_str(),
                                                        created.c_str(),
                                                        status.c_str(),
                                                        r.last_error.c_str(),
                                                        channel} {}
    insert_params(const insert_params&) = delete; // `values` points into it
    insert_params& operator=(const insert_params&) = delete;

    std::string id, aggregate_type, aggregate_id, type, created, status;
    std::array<const char*, 13> values; // $1 to $13, in order
};

} // namespace detail::postgres

inline postgres_spool::postgres_spool(postgres_spool_options options, bool dead_letters)
    : options_(std::move(options)), dead_letters_role_(dead_letters) {
    if (options_.dead_letter_table.empty())
        options_.dead_letter_table = options_.table + "_dead";
    table_ = detail::postgres::qualified(options_.schema, options_.table);
    dead_table_ = detail::postgres::qualified(options_.schema, options_.dead_letter_table);
    channel_ = options_.table;
    insert_sql_ = detail::postgres::insert_row(table_);
    claim_sql_ = detail::postgres::claim_rows(table_);
    delete_sql_ = detail::postgres::delete_rows(table_);
    renew_sql_ = detail::postgres::renew_leases(table_);
}

inline boost::system::result<std::shared_ptr<postgres_spool>>
postgres_spool::open(postgres_spool_options options, std::string* why) {
    if (options.worker.empty())
        options.worker = detail::process_name();
    options.reconnect_delay = std::max(options.reconnect_delay, std::chrono::milliseconds(1));
    std::shared_ptr<postgres_spool> s(new postgres_spool(std::move(options), false));
    if (auto ec = s->start(why))
        return ec;
    return s;
}

inline boost::system::error_code postgres_spool::start(std::string* why) {
    using detail::postgres::plain_identifier;
    const auto failed = [&](boost::system::error_code ec) {
        if (why != nullptr)
            *why = last_error();
        return ec;
    };
    if (!plain_identifier(options_.table) || !plain_identifier(options_.dead_letter_table) ||
        (!options_.schema.empty() && !plain_identifier(options_.schema)) ||
        options_.destination.empty() || options_.lease <= std::chrono::milliseconds::zero()) {
        note(postgres_error::invalid_options,
             "options: table, dead_letter_table and schema must be plain identifiers "
             "([a-z_][a-z0-9_]*, at most 48), destination not empty, lease positive");
        return failed(postgres_error::invalid_options);
    }
    // Claims, deletions and lease renewals need not wait for their WAL flush: one lost in a
    // server crash only frees a row again (a duplicate at worst, never a loss). Appends wait.
    const std::string relaxed = "SET synchronous_commit = off";
    append_conn_ = std::make_unique<connection>(*this, "append");
    read_conn_ = std::make_unique<connection>(*this, "read", relaxed);
    const bool listening = options_.listen && !dead_letters_role_;
    background_conn_ = std::make_unique<connection>(
        *this, "background", relaxed + (listening ? "; LISTEN " + channel_ : ""));
    for (connection* c : {read_conn_.get(), append_conn_.get(), background_conn_.get()})
        if (auto ec = c->connect_now())
            return failed(ec);
    if (!dead_letters_role_)
        if (auto ec = make_tables())
            return failed(ec);
    // What a process of this name held when it died is free again, for this one first.
    if (auto o = read_conn_->run(detail::postgres::release_rows(table_), {options_.worker.c_str()},
                                 "releasing the rows of an earlier process");
        o.error)
        return failed(o.error);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0)
        return failed(boost::system::error_code(errno, boost::system::system_category()));
    background_ = std::thread([this] { background_loop(); });
    return {};
}

/// Makes the tables and records their version, or checks it: in one transaction under an
/// advisory lock, so that workers starting together do not race.
inline boost::system::error_code postgres_spool::make_tables() {
    connection& c = *read_conn_;
    const std::string versions = detail::postgres::qualified(options_.schema, "webhook_schema");
    const std::string name = table_;
    const auto step = [&](const std::string& sql, std::initializer_list<const char*> params,
                          const char* what) {
        auto o = c.run(sql, params, what);
        if (o.error && c.connected())
            (void)c.run("ROLLBACK", {}, "ROLLBACK");
        return o;
    };
    for (const auto& [sql, what] :
         {std::pair<std::string, const char*>{"BEGIN", "BEGIN"},
          {"SELECT pg_advisory_xact_lock(7262876001)", "locking the schema"},
          {"CREATE TABLE IF NOT EXISTS " + versions +
               " (name text PRIMARY KEY, version integer NOT NULL)",
           "creating webhook_schema"}})
        if (auto o = step(sql, {}, what); o.error)
            return o.error;
    auto o = step("SELECT version FROM " + versions + " WHERE name = $1", {name.c_str()},
                  "reading the schema version");
    if (o.error)
        return o.error;
    if (PQntuples(o.rows.get()) > 0) {
        const int version = std::atoi(PQgetvalue(o.rows.get(), 0, 0));
        (void)c.run("ROLLBACK", {}, "ROLLBACK");
        if (version > detail::postgres::schema_version) {
            note(postgres_error::schema_too_new,
                 "table " + name + " has schema version " + std::to_string(version) +
                     "; this release knows up to " +
                     std::to_string(detail::postgres::schema_version));
            return postgres_error::schema_too_new;
        }
        return {};
    }
    const std::string index = options_.table + "_destination_seq";
    const std::string version = std::to_string(detail::postgres::schema_version);
    for (const auto& [sql, what] :
         {std::pair<std::string, const char*>{
              detail::postgres::create_tables(table_, dead_table_, index), "creating the tables"},
          {"INSERT INTO " + versions + " VALUES ('" + name + "', " + version + ")",
           "recording the schema version"},
          {"COMMIT", "COMMIT"}})
        if (auto r = step(sql, {}, what); r.error)
            return r.error;
    return {};
}

inline postgres_spool::~postgres_spool() {
    if (background_.joinable()) {
        {
            std::lock_guard lk(state_mu_);
            stop_ = true;
        }
        const std::uint64_t one = 1;
        (void)::write(wake_fd_, &one, sizeof one);
        background_.join();
    }
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
}

inline boost::system::result<std::shared_ptr<postgres_spool>>
postgres_spool::dead_letters(std::string* why) {
    std::lock_guard lk(dead_mu_);
    if (dead_letters_role_)
        return shared_from_this();
    if (!dead_) {
        postgres_spool_options o = options_;
        o.table = options_.dead_letter_table;
        o.destinations.clear();
        o.listen = false;
        std::shared_ptr<postgres_spool> s(new postgres_spool(std::move(o), true));
        if (auto ec = s->start(why))
            return ec;
        dead_ = std::move(s);
    }
    return dead_;
}

inline postgres_transaction postgres_spool::in_transaction(pg_conn* conn, outbox_fields fields) {
    return postgres_transaction(shared_from_this(), conn, std::move(fields));
}

/// Inserts `r` on `conn` (see `detail::postgres::insert_row`); its `seq`, or the failure.
inline detail::postgres::outcome postgres_spool::insert(PGconn* conn, const spool_record& r,
                                                        const outbox_fields& fields) const {
    const detail::postgres::insert_params p(r, fields, options_.destination,
                                            options_.notify ? channel_.c_str() : "");
    return detail::postgres::exec(conn, insert_sql_, p.values);
}

inline boost::system::result<std::uint64_t> postgres_transaction::append(const spool_record& r) {
    switch (PQtransactionStatus(conn_)) {
    case PQTRANS_INTRANS:
        break;
    case PQTRANS_INERROR:
        last_error_ = "the transaction has failed already: roll it back";
        return make_error_code(postgres_error::transaction_failed);
    case PQTRANS_UNKNOWN:
        last_error_ = "the connection is broken";
        return make_error_code(postgres_error::connection_lost);
    default:
        last_error_ = "no open transaction on the connection (BEGIN first)";
        return make_error_code(postgres_error::no_transaction);
    }
    auto o = spool_->insert(conn_, r, fields_);
    if (o.error) {
        last_error_ = std::move(o.message);
        return o.error;
    }
    if (PQntuples(o.rows.get()) != 1)
        return make_error_code(postgres_error::unexpected_result);
    spool_->transactional_appends_.fetch_add(1, std::memory_order_relaxed);
    return detail::postgres::to_u64(PQgetvalue(o.rows.get(), 0, 0));
}

/// An append waiting for its batch.
struct postgres_spool::append_request {
    const spool_record* record;
    boost::system::result<std::uint64_t> result = std::uint64_t{0};
    bool done = false;
};

inline boost::system::result<std::uint64_t> postgres_spool::append(const spool_record& r) {
    append_request req{&r};
    appends_batch_.submit(req,
                          [this](std::span<append_request* const> batch) { send_appends(batch); });
    return req.result;
}

/// Inserts the batch's records in one transaction (a single one on its own), so that they
/// share one commit. Should one record be refused (say, text PostgreSQL will not store), the
/// others are inserted again one by one: a record fails for its own fault only.
inline void postgres_spool::send_appends(std::span<append_request* const> batch) {
    const auto failed = [&](append_request& q, detail::postgres::outcome& o, const char* what) {
        note(o.error, std::string("append connection, ") + what + ": " + o.message);
        if (PQstatus(append_conn_->get()) == CONNECTION_BAD)
            append_conn_->drop();
        q.result = o.error;
    };
    const auto one = [&](append_request& q) { // its own transaction
        if (auto ec = append_conn_->usable())
            return void(q.result = ec);
        auto o = insert(append_conn_->get(), *q.record, {});
        if (!o.error && PQntuples(o.rows.get()) != 1)
            o.error = postgres_error::unexpected_result;
        if (o.error)
            return failed(q, o, "INSERT");
        q.result = detail::postgres::to_u64(PQgetvalue(o.rows.get(), 0, 0));
        appends_.fetch_add(1, std::memory_order_relaxed);
    };
    if (batch.size() > 1 && together(batch))
        return;
    for (append_request* q : batch)
        one(*q);
}

/// The batch in one transaction, sent in one pipeline (one round trip for all the inserts);
/// false (rolled back, nothing stored) when a record was refused and the others should go
/// alone. A lost connection fails them all.
inline bool postgres_spool::together(std::span<append_request* const> batch) {
    const auto fail_all = [&](boost::system::error_code ec, const std::string& why) {
        note(ec, "append connection, pipelined INSERTs: " + why);
        append_conn_->drop(); // broken, or in an unknown state: made again
        for (append_request* q : batch)
            q->result = ec;
        return true;
    };
    if (auto ec = append_conn_->usable()) {
        for (append_request* q : batch)
            q->result = ec;
        return true;
    }
    PGconn* conn = append_conn_->get();
    const auto lost = make_error_code(postgres_error::connection_lost);
    if (!send_pipeline(conn, batch))
        return fail_all(lost, PQerrorMessage(conn));
    // BEGIN, the inserts, COMMIT: each one result then a null; after an error, the rest
    // come back aborted. Then the sync.
    bool refused = false;
    for (std::size_t i = 0; i < batch.size() + 2; ++i) {
        const detail::postgres::result_ptr r(PQgetResult(conn));
        while (PGresult* end = PQgetResult(conn))
            PQclear(end);
        const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
        if (!r || PQstatus(conn) == CONNECTION_BAD)
            return fail_all(lost, PQerrorMessage(conn));
        if (status == PGRES_FATAL_ERROR && !refused) {
            refused = true;
            note(postgres_error::command_failed,
                 std::string("append connection, INSERT: ") + PQresultErrorMessage(r.get()));
        }
        if (status == PGRES_TUPLES_OK && i >= 1 && i <= batch.size() && PQntuples(r.get()) == 1)
            batch[i - 1]->result = detail::postgres::to_u64(PQgetvalue(r.get(), 0, 0));
        else if (status != PGRES_COMMAND_OK && !refused)
            refused = true; // an unexpected shape: each goes alone, and says why
    }
    const detail::postgres::result_ptr sync(PQgetResult(conn));
    if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC || PQexitPipelineMode(conn) != 1)
        return fail_all(lost, PQerrorMessage(conn));
    if (refused) { // the transaction failed and waits for its end
        (void)detail::postgres::exec(conn, "ROLLBACK", {});
        return false;
    }
    appends_.fetch_add(batch.size(), std::memory_order_relaxed);
    return true;
}

/// Sends BEGIN, one insert per record and COMMIT as one pipeline; false when the connection
/// would not take them.
inline bool postgres_spool::send_pipeline(PGconn* conn, std::span<append_request* const> batch) {
    const char* channel = options_.notify ? channel_.c_str() : "";
    if (PQenterPipelineMode(conn) != 1 ||
        PQsendQueryParams(conn, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1)
        return false;
    for (append_request* q : batch) {
        const detail::postgres::insert_params p(*q->record, {}, options_.destination, channel);
        if (PQsendQueryParams(conn, insert_sql_.c_str(), static_cast<int>(p.values.size()), nullptr,
                              p.values.data(), nullptr, nullptr, 0) != 1)
            return false;
    }
    return PQsendQueryParams(conn, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(conn) == 1;
}

inline boost::system::error_code postgres_spool::ack(std::uint64_t sequence) {
    {
        std::lock_guard lk(state_mu_);
        if (held_.erase(sequence) == 0)
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        ack_queue_.push_back(sequence);
    }
    const std::uint64_t one = 1;
    (void)::write(wake_fd_, &one, sizeof one);
    return {};
}

inline boost::system::error_code postgres_spool::read(std::uint64_t, std::size_t max,
                                                      std::vector<spool_record>& out) {
    std::lock_guard lk(read_mu_);
    if (!options_.destinations.empty() && !dead_letters_role_ &&
        std::chrono::steady_clock::now() >= next_sweep_) {
        // Rarely: a row for an unknown destination is an operator's mistake, not traffic.
        (void)sweep_unknown();
        next_sweep_ =
            std::chrono::steady_clock::now() +
            std::min<std::chrono::milliseconds>(options_.lease / 3, std::chrono::seconds(1));
    }
    return claim(max, out);
}

inline boost::system::error_code postgres_spool::sweep_unknown() {
    std::vector<std::string> known = options_.destinations;
    if (std::find(known.begin(), known.end(), options_.destination) == known.end())
        known.push_back(options_.destination);
    std::string list;
    for (const auto& d : known)
        list += (list.empty() ? "'" : ", '") + d + "'";
    const std::string array = detail::postgres::text_array(known);
    auto o = read_conn_->run(detail::postgres::bury_unknown(table_, dead_table_),
                             {array.c_str(), list.c_str()}, "moving rows of unknown destinations");
    if (!o.error)
        unknown_destination_.fetch_add(detail::postgres::to_u64(PQcmdTuples(o.rows.get())),
                                       std::memory_order_relaxed);
    return o.error;
}

inline boost::system::error_code postgres_spool::claim(std::size_t max,
                                                       std::vector<spool_record>& out) {
    out.clear();
    if (max == 0)
        return {};
    const std::string lease = std::to_string(options_.lease.count());
    const std::string count = std::to_string(max);
    auto o = read_conn_->run(
        claim_sql_,
        {options_.worker.c_str(), lease.c_str(), options_.destination.c_str(), count.c_str()},
        "claiming rows");
    if (o.error)
        return o.error;
    PGresult* rows = o.rows.get();
    if (PQnfields(rows) != 10)
        return postgres_error::unexpected_result;
    const int n = PQntuples(rows);
    std::vector<int> order(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i)
        order[static_cast<std::size_t>(i)] = i;
    // RETURNING follows no order: the oldest first, as the spool promises.
    std::sort(order.begin(), order.end(), [&](int a, int b) {
        return detail::postgres::to_u64(PQgetvalue(rows, a, 0)) <
               detail::postgres::to_u64(PQgetvalue(rows, b, 0));
    });
    const auto text = [&](int row, int col) {
        return std::string_view(PQgetvalue(rows, row, col),
                                static_cast<std::size_t>(PQgetlength(rows, row, col)));
    };
    for (const int i : order) {
        detail::spool_fields::record_view v;
        v.sequence = detail::postgres::to_u64(PQgetvalue(rows, i, 0));
        v.created_ms = std::atoll(PQgetvalue(rows, i, 3));
        v.endpoint = text(i, 2);
        v.target = text(i, 4);
        v.payload = text(i, 5);
        v.headers = text(i, 6);
        v.last_status = std::atoi(PQgetvalue(rows, i, 7));
        v.last_error = text(i, 8);
        const auto id = detail::postgres::event_id_of_uuid(text(i, 1));
        std::string problem = id ? std::string() : "malformed row: the id is not a UUID";
        if (problem.empty() && !dead_letters_role_)
            problem = detail::postgres::row_problem(v.payload, v.headers, v.target);
        if (!problem.empty()) {
            const std::string seq = std::to_string(v.sequence);
            if (!read_conn_
                     ->run(detail::postgres::bury_row(table_, dead_table_),
                           {seq.c_str(), problem.c_str()}, "moving a malformed row")
                     .error)
                malformed_.fetch_add(1, std::memory_order_relaxed);
            continue; // on failure the lease runs out, and the row is tried again
        }
        detail::spool_fields::assign(v, out.emplace_back());
        out.back().id = *id;
        if (std::atoi(PQgetvalue(rows, i, 9)) > 1)
            taken_over_.fetch_add(1, std::memory_order_relaxed);
    }
    reads_.fetch_add(out.size(), std::memory_order_relaxed);
    std::lock_guard lk(state_mu_);
    for (const auto& r : out)
        held_.insert(r.sequence);
    return {};
}

inline void postgres_spool::note(const boost::system::error_code& ec,
                                 const std::string& what) const {
    std::lock_guard lk(error_mu_);
    last_error_ = what + " (" + ec.message() + ")";
}

inline std::string postgres_spool::last_error() const {
    std::lock_guard lk(error_mu_);
    return last_error_;
}

inline postgres_spool_stats postgres_spool::stats() const {
    postgres_spool_stats s;
    s.appends = appends_.load();
    s.transactional_appends = transactional_appends_.load();
    s.reads = reads_.load();
    s.taken_over = taken_over_.load();
    s.acks = acks_.load();
    s.malformed = malformed_.load();
    s.unknown_destination = unknown_destination_.load();
    s.notifications = notifications_.load();
    s.renewals = renewals_.load();
    s.connects = connects_.load();
    std::lock_guard lk(state_mu_);
    s.held = held_.size() + ack_queue_.size();
    s.acks_queued = ack_queue_.size();
    return s;
}

} // namespace webhook

#endif
