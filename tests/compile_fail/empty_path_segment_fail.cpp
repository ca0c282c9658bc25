// A compile-time data location is checked by the compiler.
#include <webhook/json/serialize.hpp>

int main() {
    return static_cast<int>(webhook::json::to_string<"root//result">(1).size());
}
