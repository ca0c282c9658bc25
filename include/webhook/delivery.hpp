#ifndef WEBHOOK_DELIVERY_HPP
#define WEBHOOK_DELIVERY_HPP

// An event's outcome, at its short path; the header is <webhook/dispatch/delivery.hpp>.
#include <webhook/dispatch/delivery.hpp>

#endif
