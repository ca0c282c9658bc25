// The demo: the library's main job, end to end, on this machine only. A webhook receiver runs
// in this process on 127.0.0.1; incident updates are sent to it with POST, PUT and PATCH under
// the data location, with Basic authentication; the receiver refuses one request with 503, and
// the dispatcher retries it. Then a delivery summary.
//
// Usage: webhook_demo [data-location]      (default: root/result)

#include "incident.hpp"
#include "loopback_receiver.hpp"

#include <webhook/dispatcher.hpp>

#include <chrono>
#include <exception>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace http = boost::beast::http;

namespace {

webhook::endpoint endpoint_for(const demo::loopback_receiver& receiver, http::verb method,
                               std::string_view path, const webhook::data_path& where) {
    webhook::endpoint e;
    e.url = receiver.url(path);
    e.method = method;
    e.data_location = where;
    e.authentication = webhook::basic_auth{"demo-user", "demo-password"};
    e.retry = webhook::retry_policy::fixed_schedule({200ms, 1s}); // quick, for a demo
    return e;
}

void print(const char* what, const webhook::delivery& d) {
    std::cout << what << ": " << d.status << " (HTTP " << d.http_status << ") after "
              << d.attempts.size() << " attempt(s), "
              << std::chrono::duration_cast<std::chrono::milliseconds>(d.total_time).count()
              << " ms, id " << d.id;
    if (d.error && !d.ok())
        std::cout << ", error: " << d.error.message();
    std::cout << '\n';
    for (std::size_t i = 0; i < d.attempts.size(); ++i) {
        const auto& a = d.attempts[i];
        std::cout << "    attempt " << i + 1 << ": "
                  << (a.error ? a.error.message() : "HTTP " + std::to_string(a.status));
        if (a.retry_delay.count() > 0)
            std::cout << ", retried after " << a.retry_delay.count() << " ms";
        std::cout << '\n';
    }
}

} // namespace

int main(int argc, char** argv) try {
    const webhook::data_path where(argc > 1 ? argv[1] : "root/result");
    demo::loopback_receiver receiver;
    std::cout << "receiver listening at " << receiver.url("/") << ", data location \""
              << where.text() << "\"\n\n";

    demo::incident inc = demo::sample_incident();
    std::vector<webhook::delivery> outcomes;

    // 1. A new incident: POST, blocking until the receiver has it.
    std::cout << "POST a new incident (blocking send)\n";
    webhook::dispatcher create{endpoint_for(receiver, http::verb::post, "/api/incidents", where)};
    outcomes.push_back(create.send(inc));
    print("  outcome", outcomes.back());

    // 2. The whole record replaced: PUT to the incident's own URL, filled from the event. The
    //    receiver answers 503 once; the dispatcher retries with the same webhook-id.
    std::cout << "\nPUT the updated incident (the receiver answers 503 once)\n";
    receiver.answer_next_with(503);
    webhook::dispatcher replace{
        endpoint_for(receiver, http::verb::put, "/api/incidents/{number}", where)};
    inc.status = demo::state::in_progress;
    inc.tags.push_back("escalated");
    outcomes.push_back(replace.send(inc));
    print("  outcome", outcomes.back());

    // 3. Fire and forget: PATCH updates posted to a queue, outcomes to a callback.
    std::cout << "\nPATCH two updates (post: queued, delivered in the background)\n";
    std::mutex mutex;
    webhook::dispatcher_options options;
    options.on_outcome = [&](const webhook::delivery& d) {
        std::lock_guard lock(mutex);
        outcomes.push_back(d);
        print("  outcome", d);
    };
    {
        auto ep = endpoint_for(receiver, http::verb::patch, "/api/incidents/{number}", where);
        ep.ordered = true; // the second update must not overtake the first
        webhook::dispatcher update{ep, options};
        inc.status = demo::state::on_hold;
        update.post(inc).value();
        inc.status = demo::state::resolved;
        inc.resolution_note = "Old snapshots removed";
        update.post(inc).value();
        if (!update.flush(10s))
            std::cout << "  (not everything settled within 10 s)\n";
        const auto c = update.counters();
        std::cout << "  counters: accepted " << c.accepted << ", delivered " << c.delivered
                  << ", failed " << c.failed << ", retried attempts " << c.retried_attempts << '\n';
    }

    std::size_t delivered = 0, attempts = 0;
    for (const auto& d : outcomes) {
        delivered += d.ok();
        attempts += d.attempts.size();
    }
    std::cout << "\nsummary: " << delivered << " of " << outcomes.size() << " events delivered in "
              << attempts << " requests\n";
    return delivered == outcomes.size() ? 0 : 1;
} catch (const std::exception& e) {
    std::cerr << "webhook_demo: " << e.what() << '\n';
    return 1;
}
