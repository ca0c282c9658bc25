#ifndef WEBHOOK_REDIS_SPOOL_HPP
#define WEBHOOK_REDIS_SPOOL_HPP

// Moved: the Redis Streams spool now lives in <webhook/spool/redis_spool.hpp>.
#include <webhook/spool/redis_spool.hpp>

#endif
