#include <webhook/json/wire_names.hpp>

#define BOOST_TEST_MODULE json_wire_names
#include <boost/test/unit_test.hpp>

#include <webhook/json/serialize.hpp>

#include <boost/describe.hpp>

#include <string>

namespace test {

struct names {
    int short_description = 1;
    int userID = 2;
    int id_ = 3;
    int HTTPCode = 4;
    int address2_line = 5;
};
BOOST_DESCRIBE_STRUCT(names, (), (short_description, userID, id_, HTTPCode, address2_line))

struct as_camel : names {};
BOOST_DESCRIBE_STRUCT(as_camel, (names), ())
struct as_pascal : names {};
BOOST_DESCRIBE_STRUCT(as_pascal, (names), ())
struct as_snake : names {};
BOOST_DESCRIBE_STRUCT(as_snake, (names), ())
struct as_kebab : names {};
BOOST_DESCRIBE_STRUCT(as_kebab, (names), ())

struct ticket {
    std::string short_description = "disk";
    std::string custom = "x";
    int quote = 1;
};
BOOST_DESCRIBE_STRUCT(ticket, (), (short_description, custom, quote))

class account {
public:
    explicit account(int id) : id_(id) {}

private:
    int id_;
    std::string owner_ = "ops";
    BOOST_DESCRIBE_CLASS(account, (), (), (), (id_, owner_))
};

} // namespace test

template <>
struct webhook::json::wire_names<test::as_camel> {
    static constexpr auto policy = naming::camel_case;
};
template <>
struct webhook::json::wire_names<test::as_pascal> {
    static constexpr auto policy = naming::pascal_case;
};
template <>
struct webhook::json::wire_names<test::as_snake> {
    static constexpr auto policy = naming::snake_case;
};
template <>
struct webhook::json::wire_names<test::as_kebab> {
    static constexpr auto policy = naming::kebab_case;
};
template <>
struct webhook::json::wire_names<test::ticket> {
    static constexpr auto policy = naming::camel_case;
    static constexpr rename renames[] = {
        {"custom", "u_custom-field"},
        {"quote", "a \"quoted\" name"},
    };
};
template <>
struct webhook::json::wire_names<test::account> {
    static constexpr auto policy = naming::snake_case;
};

using webhook::json::to_string;

BOOST_AUTO_TEST_CASE(as_is_is_the_default) {
    BOOST_TEST(to_string(test::names{}) ==
               R"({"short_description":1,"userID":2,"id_":3,"HTTPCode":4,"address2_line":5})");
}

BOOST_AUTO_TEST_CASE(camel_case_policy) {
    BOOST_TEST(to_string(test::as_camel{}) ==
               R"({"shortDescription":1,"userId":2,"id":3,"httpCode":4,"address2Line":5})");
}

BOOST_AUTO_TEST_CASE(pascal_case_policy) {
    BOOST_TEST(to_string(test::as_pascal{}) ==
               R"({"ShortDescription":1,"UserId":2,"Id":3,"HttpCode":4,"Address2Line":5})");
}

BOOST_AUTO_TEST_CASE(snake_case_policy) {
    BOOST_TEST(to_string(test::as_snake{}) ==
               R"({"short_description":1,"user_id":2,"id":3,"http_code":4,"address2_line":5})");
}

BOOST_AUTO_TEST_CASE(kebab_case_policy) {
    BOOST_TEST(to_string(test::as_kebab{}) ==
               R"({"short-description":1,"user-id":2,"id":3,"http-code":4,"address2-line":5})");
}

BOOST_AUTO_TEST_CASE(explicit_rename_wins_over_policy_and_is_escaped) {
    BOOST_TEST(to_string(test::ticket{}) ==
               R"({"shortDescription":"disk","u_custom-field":"x","a \"quoted\" name":1})");
}

BOOST_AUTO_TEST_CASE(private_members_of_a_described_class_are_written) {
    BOOST_TEST(to_string(test::account{7}) == R"({"id":7,"owner":"ops"})");
}

BOOST_AUTO_TEST_CASE(policy_applies_to_the_struct_it_is_declared_for_only) {
    // as_camel inherits from names: the derived struct's policy names the inherited members.
    BOOST_TEST(to_string(test::names{}).find("short_description") != std::string::npos);
    BOOST_TEST(to_string(test::as_camel{}).find("short_description") == std::string::npos);
}

namespace test {
enum class state { new_, in_progress, onHold };
BOOST_DESCRIBE_ENUM(state, new_, in_progress, onHold)
enum class color { red, green };
BOOST_DESCRIBE_ENUM(color, red, green)
} // namespace test

template <>
struct webhook::json::wire_names<test::state> {
    static constexpr auto policy = naming::pascal_case;
    static constexpr rename renames[] = {{"new_", "New \"one\""}};
};

BOOST_AUTO_TEST_CASE(enumerators_are_renamed_by_the_same_trait) {
    BOOST_TEST(to_string(test::state::new_) == R"("New \"one\"")");
    BOOST_TEST(to_string(test::state::in_progress) == R"("InProgress")");
    BOOST_TEST(to_string(test::state::onHold) == R"("OnHold")");
    BOOST_TEST(to_string(test::color::green) == R"("green")");
}
