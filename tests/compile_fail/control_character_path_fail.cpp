// A compile-time data location may not contain control characters.
#include <webhook/json/serialize.hpp>

int main() {
    return static_cast<int>(webhook::json::to_string<"root/a\tb">(1).size());
}
