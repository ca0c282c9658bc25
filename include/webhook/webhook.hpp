#ifndef WEBHOOK_WEBHOOK_HPP
#define WEBHOOK_WEBHOOK_HPP

/// Everything the library offers, in one include.

#include <webhook/json.hpp>
#include <webhook/version.hpp>

#endif
