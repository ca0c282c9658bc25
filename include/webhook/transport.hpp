#ifndef WEBHOOK_TRANSPORT_HPP
#define WEBHOOK_TRANSPORT_HPP

/// The HTTP side: the transport concept, endpoint URLs, request headers and authentication,
/// and the built-in Boost.Beast transport. Needs Boost.URL and OpenSSL (link `-lboost_url
/// -lssl -lcrypto`, or the `webhook::webhook` CMake target).

#include <webhook/transport/beast_transport.hpp>
#include <webhook/transport/origin.hpp>
#include <webhook/transport/recycling_allocator.hpp>
#include <webhook/transport/request.hpp>
#include <webhook/transport/transport.hpp>
#include <webhook/transport/url.hpp>

#endif
