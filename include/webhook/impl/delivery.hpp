#ifndef WEBHOOK_IMPL_DELIVERY_HPP
#define WEBHOOK_IMPL_DELIVERY_HPP

#include <algorithm>
#include <ostream>
#include <sstream>

namespace webhook {

// The ULID layout (https://github.com/ulid/spec): 128 bits, big-endian, the 48-bit Unix time in
// milliseconds then 80 random bits, written as 26 Crockford base32 digits. 26 * 5 = 130 bits,
// so the first digit carries only the top 3 bits and is at most '7'.
inline event_id::event_id(std::chrono::system_clock::time_point now, std::uint64_t random_high,
                          std::uint64_t random_low) noexcept {
    constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    constexpr std::int64_t max_time = (std::int64_t{1} << 48) - 1;
    // Clamped, not wrapped: an id before 1970 or after 10889 still sorts at the right end.
    const std::int64_t ms = std::clamp<std::int64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count(), 0,
        max_time);
    // The 128 bits as two words: time and the top 16 random bits, then the low 64 random bits.
    const std::uint64_t hi = static_cast<std::uint64_t>(ms) << 16 | (random_high & 0xFFFF);
    const std::uint64_t lo = random_low;
    for (std::size_t i = 0; i < size; ++i) {
        const unsigned shift = static_cast<unsigned>(5 * (size - 1 - i)); // 125, 120, ..., 0
        std::uint64_t bits = 0;
        if (shift >= 64)
            bits = hi >> (shift - 64);
        else if (shift == 0)
            bits = lo;
        else
            bits = lo >> shift | hi << (64 - shift);
        chars_[i] = alphabet[bits & 31];
    }
}

inline std::optional<event_id> event_id::parse(std::string_view text) noexcept {
    constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (text.size() != size || text[0] > '7')
        return std::nullopt;
    event_id id;
    for (std::size_t i = 0; i < size; ++i) {
        if (alphabet.find(text[i]) == std::string_view::npos)
            return std::nullopt;
        id.chars_[i] = text[i];
    }
    return id;
}

/// Writes the 26 characters; nothing for an empty (default-constructed) id.
inline std::ostream& operator<<(std::ostream& os, const event_id& id) {
    if (!id.empty())
        os << id.view();
    return os;
}

inline const char* to_string(delivery_status s) noexcept {
    switch (s) {
    case delivery_status::delivered:
        return "delivered";
    case delivery_status::failed:
        return "failed";
    case delivery_status::gone:
        return "gone";
    case delivery_status::dropped:
        return "dropped";
    case delivery_status::rejected:
        return "rejected";
    case delivery_status::abandoned:
        return "abandoned";
    }
    return "unknown"; // a value cast from outside the enumeration
}

inline std::ostream& operator<<(std::ostream& os, delivery_status s) {
    return os << to_string(s);
}

inline std::ostream& operator<<(std::ostream& os, const delivery& d) {
    if (!d.id.empty())
        os << d.id << ' ';
    os << d.status;
    if (d.attempts.empty())
        return d.error ? os << ": " << d.error.message() : os;
    const attempt& last = d.attempts.back();
    os << " after " << d.attempts.size() << (d.attempts.size() == 1 ? " attempt: " : " attempts: ");
    if (last.error)
        os << last.error.message();
    else
        os << "HTTP " << last.status;
    if (d.error && d.error != last.error)
        os << " (" << d.error.message() << ')';
    return os;
}

inline std::string to_string(const delivery& d) {
    std::ostringstream out;
    out << d;
    return std::move(out).str();
}

} // namespace webhook

#endif
