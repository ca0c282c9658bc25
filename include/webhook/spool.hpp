#ifndef WEBHOOK_SPOOL_HPP
#define WEBHOOK_SPOOL_HPP

// Moved: the spool concept now lives in <webhook/spool/spool.hpp>.
#include <webhook/spool/spool.hpp>

#endif
