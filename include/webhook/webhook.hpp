#ifndef WEBHOOK_WEBHOOK_HPP
#define WEBHOOK_WEBHOOK_HPP

/// Everything the library offers, in one include: the serializer, the configuration, the
/// transport, signing, authentication, the file spool and the dispatcher. The Redis spool is
/// not here: it needs hiredis and its own target, so include `<webhook/spool/redis_spool.hpp>`
/// where it is used. A translation unit that only serializes compiles faster with
/// `<webhook/json.hpp>` alone.

#include <webhook/auth/access_token.hpp>
#include <webhook/auth/authenticator.hpp>
#include <webhook/circuit.hpp>
#include <webhook/config/describe.hpp>
#include <webhook/config/options.hpp>
#include <webhook/config/signing_options.hpp>
#include <webhook/data_path.hpp>
#include <webhook/delivery.hpp>
#include <webhook/dispatcher.hpp>
#include <webhook/endpoint.hpp>
#include <webhook/error.hpp>
#include <webhook/event_id.hpp>
#include <webhook/json.hpp>
#include <webhook/retry.hpp>
#include <webhook/secret.hpp>
#include <webhook/signing.hpp>
#include <webhook/spool/file_spool.hpp>
#include <webhook/spool/spool.hpp>
#include <webhook/transport.hpp>
#include <webhook/version.hpp>

#endif
