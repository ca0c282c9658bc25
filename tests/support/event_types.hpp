#ifndef WEBHOOK_TESTS_SUPPORT_EVENT_TYPES_HPP
#define WEBHOOK_TESTS_SUPPORT_EVENT_TYPES_HPP

// Described types that several test programs serialize: one definition for all of them.

#include <boost/describe.hpp>

#include <optional>
#include <string>
#include <vector>

namespace event_types {

enum class state { open, in_progress, closed };
BOOST_DESCRIBE_ENUM(state, open, in_progress, closed)

struct person {
    std::string name;
    int age = 0;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, age))

struct base_event {
    std::string id;
};
BOOST_DESCRIBE_STRUCT(base_event, (), (id))

struct incident : base_event {
    int priority = 0;
    state status = state::open;
    person caller;
    std::vector<std::string> tags;
};
BOOST_DESCRIBE_STRUCT(incident, (base_event), (priority, status, caller, tags))

struct with_optionals {
    std::optional<int> first;
    int middle = 1;
    std::optional<std::string> last;
};
BOOST_DESCRIBE_STRUCT(with_optionals, (), (first, middle, last))

} // namespace event_types

#endif
