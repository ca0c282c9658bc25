#ifndef WEBHOOK_TESTS_TOOLS_SAMPLE_RECORDS_HPP
#define WEBHOOK_TESTS_TOOLS_SAMPLE_RECORDS_HPP

// Spool records with fixed ids and creation times (1 March 2025, noon plus an offset), for the
// webhookctl tests to put in a spool and find again in the CLI's output.

#include <webhook/spool/spool.hpp>

#include <chrono>
#include <string>
#include <utility>

namespace webhook::test {

inline webhook::event_id id(const char* text) {
    return webhook::event_id::parse(text).value();
}

inline std::chrono::system_clock::time_point at(std::chrono::milliseconds since_noon) {
    using namespace std::chrono;
    return sys_days{year{2025} / 3 / 1} + hours(12) + since_noon;
}

/// A pending event to https://hooks.example.com/orders.
inline webhook::spool_record record(const char* event_id, std::chrono::milliseconds created,
                                    std::string payload, std::string headers = {}) {
    webhook::spool_record r;
    r.id = id(event_id);
    r.endpoint = "https://hooks.example.com/orders";
    r.created = at(created);
    r.payload = std::move(payload);
    r.headers = std::move(headers);
    return r;
}

/// A dead letter: an event to /orders/refunds that failed with `status` and `error`.
inline webhook::spool_record letter(const char* event_id, std::chrono::milliseconds created,
                                    std::string payload, int status, std::string error) {
    webhook::spool_record r = record(event_id, created, std::move(payload));
    r.target = "/orders/refunds";
    r.last_status = status;
    r.last_error = std::move(error);
    return r;
}

} // namespace webhook::test

#endif
