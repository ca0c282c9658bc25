#ifndef WEBHOOK_EXAMPLES_INCIDENT_HPP
#define WEBHOOK_EXAMPLES_INCIDENT_HPP

// The event the examples send: an incident update, as an ITSM integration would push it.

#include <boost/describe.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace demo {

enum class state { new_, in_progress, on_hold, resolved };
BOOST_DESCRIBE_ENUM(state, new_, in_progress, on_hold, resolved)

struct person {
    std::string name;
    std::string email;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, email))

struct incident {
    std::string number;
    std::string short_description;
    int priority;
    state status;
    person caller;
    std::vector<std::string> tags;
    std::optional<std::string> resolution_note;
    std::chrono::system_clock::time_point opened_at;
};
BOOST_DESCRIBE_STRUCT(incident, (),
                      (number, short_description, priority, status, caller, tags, resolution_note,
                       opened_at))

inline incident sample_incident() {
    return incident{"INC0010023",
                    "Disk at 95% on db-07",
                    2,
                    state::new_,
                    {"Ada Lovelace", "ada@example.com"},
                    {"database", "storage"},
                    std::nullopt,
                    std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000))};
}

} // namespace demo

#endif
