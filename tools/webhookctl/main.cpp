// webhookctl: the operations CLI of the webhook library (docs/webhookctl.md).
// Exit codes: 0 done, 1 failed, 2 a mistake on the command line.

#include "commands.hpp"

#include <webhook/version.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace webhookctl;

constexpr std::string_view addresses_help = R"(Spool addresses:
  file:<dir>                  a file_spool directory (a plain path works too); the
                              dispatcher that uses it must be stopped (it locks it)
  redis://[user[:password]@]host[:port]/<stream>[?db=N&group=G]
                              a redis_spool stream (password also from REDISCLI_AUTH);
                              read in its own consumer group, "webhookctl" by default
  postgresql://<libpq URI>?destination=D[&table=T&schema=S&dead]
                              a postgres_spool destination (password from PGPASSWORD);
                              "dead" names its dead letters' table
)";

struct command {
    std::string_view name;
    std::string_view summary;
    std::string_view help; // usage and options
    option_spec options;
    int (*run)(const arguments&);
};

const std::vector<command>& commands() {
    static const std::vector<command> table{
        {"backlog",
         "count a spool's pending records and its dead letters",
         R"(usage: webhookctl backlog [--spool <address>] [--dead-letters <address>]

Prints, for each spool given, how many records it holds and when the oldest was created.
)",
         {{"--spool", "--dead-letters"}, {}, {}},
         backlog_command},
        {"list",
         "one line per record: id, created, size, last status, endpoint, error",
         R"(usage: webhookctl list --spool <address> [--limit N]

Lists the records of a spool (a delivery spool or dead letters) in order, at most N
(default 100).
)",
         {{"--spool", "--limit"}, {}, {}},
         list_command},
        {"show",
         "one record as JSON",
         R"(usage: webhookctl show --spool <address> <id>

Prints the record with that event id as a JSON object: id, sequence, created, endpoint,
target, headers, last_status, last_error, and the payload (as JSON when it parses, else as
the string payload_text).
)",
         {{"--spool"}, {}, {}},
         show_command},
        {"requeue",
         "move dead letters back into the delivery spool, with their ids",
         R"(usage: webhookctl requeue --dead-letters <address> --spool <address> (--all | <id>...)

Appends each dead letter to the delivery spool with its original id (its age starts again),
then removes it from the dead letters: if interrupted in between, a letter is in both (sent
again if requeued again), never in neither. Shows a progress bar on a terminal and ends with
a summary line.
)",
         {{"--dead-letters", "--spool"}, {"--all"}, {}},
         requeue_command},
        {"purge",
         "delete records from a spool for good (needs --yes)",
         R"(usage: webhookctl purge --spool <address> (--all | <id>...) --yes

Acknowledges the records, which deletes them: they are never delivered. Without --yes,
only says how many it would delete (exit code 2).
)",
         {{"--spool"}, {"--all", "--yes"}, {}},
         purge_command},
        {"send",
         "send a test event from a JSON file to a configured endpoint",
         R"(usage: webhookctl send --endpoint <endpoint.json> --event <event.json>

Loads the endpoint configuration (docs/configuration.md), sends the JSON document of the
event file as one event (under the endpoint's data location, with its retries, signing and
authentication) and prints the outcome and every attempt. Exit code 0 only when delivered.
)",
         {{"--endpoint", "--event"}, {}, {}},
         send_command},
        {"metrics",
         "print the metrics of a running dispatcher's listener",
         R"(usage: webhookctl metrics --url http://127.0.0.1:<port>/metrics [--filter <text>] [--timeout <ms>]

GETs the listener's Prometheus text and prints it; with --filter, only the lines that
contain the text. --timeout bounds the whole exchange (default 5000 ms).
)",
         {{"--url", "--filter", "--timeout"}, {}, {}},
         metrics_command},
    };
    return table;
}

void print_usage(std::ostream& os) {
    os << "usage: webhookctl <command> [options]   (webhookctl <command> --help)\n\n"
          "Commands:\n";
    for (const auto& c : commands()) {
        os << "  " << c.name << std::string(10 - c.name.size(), ' ') << c.summary << '\n';
    }
    os << '\n' << addresses_help << "\nExit codes: 0 done, 1 failed, 2 usage error.\n";
}

bool wants_help(const std::vector<std::string>& args) {
    for (const auto& a : args) {
        if (a == "--")
            return false;
        if (a == "--help" || a == "-h")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> all(argv + 1, argv + argc);
    if (all.empty()) {
        print_usage(std::cerr);
        return 2;
    }
    const std::string& name = all.front();
    if (name == "--help" || name == "-h" || name == "help") {
        print_usage(std::cout);
        return 0;
    }
    if (name == "--version") {
        std::cout << "webhookctl " << WEBHOOK_VERSION_STRING << '\n';
        return 0;
    }
    const command* found = nullptr;
    for (const auto& c : commands()) {
        if (c.name == name)
            found = &c;
    }
    if (!found) {
        std::cerr << "webhookctl: unknown command '" << name << "' (webhookctl --help)\n";
        return 2;
    }
    const std::vector<std::string> rest(all.begin() + 1, all.end());
    if (wants_help(rest)) {
        std::cout << found->help;
        if (found->name != "send" && found->name != "metrics")
            std::cout << '\n' << addresses_help;
        return 0;
    }
    try {
        return found->run(arguments(rest, found->options));
    } catch (const usage_error& e) {
        std::cerr << "webhookctl " << found->name << ": " << e.what() << '\n'
                  << "(webhookctl " << found->name << " --help)\n";
        return 2;
    } catch (const failure& e) {
        std::cerr << "webhookctl " << found->name << ": " << e.what() << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "webhookctl " << found->name << ": " << e.what() << '\n';
        return 1;
    }
}
