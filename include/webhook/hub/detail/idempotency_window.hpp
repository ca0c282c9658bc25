#ifndef WEBHOOK_HUB_DETAIL_IDEMPOTENCY_WINDOW_HPP
#define WEBHOOK_HUB_DETAIL_IDEMPOTENCY_WINDOW_HPP

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace webhook::detail {

/** The idempotency keys seen within a time window, at most `capacity` of them (the oldest go
    first when it is full, which shortens the window for them). A pure structure: the caller
    passes the time. */
template <class Clock = std::chrono::steady_clock>
class idempotency_window {
public:
    using clock = Clock;

    idempotency_window(std::chrono::milliseconds window, std::size_t capacity)
        : window_(window), capacity_(capacity) {}

    /** Records `key` at `now`. @return false when it was recorded within the window before
        (a duplicate, which is not recorded again). */
    bool admit(std::string_view key, typename clock::time_point now) {
        expire(now);
        if (keys_.contains(key))
            return false;
        if (capacity_ != 0 && order_.size() >= capacity_)
            forget_oldest();
        const auto [it, inserted] = keys_.emplace(key);
        order_.emplace_back(now + window_, &*it);
        return inserted;
    }

    /** Records `key` as published before, leaving the window at `expiry` (a journal read at
        start); call in order of `expiry`, before any `admit`. */
    void restore(std::string_view key, typename clock::time_point expiry) {
        if (capacity_ != 0 && order_.size() >= capacity_)
            forget_oldest();
        const auto [it, inserted] = keys_.emplace(key);
        if (inserted)
            order_.emplace_back(expiry, &*it);
    }

    /// Forgets `key`, so that it may be published again (its publish was refused).
    void forget(std::string_view key) {
        if (const auto it = keys_.find(key); it != keys_.end()) {
            std::erase_if(order_, [&](const auto& entry) { return entry.second == &*it; });
            keys_.erase(it);
        }
    }

    std::size_t size() const noexcept { return keys_.size(); }

private:
    struct hash : std::hash<std::string_view> {
        using is_transparent = void;
    };

    void expire(typename clock::time_point now) {
        while (!order_.empty() && order_.front().first <= now)
            forget_oldest();
    }
    void forget_oldest() {
        keys_.erase(keys_.find(*order_.front().second));
        order_.pop_front();
    }

    std::chrono::milliseconds window_;
    std::size_t capacity_;
    std::unordered_set<std::string, hash, std::equal_to<>> keys_;
    // In the order recorded, with the time each one leaves the window.
    std::deque<std::pair<typename clock::time_point, const std::string*>> order_;
};

} // namespace webhook::detail

#endif
