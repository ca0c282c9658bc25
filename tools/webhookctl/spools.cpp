#include "spools.hpp"

#include "arguments.hpp"

#include <webhook/spool/file_spool.hpp>
#ifdef WEBHOOK_CTL_WITH_REDIS
#include <webhook/spool/redis_spool.hpp>
#endif
#ifdef WEBHOOK_CTL_WITH_POSTGRES
#include <webhook/spool/postgres_spool.hpp>
#endif

#include <boost/system/errc.hpp>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <system_error>
#include <utility>

namespace webhookctl {
namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

[[noreturn]] void bad_address(std::string_view option, std::string_view text,
                              std::string_view why) {
    throw usage_error("option '" + std::string(option) + "': '" + std::string(text) +
                      "' is not a spool address: " + std::string(why));
}

template <class Int>
bool parse_int(std::string_view s, Int& out) {
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

// The `name=value` pairs of a query string; a name without '=' gets an empty value.
std::vector<std::pair<std::string, std::string>> query_pairs(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> out;
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t eq = pair.find('=');
        if (!pair.empty())
            out.emplace_back(std::string(pair.substr(0, eq)),
                             eq == std::string_view::npos ? std::string{}
                                                          : std::string(pair.substr(eq + 1)));
        query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
    }
    return out;
}

spool_address parse_redis(std::string_view text, std::string_view option) {
    spool_address a;
    a.kind = spool_kind::redis;
    std::string_view rest = text.substr(std::string_view("redis://").size());
    std::string_view query;
    if (const std::size_t q = rest.rfind('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }
    const std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size())
        bad_address(option, text, "no stream (redis://host:port/<stream>)");
    std::string_view authority = rest.substr(0, slash);
    a.stream = std::string(rest.substr(slash + 1));
    if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        a.user = std::string(userinfo.substr(0, colon));
        if (colon != std::string_view::npos)
            a.password = std::string(userinfo.substr(colon + 1));
        authority.remove_prefix(at + 1);
    }
    if (const std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
        if (!parse_int(authority.substr(colon + 1), a.port) || a.port == 0)
            bad_address(option, text, "the port is not a number from 1 to 65535");
        authority = authority.substr(0, colon);
    }
    if (!authority.empty())
        a.host = std::string(authority);
    for (const auto& [name, value] : query_pairs(query)) {
        if (name == "db") {
            if (!parse_int(std::string_view(value), a.database) || a.database < 0)
                bad_address(option, text, "db is not a database number");
        } else if (name == "group") {
            if (value.empty())
                bad_address(option, text, "group is empty");
            a.group = value;
        } else {
            bad_address(option, text, "unknown parameter '" + name + "' (known: db, group)");
        }
    }
    a.display = "redis://" + a.host + ":" + std::to_string(a.port) + "/" + a.stream;
    return a;
}

spool_address parse_postgres(std::string_view text, std::string_view option) {
    spool_address a;
    a.kind = spool_kind::postgres;
    std::string_view base = text;
    std::string_view query;
    if (const std::size_t q = text.find('?'); q != std::string_view::npos) {
        base = text.substr(0, q);
        query = text.substr(q + 1);
    }
    // Our parameters are taken out; the others are libpq's and stay in the URI.
    std::string libpq_query;
    for (const auto& [name, value] : query_pairs(query)) {
        if (name == "destination")
            a.destination = value;
        else if (name == "table")
            a.table = value;
        else if (name == "schema")
            a.schema = value;
        else if (name == "dead")
            a.dead_letters = value.empty() || value == "1" || value == "true";
        else
            libpq_query += (libpq_query.empty() ? "" : "&") + name + "=" + value;
    }
    if (a.destination.empty())
        bad_address(option, text, "destination is empty");
    a.conninfo = std::string(base) + (libpq_query.empty() ? "" : "?" + libpq_query);
    // Shown without a password: postgresql://user:secret@host -> postgresql://user:***@host.
    std::string shown(base);
    const std::size_t start = shown.find("://") + 3;
    if (const std::size_t at = shown.find('@', start); at != std::string::npos) {
        if (const std::size_t colon = shown.find(':', start); colon < at)
            shown.replace(colon + 1, at - colon - 1, "***");
    }
    a.display = shown + "?destination=" + a.destination +
                (a.table != "webhook_outbox" ? "&table=" + a.table : "") +
                (a.dead_letters ? "&dead" : "");
    return a;
}

} // namespace

spool_address parse_spool_address(std::string_view text, std::string_view option) {
    if (text.empty())
        bad_address(option, text, "empty");
    if (starts_with(text, "redis://"))
        return parse_redis(text, option);
    if (starts_with(text, "postgresql://") || starts_with(text, "postgres://"))
        return parse_postgres(text, option);
    spool_address a;
    if (starts_with(text, "file:"))
        text.remove_prefix(5);
    else if (text.find("://") != std::string_view::npos)
        bad_address(option, text, "unknown scheme (file:, redis://, postgresql://)");
    if (text.empty())
        bad_address(option, text, "no directory after 'file:'");
    a.directory = std::filesystem::path(text);
    a.display = "file:" + a.directory.string();
    return a;
}

void opened_spool::fail(std::string_view doing, const boost::system::error_code& ec) const {
    std::string text = name + ": " + std::string(doing) + " failed: " + ec.message();
    if (last_error) {
        if (const std::string more = last_error(); !more.empty())
            text += " (" + more + ")";
    }
    throw failure(text);
}

opened_spool open_spool(const spool_address& address) {
    opened_spool out;
    out.name = address.display;
    switch (address.kind) {
    case spool_kind::file: {
        // file_spool::open makes missing directories: a mistyped path must not become an
        // empty spool that reports "0 pending".
        std::error_code fec;
        if (!std::filesystem::is_directory(address.directory, fec))
            throw failure(address.display + ": no such spool (the directory " +
                          address.directory.string() + " does not exist)");
        auto s = webhook::file_spool::open(address.directory);
        if (!s) {
            if (s.error() == boost::system::errc::resource_unavailable_try_again)
                throw failure(address.display +
                              ": in use by another process (a running dispatcher holds its "
                              "lock); stop it first, or requeue from inside the application");
            throw failure(address.display + ": cannot open: " + s.error().message());
        }
        out.spool = *s;
        return out;
    }
    case spool_kind::redis: {
#ifdef WEBHOOK_CTL_WITH_REDIS
        webhook::redis_spool_options o;
        o.host = address.host;
        o.port = address.port;
        o.user = address.user;
        o.password = address.password;
        if (o.password.empty()) {
            if (const char* p = std::getenv("REDISCLI_AUTH")) // redis-cli's variable
                o.password = p;
        }
        o.database = address.database;
        o.stream = address.stream;
        // A group of its own: reading here takes nothing from the dispatchers' group.
        o.group = address.group;
        o.consumer = "webhookctl";
        std::string why;
        auto s = webhook::redis_spool::open(o, &why);
        if (!s)
            throw failure(address.display + ": cannot open: " + why);
        out.spool = *s;
        out.shared = true;
        out.last_error = [s = *s] { return s->last_error(); };
        return out;
#else
        throw failure(address.display +
                      ": this build of webhookctl has no Redis support (built without hiredis)");
#endif
    }
    case spool_kind::postgres: {
#ifdef WEBHOOK_CTL_WITH_POSTGRES
        webhook::postgres_spool_options o;
        o.conninfo = address.conninfo;
        o.table = address.table;
        o.schema = address.schema;
        o.destination = address.destination;
        o.worker = "webhookctl";
        // Rows this process reads are held only briefly after it exits.
        o.lease = std::chrono::seconds(3);
        o.listen = false;
        o.notify = true;
        std::string why;
        auto s = webhook::postgres_spool::open(o, &why);
        if (!s)
            throw failure(address.display + ": cannot open: " + why);
        std::shared_ptr<webhook::postgres_spool> spool = *s;
        if (address.dead_letters) {
            auto dead = spool->dead_letters(&why);
            if (!dead)
                throw failure(address.display + ": cannot open the dead letters: " + why);
            out.keep_alive = spool;
            spool = *dead;
        }
        out.spool = spool;
        out.shared = true;
        out.last_error = [spool] { return spool->last_error(); };
        return out;
#else
        throw failure(address.display + ": this build of webhookctl has no PostgreSQL support "
                                        "(built without libpq)");
#endif
    }
    }
    throw failure("unknown spool kind");
}

void for_each_record(const opened_spool& s,
                     const std::function<bool(const webhook::spool_record&)>& f) {
    std::vector<webhook::spool_record> batch;
    std::uint64_t from = 0;
    for (;;) {
        if (const auto ec = s.spool.read(from, 256, batch))
            s.fail("reading", ec);
        if (batch.empty())
            return;
        for (const auto& r : batch) {
            if (!f(r))
                return;
        }
        from = batch.back().sequence + 1;
    }
}

} // namespace webhookctl
