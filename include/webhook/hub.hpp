#ifndef WEBHOOK_HUB_HPP
#define WEBHOOK_HUB_HPP

// The hub, at its short path; the header is <webhook/hub/hub.hpp>.
#include <webhook/hub/hub.hpp>

#endif
