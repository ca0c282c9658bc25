#ifndef WEBHOOK_CIRCUIT_HPP
#define WEBHOOK_CIRCUIT_HPP

// The circuit breaker's settings and state, at its short path; the header is <webhook/config/circuit.hpp>.
#include <webhook/config/circuit.hpp>

#endif
