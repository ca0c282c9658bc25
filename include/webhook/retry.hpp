#ifndef WEBHOOK_RETRY_HPP
#define WEBHOOK_RETRY_HPP

// The retry policy, at its short path; the header is <webhook/config/retry.hpp>.
#include <webhook/config/retry.hpp>

#endif
