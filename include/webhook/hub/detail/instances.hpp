#ifndef WEBHOOK_HUB_DETAIL_INSTANCES_HPP
#define WEBHOOK_HUB_DETAIL_INSTANCES_HPP

// With WEBHOOK_SEPARATE_COMPILATION, the hub over the built-in transport is compiled once, in
// the translation unit that includes <webhook/src.hpp> (as the dispatcher is: see
// dispatch/detail/instances.hpp). Its member templates (`publish<Event>`, `declare`, `where`)
// are still instantiated where they are used.

#if defined(WEBHOOK_SEPARATE_COMPILATION)

#include <webhook/hub/hub.hpp>

namespace webhook {
extern template class basic_hub<beast_transport>;
} // namespace webhook

#endif

#endif
