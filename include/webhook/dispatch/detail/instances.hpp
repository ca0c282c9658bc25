#ifndef WEBHOOK_DISPATCH_DETAIL_INSTANCES_HPP
#define WEBHOOK_DISPATCH_DETAIL_INSTANCES_HPP

// With WEBHOOK_SEPARATE_COMPILATION, the dispatcher over the built-in transport is compiled
// once, in the translation unit that includes <webhook/src.hpp>. These explicit instantiation
// declarations keep every other translation unit from instantiating it again: about half of
// what a program that posts an event costs the compiler. (Member templates, `post<Event>` and
// the like, are still instantiated where they are used.)

#if defined(WEBHOOK_SEPARATE_COMPILATION)

#include <webhook/dispatch/dispatcher.hpp>

namespace webhook {
extern template class detail::dispatch_core<beast_transport, boost::asio::steady_timer>;
extern template class basic_dispatcher<beast_transport>;
} // namespace webhook

#endif

#endif
