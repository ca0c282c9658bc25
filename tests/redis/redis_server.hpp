// A throwaway redis-server for the tests: its own loopback port and temporary directory, the
// append-only file on with a sync per write, started and stopped by the test (never a system
// service). Plus a small hiredis client to look into it.
#ifndef WEBHOOK_TESTS_REDIS_SERVER_HPP
#define WEBHOOK_TESTS_REDIS_SERVER_HPP

#include <hiredis/hiredis.h>

#include "support/unused_port.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace webhook::test {

struct reply_deleter {
    void operator()(redisReply* r) const noexcept {
        if (r != nullptr)
            freeReplyObject(r);
    }
};
using reply = std::unique_ptr<redisReply, reply_deleter>;

/// A blocking hiredis connection for looking into the server (XLEN, XPENDING, ...).
class redis_client {
public:
    explicit redis_client(std::uint16_t port, const std::string& password = {}) {
        timeval tv{2, 0};
        ctx_ = redisConnectWithTimeout("127.0.0.1", port, tv);
        if (ctx_ == nullptr || ctx_->err != 0)
            throw std::runtime_error("redis_client: cannot connect");
        redisSetTimeout(ctx_, tv);
        if (!password.empty())
            run({"AUTH", password});
    }
    ~redis_client() {
        if (ctx_ != nullptr)
            redisFree(ctx_);
    }
    redis_client(const redis_client&) = delete;
    redis_client& operator=(const redis_client&) = delete;

    reply run(const std::vector<std::string>& args) {
        std::vector<const char*> argv;
        std::vector<std::size_t> len;
        for (const auto& a : args) {
            argv.push_back(a.data());
            len.push_back(a.size());
        }
        reply r(static_cast<redisReply*>(
            redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), len.data())));
        if (!r)
            throw std::runtime_error("redis_client: connection error: " +
                                     std::string(ctx_->errstr));
        return r;
    }
    long long integer(const std::vector<std::string>& args) {
        auto r = run(args);
        if (r->type != REDIS_REPLY_INTEGER)
            throw std::runtime_error("redis_client: not an integer reply to " + args.at(0) + ": " +
                                     std::string(r->str ? r->str : ""));
        return r->integer;
    }
    /// XPENDING's count of pending entries in `group`.
    long long pending(const std::string& stream, const std::string& group) {
        auto r = run({"XPENDING", stream, group});
        if (r->type != REDIS_REPLY_ARRAY || r->elements < 1)
            throw std::runtime_error("redis_client: bad XPENDING reply");
        return r->element[0]->integer;
    }

private:
    redisContext* ctx_ = nullptr;
};

/** A redis-server process on 127.0.0.1 with a temporary directory. `stop` and `start` again
    keep the port and the directory (and so the data, through the append-only file). */
class redis_server {
public:
    explicit redis_server(std::vector<std::string> extra_args = {})
        : extra_(std::move(extra_args)) {
        dir_ = std::filesystem::temp_directory_path() /
               ("webhook_redis_" + std::to_string(::getpid()) + "_" + std::to_string(++count()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        // Another process may take the port between the choice and redis's bind: then another.
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = unused_port();
            if (start_once())
                return;
        }
        throw std::runtime_error("redis-server did not start; see " +
                                 (dir_ / "redis.log").string());
    }
    ~redis_server() {
        stop(SIGKILL);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    redis_server(const redis_server&) = delete;
    redis_server& operator=(const redis_server&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }
    bool running() const noexcept { return pid_ > 0; }
    pid_t pid() const noexcept { return pid_; }

    /// Starts it again on the same port with the same data; throws if it does not come up.
    void start() {
        // The port was ours a moment ago; in TIME_WAIT it is still bindable by redis (it sets
        // SO_REUSEADDR), so only a stranger taking it meanwhile makes this fail.
        if (!start_once())
            throw std::runtime_error("redis-server did not restart on port " +
                                     std::to_string(port_));
    }

    /// Sends `sig` (SIGTERM: a clean shutdown; SIGKILL: a crash) and waits (bounded) for the end.
    void stop(int sig = SIGTERM) {
        if (pid_ <= 0)
            return;
        ::kill(pid_, sig);
        int status = 0;
        for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
             ::waitpid(pid_, &status, WNOHANG) == 0;) {
            if (std::chrono::steady_clock::now() > until) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(
                std::chrono::milliseconds(2)); // a process, no clock of ours
        }
        pid_ = -1;
    }

private:
    static int& count() {
        static int n = 0;
        return n;
    }

    bool start_once() {
        std::vector<std::string> args{WEBHOOK_REDIS_SERVER,
                                      "--port",
                                      std::to_string(port_),
                                      "--bind",
                                      "127.0.0.1",
                                      "--dir",
                                      dir_.string(),
                                      "--logfile",
                                      (dir_ / "redis.log").string(),
                                      "--daemonize",
                                      "no",
                                      "--save",
                                      "",
                                      "--appendonly",
                                      "yes",
                                      "--appendfsync",
                                      "always",
                                      "--protected-mode",
                                      "no"};
        args.insert(args.end(), extra_.begin(), extra_.end());
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        // fork and exec rather than posix_spawn: the server must die with the test even when
        // the test dies (PR_SET_PDEATHSIG), and must not hold the test's stdout open. Only
        // async-signal-safe calls between the two.
        pid_ = ::fork();
        if (pid_ < 0)
            return false;
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const int null = ::open("/dev/null", O_RDWR);
            if (null >= 0) {
                ::dup2(null, 0);
                ::dup2(null, 1);
                ::dup2(null, 2);
            }
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        // Ready once it answers (any reply: NOAUTH counts); bounded, and given up if it exits.
        for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
             std::chrono::steady_clock::now() < until;) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            timeval tv{0, 200'000};
            if (redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv)) {
                bool ok = false;
                if (c->err == 0) {
                    redisSetTimeout(c, tv);
                    if (auto* r = static_cast<redisReply*>(redisCommand(c, "PING"))) {
                        ok = r->type != REDIS_REPLY_ERROR ||
                             std::string(r->str, r->len).rfind("LOADING", 0) != 0;
                        freeReplyObject(r);
                    }
                }
                redisFree(c);
                if (ok)
                    return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        stop(SIGKILL);
        return false;
    }

    std::vector<std::string> extra_;
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace webhook::test

#endif
