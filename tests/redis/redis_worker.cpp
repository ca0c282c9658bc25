// A process of the Redis multi-process test: a webhook::dispatcher whose spool is a
// redis_spool shared with the other processes.
//
//   redis_worker PORT URL CONSUMER CLAIM_IDLE_MS
//       delivers what the stream holds until SIGTERM, then exits 0 (what it holds then stays
//       pending under its name, for the others to claim).
//   redis_worker PORT URL CONSUMER CLAIM_IDLE_MS FROM COUNT POSTED_LOG REFUSED_LOG
//       also posts the events numbered FROM..FROM+COUNT-1 (a refused post is logged to
//       REFUSED_LOG as "<unix ms> <error>" and tried again 5 ms later, at most 2000 times),
//       logs "<webhook-id> <number>" for each accepted one, then stops as above without
//       waiting for SIGTERM. Exit 1 on a post refused for good.
// Counters go to stdout at the end.

#include <webhook/dispatcher.hpp>
#include <webhook/spool/redis_spool.hpp>

#include <boost/describe.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <string>
#include <sys/prctl.h>
#include <thread>
#include <unistd.h>

namespace {

struct numbered_event {
    std::uint64_t number = 0;
    std::string note;
};
BOOST_DESCRIBE_STRUCT(numbered_event, (), (number, note))

bool write_line(int fd, const std::string& line) {
    return ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
}

} // namespace

int main(int argc, char** argv) {
    using namespace std::chrono_literals;
    if (argc != 5 && argc != 9) {
        std::fprintf(stderr,
                     "usage: %s PORT URL CONSUMER CLAIM_IDLE_MS [FROM COUNT POSTED_LOG "
                     "REFUSED_LOG]\n",
                     argv[0]);
        return 2;
    }
    // Gone with the test, should the test die without stopping this process.
    const pid_t parent = ::getppid();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
        return 1;
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr); // before any thread starts: they inherit it

    webhook::redis_spool_options so;
    so.port = static_cast<std::uint16_t>(std::stoi(argv[1]));
    so.stream = "webhook:{multi}";
    so.consumer = argv[3];
    so.claim_idle = std::chrono::milliseconds(std::stoi(argv[4]));
    so.reconnect_delay = 10ms;
    so.max_reconnect_delay = 100ms;
    std::string why;
    auto spool = webhook::redis_spool::open(so, &why);
    if (!spool) {
        std::cerr << argv[3] << ": cannot open the spool: " << why << "\n";
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
    o.spool_poll_interval = 20ms;
    o.shutdown_timeout = 0ms; // what is held stays pending in Redis for the others
    o.on_outcome = [name = std::string(argv[3])](const webhook::delivery& d) {
        if (!d.ok() && d.status != webhook::delivery_status::abandoned)
            std::cerr << name << ": event " << d.id << " ended " << d.status << ": "
                      << d.error.message() << "\n";
    };
    int status = 0;
    std::uint64_t refusals = 0;
    webhook::dispatcher_counters c;
    {
        webhook::dispatcher d{e, o};
        if (argc == 9) {
            const std::uint64_t from = std::stoull(argv[5]), count = std::stoull(argv[6]);
            // Lines are short and written with one O_APPEND write each: a kill never tears one.
            const int posted = ::open(argv[7], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            const int refused = ::open(argv[8], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            for (std::uint64_t n = from; n < from + count && status == 0; ++n) {
                for (int attempt = 0;; ++attempt) {
                    const auto id = d.post(numbered_event{n, "from " + std::string(argv[3])});
                    if (id) {
                        if (!write_line(posted,
                                        std::string(id->view()) + " " + std::to_string(n) + "\n"))
                            status = 1;
                        break;
                    }
                    ++refusals;
                    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count();
                    write_line(refused, std::to_string(ms) + " " + id.error().message() + "\n");
                    if (attempt == 2000) {
                        std::cerr << argv[3] << ": post " << n
                                  << " refused for good: " << id.error().message() << "; "
                                  << (*spool)->last_error() << "\n";
                        status = 1;
                        break;
                    }
                    std::this_thread::sleep_for(5ms); // Redis is down: try again soon
                }
            }
        } else {
            int sig = 0;
            sigwait(&stop, &sig);
        }
        c = d.counters();
    }
    const auto st = (*spool)->stats();
    std::cout << argv[3] << ": accepted " << c.accepted << " delivered " << c.delivered
              << " failed " << c.failed << " abandoned " << c.abandoned << " refused " << refusals
              << "; spool appends " << st.appends << " reads " << st.reads << " claimed "
              << st.claimed << " replayed " << st.replayed << " acks " << st.acks << " held "
              << st.held << std::endl;
    return status;
}
