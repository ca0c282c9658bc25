#ifndef WEBHOOK_TESTS_JSON_SCHEMA_TYPES_HPP
#define WEBHOOK_TESTS_JSON_SCHEMA_TYPES_HPP

// Payload types shared by the schema unit tests and the validation cases. In a named
// namespace because recursive types are named after it in "$defs".

#include <webhook/json/wire_names.hpp>

#include <boost/describe.hpp>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace schema_test {

enum class state { open, in_progress, closed };
BOOST_DESCRIBE_ENUM(state, open, in_progress, closed)

// `medium` is an alias of `normal`: the serializer writes the first name of a value.
enum class level { low = 1, normal = 2, medium = 2, high = 3 };
BOOST_DESCRIBE_ENUM(level, low, normal, medium, high)

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
