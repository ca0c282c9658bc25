// Wide characters are not converted silently.
#include <webhook/json/serialize.hpp>

int main() {
    return static_cast<int>(webhook::json::to_string(L'x').size());
}
