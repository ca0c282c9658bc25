#ifndef WEBHOOK_TESTS_SUPPORT_CHILD_PROCESS_HPP
#define WEBHOOK_TESTS_SUPPORT_CHILD_PROCESS_HPP

// A child process for the multi-process suites (crash and Redis): started with posix_spawn,
// its standard output optionally appended to a file, killed and reaped by the destructor.

#include <boost/test/unit_test.hpp> // after the test file's BOOST_TEST_MODULE

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char** environ;

namespace webhook::test {

/// A child process, killed (SIGKILL) and reaped if still running when this goes.
class child {
public:
    explicit child(std::vector<std::string> args, const std::filesystem::path& out = {}) {
        std::vector<char*> argv;
        for (auto& a : args)
            argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        if (!out.empty())
            posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                             0644);
        const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        BOOST_REQUIRE(rc == 0);
    }
    ~child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    child(const child&) = delete;
    child& operator=(const child&) = delete;

    bool running() {
        if (pid_ <= 0)
            return false;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            exit_status_ = status;
            return false;
        }
        return true;
    }
    void signal(int sig) {
        if (running())
            ::kill(pid_, sig);
    }
    /// Waits (bounded) for the exit; the exit code, or -1 if it did not end normally in time.
    int wait(std::chrono::seconds limit) {
        for (auto until = std::chrono::steady_clock::now() + limit;
             running() && std::chrono::steady_clock::now() < until;)
            std::this_thread::sleep_for(
                std::chrono::milliseconds(5)); // a child process has no clock of ours to drive
        if (running())
            return -1;
        return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
    }

private:
    pid_t pid_ = -1;
    int exit_status_ = 0;
};

/// The lines of the text file `p` (none if it cannot be read): what a child process logged.
inline std::vector<std::string> lines_of(const std::filesystem::path& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

} // namespace webhook::test

#endif
