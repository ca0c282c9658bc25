// A consumer program: built by each of the ways into the library (add_subdirectory,
// find_package, a plain include path). It prints the payload and checks its bytes.
#include <webhook/json.hpp>

#include <boost/describe.hpp>

#include <cstdio>
#include <string>

struct incident {
    std::string id;
    int priority;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))

int main() {
    const std::string payload =
        webhook::json::to_string(incident{"INC001", 2}, webhook::data_path("root/result"));
    std::puts(payload.c_str());
    return payload == R"({"root":{"result":{"id":"INC001","priority":2}}})" ? 0 : 1;
}
