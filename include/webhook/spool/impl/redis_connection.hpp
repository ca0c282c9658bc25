#ifndef WEBHOOK_SPOOL_IMPL_REDIS_CONNECTION_HPP
#define WEBHOOK_SPOOL_IMPL_REDIS_CONNECTION_HPP

// `redis_spool::connection`: one hiredis connection, reconnected when lost. Part of
// impl/redis_spool.hpp.

#include <webhook/spool/detail/redis_protocol.hpp>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>

namespace webhook {

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

} // namespace webhook

#endif
