#ifndef WEBHOOK_JSON_HPP
#define WEBHOOK_JSON_HPP

/// The JSON part of the library: serializer, data paths, wire names, policies, adapters for
/// types you do not own, schema. It needs Boost.JSON and Boost.Describe only (no Asio, no
/// OpenSSL).

#include <webhook/error.hpp>
#include <webhook/json/adapter.hpp>
#include <webhook/json/data_path.hpp>
#include <webhook/json/options.hpp>
#include <webhook/json/schema.hpp>
#include <webhook/json/serialize.hpp>
#include <webhook/json/wire_names.hpp>

#endif
