#ifndef WEBHOOK_CONFIG_DESCRIBE_HPP
#define WEBHOOK_CONFIG_DESCRIBE_HPP

/** @file
    The Boost.Describe descriptions of the endpoint's settings: the source of the configuration
    keys. Loading, validation and printing walk these lists, so a key is a described member:
    its name is the key, its type picks the reader (config/detail/readers.hpp), the printer
    and the per-value rules (config/detail/rules.hpp).

    Adding a key: add the member (with its doc comment and default) to its struct, add its name
    here in the place it should have in printed descriptions, and, if its value needs a rule
    beyond its type's, one line in the rule table. docs/configuration.md documents it. */

#include <webhook/config/options.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>

namespace webhook {

// Choices read and printed by their enumerator names, compared without case.
BOOST_DESCRIBE_ENUM(overflow_policy, block, reject, drop_oldest)
BOOST_DESCRIBE_ENUM(compression, none, gzip)
BOOST_DESCRIBE_ENUM(oauth2_client_authentication, basic, request_body)
BOOST_DESCRIBE_ENUM(hmac_algorithm, sha256, sha512)
BOOST_DESCRIBE_ENUM(signature_encoding, hex, base64)

BOOST_DESCRIBE_STRUCT(timeout_options, (), (connect, handshake, request, idle))
BOOST_DESCRIBE_STRUCT(tls_options, (),
                      (ca_file, ca_directory, certificate_file, private_key_file,
                       insecure_skip_verification))
BOOST_DESCRIBE_STRUCT(destination_policy, (), (public_only, allow))
BOOST_DESCRIBE_STRUCT(queue_options, (), (capacity, when_full, block_timeout))
BOOST_DESCRIBE_STRUCT(rate_limit_options, (), (per_second, burst))
BOOST_DESCRIBE_STRUCT(adaptive_concurrency_options, (), (enabled, initial))
BOOST_DESCRIBE_STRUCT(batch_options, (), (max_events, max_bytes, linger))
BOOST_DESCRIBE_STRUCT(circuit_breaker_options, (), (failures, cool_down))

// The top-level keys, in the order `operator<<` prints them.
BOOST_DESCRIBE_STRUCT(endpoint, (),
                      (url, method, data_format, data_location, authentication, headers, signing,
                       user_agent, timeouts, retry, tls, proxy, destinations, hosts, max_in_flight,
                       ordered, adaptive_concurrency, queue, rate_limit, batch, compression,
                       max_body_size, max_response_body, insecure_allow_credentials_over_http,
                       circuit_breaker, max_event_age))

} // namespace webhook

#endif
