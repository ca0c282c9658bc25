#ifndef WEBHOOK_SRC_HPP
#define WEBHOOK_SRC_HPP

/** @file
    Compile once: include this header in exactly one translation unit of a program built with
    `WEBHOOK_SEPARATE_COMPILATION` defined everywhere (CMake: link `webhook::compiled`, which
    does both). It compiles the dispatcher and the hub over the built-in transport,
    `webhook::dispatcher` and `webhook::hub`, which the other translation units then only
    declare. Header-only use, the default, needs
    none of this. */

#if !defined(WEBHOOK_SEPARATE_COMPILATION)
#error                                                                                             \
    "<webhook/src.hpp> is for builds with WEBHOOK_SEPARATE_COMPILATION defined in every translation unit (CMake: link webhook::compiled); header-only builds do not include it"
#endif

#include <webhook/dispatch/dispatcher.hpp>
#include <webhook/hub/hub.hpp>

namespace webhook {
template class detail::dispatch_core<beast_transport, boost::asio::steady_timer>;
template class basic_dispatcher<beast_transport>;
template class basic_hub<beast_transport>;
} // namespace webhook

#endif
