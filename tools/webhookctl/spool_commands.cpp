// backlog, list, show, requeue, purge: what an operator does with a spool and its dead letters.

#include "commands.hpp"
#include "output.hpp"
#include "spools.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace webhookctl {
namespace {

using clock = std::chrono::system_clock;

webhook::event_id parse_id(const std::string& text) {
    const auto id = webhook::event_id::parse(text);
    if (!id)
        throw usage_error("'" + text +
                          "' is not an event id (26 characters of Crockford base32, such as "
                          "01JQ3V6Z8X9T4N2M7K5R1P0ABC)");
    return *id;
}

/// The ids named on the command line, or none for `--all`; one of the two is required.
std::optional<std::vector<webhook::event_id>> selection(const arguments& args) {
    const bool all = args.flag("--all");
    if (all && !args.operands().empty())
        throw usage_error("give either --all or ids, not both");
    if (all)
        return std::nullopt;
    if (args.operands().empty())
        throw usage_error("give --all or at least one event id");
    std::vector<webhook::event_id> ids;
    for (const auto& text : args.operands())
        ids.push_back(parse_id(text));
    return ids;
}

struct selected {
    std::vector<webhook::spool_record> records;
    std::vector<webhook::event_id> missing; // named but not found, in the order given
};

selected select_records(const opened_spool& s,
                        const std::optional<std::vector<webhook::event_id>>& ids) {
    selected out;
    std::vector<bool> found(ids ? ids->size() : 0, false);
    for_each_record(s, [&](const webhook::spool_record& r) {
        if (!ids) {
            out.records.push_back(r);
            return true;
        }
        bool wanted = false;
        for (std::size_t i = 0; i < ids->size(); ++i) {
            if ((*ids)[i] == r.id) {
                wanted = wanted || !found[i];
                found[i] = true;
            }
        }
        if (wanted)
            out.records.push_back(r);
        return true;
    });
    for (std::size_t i = 0; i < found.size(); ++i) {
        if (!found[i])
            out.missing.push_back((*ids)[i]);
    }
    return out;
}

int report_missing(const selected& s, const opened_spool& where) {
    for (const auto& id : s.missing)
        std::cerr << "webhookctl: no record with id " << id << " in " << where.name << '\n';
    return s.missing.empty() ? 0 : 1;
}

opened_spool open_option(const arguments& args, const char* option) {
    return open_spool(parse_spool_address(args.required(option), option));
}

std::string backlog_line(const opened_spool& s, const char* one, const char* many) {
    std::size_t count = 0;
    std::optional<clock::time_point> oldest;
    for_each_record(s, [&](const webhook::spool_record& r) {
        ++count;
        if (!oldest || r.created < *oldest)
            oldest = r.created;
        return true;
    });
    std::string line = s.name + ": " + std::to_string(count) + " " + (count == 1 ? one : many);
    if (oldest)
        line += ", oldest created " + format_time(*oldest) + " (" +
                format_age(
                    std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - *oldest)) +
                " ago)";
    return line;
}

std::string status_text(int status) {
    return status == 0 ? "-" : std::to_string(status);
}

} // namespace

int backlog_command(const arguments& args) {
    if (!args.operands().empty())
        throw usage_error("unexpected argument '" + args.operands().front() + "'");
    if (!args.value("--spool") && !args.value("--dead-letters"))
        throw usage_error("give --spool, --dead-letters, or both");
    if (args.value("--spool"))
        std::cout << backlog_line(open_option(args, "--spool"), "pending", "pending") << '\n';
    if (args.value("--dead-letters"))
        std::cout << backlog_line(open_option(args, "--dead-letters"), "dead letter",
                                  "dead letters")
                  << '\n';
    return 0;
}

int list_command(const arguments& args) {
    if (!args.operands().empty())
        throw usage_error("unexpected argument '" + args.operands().front() + "'");
    std::size_t limit = 100;
    if (const auto text = args.value("--limit")) {
        const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
        if (ec != std::errc{} || end != text->data() + text->size() || limit == 0)
            throw usage_error("option '--limit': '" + *text + "' is not a positive number");
    }
    const opened_spool s = open_option(args, "--spool");
    std::size_t count = 0;
    std::cout << std::left << std::setw(26) << "ID"
              << "  " << std::setw(24) << "CREATED"
              << "  " << std::right << std::setw(9) << "SIZE"
              << "  " << std::left << std::setw(6) << "STATUS"
              << "  "
              << "ENDPOINT"
              << "  "
              << "ERROR" << '\n';
    for_each_record(s, [&](const webhook::spool_record& r) {
        if (++count <= limit)
            std::cout << std::left << std::setw(26) << r.id << "  " << std::setw(24)
                      << format_time(r.created) << "  " << std::right << std::setw(9)
                      << (std::to_string(r.payload.size()) + " B") << "  " << std::left
                      << std::setw(6) << status_text(r.last_status) << "  " << r.endpoint
                      << (r.target.empty() ? "" : " target=" + r.target)
                      << (r.last_error.empty() ? "" : "  " + r.last_error) << '\n';
        return true;
    });
    std::cout << std::right;
    if (count > limit)
        std::cout << "(" << limit << " of " << count << " shown; --limit to see more)\n";
    else
        std::cout << "(" << count << (count == 1 ? " record" : " records") << ")\n";
    return 0;
}

int show_command(const arguments& args) {
    if (args.operands().size() != 1)
        throw usage_error(args.operands().empty()
                              ? "give the id of the record to show"
                              : "give one id only (unexpected '" + args.operands()[1] + "')");
    const webhook::event_id id = parse_id(args.operands().front());
    const opened_spool s = open_option(args, "--spool");
    std::optional<webhook::spool_record> found;
    for_each_record(s, [&](const webhook::spool_record& r) {
        if (r.id == id)
            found = r;
        return !found;
    });
    if (!found) {
        std::cerr << "webhookctl: no record with id " << id << " in " << s.name << '\n';
        return 1;
    }
    pretty_print(std::cout, record_json(*found));
    return 0;
}

int requeue_command(const arguments& args) {
    const auto ids = selection(args);
    const std::string from_text = args.required("--dead-letters");
    const std::string to_text = args.required("--spool");
    if (from_text == to_text)
        throw usage_error("--dead-letters and --spool name the same spool");
    const opened_spool dead = open_option(args, "--dead-letters");
    const opened_spool spool = open_option(args, "--spool");
    const auto start = std::chrono::steady_clock::now();
    const selected letters = select_records(dead, ids);

    std::size_t done = 0;
    int code = 0;
    {
        progress_bar bar("requeueing", letters.records.size());
        for (const auto& letter : letters.records) {
            // As basic_dispatcher::requeue: appended first, then acknowledged in the dead
            // letters, so that an interruption in between leaves a duplicate, never a loss.
            // The event keeps its id; its age starts again.
            webhook::spool_record r = letter;
            r.created = clock::now();
            r.last_status = 0;
            r.last_error.clear();
            if (const auto appended = spool.spool.append(r); !appended) {
                bar.finish();
                std::cerr << "webhookctl: " << letter.id << ": appending to " << spool.name
                          << " failed: " << appended.error().message();
                if (spool.last_error)
                    std::cerr << " (" << spool.last_error() << ")";
                std::cerr << "; stopped\n";
                code = 1;
                break;
            }
            if (const auto ec = dead.spool.ack(letter.sequence)) {
                bar.finish();
                std::cerr << "webhookctl: " << letter.id << ": requeued, but removing it from "
                          << dead.name << " failed: " << ec.message()
                          << " (it will be sent again if requeued again); stopped\n";
                ++done;
                code = 1;
                break;
            }
            bar.update(++done);
        }
    }
    std::cout << "requeued " << done << " of " << letters.records.size() << " in "
              << format_seconds(std::chrono::steady_clock::now() - start) << '\n';
    return std::max(code, report_missing(letters, dead));
}

int purge_command(const arguments& args) {
    const auto ids = selection(args);
    const opened_spool s = open_option(args, "--spool");
    const auto start = std::chrono::steady_clock::now();
    const selected records = select_records(s, ids);
    if (!args.flag("--yes")) {
        std::cerr << "webhookctl: purge would delete " << records.records.size()
                  << (records.records.size() == 1 ? " record" : " records") << " from " << s.name
                  << " for good; add --yes to do it\n";
        report_missing(records, s);
        return 2;
    }
    std::size_t done = 0;
    int code = 0;
    {
        progress_bar bar("purging", records.records.size());
        for (const auto& r : records.records) {
            if (const auto ec = s.spool.ack(r.sequence)) {
                bar.finish();
                std::cerr << "webhookctl: " << r.id << ": deleting failed: " << ec.message()
                          << "; stopped\n";
                code = 1;
                break;
            }
            bar.update(++done);
        }
    }
    std::cout << "purged " << done << " of " << records.records.size() << " in "
              << format_seconds(std::chrono::steady_clock::now() - start) << '\n';
    return std::max(code, report_missing(records, s));
}

} // namespace webhookctl
