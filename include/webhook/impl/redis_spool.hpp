#ifndef WEBHOOK_IMPL_REDIS_SPOOL_HPP
#define WEBHOOK_IMPL_REDIS_SPOOL_HPP

#include <webhook/error.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

namespace webhook {

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
namespace detail::redis {

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

/** Reads a stream entry's fields into `r` (reusing its strings); false when it is not a
    record this spool wrote (a missing or malformed field). */
inline bool parse_record(const redisReply* fields, spool_record& r) {
    if (!is_array(fields))
        return false;
    const redisReply* id = field(fields, "id");
    const redisReply* endpoint = field(fields, "endpoint");
    const redisReply* created = field(fields, "created");
    const redisReply* payload = field(fields, "payload");
    if (id == nullptr || endpoint == nullptr || created == nullptr || payload == nullptr)
        return false;
    std::int64_t ms = 0;
    if (!parse_int(created, ms))
        return false;
    if (text(id).empty())
        r.id = event_id{};
    else if (auto parsed = event_id::parse(text(id)))
        r.id = *parsed;
    else
        return false;
    int status = 0;
    if (const redisReply* s = field(fields, "last_status"); s != nullptr && !parse_int(s, status))
        return false;
    using std::chrono::milliseconds;
    using clock = std::chrono::system_clock;
    // Clamped so that a far-away time cannot overflow the clock's finer representation.
    constexpr auto lo = std::chrono::ceil<milliseconds>(clock::duration::min()).count();
    constexpr auto hi = std::chrono::floor<milliseconds>(clock::duration::max()).count();
    r.created = clock::time_point(milliseconds(std::clamp(ms, lo, hi)));
    r.endpoint.assign(text(endpoint));
    r.payload.assign(text(payload));
    r.target.assign(text(field(fields, "target")));
    r.headers.assign(text(field(fields, "headers")));
    r.last_status = status;
    r.last_error.assign(text(field(fields, "last_error")));
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

inline std::string default_consumer() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        std::strcpy(host, "localhost");
    return std::string(host) + "-" + std::to_string(::getpid());
}

} // namespace detail::redis

inline const boost::system::error_category& redis_error_category() noexcept {
    static constexpr detail::redis::error_category_impl instance;
    return instance;
}

/** One hiredis connection, reconnected on use after it was lost (with a delay after failed
    attempts). Not thread-safe: each user holds its own lock. */
class redis_spool::connection {
public:
    using reply_ptr = detail::redis::reply_ptr;

    connection(redis_spool& owner, std::string role) : owner_(owner), role_(std::move(role)) {}
    ~connection() { drop(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /** Sends `commands` in one round trip and fills `replies` (one per command, an error
        reply included). On a connection error, the replies read before it are kept, the rest
        are null, and the error is returned; the connection is closed and reopened by the next
        call. */
    boost::system::error_code pipeline(detail::redis::command* commands, std::size_t n,
                                       std::vector<reply_ptr>& replies) {
        replies.clear();
        replies.resize(n);
        const detail::redis::sigpipe_guard guard; // for the PING and the connection's setup too
        if (auto ec = usable())
            return ec;
        for (std::size_t i = 0; i < n; ++i)
            if (redisAppendCommandArgv(ctx_, commands[i].argc(), commands[i].argv(),
                                       commands[i].len()) != REDIS_OK)
                return fail("sending a command");
        for (std::size_t i = 0; i < n; ++i) {
            void* reply = nullptr;
            errno = 0;
            if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr)
                return fail("waiting for a reply");
            replies[i].reset(static_cast<redisReply*>(reply));
        }
        last_use_ = std::chrono::steady_clock::now();
        return {};
    }

    /// One command; its reply may be an error reply (see `check`).
    boost::system::result<reply_ptr> run(detail::redis::command& c) {
        std::vector<reply_ptr> replies;
        if (const auto ec = pipeline(&c, 1, replies))
            return ec;
        return std::move(replies[0]);
    }

    /// The code of an error reply (noted with `what`), else success.
    boost::system::error_code check(const redisReply* r, const char* what) const {
        if (r != nullptr && r->type == REDIS_REPLY_ERROR) {
            const auto ec = detail::redis::error_of(detail::redis::text(r));
            owner_.note(ec, std::string(what) + ": " + std::string(detail::redis::text(r)));
            return ec;
        }
        return {};
    }

    bool connected() const noexcept { return ctx_ != nullptr; }

    /// Connects now if not connected (ignoring the reconnection delay): for `open`.
    boost::system::error_code connect_now() {
        const detail::redis::sigpipe_guard guard;
        retry_at_ = {};
        return usable();
    }

private:
    /// Connected, or the reason why not.
    boost::system::error_code usable() {
        const auto now = std::chrono::steady_clock::now();
        if (ctx_ != nullptr) {
            // A connection idle for a while may have died with a restarted server; find out
            // with a PING rather than with a command whose fate would then be unknown.
            if (now - last_use_ < std::chrono::seconds(1))
                return {};
            // Any reply, an error too, shows the connection works.
            if (reply_ptr pong{static_cast<redisReply*>(redisCommand(ctx_, "PING"))}) {
                last_use_ = now;
                return {};
            }
            drop();
            retry_at_ = {}; // lost, not refused: try again at once
        }
        if (now < retry_at_)
            return last_connect_error_;
        auto ec = connect();
        if (ec) {
            drop();
            retry_at_ = now + delay_;
            delay_ = std::min(delay_ * 2, std::max(owner_.options_.max_reconnect_delay,
                                                   owner_.options_.reconnect_delay));
            last_connect_error_ = ec;
            return ec;
        }
        delay_ = owner_.options_.reconnect_delay;
        last_use_ = std::chrono::steady_clock::now();
        return {};
    }

    boost::system::error_code connect() {
        const auto& o = owner_.options_;
        const timeval tv = detail::redis::to_timeval(o.connect_timeout);
        errno = 0;
        ctx_ = o.unix_socket.empty() ? redisConnectWithTimeout(o.host.c_str(), o.port, tv)
                                     : redisConnectUnixWithTimeout(o.unix_socket.c_str(), tv);
        if (ctx_ == nullptr)
            return boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
        if (ctx_->err != 0) {
            const int e = errno;
            boost::system::error_code ec;
            if (ctx_->err == REDIS_ERR_IO && e != 0)
                ec = {e == EAGAIN || e == EINPROGRESS ? ETIMEDOUT : e,
                      boost::system::system_category()};
            else
                ec = redis_error::connection_failed;
            owner_.note(ec, "connecting: " + std::string(ctx_->errstr));
            return ec;
        }
        ::fcntl(ctx_->fd, F_SETFD, FD_CLOEXEC); // not into processes the application starts
        ++owner_.connects_;
        if (redisSetTimeout(ctx_, detail::redis::to_timeval(o.command_timeout)) != REDIS_OK)
            return fail("setting the timeout");
        if (o.unix_socket.empty())
            redisEnableKeepAlive(ctx_);
        const auto setup = [this](detail::redis::command c,
                                  const char* what) -> boost::system::error_code {
            errno = 0;
            reply_ptr r(
                static_cast<redisReply*>(redisCommandArgv(ctx_, c.argc(), c.argv(), c.len())));
            if (r == nullptr)
                return fail(what);
            return check(r.get(), what);
        };
        if (!o.password.empty()) {
            detail::redis::command auth;
            auth << "AUTH";
            if (!o.user.empty())
                auth << o.user;
            auth << o.password;
            if (auto ec = setup(std::move(auth), "AUTH"))
                return ec;
        }
        if (o.database != 0) {
            const std::string db = std::to_string(o.database);
            detail::redis::command select;
            select << "SELECT" << db;
            if (auto ec = setup(std::move(select), "SELECT"))
                return ec;
        }
        // For operators (CLIENT LIST); an ACL that forbids it is no reason to fail.
        std::string name = "webhook:" + o.consumer + ":" + role_;
        std::replace(name.begin(), name.end(), ' ', '_');
        detail::redis::command setname;
        setname << "CLIENT"
                << "SETNAME" << name;
        errno = 0;
        reply_ptr r(static_cast<redisReply*>(
            redisCommandArgv(ctx_, setname.argc(), setname.argv(), setname.len())));
        if (r == nullptr)
            return fail("CLIENT SETNAME");
        return {};
    }

    /// Notes the context's error, closes the connection, returns the error.
    boost::system::error_code fail(const char* what) {
        const int e = errno;
        boost::system::error_code ec;
        std::string detail = "connection error";
        if (ctx_ != nullptr) {
            detail = ctx_->errstr;
            if (ctx_->err == REDIS_ERR_EOF)
                ec = redis_error::connection_lost;
            else if (ctx_->err == REDIS_ERR_IO && (e == EAGAIN || e == EWOULDBLOCK))
                ec = boost::system::errc::make_error_code(boost::system::errc::timed_out);
            else if (ctx_->err == REDIS_ERR_IO && e != 0)
                ec = {e, boost::system::system_category()};
            else if (ctx_->err == REDIS_ERR_PROTOCOL)
                ec = redis_error::unexpected_reply;
            else if (ctx_->err == REDIS_ERR_OOM)
                ec = boost::system::errc::make_error_code(boost::system::errc::not_enough_memory);
            else
                ec = redis_error::connection_lost;
        } else {
            ec = redis_error::connection_lost;
        }
        owner_.note(ec, std::string(what) + ": " + detail);
        drop();
        return ec;
    }

    void drop() noexcept {
        if (ctx_ != nullptr)
            redisFree(ctx_);
        ctx_ = nullptr;
    }

    redis_spool& owner_;
    const std::string role_;
    redisContext* ctx_ = nullptr;
    std::chrono::steady_clock::time_point last_use_{};
    std::chrono::steady_clock::time_point retry_at_{};
    std::chrono::milliseconds delay_{owner_.options_.reconnect_delay};
    boost::system::error_code last_connect_error_;
};

/// An append waiting for its turn in a pipeline.
struct redis_spool::append_request {
    const spool_record* record;
    std::string created; // Unix ms, decimal
    std::string status;  // last_status, decimal
    boost::system::result<std::uint64_t> result = std::uint64_t{0};
    bool done = false;
};

inline redis_spool::redis_spool(redis_spool_options options) : options_(std::move(options)) {
    address_ = options_.unix_socket.empty() ? options_.host + ":" + std::to_string(options_.port)
                                            : "unix:" + options_.unix_socket;
}

inline boost::system::result<std::shared_ptr<redis_spool>>
redis_spool::open(redis_spool_options options, std::string* why) {
    if (options.consumer.empty())
        options.consumer = detail::redis::default_consumer();
    options.max_pipeline = std::max<std::size_t>(options.max_pipeline, 1);
    options.reconnect_delay = std::max(options.reconnect_delay, std::chrono::milliseconds(1));
    std::shared_ptr<redis_spool> s(new redis_spool(std::move(options)));
    if (auto ec = s->start(why))
        return ec;
    return s;
}

inline boost::system::error_code redis_spool::start(std::string* why) {
    const auto failed = [&](boost::system::error_code ec) {
        if (why != nullptr)
            *why = last_error();
        return ec;
    };
    if (options_.stream.empty() || options_.group.empty() ||
        options_.claim_idle <= std::chrono::milliseconds::zero()) {
        note(redis_error::invalid_options,
             "options: the stream and the group need names and claim_idle must be positive");
        return failed(redis_error::invalid_options);
    }
    append_conn_ = std::make_unique<connection>(*this, "append");
    read_conn_ = std::make_unique<connection>(*this, "read");
    background_conn_ = std::make_unique<connection>(*this, "background");
    for (connection* c : {read_conn_.get(), append_conn_.get(), background_conn_.get()})
        if (auto ec = c->connect_now())
            return failed(ec);

    // The version: XAUTOCLAIM came with 6.2. An ACL that forbids INFO leaves it unchecked.
    detail::redis::command info;
    info << "INFO"
         << "server";
    auto r = read_conn_->run(info);
    if (!r)
        return failed(r.error());
    if ((*r)->type == REDIS_REPLY_STRING) {
        const std::string_view t = detail::redis::text(r->get());
        const auto at = t.find("redis_version:");
        if (at != std::string_view::npos) {
            std::string_view v = t.substr(at + 14);
            v = v.substr(0, v.find_first_of("\r\n"));
            if (detail::redis::version_number(v) < 6'002'000) {
                note(redis_error::server_too_old, "INFO: redis_version " + std::string(v));
                return failed(redis_error::server_too_old);
            }
        }
    } else if (auto ec = read_conn_->check(r->get(), "INFO");
               ec && ec != make_error_code(redis_error::permission_denied)) {
        return failed(ec);
    }
    if (auto ec = ensure_group(*read_conn_))
        return failed(ec);
    background_ = std::thread([this] { background_loop(); });
    return {};
}

inline redis_spool::~redis_spool() {
    {
        std::lock_guard lk(state_mu_);
        stop_ = true;
    }
    state_cv_.notify_all();
    if (background_.joinable())
        background_.join();
}

/// Runs `c` on the read connection; a group that is gone (Redis restarted without its data,
/// or the stream was deleted) is made again once. An error reply is noted as `what`.
inline boost::system::result<detail::redis::reply_ptr>
redis_spool::run_in_group(detail::redis::command& c, const char* what) {
    auto r = read_conn_->run(c);
    if (r && (*r)->type == REDIS_REPLY_ERROR &&
        detail::redis::text(r->get()).starts_with("NOGROUP")) {
        if (auto ec = ensure_group(*read_conn_))
            return ec;
        r = read_conn_->run(c);
    }
    if (!r)
        return r.error();
    if (auto ec = read_conn_->check(r->get(), what))
        return ec;
    return r;
}

inline boost::system::error_code redis_spool::ensure_group(connection& c) {
    detail::redis::command create;
    create << "XGROUP"
           << "CREATE" << options_.stream << options_.group << "0"
           << "MKSTREAM";
    auto r = c.run(create);
    if (!r)
        return r.error();
    if ((*r)->type == REDIS_REPLY_ERROR && detail::redis::text(r->get()).starts_with("BUSYGROUP"))
        return {}; // another process made it first
    return c.check(r->get(), "XGROUP CREATE");
}

inline void redis_spool::note(const boost::system::error_code& ec, const std::string& what) const {
    std::lock_guard lk(error_mu_);
    // The code's message only when the text does not say it already.
    const std::string m = ec.message();
    last_error_ = "redis " + address_ + ": " + what;
    if (what.find(m) == std::string::npos)
        last_error_ += " (" + m + ")";
}

inline std::string redis_spool::last_error() const {
    std::lock_guard lk(error_mu_);
    return last_error_;
}

inline boost::system::result<std::uint64_t> redis_spool::append(const spool_record& r) {
    append_request req{&r, {}, {}};
    const auto ms = std::chrono::floor<std::chrono::milliseconds>(r.created.time_since_epoch());
    req.created = std::to_string(ms.count());
    if (r.last_status != 0)
        req.status = std::to_string(r.last_status);

    std::unique_lock lk(append_mu_);
    append_queue_.push_back(&req);
    while (!req.done) {
        if (appending_) {
            append_cv_.wait(lk);
            continue;
        }
        // This thread sends what is waiting, its own request among it or not.
        appending_ = true;
        const std::size_t n = std::min(append_queue_.size(), options_.max_pipeline);
        std::vector<append_request*> batch(append_queue_.begin(),
                                           append_queue_.begin() + static_cast<std::ptrdiff_t>(n));
        append_queue_.erase(append_queue_.begin(),
                            append_queue_.begin() + static_cast<std::ptrdiff_t>(n));
        lk.unlock();

        thread_local std::vector<detail::redis::command> commands;
        thread_local std::vector<detail::redis::reply_ptr> replies;
        if (commands.size() < n)
            commands.resize(n);
        for (std::size_t i = 0; i < n; ++i) {
            const append_request& q = *batch[i];
            auto& c = commands[i];
            c.clear();
            c << "XADD" << options_.stream << "*";
            detail::redis::add_record(c, *q.record, q.created, q.status);
        }
        const auto ec = append_conn_->pipeline(commands.data(), n, replies);
        for (std::size_t i = 0; i < n; ++i) {
            const redisReply* reply = replies[i].get();
            if (reply == nullptr)
                batch[i]->result = ec;
            else if (auto rec = append_conn_->check(reply, "XADD"))
                batch[i]->result = rec;
            else if (reply->type != REDIS_REPLY_STRING)
                batch[i]->result = make_error_code(redis_error::unexpected_reply);
            else {
                batch[i]->result = next_sequence_.fetch_add(1);
                appends_.fetch_add(1, std::memory_order_relaxed);
            }
        }
        replies.clear();

        lk.lock();
        for (append_request* q : batch)
            q->done = true;
        appending_ = false;
        append_cv_.notify_all();
    }
    return req.result;
}

inline boost::system::error_code redis_spool::ack(std::uint64_t sequence) {
    {
        std::lock_guard lk(state_mu_);
        const auto it = held_.find(sequence);
        if (it == held_.end())
            return boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
        ack_queue_.push_back(std::move(it->second));
        held_.erase(it);
    }
    state_cv_.notify_all();
    return {};
}

/// Adds the entries of an [[id, [field, value, ...]], ...] reply to `out` (up to `max` in
/// all), each held under a new sequence. Entries already held are skipped; entries gone from
/// the stream and malformed ones are queued for acknowledgement. Under `read_mu_`.
inline void redis_spool::take(const redisReply* entries, std::size_t max,
                              std::vector<spool_record>& out, std::uint64_t& counter,
                              std::string* last_id) {
    if (!detail::redis::is_array(entries))
        return;
    bool settle = false;
    std::lock_guard lk(state_mu_);
    for (std::size_t i = 0; i < entries->elements; ++i) {
        const redisReply* e = entries->element[i];
        if (!detail::redis::is_array(e) || e->elements < 2)
            continue;
        std::string id(detail::redis::text(e->element[0]));
        if (last_id != nullptr)
            *last_id = id;
        if (by_id_.count(id) != 0 || out.size() >= max)
            continue; // already held here (a claim of our own entry only reset its idle time)
        if (e->element[1]->type == REDIS_REPLY_NIL) {
            // Deleted from the stream but still pending (acknowledged by nobody): settle it.
            by_id_.emplace(id, 0);
            ack_queue_.push_back(std::move(id));
            settle = true;
            continue;
        }
        if (scratch_.empty())
            scratch_.emplace_back();
        spool_record& r = scratch_.back();
        if (!detail::redis::parse_record(e->element[1], r)) {
            malformed_.fetch_add(1, std::memory_order_relaxed);
            note(redis_error::unexpected_reply,
                 "stream entry " + id + " is not a spool record; acknowledged and left there");
            by_id_.emplace(id, 0);
            ack_queue_.push_back("!" + id); // "!": acknowledge only, do not delete
            settle = true;
            continue;
        }
        r.sequence = next_sequence_.fetch_add(1);
        held_.emplace(r.sequence, id);
        by_id_.emplace(std::move(id), r.sequence);
        out.push_back(std::move(r));
        scratch_.pop_back();
        ++counter;
        reads_.fetch_add(1, std::memory_order_relaxed);
    }
    if (settle)
        state_cv_.notify_all();
}

inline boost::system::error_code redis_spool::read(std::uint64_t, std::size_t max,
                                                   std::vector<spool_record>& out) {
    std::lock_guard lk(read_mu_);
    // The caller's strings go back to `scratch_` for reuse.
    scratch_.clear();
    for (auto& r : out)
        scratch_.push_back(std::move(r));
    out.clear();
    if (max == 0)
        return {};
    // Records already taken are held here: they are returned even when a later step fails
    // (its error comes back at the next call), since a caller drops `out` on an error.
    const auto done = [&](boost::system::error_code ec) {
        return ec && out.empty() ? ec : boost::system::error_code{};
    };
    if (!replay_done_)
        if (auto ec = read_replay(max, out); ec || out.size() >= max)
            return done(ec);
    if (std::chrono::steady_clock::now() >= next_claim_)
        if (auto ec = read_claim(max, out); ec || out.size() >= max)
            return done(ec);
    return done(read_new(max, out));
}

inline boost::system::error_code redis_spool::read_replay(std::size_t max,
                                                          std::vector<spool_record>& out) {
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XREADGROUP"
      << "GROUP" << options_.group << options_.consumer << "COUNT" << count << "STREAMS"
      << options_.stream << replay_cursor_;
    auto r = run_in_group(c, "XREADGROUP (replay)");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    // [[stream, [[id, fields], ...]]]; nil: nothing pending.
    const redisReply* entries = nullptr;
    if (detail::redis::is_array(reply) && reply->elements > 0 &&
        detail::redis::is_array(reply->element[0]) && reply->element[0]->elements == 2)
        entries = reply->element[0]->element[1];
    const std::size_t before = out.size();
    std::uint64_t counter = 0;
    take(entries, max, out, counter, &replay_cursor_);
    replayed_.fetch_add(counter, std::memory_order_relaxed);
    const std::size_t seen = detail::redis::is_array(entries) ? entries->elements : 0;
    if (seen < max - before)
        replay_done_ = true;
    return {};
}

inline boost::system::error_code redis_spool::read_claim(std::size_t max,
                                                         std::vector<spool_record>& out) {
    const std::string idle = std::to_string(options_.claim_idle.count());
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XAUTOCLAIM" << options_.stream << options_.group << options_.consumer << idle
      << claim_cursor_ << "COUNT" << count;
    auto r = run_in_group(c, "XAUTOCLAIM");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    // [next cursor, [[id, fields], ...], (7.0:) [deleted ids]]
    if (!detail::redis::is_array(reply) || reply->elements < 2)
        return redis_error::unexpected_reply;
    std::uint64_t counter = 0;
    take(reply->element[1], max, out, counter, nullptr);
    claimed_.fetch_add(counter, std::memory_order_relaxed);
    claim_cursor_ = std::string(detail::redis::text(reply->element[0]));
    if (claim_cursor_.empty() || claim_cursor_ == "0-0") {
        // A whole pass over the pending entries: the next one after a third of the idle
        // time, so that an entry is claimed at most that long after it became claimable.
        claim_cursor_ = "0-0";
        next_claim_ = std::chrono::steady_clock::now() + options_.claim_idle / 3;
    }
    return {};
}

inline boost::system::error_code redis_spool::read_new(std::size_t max,
                                                       std::vector<spool_record>& out) {
    const std::string count = std::to_string(max - out.size());
    detail::redis::command c;
    c << "XREADGROUP"
      << "GROUP" << options_.group << options_.consumer << "COUNT" << count << "STREAMS"
      << options_.stream << ">";
    auto r = run_in_group(c, "XREADGROUP");
    if (!r)
        return r.error();
    const redisReply* reply = r->get();
    if (reply->type == REDIS_REPLY_NIL)
        return {};
    if (!detail::redis::is_array(reply) || reply->elements == 0 ||
        !detail::redis::is_array(reply->element[0]) || reply->element[0]->elements != 2)
        return redis_error::unexpected_reply;
    std::uint64_t counter = 0;
    take(reply->element[0]->element[1], max, out, counter, nullptr);
    return {};
}

inline void redis_spool::background_loop() {
    using clock = std::chrono::steady_clock;
    const auto beat = std::max(options_.claim_idle / 3, std::chrono::milliseconds(1));
    auto next_beat = clock::now() + beat;
    auto ack_retry_at = clock::time_point{};
    std::unique_lock lk(state_mu_);
    while (!stop_) {
        const auto now = clock::now();
        if (!ack_queue_.empty() && now >= ack_retry_at) {
            if (!send_acks(lk))
                ack_retry_at = clock::now() +
                               std::max(options_.reconnect_delay, std::chrono::milliseconds(10));
            continue;
        }
        if (now >= next_beat) {
            heartbeat(lk);
            next_beat = clock::now() + beat;
            continue;
        }
        auto until = next_beat;
        if (!ack_queue_.empty())
            until = std::min(until, ack_retry_at);
        state_cv_.wait_until(lk, until);
    }
    // What was settled goes to Redis now if it can (one try, bounded by the timeouts); the
    // rest stays pending under this consumer and is delivered again.
    if (!ack_queue_.empty())
        send_acks(lk);
}

/// Sends queued acknowledgements (one batch); false on failure, and they stay queued.
inline bool redis_spool::send_acks(std::unique_lock<std::mutex>& lk) {
    constexpr std::size_t batch_max = 1024;
    const std::size_t n = std::min(ack_queue_.size(), batch_max);
    std::vector<std::string> batch(
        std::make_move_iterator(ack_queue_.begin()),
        std::make_move_iterator(ack_queue_.begin() + static_cast<std::ptrdiff_t>(n)));
    ack_queue_.erase(ack_queue_.begin(), ack_queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lk.unlock();

    // MULTI/EXEC: an entry is deleted only together with its acknowledgement.
    std::vector<detail::redis::command> commands(2);
    commands[0] << "MULTI";
    commands[1] << "XACK" << options_.stream << options_.group;
    detail::redis::command del;
    del << "XDEL" << options_.stream;
    bool any_delete = false;
    for (const auto& id : batch) {
        const bool keep = id[0] == '!';
        const std::string_view v = keep ? std::string_view(id).substr(1) : std::string_view(id);
        commands[1] << v;
        if (!keep) {
            del << v;
            any_delete = true;
        }
    }
    if (any_delete)
        commands.push_back(std::move(del));
    commands.emplace_back() << "EXEC";
    std::vector<detail::redis::reply_ptr> replies;
    auto ec = background_conn_->pipeline(commands.data(), commands.size(), replies);
    if (!ec) {
        // A command refused when queued (NOPERM, say) aborts the transaction: its own error
        // says more than EXECABORT.
        for (std::size_t i = 1; i + 1 < replies.size() && !ec; ++i)
            ec = background_conn_->check(replies[i].get(), i == 1 ? "XACK" : "XDEL");
    }
    if (!ec) {
        const redisReply* exec = replies.back().get();
        if (auto e = background_conn_->check(exec, "EXEC (XACK, XDEL)"))
            ec = e;
        else if (!detail::redis::is_array(exec))
            ec = redis_error::unexpected_reply; // the transaction was aborted
        else
            for (std::size_t i = 0; i < exec->elements && !ec; ++i)
                ec = background_conn_->check(exec->element[i], "XACK/XDEL");
    }

    lk.lock();
    if (ec) {
        ack_queue_.insert(ack_queue_.begin(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
        return false;
    }
    for (const auto& id : batch) {
        by_id_.erase(id[0] == '!' ? id.substr(1) : id);
        if (id[0] != '!')
            acks_.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
}

/// Resets the idle time of every held entry, so that no other consumer claims it.
inline void redis_spool::heartbeat(std::unique_lock<std::mutex>& lk) {
    std::vector<std::string> ids;
    ids.reserve(by_id_.size());
    for (const auto& [id, seq] : by_id_)
        ids.push_back(id);
    lk.unlock();
    constexpr std::size_t chunk = 1024;
    std::vector<detail::redis::command> commands((ids.size() + chunk - 1) / chunk);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto& c = commands[i / chunk];
        if (i % chunk == 0)
            c << "XCLAIM" << options_.stream << options_.group << options_.consumer << "0";
        c << ids[i];
        if (i % chunk == chunk - 1 || i + 1 == ids.size())
            c << "JUSTID";
    }
    if (!commands.empty()) {
        std::vector<detail::redis::reply_ptr> replies;
        // A failure (Redis down) is noted; the next beat tries again.
        if (!background_conn_->pipeline(commands.data(), commands.size(), replies)) {
            for (const auto& r : replies)
                background_conn_->check(r.get(), "XCLAIM (heartbeat)");
            heartbeats_.fetch_add(1, std::memory_order_relaxed);
        }
    } else if (!background_conn_->connected()) {
        // Nothing held: reconnect anyway, so that the connection is ready when needed.
        detail::redis::command ping;
        ping << "PING";
        (void)background_conn_->run(ping);
    }
    lk.lock();
}

inline redis_spool_stats redis_spool::stats() const {
    redis_spool_stats s;
    s.appends = appends_.load();
    s.reads = reads_.load();
    s.replayed = replayed_.load();
    s.claimed = claimed_.load();
    s.acks = acks_.load();
    s.malformed = malformed_.load();
    s.heartbeats = heartbeats_.load();
    s.connects = connects_.load();
    std::lock_guard lk(state_mu_);
    s.held = by_id_.size();
    s.acks_queued = ack_queue_.size();
    return s;
}

} // namespace webhook

#endif
