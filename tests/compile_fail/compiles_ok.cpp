// Control case: the compile-fail command line compiles a valid program.
#include <webhook/json/serialize.hpp>

int main() {
    return static_cast<int>(webhook::json::to_string<"root/result">(1).size());
}
