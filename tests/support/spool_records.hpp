#ifndef WEBHOOK_TESTS_SUPPORT_SPOOL_RECORDS_HPP
#define WEBHOOK_TESTS_SUPPORT_SPOOL_RECORDS_HPP

// What the tests of the shared spools (Redis, PostgreSQL) share: records whose fields depend on
// a number, their ids, and waiting (bounded) for another process or thread.

#include <webhook/spool/spool.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace webhook::test {

inline webhook::event_id make_id(std::uint64_t n) {
    return webhook::event_id(std::chrono::system_clock::time_point(std::chrono::milliseconds(
                                 1'700'000'000'000 + static_cast<std::int64_t>(n))),
                             n * 7919, n * 104729 + 1);
}

inline spool_record make_record(std::uint64_t n) {
    spool_record r;
    r.id = make_id(n);
    r.endpoint = "https://collector.example.com/{tenant}/events";
    r.created = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(1'700'000'000'000 + static_cast<std::int64_t>(n)));
    r.payload = R"({"n":)" + std::to_string(n) + "}";
    return r;
}

/// Polls (bounded) until `done()`; true if it came.
inline bool wait_for(const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    for (auto until = std::chrono::steady_clock::now() + limit;
         std::chrono::steady_clock::now() < until;) {
        if (done())
            return true;
        std::this_thread::sleep_for(
            std::chrono::milliseconds(2)); // another process (redis) or thread: no clock of ours
    }
    return done();
}

inline std::set<std::string> ids_of(const std::vector<spool_record>& v) {
    std::set<std::string> ids;
    for (const auto& r : v)
        ids.insert(std::string(r.id.view()));
    return ids;
}

} // namespace webhook::test

#endif
