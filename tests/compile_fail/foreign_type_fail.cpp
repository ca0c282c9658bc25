// A type with neither a description nor a webhook::json::adapter cannot be written: the error
// names it and says how to make it writable.
#include <boost/describe.hpp>
#include <webhook/json/serialize.hpp>

namespace vendor {
struct uuid {
    unsigned char bytes[16] = {};
};
} // namespace vendor

struct event {
    int id = 0;
    vendor::uuid correlation;
};
BOOST_DESCRIBE_STRUCT(event, (), (id, correlation))

int main() {
    return static_cast<int>(webhook::json::to_string(event{}).size());
}
