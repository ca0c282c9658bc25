#ifndef WEBHOOK_TESTS_POSTGRES_POSTGRES_SPOOL_HELPERS_HPP
#define WEBHOOK_TESTS_POSTGRES_POSTGRES_SPOOL_HELPERS_HPP

// What the tests of the PostgreSQL outbox share: one server per test program (each case uses
// tables of its own, so that cases stay independent without an initdb each), options for it,
// opening, reading everything.

#include <webhook/spool/postgres_spool.hpp>

#include "postgres/postgres_server.hpp"
#include "support/spool_records.hpp"

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace webhook::test {

/// The program's server, started on first use.
inline postgres_server& shared_server() {
    static postgres_server server;
    return server;
}

/// A table name no other case of this program uses.
inline std::string fresh_table() {
    static int n = 0;
    return "outbox_" + std::to_string(++n);
}

inline postgres_spool_options options_for(const postgres_server& s, std::string table,
                                          std::string worker = "w1",
                                          std::string destination = "shop") {
    postgres_spool_options o;
    o.conninfo = s.conninfo();
    o.table = std::move(table);
    o.worker = std::move(worker);
    o.destination = std::move(destination);
    o.reconnect_delay = std::chrono::milliseconds(10);
    o.max_reconnect_delay = std::chrono::milliseconds(100);
    return o;
}

inline std::shared_ptr<postgres_spool> open_or_fail(const postgres_spool_options& o) {
    std::string why;
    auto s = postgres_spool::open(o, &why);
    BOOST_REQUIRE_MESSAGE(s, "open: " << (s ? "" : s.error().message()) << " " << why);
    return *s;
}

inline std::vector<spool_record> read_all(postgres_spool& s, std::size_t max = 100) {
    std::vector<spool_record> out, all;
    for (int i = 0; i < 1000; ++i) {
        BOOST_REQUIRE(!s.read(0, max, out));
        if (out.empty())
            break;
        all.insert(all.end(), out.begin(), out.end());
    }
    return all;
}

/// An open transaction on a connection of the test's own.
class transaction {
public:
    explicit transaction(const postgres_server& s) : client_(s.conninfo()) {
        client_.exec("BEGIN");
    }
    PGconn* conn() { return client_.get(); }
    pg_client& client() { return client_; }
    void commit() { client_.exec("COMMIT"); }
    void rollback() { client_.exec("ROLLBACK"); }

private:
    pg_client client_;
};

} // namespace webhook::test

#endif
