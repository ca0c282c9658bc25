// A struct without BOOST_DESCRIBE_STRUCT has no members to write.
#include <webhook/json/serialize.hpp>

struct plain_struct {
    int id = 0;
};

int main() {
    return static_cast<int>(webhook::json::to_string(plain_struct{}).size());
}
