#ifndef WEBHOOK_EVENT_ID_HPP
#define WEBHOOK_EVENT_ID_HPP

// The event id, at its short path; the header is <webhook/spool/event_id.hpp>.
#include <webhook/spool/event_id.hpp>

#endif
