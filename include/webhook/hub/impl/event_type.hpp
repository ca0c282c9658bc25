#ifndef WEBHOOK_HUB_IMPL_EVENT_TYPE_HPP
#define WEBHOOK_HUB_IMPL_EVENT_TYPE_HPP

#include <webhook/json/schema.hpp>

namespace webhook {

template <class T>
constexpr event_type_info event_type_info::of() noexcept {
    static_assert(has_event_type<T>,
                  "webhook: this event type has no name; give it one with "
                  "WEBHOOK_EVENT_TYPE(type, \"name\") (see <webhook/hub/event_type.hpp>)");
    if constexpr (has_event_type<T>) // else one error above, not a page of them below
        return {event_traits<T>::name, detail::event_version<T>(), &detail::event_type_tag<T>,
                [](const data_path& location, const json::write_options& options) {
                    return json::schema<T>(location, options);
                }};
    else
        return {};
}

} // namespace webhook

#endif
