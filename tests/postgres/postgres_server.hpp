// A throwaway PostgreSQL server for the tests: its own loopback port and temporary directory
// (initdb'd afresh, fsync off), started and stopped by the test (never a system service). Plus
// a small blocking libpq client to look into it. PostgreSQL refuses to run as root: as root,
// initdb and postgres run as `nobody`, who owns the temporary directory.
#ifndef WEBHOOK_TESTS_POSTGRES_SERVER_HPP
#define WEBHOOK_TESTS_POSTGRES_SERVER_HPP

#include <libpq-fe.h>

#include "support/unused_port.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WEBHOOK_PG_BIN
#define WEBHOOK_PG_BIN "/usr/lib/postgresql/15/bin"
#endif

extern char** environ;

namespace webhook::test {

struct pg_result_deleter {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using pg_result = std::unique_ptr<PGresult, pg_result_deleter>;

/// A blocking libpq connection for the tests: runs SQL, throws on any error.
class pg_client {
public:
    explicit pg_client(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
            const std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
            PQfinish(conn_);
            throw std::runtime_error("pg_client: cannot connect (" + conninfo + "): " + why);
        }
    }
    ~pg_client() { PQfinish(conn_); }
    pg_client(const pg_client&) = delete;
    pg_client& operator=(const pg_client&) = delete;

    PGconn* get() const noexcept { return conn_; }

    void exec(const std::string& sql) { run(sql); }

    /// The first column of the first row ("" for NULL); throws when there is no row.
    std::string scalar(const std::string& sql) {
        auto r = run(sql);
        if (PQntuples(r.get()) < 1 || PQnfields(r.get()) < 1)
            throw std::runtime_error("pg_client: no row from: " + sql);
        return PQgetisnull(r.get(), 0, 0) ? std::string() : PQgetvalue(r.get(), 0, 0);
    }

    long long count(const std::string& sql) { return std::stoll(scalar(sql)); }

    /// Every row, every column as text ("" for NULL).
    std::vector<std::vector<std::string>> rows(const std::string& sql) {
        auto r = run(sql);
        std::vector<std::vector<std::string>> out(static_cast<std::size_t>(PQntuples(r.get())));
        for (int i = 0; i < PQntuples(r.get()); ++i)
            for (int j = 0; j < PQnfields(r.get()); ++j)
                out[static_cast<std::size_t>(i)].emplace_back(
                    PQgetisnull(r.get(), i, j) ? "" : PQgetvalue(r.get(), i, j));
        return out;
    }

private:
    pg_result run(const std::string& sql) {
        pg_result r(PQexec(conn_, sql.c_str()));
        const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
            throw std::runtime_error("pg_client: " + sql + ": " + PQerrorMessage(conn_));
        return r;
    }

    PGconn* conn_ = nullptr;
};

namespace pg_detail {

/// Whom initdb and postgres run as: `nobody` when we are root (postgres refuses root).
struct identity {
    bool drop = false;
    uid_t uid = 0;
    gid_t gid = 0;

    static identity current() {
        if (::geteuid() != 0)
            return {};
        if (const passwd* pw = ::getpwnam("nobody"))
            return {true, pw->pw_uid, pw->pw_gid};
        return {true, 65534, 65534};
    }
};

/// The last `n` lines of a log file, for an exception's message.
inline std::string tail(const std::filesystem::path& file, std::size_t n = 20) {
    std::ifstream in(file);
    std::deque<std::string> last;
    for (std::string line; std::getline(in, line);) {
        last.push_back(std::move(line));
        if (last.size() > n)
            last.pop_front();
    }
    std::string out;
    for (const auto& l : last)
        out += "\n  " + l;
    return out;
}

/// A conninfo value, quoted only when it must be (empty, or a space, quote or backslash in it).
inline std::string conninfo_value(const std::string& v) {
    if (!v.empty() && v.find_first_of(" \t\n\r\f\v'\\") == std::string::npos)
        return v;
    std::string out = "'";
    for (const char c : v) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "'";
}

/// Whether `pid` ended within `bound` (reaped then); polls, as it is another process's pace.
inline bool wait_exit(pid_t pid, std::chrono::milliseconds bound, int& status) {
    for (auto until = std::chrono::steady_clock::now() + bound;;) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

/// Hands `dir` and everything under it to `who` (a no-op unless we are dropping root).
inline void give(const std::filesystem::path& dir, const identity& who) {
    if (!who.drop)
        return;
    auto own = [&](const std::filesystem::path& p) {
        if (::lchown(p.c_str(), who.uid, who.gid) != 0)
            throw std::system_error(errno, std::generic_category(), "chown " + p.string());
    };
    own(dir);
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        own(e.path());
}

/// In a forked child: says why on stderr (the log, so the exception's tail shows it) and ends.
[[noreturn]] inline void child_fail(const char* program, const char* why) noexcept {
    [[maybe_unused]] auto n = ::write(2, program, ::strlen(program));
    n = ::write(2, why, ::strlen(why));
    ::_exit(127);
}

/** Forks and execs `args` as `who`, in `cwd`, stdin from /dev/null and stdout and stderr
    appended to `log`; the child gets SIGKILL when the thread that called this ends (the
    test's, normally: the test dying takes the server with it). Returns its pid. */
inline pid_t spawn(std::vector<std::string> args, const std::filesystem::path& log,
                   const std::filesystem::path& cwd, const identity& who) {
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    // Everything the child needs is made here: only async-signal-safe calls after the fork.
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0 || (who.drop && ::fchown(out, who.uid, who.gid) != 0)) {
        const int e = errno;
        ::close(out);
        ::close(in);
        throw std::system_error(e, std::generic_category(), "postgres_server: " + log.string());
    }
    const pid_t pid = ::fork();
    if (pid == 0) {
        // Root's groups go first, then the gid, then the uid (which ends the right to change).
        if (who.drop &&
            (::setgroups(0, nullptr) != 0 || ::setgid(who.gid) != 0 || ::setuid(who.uid) != 0))
            child_fail(argv[0], ": cannot drop root\n");
        // After the uid change: a change of credentials clears the parent-death signal.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::close_range(3, ~0U, 0); // the test's sockets and files are not the server's
        if (::chdir(cwd.c_str()) != 0)
            child_fail(argv[0], ": cannot enter its directory\n");
        ::execve(argv[0], argv.data(), environ);
        child_fail(argv[0], ": cannot execute\n");
    }
    const int e = errno;
    ::close(out);
    ::close(in);
    if (pid < 0)
        throw std::system_error(e, std::generic_category(), "postgres_server: fork");
    return pid;
}

} // namespace pg_detail

/** A PostgreSQL server on 127.0.0.1 with a fresh cluster in a temporary directory (user
    `webhook`, trust authentication). `stop` and `start` again keep the port and the data. */
class postgres_server {
public:
    postgres_server() {
        dir_ = std::filesystem::temp_directory_path() /
               ("webhook_pg_" + std::to_string(::getpid()) + "_" + std::to_string(++count()));
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
        std::filesystem::permissions(dir_, std::filesystem::perms::owner_all);
        pg_detail::give(dir_, who_);
        initdb();
        // Another process may take the port between the choice and postgres's bind: then
        // another. On failure the directory stays, for the logs the exception names.
        for (int attempt = 0; attempt < 5; ++attempt) {
            port_ = unused_port();
            if (start_once())
                return;
        }
        throw std::runtime_error("postgres did not start; " + log_tail());
    }
    ~postgres_server() {
        stop(SIGQUIT);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    postgres_server(const postgres_server&) = delete;
    postgres_server& operator=(const postgres_server&) = delete;

    std::uint16_t port() const noexcept { return port_; }
    const std::filesystem::path& directory() const noexcept { return dir_; }
    bool running() const noexcept { return pid_ > 0; }
    pid_t pid() const noexcept { return pid_; }

    std::string conninfo(const std::string& dbname = "postgres") const {
        return "host=127.0.0.1 port=" + std::to_string(port_) +
               " user=webhook dbname=" + pg_detail::conninfo_value(dbname) + " connect_timeout=5";
    }

    void create_database(const std::string& name) {
        pg_client c(conninfo());
        std::unique_ptr<char, decltype(&PQfreemem)> quoted(
            PQescapeIdentifier(c.get(), name.data(), name.size()), &PQfreemem);
        if (!quoted)
            throw std::runtime_error("postgres_server: bad database name " + name);
        c.exec("CREATE DATABASE " + std::string(quoted.get()));
    }

    /// Starts it again on the same port with the same data; throws if it does not come up.
    void start() {
        if (running())
            return;
        if (!start_once())
            throw std::runtime_error("postgres did not restart on port " + std::to_string(port_) +
                                     "; " + log_tail());
    }

    /** Sends `sig` to the postmaster and waits (20 s, then SIGKILL) for its end. SIGINT: fast
        shutdown (clients cut off, a checkpoint: a clean stop); SIGTERM: smart shutdown, which
        waits for every client to leave (slow with clients connected); SIGQUIT: immediate
        shutdown, no checkpoint, crash recovery at the next start (the crash to test with).
        SIGKILL kills the postmaster only: its children outlive it for a moment, holding its
        shared memory, so a start right after may be refused; prefer SIGQUIT. */
    void stop(int sig = SIGINT) {
        if (pid_ <= 0)
            return;
        ::kill(pid_, sig);
        int status = 0;
        if (!pg_detail::wait_exit(pid_, std::chrono::seconds(20), status)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
        }
        pid_ = -1;
    }

private:
    static int& count() {
        static int n = 0;
        return n;
    }

    std::filesystem::path log() const { return dir_ / "postgres.log"; }
    std::string log_tail() const { return "see " + log().string() + ":" + pg_detail::tail(log()); }

    void initdb() {
        const auto log = dir_ / "initdb.log";
        // --locale=C: the cluster must not depend on which locales this machine has.
        const pid_t pid = pg_detail::spawn(
            {WEBHOOK_PG_BIN "/initdb", "-D", (dir_ / "data").string(), "-U", "webhook",
             "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"},
            log, dir_, who_);
        int status = 0;
        if (!pg_detail::wait_exit(pid, std::chrono::seconds(120), status)) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            throw std::runtime_error("initdb failed; see " + log.string() + ":" +
                                     pg_detail::tail(log));
    }

    bool start_once() {
        pid_ = pg_detail::spawn({WEBHOOK_PG_BIN "/postgres", "-D", (dir_ / "data").string(), "-p",
                                 std::to_string(port_), "-k", dir_.string(), "-c",
                                 "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                                 "full_page_writes=off", "-c", "max_connections=60", "-c",
                                 "log_min_messages=warning"},
                                log(), dir_, who_);
        // Ready once it accepts connections; bounded, and given up if it exits (port taken).
        // libpq's shortest connect timeout: a stranger on the port that never answers stalls
        // each ping that long.
        const std::string info = "host=127.0.0.1 port=" + std::to_string(port_) +
                                 " user=webhook dbname=postgres connect_timeout=2";
        for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
             std::chrono::steady_clock::now() < until;) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                return false;
            }
            if (PQping(info.c_str()) == PQPING_OK)
                return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(10)); // a process start
        }
        stop(SIGQUIT);
        return false;
    }

    pg_detail::identity who_ = pg_detail::identity::current();
    std::filesystem::path dir_;
    std::uint16_t port_ = 0;
    pid_t pid_ = -1;
};

} // namespace webhook::test

#endif
