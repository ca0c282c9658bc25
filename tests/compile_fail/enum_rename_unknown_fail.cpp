// A rename of an enumerator must name one of the enum's enumerators.
#include <boost/describe.hpp>
#include <webhook/json/serialize.hpp>

enum class level { low, high };
BOOST_DESCRIBE_ENUM(level, low, high)

template <>
struct webhook::json::wire_names<level> {
    static constexpr rename renames[] = {{"medium", "MEDIUM"}};
};

int main() {
    return static_cast<int>(webhook::json::to_string(level::low).size());
}
