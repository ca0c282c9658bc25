// A hub publishes only events with an event type: one without is one error, naming the fix.
#include <webhook/hub/hub.hpp>

#include <boost/describe.hpp>

struct unnamed {
    int id = 0;
};
BOOST_DESCRIBE_STRUCT(unnamed, (), (id))

int main() {
    webhook::hub h;
    (void)h.publish(unnamed{});
}
