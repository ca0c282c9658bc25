#ifndef WEBHOOK_DISPATCHER_HPP
#define WEBHOOK_DISPATCHER_HPP

// The dispatcher, at its short path; the header is <webhook/dispatch/dispatcher.hpp>.
#include <webhook/dispatch/dispatcher.hpp>

#endif
