// A pointer member has no JSON form: the error names the member's type.
#include <boost/describe.hpp>
#include <webhook/json/serialize.hpp>

struct event {
    int* pointer = nullptr;
};
BOOST_DESCRIBE_STRUCT(event, (), (pointer))

int main() {
    return static_cast<int>(webhook::json::to_string(event{}).size());
}
