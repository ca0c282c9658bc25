// The process the crash test kills: posts events numbered from where its log ends up to K
// through a dispatcher with a file spool that fsyncs every append, logs the id of each post
// that returned success, then waits until everything is delivered. Each event carries its
// own W3C trace context.
// Usage: spool_crash_poster SPOOL_DIR URL K POSTED_LOG   (exit 0: all delivered)

#include <webhook/dispatcher.hpp>
#include <webhook/spool/file_spool.hpp>

#include <boost/describe.hpp>

#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <iostream>
#include <string>
#include <unistd.h>

namespace {

struct crash_event {
    std::uint64_t number = 0;
    std::string note;
};
BOOST_DESCRIBE_STRUCT(crash_event, (), (number, note))

} // namespace

/// The trace context event `n` is posted with: its own trace (n + 1 as the trace id), so
/// that the receiver's log shows each event's trace survived the spool and the kills.
std::string traceparent_of(std::uint64_t n) {
    char id[33];
    std::snprintf(id, sizeof id, "%032llx", static_cast<unsigned long long>(n + 1));
    return std::string("00-") + id + "-00f067aa0ba902b7-01";
}

namespace {

std::uint64_t count_lines(const char* path) {
    std::ifstream in(path);
    std::uint64_t n = 0;
    for (std::string line; std::getline(in, line);)
        ++n;
    return n;
}

} // namespace

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    if (argc != 5) {
        std::fprintf(stderr, "usage: %s SPOOL_DIR URL K POSTED_LOG\n", argv[0]);
        return 2;
    }
    const std::uint64_t k = std::stoull(argv[3]);
    auto spool = webhook::file_spool::open(
        argv[1], webhook::file_spool_options{.durability = webhook::durability::fsync_each_append});
    if (!spool) {
        std::cerr << "cannot open the spool: " << spool.error().message() << "\n";
        return 1;
    }
    webhook::endpoint e;
    e.url = argv[2];
    e.data_location = webhook::data_path("event");
    e.max_in_flight = 4;
    e.retry.initial_delay = 10ms;
    e.retry.max_delay = 100ms;
    webhook::dispatcher_options o;
    o.spool = *spool;
    o.on_outcome = [](const webhook::delivery& d) {
        if (!d.ok())
            std::cerr << "event " << d.id << " ended " << d.status << ": " << d.error.message()
                      << "\n";
    };
    webhook::dispatcher d{e, o};

    // Lines are short and written with one O_APPEND write each: a kill never tears one.
    const int log = ::open(argv[4], O_WRONLY | O_CREAT | O_APPEND, 0644);
    for (std::uint64_t n = count_lines(argv[4]); n < k; ++n) {
        const auto id = d.post(crash_event{n, "posted before a crash or not"},
                               {{"traceparent", traceparent_of(n)}});
        if (!id) {
            std::cerr << "post " << n << " refused: " << id.error().message() << "\n";
            return 1;
        }
        const std::string line = std::string(id->view()) + " " + std::to_string(n) + "\n";
        if (::write(log, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
            return 1;
    }
    if (!d.flush(120s)) {
        std::cerr << "not everything was delivered in time\n";
        return 3;
    }
    const auto c = d.counters();
    const auto& found = (*spool)->recovery();
    std::cout << "recovered " << found.records << " (torn tail " << found.torn_tail_bytes
              << " bytes, preallocated zeros " << found.preallocated_bytes << " bytes); accepted "
              << c.accepted << " replayed " << c.replayed << " delivered " << c.delivered
              << " failed " << c.failed << "; left unacked " << (*spool)->stats().unacked
              << ", damaged reads " << (*spool)->stats().damaged_reads << "\n";
    return c.failed == 0 ? 0 : 4;
}
