#ifndef WEBHOOK_WEBHOOK_HPP
#define WEBHOOK_WEBHOOK_HPP

/// Everything the library offers, in one include: the serializer, the configuration, the
/// transport, signing, authentication, the file spool, the dispatcher and the hub. The Redis
/// spool is not here: it needs hiredis and its own target, so include
/// `<webhook/spool/redis_spool.hpp>` where it is used. A translation unit that only
/// serializes compiles faster with `<webhook/json.hpp>` alone.

#include <webhook/auth/access_token.hpp>
#include <webhook/auth/authenticator.hpp>
#include <webhook/config/circuit.hpp>
#include <webhook/config/describe.hpp>
#include <webhook/config/endpoint.hpp>
#include <webhook/config/options.hpp>
#include <webhook/config/retry.hpp>
#include <webhook/config/signing_options.hpp>
#include <webhook/dispatch/delivery.hpp>
#include <webhook/dispatch/dispatcher.hpp>
#include <webhook/error.hpp>
#include <webhook/hub/hub.hpp>
#include <webhook/json.hpp>
#include <webhook/json/data_path.hpp>
#include <webhook/secret.hpp>
#include <webhook/signing/signing.hpp>
#include <webhook/spool/event_id.hpp>
#include <webhook/spool/file_spool.hpp>
#include <webhook/spool/spool.hpp>
#include <webhook/transport.hpp>
#include <webhook/version.hpp>

#endif
