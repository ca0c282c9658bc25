#ifndef WEBHOOKCTL_SPOOLS_HPP
#define WEBHOOKCTL_SPOOLS_HPP

// Spool addresses on the command line, and the spools they open:
//   file:<dir> (or a plain path)                the file journal
//   redis://[user[:password]@]host[:port]/<stream>[?db=N&group=G]
//   postgresql://<libpq URI>?destination=D[&table=T&schema=S&dead]

#include <webhook/spool/spool.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace webhookctl {

enum class spool_kind { file, redis, postgres };

struct spool_address {
    spool_kind kind = spool_kind::file;
    /// How messages name the spool: the address without any password.
    std::string display;

    std::filesystem::path directory; // file

    std::string host = "127.0.0.1"; // redis
    std::uint16_t port = 6379;
    std::string user, password;
    int database = 0;
    std::string stream;
    std::string group = "webhookctl";

    std::string conninfo; // postgres
    std::string table = "webhook_outbox";
    std::string schema;
    std::string destination = "default";
    bool dead_letters = false;
};

/// Parses the value of `option` (`--spool`, `--dead-letters`); a usage_error names both.
spool_address parse_spool_address(std::string_view text, std::string_view option);

/// An open spool, with what messages need to say about it.
struct opened_spool {
    webhook::any_spool spool;
    std::string name;
    /// The back end's description of its last error (Redis, PostgreSQL), or empty.
    std::function<std::string()> last_error;
    /// Whether several processes read it (records are handed out, not read by position).
    bool shared = false;
    std::shared_ptr<void> keep_alive; // the outbox a PostgreSQL dead-letter spool belongs to

    /// A failure naming this spool, what was done and the error (and the back end's text).
    [[noreturn]] void fail(std::string_view doing, const boost::system::error_code& ec) const;
};

/// Opens the spool; a missing file-spool directory, a lock held by another process, an
/// unreachable server, or a build without that back end is a `failure`.
opened_spool open_spool(const spool_address& address);

/** Calls `f(record)` for every record of `s` in order, a batch at a time, until `f` returns
    false. With a shared spool (Redis, PostgreSQL) the records read are held by this process
    until it acknowledges them or exits. */
void for_each_record(const opened_spool& s,
                     const std::function<bool(const webhook::spool_record&)>& f);

} // namespace webhookctl

#endif
