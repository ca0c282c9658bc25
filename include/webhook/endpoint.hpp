#ifndef WEBHOOK_ENDPOINT_HPP
#define WEBHOOK_ENDPOINT_HPP

// An endpoint's configuration, at its short path; the header is <webhook/config/endpoint.hpp>.
#include <webhook/config/endpoint.hpp>

#endif
