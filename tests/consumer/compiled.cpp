// A consumer program that uses the dispatcher over the built-in transport, built against
// webhook::compiled (WEBHOOK_SEPARATE_COMPILATION): it links only if the library's one
// translation unit supplies what this one no longer compiles. Nothing goes on the network: the
// event is larger than the endpoint's body limit and is refused before any I/O.
#include <webhook/dispatcher.hpp>

#include <boost/describe.hpp>

#include <cstdio>
#include <string>

#if !defined(WEBHOOK_SEPARATE_COMPILATION)
#error "webhook::compiled defines WEBHOOK_SEPARATE_COMPILATION for its users"
#endif

struct incident {
    std::string id;
    int priority;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority))

int main() {
    webhook::endpoint e;
    e.url = "http://127.0.0.1:9/hook";
    e.data_location = webhook::data_path("root/result");
    e.max_body_size = 8;
    webhook::dispatcher d{e};
    const webhook::delivery refused = d.send(incident{"INC001", 2});
    const std::string payload =
        webhook::json::to_string(incident{"INC001", 2}, webhook::data_path("root/result"));
    std::puts(payload.c_str());
    return refused.status == webhook::delivery_status::rejected &&
                   refused.error == webhook::error::request_body_too_large
               ? 0
               : 1;
}
