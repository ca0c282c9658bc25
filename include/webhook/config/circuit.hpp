#ifndef WEBHOOK_CONFIG_CIRCUIT_HPP
#define WEBHOOK_CONFIG_CIRCUIT_HPP

#include <chrono>
#include <cstddef>
#include <ostream>

namespace webhook {

/** The state of an endpoint's circuit breaker.

    - `closed`: requests are sent as usual; consecutive failed attempts are counted.
    - `open`: the receiver is taken to be down; no request is sent until the cool-down ends.
      Events keep waiting (queued or spooled) instead of failing.
    - `half_open`: the cool-down has ended and one request, the probe, is in flight; the other
      events wait for its result. */
enum class circuit_state { closed, open, half_open };

/// `"closed"`, `"open"` or `"half_open"`.
inline const char* to_string(circuit_state s) noexcept {
    switch (s) {
    case circuit_state::closed:
        return "closed";
    case circuit_state::open:
        return "open";
    case circuit_state::half_open:
        return "half_open";
    }
    return "unknown"; // a value cast from outside the enumeration
}

inline std::ostream& operator<<(std::ostream& os, circuit_state s) {
    return os << to_string(s);
}

/** A circuit breaker per endpoint: after `failures` consecutive failed attempts, stop sending
    for `cool_down`, then let one probe request through; its success closes the circuit, its
    failure opens it for another cool-down. Off by default. */
struct circuit_breaker_options {
    /// Consecutive failed attempts that open the circuit; 0 turns the breaker off.
    std::size_t failures = 0;
    /// How long the circuit stays open before the probe. Greater than 0 when `failures` is set.
    std::chrono::milliseconds cool_down{30'000};

    friend bool operator==(const circuit_breaker_options&,
                           const circuit_breaker_options&) = default;
};

} // namespace webhook

#endif
