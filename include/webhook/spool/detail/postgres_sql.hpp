#ifndef WEBHOOK_SPOOL_DETAIL_POSTGRES_SQL_HPP
#define WEBHOOK_SPOOL_DETAIL_POSTGRES_SQL_HPP

// What `postgres_spool` says to PostgreSQL, as pure functions of its names: the tables, the
// statements, the error codes, and the checks of a row read back. No libpq here, so that all
// of it is tested without a server. Part of impl/postgres_spool.hpp.

#include <webhook/error.hpp>
#include <webhook/spool/event_id.hpp>
#include <webhook/spool/postgres_error.hpp>

#include <boost/json/parse.hpp>
#include <boost/system/error_code.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The outbox table (and its dead letters', made LIKE it). The first five columns are those of
// Debezium's outbox event router, so that change data capture can read the table as it is.
//   seq            bigserial  the spool's sequence: increasing in insert order, the key
//   id             uuid       the webhook-id: its ULID's 128 bits written as a UUID
//   aggregatetype  text       what the event is about ("order"); ours: the destination
//   aggregateid    text       that object's id; ours: the webhook-id
//   type           text       the event's type; ours: "webhook"
//   payload        text       the event's JSON (text, not jsonb: its bytes are sent as kept)
//   destination    text       the endpoint's name: which workers deliver the row
//   endpoint       text       the endpoint's URL as configured, for operators
//   target         text       the request target when the URL has placeholders, else ''
//   headers        text       the event's own header lines (`name: value\r\n`), or ''
//   created        timestamptz when the event was first accepted (to the millisecond)
//   last_status    integer    dead letters: the last HTTP status, or 0
//   last_error     text       dead letters: why the event failed
//   worker         text       the worker holding the row, or NULL
//   lease_until    timestamptz until when it holds it, or NULL: free
//   claims         integer    how many times a worker took the row
namespace webhook::detail::postgres {

/// The schema version these functions make and read; kept per table in `webhook_schema`.
inline constexpr int schema_version = 1;

/// A name that goes into SQL unquoted without surprise: [a-z_][a-z0-9_]{0,47}.
constexpr bool plain_identifier(std::string_view s) noexcept {
    if (s.empty() || s.size() > 48 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (const char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

/// `schema.table`, or `table` when `schema` is empty (both plain identifiers).
inline std::string qualified(std::string_view schema, std::string_view table) {
    std::string q;
    if (!schema.empty())
        q.append(schema).append(".");
    return q.append(table);
}

/// An array literal of `items` (`{"a","b"}`), for a `text[]` parameter.
inline std::string text_array(const std::vector<std::string>& items) {
    std::string a = "{";
    for (const auto& s : items) {
        if (a.size() > 1)
            a += ',';
        a += '"';
        for (const char c : s) {
            if (c == '"' || c == '\\')
                a += '\\';
            a += c;
        }
        a += '"';
    }
    return a += '}';
}

/// An array literal of sequences (`{1,2,3}`), for a `bigint[]` parameter.
inline std::string bigint_array(const std::vector<std::uint64_t>& items) {
    std::string a = "{";
    for (const auto n : items) {
        if (a.size() > 1)
            a += ',';
        a += std::to_string(n);
    }
    return a += '}';
}

/// The 128 bits of a ULID as a UUID's text (8-4-4-4-12 lower-case hex digits).
inline std::string uuid_of(const event_id& id) {
    constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::uint64_t hi = 0, lo = 0; // 26 digits * 5 bits = 130: the first has 3
    for (const char c : id.view()) {
        const auto v = static_cast<std::uint64_t>(alphabet.find(c));
        hi = hi << 5 | lo >> 59;
        lo = lo << 5 | v;
    }
    std::string u;
    constexpr char hex[] = "0123456789abcdef";
    for (int i = 0; i < 32; ++i) {
        const std::uint64_t word = i < 16 ? hi : lo;
        u += hex[word >> (4 * (15 - i % 16)) & 15];
        if (i == 7 || i == 11 || i == 15 || i == 19)
            u += '-';
    }
    return u;
}

/// The ULID whose bits a UUID's text holds (as PostgreSQL writes a `uuid`), or none.
inline std::optional<event_id> event_id_of_uuid(std::string_view u) {
    if (u.size() != 36)
        return std::nullopt;
    std::uint64_t hi = 0, lo = 0;
    int digits = 0;
    for (std::size_t i = 0; i < u.size(); ++i) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (u[i] != '-')
                return std::nullopt;
            continue;
        }
        const char c = u[i];
        const int v = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
        if (v < 0)
            return std::nullopt;
        std::uint64_t& word = digits++ < 16 ? hi : lo;
        word = word << 4 | static_cast<unsigned>(v);
    }
    constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::array<char, event_id::size> text{};
    for (std::size_t i = 0; i < event_id::size; ++i) {
        const unsigned shift = static_cast<unsigned>(5 * (event_id::size - 1 - i));
        const std::uint64_t bits = shift >= 64  ? hi >> (shift - 64)
                                   : shift == 0 ? lo
                                                : (lo >> shift | hi << (64 - shift));
        text[i] = alphabet[bits & 31];
    }
    return event_id::parse(std::string_view(text.data(), text.size()));
}

/// Why a row read back cannot be delivered, or empty: its payload must be JSON, its headers
/// `name: value\r\n` lines, its target empty or starting with '/'.
inline std::string row_problem(std::string_view payload, std::string_view headers,
                               std::string_view target) {
    boost::system::error_code ec;
    (void)boost::json::parse(payload, ec);
    if (ec)
        return "malformed row: the payload is not JSON (" + ec.message() + ")";
    while (!headers.empty()) {
        const auto end = headers.find("\r\n");
        const auto line = headers.substr(0, end);
        const auto colon = line.find(": ");
        if (end == std::string_view::npos || colon == 0 || colon == std::string_view::npos ||
            line.find_first_of("\r\n") != std::string_view::npos ||
            line.substr(0, colon).find_first_of(" \t") != std::string_view::npos)
            return "malformed row: the headers are not 'name: value' lines ending in CRLF";
        headers.remove_prefix(end + 2);
    }
    if (!target.empty() && target[0] != '/')
        return "malformed row: the target does not start with '/'";
    return {};
}

/// The error of a failed command from its SQLSTATE (empty when the connection broke).
inline boost::system::error_code error_of_sqlstate(std::string_view state) {
    if (state.empty() || state.starts_with("08") || state == "57P01" || state == "57P02" ||
        state == "57P03")
        return postgres_error::connection_lost; // connection exceptions, shutdown, crash, start
    if (state == "53100")
        return error::spool_full; // disk full
    return postgres_error::command_failed;
}

/// The statements that make both tables and their index, in one transaction; `t` and `d`
/// are the qualified names, `index` the index's bare name.
inline std::string create_tables(const std::string& t, const std::string& d,
                                 const std::string& index) {
    return "CREATE TABLE IF NOT EXISTS " + t +
           " (seq bigserial PRIMARY KEY,"
           " id uuid NOT NULL DEFAULT gen_random_uuid(),"
           " aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL,"
           " payload text NOT NULL, destination text NOT NULL,"
           " endpoint text NOT NULL DEFAULT '', target text NOT NULL DEFAULT '',"
           " headers text NOT NULL DEFAULT '', created timestamptz NOT NULL DEFAULT now(),"
           " last_status integer NOT NULL DEFAULT 0, last_error text NOT NULL DEFAULT '',"
           " worker text, lease_until timestamptz, claims integer NOT NULL DEFAULT 0);"
           " CREATE INDEX IF NOT EXISTS " +
           index + " ON " + t + " (destination, seq);" + " CREATE TABLE IF NOT EXISTS " + d +
           " (LIKE " + t + " INCLUDING ALL);";
}

/// The columns a read returns, in this order (`created` as Unix milliseconds).
inline constexpr std::string_view returned_columns =
    "seq, id, endpoint, (extract(epoch FROM created) * 1000)::bigint, target, payload, headers,"
    " last_status, last_error, claims";

/// Every column, for moving a row to the dead letters.
inline constexpr std::string_view all_columns =
    "seq, id, aggregatetype, aggregateid, type, payload, destination, endpoint, target,"
    " headers, created, last_status, last_error, worker, lease_until, claims";

/** Inserts one row and, when $13 is not empty, notifies that channel with the destination
    ($6); returns `seq`. The notification goes out when the transaction commits, with the row. */
inline std::string insert_row(const std::string& t) {
    return "WITH r AS (INSERT INTO " + t +
           " (id, aggregatetype, aggregateid, type, payload, destination, endpoint, target,"
           " headers, created, last_status, last_error) VALUES ($1::uuid, $2, $3, $4, $5, $6,"
           " $7, $8, $9, 'epoch'::timestamptz + $10::bigint * interval '1 millisecond',"
           " $11::integer, $12) RETURNING seq)"
           " SELECT seq, CASE WHEN $13 <> '' THEN pg_notify($13, $6) END FROM r";
}

/** Leases up to $4 free rows of destination $3, oldest first, to worker $1 for $2 ms. */
inline std::string claim_rows(const std::string& t) {
    return "UPDATE " + t +
           " SET worker = $1, lease_until = now() + $2::bigint * interval '1 millisecond',"
           " claims = claims + 1 WHERE seq IN (SELECT seq FROM " +
           t +
           " WHERE destination = $3 AND (lease_until IS NULL OR lease_until < now())"
           " ORDER BY seq LIMIT $4::bigint FOR UPDATE SKIP LOCKED) RETURNING " +
           std::string(returned_columns);
}

/// Moves row $1 to the dead letters with the reason $2 (as its last error), unleased.
inline std::string bury_row(const std::string& t, const std::string& d) {
    return "WITH m AS (DELETE FROM " + t + " WHERE seq = $1::bigint RETURNING *) INSERT INTO " + d +
           " (" + std::string(all_columns) +
           ") SELECT seq, id, aggregatetype, aggregateid, type, payload, destination,"
           " endpoint, target, headers, created, last_status, $2, NULL, NULL, 0 FROM m";
}

/** Moves up to 100 free rows whose destination is none of $1 (a text[]) to the dead letters,
    each with a reason naming its destination and the known ones ($2). */
inline std::string bury_unknown(const std::string& t, const std::string& d) {
    return "WITH m AS (DELETE FROM " + t + " WHERE seq IN (SELECT seq FROM " + t +
           " WHERE destination <> ALL($1::text[]) AND (lease_until IS NULL OR lease_until <"
           " now()) ORDER BY seq LIMIT 100 FOR UPDATE SKIP LOCKED) RETURNING *) INSERT INTO " +
           d + " (" + std::string(all_columns) +
           ") SELECT seq, id, aggregatetype, aggregateid, type, payload, destination,"
           " endpoint, target, headers, created, last_status, 'no endpoint named ' ||"
           " quote_literal(destination) || ' is configured (known: ' || $2 || ')', NULL, NULL, 0"
           " FROM m";
}

/// Deletes the rows whose sequences $1 (a bigint[]) lists.
inline std::string delete_rows(const std::string& t) {
    return "DELETE FROM " + t + " WHERE seq = ANY($1::bigint[])";
}

/// Extends the leases of worker $3 on rows $1 to $2 ms from now.
inline std::string renew_leases(const std::string& t) {
    return "UPDATE " + t +
           " SET lease_until = now() + $2::bigint * interval '1 millisecond'"
           " WHERE seq = ANY($1::bigint[]) AND worker = $3";
}

/// Frees the rows a worker of this name held in an earlier process ($1), for it to take back.
inline std::string release_rows(const std::string& t) {
    return "UPDATE " + t + " SET lease_until = NULL WHERE worker = $1 AND lease_until IS NOT NULL";
}

} // namespace webhook::detail::postgres

#endif
