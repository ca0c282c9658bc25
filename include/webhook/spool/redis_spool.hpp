#ifndef WEBHOOK_SPOOL_REDIS_SPOOL_HPP
#define WEBHOOK_SPOOL_REDIS_SPOOL_HPP

// The Redis Streams spool: several dispatcher processes share one durable outbox.
// Needs hiredis (Debian: libhiredis-dev); link the CMake target `webhook::redis`.

#include <webhook/spool/detail/batch_leader.hpp>
#include <webhook/spool/spool.hpp>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

struct redisReply; // hiredis

namespace webhook {

namespace detail::redis {
class command;
struct reply_deleter;
} // namespace detail::redis

/** Errors of a `redis_spool`, besides system errors of the connection (such as
    `errc::connection_refused` or `errc::timed_out`) and `error::spool_full` (Redis reached its
    `maxmemory`). The spool's `last_error()` tells the details: the server's address and
    hiredis's or Redis's own text. */
enum class redis_error {
    /// Could not connect, and no system error says why (for example the host name does not
    /// resolve).
    connection_failed = 1,
    /// Redis closed the connection: it is shutting down or restarting, or dropped the client.
    connection_lost,
    /// Redis refused the user name or password (`AUTH`), or wants one and none is configured.
    authentication_failed,
    /// The ACL user may not run a command the spool needs (`NOPERM`).
    permission_denied,
    /// `SELECT` refused the configured database number.
    invalid_database,
    /// Redis is still loading its data set after a restart.
    loading,
    /// The server is older than Redis 6.2, which brought `XAUTOCLAIM`.
    server_too_old,
    /// Any other error reply from Redis.
    command_failed,
    /// A reply of an unexpected shape: the peer is not a compatible Redis server.
    unexpected_reply,
    /// `redis_spool_options` are not usable (an empty stream, group or consumer name, or a
    /// zero `claim_idle`).
    invalid_options,
};

/// The category of `redis_error` codes ("webhook.redis").
inline const boost::system::error_category& redis_error_category() noexcept;

inline boost::system::error_code make_error_code(redis_error e) noexcept {
    return {static_cast<int>(e), redis_error_category()};
}

/** How a `redis_spool` connects and shares its stream. */
struct redis_spool_options {
    /// The server: a host name or address and a TCP port, or, when `unix_socket` is not
    /// empty, that Unix domain socket instead. (TLS: not with Debian 12's hiredis 0.14.)
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string unix_socket;
    /// `AUTH [user] password` after connecting, when `password` is not empty (`user` empty:
    /// the default user).
    std::string user;
    std::string password;
    /// `SELECT database` after connecting, when not 0.
    int database = 0;

    /// The stream: one per endpoint, shared by every process that delivers to that endpoint.
    std::string stream = "webhook:default";
    /// The consumer group the processes read the stream in.
    std::string group = "webhook";
    /** This process's name in the group; unique among the processes running at once. A
        process restarted with the same name gets back at once what it held when it stopped;
        under another name, those entries wait `claim_idle` before someone claims them. Empty:
        `<host name>-<process id>`. */
    std::string consumer;

    /** How long an entry another consumer read must be idle before this one claims it. A
        live consumer keeps its entries fresh with a heartbeat every `claim_idle / 3`, so an
        entry is idle this long only when its holder died (or lost Redis for that long). */
    std::chrono::milliseconds claim_idle{30'000};

    /// Bounds on connecting and on each command's round trip.
    std::chrono::milliseconds connect_timeout{1'000};
    std::chrono::milliseconds command_timeout{2'000};
    /** After a failed connection attempt, calls fail at once with the same error for this
        long, doubled after each further failure up to `max_reconnect_delay`; the first call
        after that tries again. A connection lost while connected is retried at once. */
    std::chrono::milliseconds reconnect_delay{50};
    std::chrono::milliseconds max_reconnect_delay{2'000};

    /// The most appends from concurrent threads that go to Redis in one round trip.
    std::size_t max_pipeline = 256;
};

/** Counters of a `redis_spool` since it was opened, for this process. */
struct redis_spool_stats {
    /// Successful appends.
    std::uint64_t appends = 0;
    /// Records `read` returned: `replayed` + `claimed` + new ones.
    std::uint64_t reads = 0;
    /// Of those, entries this consumer held when it stopped last time (same name).
    std::uint64_t replayed = 0;
    /// Of those, entries taken over from consumers idle longer than `claim_idle`.
    std::uint64_t claimed = 0;
    /// Acknowledgements that reached Redis (`XACK` and `XDEL`).
    std::uint64_t acks = 0;
    /// Entries that were not spool records (missing or malformed fields): acknowledged and
    /// left in the stream, never returned.
    std::uint64_t malformed = 0;
    /// Heartbeats sent (each an `XCLAIM ... JUSTID` of the held entries).
    std::uint64_t heartbeats = 0;
    /// Connections made, the first ones included.
    std::uint64_t connects = 0;
    /// Entries read and not yet acknowledged in Redis (acknowledgements still queued
    /// included): the heartbeat keeps them.
    std::size_t held = 0;
    /// Acknowledgements waiting to be sent.
    std::size_t acks_queued = 0;
};

/** A `spool` over a Redis stream that several dispatcher processes share: any of them may
    deliver what another appended, and what a process that died held is taken over by the
    others.

    - `append` adds the record with `XADD <stream> *` (fields `id`, `endpoint`, `created`,
      `payload`, and only when set `target`, `headers`, `last_status`, `last_error`), and
      returns once Redis answered: as durable as the server's persistence (see
      docs/reliability.md). Appends from concurrent threads share round trips.
    - `read` hands this process entries no live process holds, in this order: those this
      consumer name held when it stopped (`XREADGROUP ... 0`), those idle longer than
      `claim_idle` in other consumers (`XAUTOCLAIM`, every `claim_idle / 3` at most), then new
      ones (`XREADGROUP ... >`). It never blocks on an empty stream. Each record returned gets
      a `sequence` of this process (unique, increasing), its handle for `ack`.
    - `ack` queues the entry for `XACK` and `XDEL`, which a background thread sends in
      batches; until Redis took them the entry stays held.
    - The background thread also runs the heartbeat: every `claim_idle / 3` it resets the idle
      time of every held entry (`XCLAIM ... 0 ... JUSTID`), so that an entry waiting here for
      a retry hours away is not claimed by another process.

    The stream and the group are created when missing (`XGROUP CREATE ... 0 MKSTREAM`, so
    entries appended before the group existed are delivered too). Needs Redis 6.2 or later.
    All member functions may be called from any thread. */
class redis_spool {
public:
    /// Several processes read the stream: the dispatcher polls `read` (see `is_shared_spool_v`).
    static constexpr bool shared = true;

    /** Connects (three connections: appends, reads, and the background thread's), checks the
        server's version, creates the group if needed and starts the heartbeat. Fails with the
        first error: a system error such as `errc::connection_refused`, or a `redis_error`
        such as `authentication_failed`; `last_error` of a failed open is not available, so
        the error's message and the address are written into `*why` when given. */
    static boost::system::result<std::shared_ptr<redis_spool>> open(redis_spool_options options,
                                                                    std::string* why = nullptr);

    redis_spool(const redis_spool&) = delete;
    redis_spool& operator=(const redis_spool&) = delete;

    /// Sends the queued acknowledgements (for at most `command_timeout`), stops the
    /// heartbeat, closes the connections. Entries still held stay pending under this
    /// consumer's name.
    ~redis_spool();

    /** Appends `r` (its `sequence` ignored; `created` kept to the millisecond) to the stream
        and returns a sequence number of this process once Redis answered. On error the event
        is refused: a system error of the connection, `redis_error::connection_lost`,
        `loading`, `authentication_failed`, ..., or `error::spool_full` when Redis is out of
        memory. While Redis is unreachable, calls fail at once during the reconnection delay.
        In the rare case of a connection lost after Redis took the command but before its
        answer arrived, the refused record is in the stream anyway and will be delivered. */
    boost::system::result<std::uint64_t> append(const spool_record& r);

    /** Marks the record with this `sequence` (from this spool's `read`) settled: it is queued
        for `XACK` and `XDEL`, sent in the background (retried while Redis is down). A
        sequence not held (never read, or already acknowledged) gives
        `errc::invalid_argument`. */
    boost::system::error_code ack(std::uint64_t sequence);

    /** Replaces the contents of `out` with up to `max` records that no live process holds
        (see the class), now held by this one, reusing `out`'s strings. `from` is ignored.
        Never waits for entries: an empty `out` means none now. An error (Redis unreachable)
        is returned only when nothing was read; records taken before a failing step are
        returned without it (they are held: dropping them would strand them until this
        consumer name starts again). */
    boost::system::error_code read(std::uint64_t from, std::size_t max,
                                   std::vector<spool_record>& out);

    /// A description of the most recent error: what failed, the server's address, the text.
    std::string last_error() const;

    redis_spool_stats stats() const;

    /// This process's consumer name in the group.
    const std::string& consumer() const noexcept { return options_.consumer; }

    const redis_spool_options& options() const noexcept { return options_; }

private:
    class connection;
    struct append_request;

    explicit redis_spool(redis_spool_options options);

    boost::system::error_code start(std::string* why);
    boost::system::error_code read_replay(std::size_t max, std::vector<spool_record>& out);
    boost::system::error_code read_claim(std::size_t max, std::vector<spool_record>& out);
    boost::system::error_code read_new(std::size_t max, std::vector<spool_record>& out);
    boost::system::error_code ensure_group(connection& c);
    boost::system::result<std::unique_ptr<redisReply, detail::redis::reply_deleter>>
    run_in_group(detail::redis::command& c, const char* what);
    void take(const redisReply* entries, std::size_t max, std::vector<spool_record>& out,
              std::uint64_t& counter, std::string* last_id);
    void background_loop();
    bool send_acks(std::unique_lock<std::mutex>& lk);
    void heartbeat(std::unique_lock<std::mutex>& lk);
    void note(const boost::system::error_code& ec, const std::string& what) const;

    redis_spool_options options_;
    std::string address_; // "host:port" or the socket's path, for messages

    std::atomic<std::uint64_t> next_sequence_{1};

    // Appends: one connection, concurrent appends pipelined by whichever caller finds it idle.
    detail::batch_leader<append_request> appends_batch_{options_.max_pipeline};
    std::unique_ptr<connection> append_conn_;

    // Reads: one connection, one `read` at a time.
    std::mutex read_mu_;
    std::unique_ptr<connection> read_conn_;
    bool replay_done_ = false;
    std::string replay_cursor_ = "0";
    std::string claim_cursor_ = "0-0";
    std::chrono::steady_clock::time_point next_claim_{};
    std::vector<spool_record> scratch_;

    // What this process holds, shared by `read`, `ack` and the background thread.
    mutable std::mutex state_mu_;
    std::condition_variable state_cv_;
    std::map<std::uint64_t, std::string> held_;            // sequence -> entry id
    std::unordered_map<std::string, std::uint64_t> by_id_; // entry id -> sequence
    std::vector<std::string> ack_queue_;                   // entry ids to XACK and XDEL
    bool stop_ = false;

    // The background thread's connection: acknowledgements and heartbeats.
    std::unique_ptr<connection> background_conn_;
    std::thread background_;

    mutable std::mutex error_mu_;
    mutable std::string last_error_;

    std::atomic<std::uint64_t> appends_{0}, reads_{0}, replayed_{0}, claimed_{0}, acks_{0},
        malformed_{0}, heartbeats_{0}, connects_{0};
};

static_assert(spool<redis_spool>);
static_assert(is_shared_spool_v<redis_spool>);

} // namespace webhook

template <>
struct boost::system::is_error_code_enum<webhook::redis_error> : std::true_type {};

#include <webhook/spool/impl/redis_spool.hpp>

#endif
