#ifndef WEBHOOK_SPOOL_DETAIL_REDIS_PROTOCOL_HPP
#define WEBHOOK_SPOOL_DETAIL_REDIS_PROTOCOL_HPP

// What `redis_spool` says to Redis and reads back, over hiredis: replies, commands, error
// replies as codes, the stream entry of a record. Part of impl/redis_spool.hpp (it needs
// `redis_error` from spool/redis_spool.hpp, which includes it).

#include <webhook/error.hpp>
#include <webhook/spool/detail/process_name.hpp>
#include <webhook/spool/detail/record_fields.hpp>
#include <webhook/spool/event_id.hpp>
#include <webhook/spool/spool.hpp>

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

// The stream entry of a record: field/value pairs, all text (`add_record` writes them,
// `parse_record` reads them).
//   id          the webhook-id (26 characters), or empty for none
//   endpoint    the endpoint's URL as configured
//   created     Unix time in milliseconds, decimal
//   payload     the event's JSON
//   target      (only when not empty) the request target
//   headers     (only when not empty) the event's own request headers, `name: value\r\n`
//               lines; absent in entries of releases before per-event headers: read as none
//   last_status (only when not 0) decimal
//   last_error  (only when not empty)
// Unknown fields are ignored, so that later versions can add some (an earlier release reading
// an entry with `headers` delivers it without them).
namespace webhook::detail::redis {

class error_category_impl final : public boost::system::error_category {
public:
    constexpr error_category_impl() noexcept
        : boost::system::error_category(0x5f1c2e9d40b7a863ULL) {}

    const char* name() const noexcept override { return "webhook.redis"; }

    std::string message(int ev) const override { return message(ev, nullptr, 0); }

    const char* message(int ev, char*, std::size_t) const noexcept override {
        switch (static_cast<redis_error>(ev)) {
        case redis_error::connection_failed:
            return "cannot connect to Redis";
        case redis_error::connection_lost:
            return "Redis closed the connection";
        case redis_error::authentication_failed:
            return "Redis refused the authentication (wrong user name or password, or none given)";
        case redis_error::permission_denied:
            return "the Redis user may not run a command the spool needs (ACL)";
        case redis_error::invalid_database:
            return "Redis refused the database number";
        case redis_error::loading:
            return "Redis is loading its data set";
        case redis_error::server_too_old:
            return "the Redis server is older than 6.2 (no XAUTOCLAIM)";
        case redis_error::command_failed:
            return "a Redis command failed";
        case redis_error::unexpected_reply:
            return "unexpected reply from Redis";
        case redis_error::invalid_options:
            return "invalid Redis spool options";
        }
        return "unknown webhook.redis error";
    }
};

struct reply_deleter {
    void operator()(redisReply* r) const noexcept {
        if (r != nullptr)
            freeReplyObject(r);
    }
};
using reply_ptr = std::unique_ptr<redisReply, reply_deleter>;

inline std::string_view text(const redisReply* r) noexcept {
    if (r == nullptr || r->str == nullptr)
        return {};
    return {r->str, r->len};
}

inline bool is_array(const redisReply* r) noexcept {
    return r != nullptr && r->type == REDIS_REPLY_ARRAY;
}

/// The code for an error reply, by its prefix (Redis's error codes are its first word).
inline boost::system::error_code error_of(std::string_view reply) noexcept {
    const auto starts = [reply](std::string_view p) { return reply.starts_with(p); };
    if (starts("WRONGPASS") || starts("NOAUTH") || starts("ERR AUTH") ||
        starts("ERR invalid password") || starts("ERR invalid username"))
        return redis_error::authentication_failed;
    if (starts("NOPERM"))
        return redis_error::permission_denied;
    if (starts("ERR DB index") || starts("ERR invalid DB index"))
        return redis_error::invalid_database;
    if (starts("LOADING"))
        return redis_error::loading;
    if (starts("OOM"))
        return error::spool_full;
    return redis_error::command_failed;
}

/// One command's arguments, pointing into strings that outlive it.
class command {
public:
    command& operator<<(std::string_view a) {
        argv_.push_back(a.data());
        len_.push_back(a.size());
        return *this;
    }
    int argc() const noexcept { return static_cast<int>(argv_.size()); }
    const char** argv() noexcept { return argv_.data(); }
    const std::size_t* len() const noexcept { return len_.data(); }
    void clear() noexcept {
        argv_.clear();
        len_.clear();
    }

private:
    std::vector<const char*> argv_;
    std::vector<std::size_t> len_;
};

inline timeval to_timeval(std::chrono::milliseconds d) noexcept {
    const auto ms = std::max<std::int64_t>(d.count(), 1);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms / 1000);
    tv.tv_usec = static_cast<suseconds_t>(ms % 1000 * 1000);
    return tv;
}

/// The field of a flat [name, value, ...] array, if present.
inline const redisReply* field(const redisReply* fields, std::string_view name) noexcept {
    for (std::size_t i = 0; i + 1 < fields->elements; i += 2)
        if (text(fields->element[i]) == name)
            return fields->element[i + 1];
    return nullptr;
}

template <class Int>
bool parse_int(const redisReply* r, Int& out) noexcept {
    const std::string_view s = text(r);
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && ptr == s.data() + s.size() && !s.empty();
}

/** Adds `r`'s fields to an `XADD` command. `created` and `status` are `r.created` (Unix ms)
    and `r.last_status` in decimal, kept by the caller for as long as the command. */
inline void add_record(command& c, const spool_record& r, std::string_view created,
                       std::string_view status) {
    c << "id" << (r.id.empty() ? std::string_view{} : r.id.view()) << "endpoint" << r.endpoint
      << "created" << created << "payload" << r.payload;
    if (!r.target.empty())
        c << "target" << r.target;
    if (!r.headers.empty())
        c << "headers" << r.headers;
    if (r.last_status != 0)
        c << "last_status" << status;
    if (!r.last_error.empty())
        c << "last_error" << r.last_error;
}

/** Reads a stream entry's fields into `r` (reusing its strings; its `sequence` is 0); false
    when it is not a record this spool wrote (a missing or malformed field), and then `r` is
    unchanged. */
inline bool parse_record(const redisReply* fields, spool_record& r) {
    if (!is_array(fields))
        return false;
    const redisReply* id = field(fields, "id");
    const redisReply* endpoint = field(fields, "endpoint");
    const redisReply* created = field(fields, "created");
    const redisReply* payload = field(fields, "payload");
    if (id == nullptr || endpoint == nullptr || created == nullptr || payload == nullptr)
        return false;
    spool_fields::record_view v;
    if (!parse_int(created, v.created_ms))
        return false;
    v.id = text(id); // empty: none
    if (!v.id.empty() && !event_id::parse(v.id))
        return false;
    if (const redisReply* s = field(fields, "last_status");
        s != nullptr && !parse_int(s, v.last_status))
        return false;
    v.endpoint = text(endpoint);
    v.payload = text(payload);
    v.target = text(field(fields, "target"));
    v.headers = text(field(fields, "headers"));
    v.last_error = text(field(fields, "last_error"));
    spool_fields::assign(v, r);
    return true;
}

/// "7.0.15" -> 7000015; 0 when not a version.
inline long version_number(std::string_view v) noexcept {
    long parts[3] = {0, 0, 0};
    for (int i = 0; i < 3 && !v.empty(); ++i) {
        const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), parts[i]);
        if (ec != std::errc{})
            return 0;
        v.remove_prefix(static_cast<std::size_t>(ptr - v.data()));
        if (!v.empty() && v.front() == '.')
            v.remove_prefix(1);
        else
            break;
    }
    return parts[0] * 1'000'000 + parts[1] * 1'000 + parts[2];
}

/** Keeps a write to a connection the server closed from killing the process: hiredis writes
    with plain `write`, which raises SIGPIPE. The signal is blocked in this thread for the
    guard's life, and one it raised is taken off the pending set before it is unblocked (the
    way libpq does it); the write itself fails with EPIPE. */
class sigpipe_guard {
public:
    sigpipe_guard() noexcept {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~sigpipe_guard() {
        const int saved = errno;
        if (!was_pending_) {
            sigset_t pending;
            sigemptyset(&pending);
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{};
                while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
        errno = saved;
    }
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;

private:
    sigset_t pipe_{}, old_{};
    bool was_pending_ = false;
};

} // namespace webhook::detail::redis

#endif
