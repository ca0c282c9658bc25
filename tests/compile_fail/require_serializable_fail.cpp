// An entry point outside the JSON part (the dispatcher's send, post, bind) checks its event
// with require_serializable: the user reads the JSON part's one error, and nothing else.
#include <webhook/json/serialize.hpp>

#include <string>

struct plain_struct {
    int id = 0;
};

template <class Event>
std::size_t send(const Event& event) {
    if constexpr (webhook::json::require_serializable<Event>()) {
        return webhook::json::to_string(event).size();
    } else {
        return 0;
    }
}

int main() {
    return static_cast<int>(send(plain_struct{}));
}
