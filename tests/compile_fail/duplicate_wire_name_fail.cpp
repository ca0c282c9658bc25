// Two members may not share a wire name.
#include <boost/describe.hpp>
#include <webhook/json/serialize.hpp>

struct event {
    int user_id = 0;
    int userId = 0;
};
BOOST_DESCRIBE_STRUCT(event, (), (user_id, userId))

template <>
struct webhook::json::wire_names<event> {
    static constexpr auto policy = naming::camel_case;
};

int main() {
    return static_cast<int>(webhook::json::to_string(event{}).size());
}
