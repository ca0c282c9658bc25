// The receiver of the crash test, as a process of its own so that it outlives the poster it
// is killed with: answers every request after a delay and logs the webhook-id (and the
// traceparent, when there is one) of each request it answers.
// Usage: spool_crash_receiver PORT_FILE ID_LOG DELAY_MS   (runs until SIGTERM)

#include "support/test_receiver.hpp"

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <string>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s PORT_FILE ID_LOG DELAY_MS\n", argv[0]);
        return 2;
    }
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr); // before the server thread starts: it inherits

    const int log = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (log < 0) {
        std::perror(argv[2]);
        return 1;
    }
    webhook::test::test_receiver receiver;
    receiver.set_default_behaviour(
        webhook::test::behaviour::delay(std::chrono::milliseconds(std::stoi(argv[3]))));
    // Logged before the answer leaves: whatever the poster saw delivered is in the log.
    receiver.set_handler([log](const webhook::test::recorded_request& r, webhook::test::response&) {
        // "id", or "id traceparent" for a traced request (the Redis and PostgreSQL
        // multi-process tests read the first form).
        std::string line = r.header("webhook-id").value_or("<none>");
        if (const auto trace = r.header("traceparent"))
            line.append(" ").append(*trace);
        line += "\n";
        if (::write(log, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            std::abort(); // a lost line would be a false "lost event"
    });
    {
        // Written whole, then renamed: the test never reads half a port number.
        const std::string tmp = std::string(argv[1]) + ".tmp";
        std::ofstream(tmp) << receiver.port() << "\n";
        std::rename(tmp.c_str(), argv[1]);
    }
    int sig = 0;
    sigwait(&stop, &sig);
    receiver.stop();
    ::close(log);
    return 0;
}
