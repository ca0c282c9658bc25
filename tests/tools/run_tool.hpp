#ifndef WEBHOOK_TESTS_TOOLS_RUN_TOOL_HPP
#define WEBHOOK_TESTS_TOOLS_RUN_TOOL_HPP

// Runs a program to its end as a child process, with its standard output and standard error
// captured in files, and returns both and the exit code.

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace webhook::test {

struct tool_result {
    int code = -1; // the exit code, or -1 when it did not exit normally
    std::string out;
    std::string err;
};

inline std::string read_whole_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Runs `program` with `args`; its output goes through files in `scratch`.
inline tool_result run_tool(const std::string& program, std::vector<std::string> args,
                            const std::filesystem::path& scratch) {
    const auto out_path = scratch / "stdout";
    const auto err_path = scratch / "stderr";
    args.insert(args.begin(), program);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        throw std::runtime_error("cannot start " + program);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
    }
    tool_result r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_whole_file(out_path);
    r.err = read_whole_file(err_path);
    return r;
}

} // namespace webhook::test

#endif
