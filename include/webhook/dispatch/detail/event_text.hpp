#ifndef WEBHOOK_DISPATCH_DETAIL_EVENT_TEXT_HPP
#define WEBHOOK_DISPATCH_DETAIL_EVENT_TEXT_HPP

#include <webhook/dispatch/delivery.hpp>
#include <webhook/spool/spool.hpp>
#include <webhook/transport/detail/reserved_headers.hpp>

#include <boost/system/error_code.hpp>

#include <boost/system/result.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace webhook::detail {

/// What an event is once prepared: views of its JSON, request target and own header lines.
struct event_text {
    std::string_view payload;
    std::string_view target;
    std::string_view headers;
};

/** Where `post(event, appender)` appends: a `spool_appender` of the caller's (a transaction on
    an outbox), without making the dispatcher's code a template of its type. */
struct appender_ref {
    void* target;
    boost::system::result<std::uint64_t> (*append)(void*, const spool_record&);

    template <spool_appender A>
    static appender_ref to(A& a) noexcept {
        return {&a, [](void* t, const spool_record& r) { return static_cast<A*>(t)->append(r); }};
    }
};

/** Calls `f(name, value)` for each `name: value\r\n` line of `lines`, which the dispatcher
    wrote from validated headers. */
template <class F>
void for_each_header_line(std::string_view lines, F&& f) {
    while (!lines.empty()) {
        const std::size_t end = lines.find("\r\n");
        const std::string_view line = lines.substr(0, end);
        if (const std::size_t colon = line.find(": "); colon != std::string_view::npos)
            f(line.substr(0, colon), line.substr(colon + 2));
        lines.remove_prefix(end == std::string_view::npos ? lines.size() : end + 2);
    }
}

/// The ordering key among an event's header lines (`ordering_key_header`), or empty.
inline std::string_view ordering_key_of(std::string_view header_lines) noexcept {
    std::string_view key;
    for_each_header_line(header_lines, [&](std::string_view name, std::string_view value) {
        if (iequals(name, ordering_key_header))
            key = value;
    });
    return key;
}

/// The outcome of an event refused before it was accepted.
inline delivery refusal(boost::system::error_code why) {
    delivery d;
    d.status = delivery_status::rejected;
    d.error = why;
    return d;
}

} // namespace webhook::detail

#endif
