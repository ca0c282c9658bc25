// A map whose key is a struct cannot be a JSON object.
#include <boost/describe.hpp>
#include <map>
#include <webhook/json/serialize.hpp>

struct key {
    int id = 0;
    bool operator<(const key& o) const { return id < o.id; }
};
BOOST_DESCRIBE_STRUCT(key, (), (id))

int main() {
    return static_cast<int>(webhook::json::to_string(std::map<key, int>{}).size());
}
