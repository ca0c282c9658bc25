#ifndef WEBHOOK_VERSION_HPP
#define WEBHOOK_VERSION_HPP

/// Library version as major * 10000 + minor * 100 + patch.
#define WEBHOOK_VERSION 100
/// Library version as text, also sent in the default `User-Agent`.
#define WEBHOOK_VERSION_STRING "0.1.0"

#endif
