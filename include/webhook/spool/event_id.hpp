#ifndef WEBHOOK_SPOOL_EVENT_ID_HPP
#define WEBHOOK_SPOOL_EVENT_ID_HPP

// The id of an event (`webhook-id`), on its own so that the spools need not include
// delivery.hpp (which includes it, so that nothing changes for users).

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string_view>

namespace webhook {

/** The unique id of an event, given when the event is accepted and sent as the `webhook-id`
    header on every attempt, so that a receiver can drop duplicates. 26 characters: a ULID
    (48-bit millisecond time, 80 random bits, Crockford base32), so ids sort by creation. */
class event_id {
public:
    static constexpr std::size_t size = 26;

    event_id() = default;
    /// A new id for the time `now`, from `random` (80 bits are used).
    event_id(std::chrono::system_clock::time_point now, std::uint64_t random_high,
             std::uint64_t random_low) noexcept;

    /** The id written as `text` (26 Crockford base32 digits, upper case, the first at most
        '7'), or none when `text` is not one. Used to read ids back from a spool. */
    static std::optional<event_id> parse(std::string_view text) noexcept;

    std::string_view view() const noexcept { return {chars_.data(), size}; }
    bool empty() const noexcept { return chars_[0] == '\0'; }
    friend bool operator==(const event_id&, const event_id&) = default;
    friend std::ostream& operator<<(std::ostream& os, const event_id& id);

private:
    std::array<char, size> chars_{};
};

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

} // namespace webhook

#endif
