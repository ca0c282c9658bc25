// A rename must name a member of the struct.
#include <boost/describe.hpp>
#include <webhook/json/serialize.hpp>

struct event {
    int id = 0;
};
BOOST_DESCRIBE_STRUCT(event, (), (id))

template <>
struct webhook::json::wire_names<event> {
    static constexpr rename renames[] = {{"identifier", "ID"}};
};

int main() {
    return static_cast<int>(webhook::json::to_string(event{}).size());
}
