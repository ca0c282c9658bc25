// An enum without BOOST_DESCRIBE_ENUM has no names to write.
#include <webhook/json/serialize.hpp>

enum class plain_enum { a, b };

int main() {
    return static_cast<int>(webhook::json::to_string(plain_enum::a).size());
}
