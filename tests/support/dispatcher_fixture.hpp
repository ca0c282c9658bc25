#ifndef WEBHOOK_TESTS_SUPPORT_DISPATCHER_FIXTURE_HPP
#define WEBHOOK_TESTS_SUPPORT_DISPATCHER_FIXTURE_HPP

// What the dispatcher tests share: the incident event, an endpoint for it, a dispatcher over
// the scripted transport and the manual clock, and a log of reported outcomes.

#include <webhook/dispatcher.hpp>

#include "scripted_transport.hpp"

#include <boost/describe.hpp>
#include <boost/test/unit_test.hpp> // after the test file's BOOST_TEST_MODULE

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace webhook::test {

using namespace std::chrono_literals;

struct incident {
    std::string id;
    int priority = 0;
    std::string state;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state))

using test_dispatcher = webhook::basic_dispatcher<scripted_transport, manual_timer>;

const incident inc001{"INC001", 2, "new"};
const std::string inc001_body = R"({"root":{"result":{"id":"INC001","priority":2,"state":"new"}}})";

inline webhook::endpoint make_endpoint() {
    webhook::endpoint e;
    e.url = "https://receiver.test/api/hook?x=1";
    e.data_location = webhook::data_path("root/result");
    e.authentication = webhook::basic_auth{"svc-user", "s3cret"};
    e.retry = webhook::retry_policy::fixed_schedule({1s, 2s, 4s});
    return e;
}

/// Collects the outcomes reported through `on_outcome`.
struct outcome_log {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<webhook::delivery> seen;

    webhook::dispatcher_options options() {
        webhook::dispatcher_options o;
        o.on_outcome = [this](const webhook::delivery& d) {
            std::lock_guard lock(mutex);
            seen.push_back(d);
            changed.notify_all();
        };
        return o;
    }
    bool wait_for(std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 10s, [&] { return seen.size() >= n; });
    }
    std::vector<webhook::delivery> all() {
        std::lock_guard lock(mutex);
        return seen;
    }
};

inline std::string header(const webhook::http_request& r, std::string_view name) {
    const auto it = r.find(name);
    return it == r.end() ? std::string("<none>") : std::string(it->value());
}

/// Moves the manual clock by `d` once the dispatcher has handled `n` answers.
inline void advance_after(script& s, std::size_t n, manual_clock::duration d) {
    BOOST_REQUIRE(s.wait_for_answers(n));
    manual_clock::advance(d);
}

} // namespace webhook::test

#endif
