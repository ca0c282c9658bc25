// Two types declared under one event type name and version.
#include <webhook/hub/hub.hpp>

#include <boost/describe.hpp>

struct first {
    int id = 0;
};
BOOST_DESCRIBE_STRUCT(first, (), (id))
struct second {
    int id = 0;
};
BOOST_DESCRIBE_STRUCT(second, (), (id))
WEBHOOK_EVENT_TYPE(first, "incident.updated");
WEBHOOK_EVENT_TYPE(second, "incident.updated");

int main() {
    webhook::hub h;
    h.declare<first, second>();
}
