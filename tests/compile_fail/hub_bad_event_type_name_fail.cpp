// An event type name with a space.
#include <webhook/hub/event_type.hpp>

struct event {};
WEBHOOK_EVENT_TYPE(event, "incident updated");

int main() {}
