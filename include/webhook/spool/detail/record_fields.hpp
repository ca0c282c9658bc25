#ifndef WEBHOOK_SPOOL_DETAIL_RECORD_FIELDS_HPP
#define WEBHOOK_SPOOL_DETAIL_RECORD_FIELDS_HPP

// What the spool back ends share in storing a `spool_record`: the time as Unix milliseconds,
// and the stored fields (views of the back end's bytes) copied back into a record. Each back
// end keeps its own layout: the file journal's in journal_codec.hpp, the Redis stream entry's
// in redis_protocol.hpp.

#include <webhook/spool/event_id.hpp>
#include <webhook/spool/spool.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace webhook::detail::spool_fields {

/// A record's fields as a back end read them, pointing into its bytes.
struct record_view {
    std::uint64_t sequence = 0;
    std::int64_t created_ms = 0;
    /// The id's text; anything that is not one (a back end's mark for none) reads as none.
    std::string_view id;
    std::string_view endpoint, target, payload, headers, last_error;
    std::int32_t last_status = 0;
};

/// `created` as stored: Unix time in whole milliseconds (rounded down).
inline std::int64_t unix_ms(std::chrono::system_clock::time_point created) noexcept {
    return std::chrono::floor<std::chrono::milliseconds>(created.time_since_epoch()).count();
}

/// A stored Unix time in milliseconds as a time point, clamped so that a far-away time cannot
/// overflow the clock's finer representation.
inline std::chrono::system_clock::time_point from_unix_ms(std::int64_t ms) noexcept {
    using std::chrono::milliseconds;
    using clock = std::chrono::system_clock;
    constexpr auto lo = std::chrono::ceil<milliseconds>(clock::duration::min()).count();
    constexpr auto hi = std::chrono::floor<milliseconds>(clock::duration::max()).count();
    return clock::time_point(milliseconds(std::clamp(ms, lo, hi)));
}

/// Copies `v` into `r`, reusing `r`'s strings.
inline void assign(const record_view& v, spool_record& r) {
    r.sequence = v.sequence;
    r.created = from_unix_ms(v.created_ms);
    r.id = event_id::parse(v.id).value_or(event_id{});
    r.endpoint.assign(v.endpoint);
    r.target.assign(v.target);
    r.payload.assign(v.payload);
    r.headers.assign(v.headers);
    r.last_status = v.last_status;
    r.last_error.assign(v.last_error);
}

} // namespace webhook::detail::spool_fields

#endif
