#ifndef WEBHOOK_TESTS_JSON_SCHEMA_TYPES_HPP
#define WEBHOOK_TESTS_JSON_SCHEMA_TYPES_HPP

// Payload types shared by the schema unit tests and the validation cases. In a named
// namespace because recursive types are named after it in "$defs".

#include <webhook/json/wire_names.hpp>

#include <boost/describe.hpp>

#include "support/event_types.hpp"

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace schema_test {

// Shared with the other tests (tests/support/event_types.hpp).
using event_types::base_event;
using event_types::incident;
using event_types::person;
using event_types::state;
using event_types::with_optionals;

// `medium` is an alias of `normal`: the serializer writes the first name of a value.
enum class level { low = 1, normal = 2, medium = 2, high = 3 };
BOOST_DESCRIBE_ENUM(level, low, normal, medium, high)

struct only_optionals {
    std::optional<bool> flag;
};
BOOST_DESCRIBE_STRUCT(only_optionals, (), (flag))

struct empty {};
BOOST_DESCRIBE_STRUCT(empty, (), ())

struct nested_optional {
    std::optional<std::optional<int>> value;
};
BOOST_DESCRIBE_STRUCT(nested_optional, (), (value))

struct renamed {
    int short_description = 0;
    int userID = 0;
    int custom_field = 0;
};
BOOST_DESCRIBE_STRUCT(renamed, (), (short_description, userID, custom_field))

struct measurement {
    double value = 0;
};
BOOST_DESCRIBE_STRUCT(measurement, (), (value))

struct ordered {
    int key = 0;
    bool operator<(const ordered& other) const { return key < other.key; }
};
BOOST_DESCRIBE_STRUCT(ordered, (), (key))

// Recursive types.

struct node {
    std::string name;
    std::vector<node> children;
};
BOOST_DESCRIBE_STRUCT(node, (), (name, children))

struct outline {
    std::string title;
    node root;
    std::optional<node> appendix;
};
BOOST_DESCRIBE_STRUCT(outline, (), (title, root, appendix))

struct entry;
struct folder {
    std::string name;
    std::vector<entry> entries;
};
struct entry {
    std::string name;
    std::vector<folder> subfolders;
};
BOOST_DESCRIBE_STRUCT(folder, (), (name, entries))
BOOST_DESCRIBE_STRUCT(entry, (), (name, subfolders))

struct expression {
    std::string op;
    std::vector<std::variant<int, std::optional<expression>>> operands;
};
BOOST_DESCRIBE_STRUCT(expression, (), (op, operands))

// Not described: a range of itself, written as nested arrays.
struct nested_list : std::vector<nested_list> {};

template <class T>
struct tree {
    T value{};
    std::map<std::string, tree> children;
};
BOOST_DESCRIBE_STRUCT(tree<int>, (), (value, children))

// `chain<int>` and `chain_int_` have the same sanitized name.
template <class T>
struct chain {
    std::vector<chain> more;
};
BOOST_DESCRIBE_STRUCT(chain<int>, (), (more))

struct chain_int_ {
    std::vector<chain_int_> more;
};
BOOST_DESCRIBE_STRUCT(chain_int_, (), (more))

struct two_chains {
    chain<int> first;
    chain_int_ second;
};
BOOST_DESCRIBE_STRUCT(two_chains, (), (first, second))

} // namespace schema_test

template <>
struct webhook::json::wire_names<schema_test::renamed> {
    static constexpr auto policy = webhook::json::naming::camel_case;
    static constexpr webhook::json::rename renames[] = {{"custom_field", "u_custom-field"}};
};

#endif
