#ifndef WEBHOOK_SPOOL_IMPL_POSTGRES_CONNECTION_HPP
#define WEBHOOK_SPOOL_IMPL_POSTGRES_CONNECTION_HPP

// `postgres_spool::connection`: one libpq connection, made again when lost. Part of
// impl/postgres_spool.hpp.

#include <webhook/spool/detail/postgres_sql.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace webhook {

namespace detail::postgres {

struct result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result_ptr = std::unique_ptr<PGresult, result_deleter>;

/// A command's result, or its error and the server's message (for `last_error`).
struct outcome {
    result_ptr rows;
    boost::system::error_code error;
    std::string message;
};

/** Runs `sql` with text parameters (nullptr: NULL) on `conn`. Its error, when it failed, from
    the SQLSTATE; `connection_lost` when the connection broke. */
inline outcome exec(PGconn* conn, const std::string& sql, std::span<const char* const> values) {
    // Without parameters, PQexec: it also runs several statements (the tables' script).
    outcome o{result_ptr(values.empty()
                             ? PQexec(conn, sql.c_str())
                             : PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()),
                                            nullptr, values.data(), nullptr, nullptr, 0)),
              {},
              {}};
    const auto status = o.rows ? PQresultStatus(o.rows.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
        return o;
    const char* state = o.rows ? PQresultErrorField(o.rows.get(), PG_DIAG_SQLSTATE) : nullptr;
    const bool broken = PQstatus(conn) == CONNECTION_BAD;
    o.error = error_of_sqlstate(broken || state == nullptr ? "" : state);
    o.message = o.rows ? PQresultErrorMessage(o.rows.get()) : PQerrorMessage(conn);
    while (!o.message.empty() && (o.message.back() == '\n' || o.message.back() == ' '))
        o.message.pop_back();
    o.rows.reset();
    return o;
}

inline outcome exec(PGconn* conn, const std::string& sql,
                    std::initializer_list<const char*> params) {
    return exec(conn, sql, std::span<const char* const>(params.begin(), params.size()));
}

} // namespace detail::postgres

/** One libpq connection of the spool, made on first use and again after it was lost (with a
    growing delay after failed attempts). `setup` runs after each connect (e.g. `LISTEN`).
    Not thread-safe: each user holds its own lock. */
class postgres_spool::connection {
public:
    connection(postgres_spool& owner, std::string role, std::string setup = {})
        : owner_(owner), role_(std::move(role)), setup_(std::move(setup)) {}
    ~connection() { drop(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs `sql` (see `detail::postgres::exec`); an error is noted with `what`.
    detail::postgres::outcome run(const std::string& sql, std::initializer_list<const char*> params,
                                  const char* what) {
        if (auto ec = usable())
            return {nullptr, ec, {}};
        auto o = detail::postgres::exec(conn_, sql, params);
        if (o.error) {
            owner_.note(o.error, role_ + " connection, " + what + ": " + o.message);
            if (PQstatus(conn_) == CONNECTION_BAD)
                drop(); // made again by the next call, at once
        }
        return o;
    }

    /// Connects now if not connected, ignoring the reconnection delay: for `open`.
    boost::system::error_code connect_now() {
        retry_at_ = {};
        return usable();
    }

    bool connected() const noexcept { return conn_ != nullptr; }
    PGconn* get() noexcept { return conn_; }

    void drop() noexcept {
        if (conn_ != nullptr)
            PQfinish(conn_);
        conn_ = nullptr;
    }

    /// Connected, or why not (within the delay after a failure: that failure, at once).
    boost::system::error_code usable() {
        if (conn_ != nullptr)
            return {};
        const auto now = std::chrono::steady_clock::now();
        if (now < retry_at_)
            return failure_;
        // The conninfo is expanded after our settings: its own connect_timeout etc. win.
        const auto& o = owner_.options_;
        const std::string connect = std::to_string(o.connect_timeout.count());
        const std::string command = std::to_string(o.command_timeout.count());
        const std::string statement = "-c statement_timeout=" + command;
        const char* keys[] = {"connect_timeout", "tcp_user_timeout", "options", "dbname", nullptr};
        const char* values[] = {connect.c_str(), command.c_str(), statement.c_str(),
                                o.conninfo.c_str(), nullptr};
        conn_ = PQconnectdbParams(keys, values, 1);
        if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK)
            return failed(now, "connecting", conn_ ? PQerrorMessage(conn_) : "out of memory");
        PQsetNoticeProcessor(
            conn_, [](void*, const char*) {}, nullptr); // not on stderr
        if (!setup_.empty()) {
            auto o = detail::postgres::exec(conn_, setup_, {});
            if (o.error)
                return failed(now, setup_.c_str(), o.message);
        }
        owner_.connects_.fetch_add(1, std::memory_order_relaxed);
        delay_ = {};
        return {};
    }

private:
    boost::system::error_code failed(std::chrono::steady_clock::time_point now, const char* what,
                                     std::string message) {
        while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
            message.pop_back();
        drop();
        const auto& o = owner_.options_;
        delay_ =
            delay_.count() == 0 ? o.reconnect_delay : std::min(2 * delay_, o.max_reconnect_delay);
        retry_at_ = now + delay_;
        failure_ = postgres_error::connection_failed;
        owner_.note(failure_, role_ + " connection, " + what + ": " + message);
        return failure_;
    }

    postgres_spool& owner_;
    std::string role_, setup_;
    PGconn* conn_ = nullptr;
    std::chrono::milliseconds delay_{};
    std::chrono::steady_clock::time_point retry_at_{};
    boost::system::error_code failure_;
};

} // namespace webhook

#endif
