// The demo: incident events as a webhook sender would prepare them. The dispatcher (HTTP
// delivery) is not built yet, so it prints each request it would send.
//
// Usage: webhook_demo [data-location]      (default: root/result)

#include <webhook/json.hpp>

#include <boost/describe.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

namespace demo {

enum class state { new_, in_progress, on_hold, resolved };
BOOST_DESCRIBE_ENUM(state, new_, in_progress, on_hold, resolved)

struct person {
    std::string name;
    std::string email;
};
BOOST_DESCRIBE_STRUCT(person, (), (name, email))

struct incident {
    std::string number;
    std::string short_description;
    int priority;
    state status;
    double impact_score;
    person caller;
    std::vector<std::string> tags;
    std::optional<std::string> resolution_note;
    std::chrono::system_clock::time_point opened_at;
};
BOOST_DESCRIBE_STRUCT(incident, (), (number, short_description, priority, status, impact_score,
                                     caller, tags, resolution_note, opened_at))

} // namespace demo

// The receiver expects camelCase names, one custom field name, and "new" for state::new_.
template <>
struct webhook::json::wire_names<demo::state> {
    static constexpr rename renames[] = {{"new_", "new"}};
};

template <>
struct webhook::json::wire_names<demo::incident> {
    static constexpr auto policy = naming::camel_case;
    static constexpr rename renames[] = {{"impact_score", "u_impact-score"}};
};

int main(int argc, char** argv) try {
    using namespace std::chrono;
    const webhook::data_path location(argc > 1 ? argv[1] : "root/result");
    const auto opened = sys_days{2026y / November / 28} + 21h + 45min;

    demo::incident event{"INC0012", "Disk \"/var\" is full on db-7", 2, demo::state::new_, 0.75,
                         {"Ana Lima", "ana@example.com"}, {"db", "disk", "prod"}, std::nullopt,
                         opened};

    struct request {
        const char* method;
        const char* url;
    };
    const request requests[] = {
        {"POST", "https://itsm.example.com/api/incidents"},
        {"PUT", "https://itsm.example.com/api/incidents/INC0012"},
        {"PATCH", "https://itsm.example.com/api/incidents/INC0012"},
    };

    std::printf("data location: \"%s\"\n\n", std::string(location.text()).c_str());
    std::string body; // one buffer, reused for every message
    boost::system::error_code ec;
    for (const request& r : requests) {
        body.clear();
        webhook::json::write(body, event, location, ec);
        if (ec) {
            std::fprintf(stderr, "cannot serialize: %s\n", ec.message().c_str());
            return 1;
        }
        std::printf("would send: %s %s\n  Content-Type: application/json\n  %s\n\n", r.method,
                    r.url, body.c_str());
        event.status = event.status == demo::state::new_ ? demo::state::in_progress
                                                         : demo::state::resolved;
        event.resolution_note = "Rotated logs";
    }

    // Bad data never reaches the wire: the error names the problem, the buffer is untouched.
    event.short_description = "broken \xFF text";
    webhook::json::write(body, event, location, ec);
    std::printf("invalid UTF-8 in an event -> error: %s\n", ec.message().c_str());
    return ec == webhook::error::invalid_utf8 ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "webhook_demo: %s\n", e.what());
    return 2;
}
