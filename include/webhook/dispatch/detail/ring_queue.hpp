#ifndef WEBHOOK_DISPATCH_DETAIL_RING_QUEUE_HPP
#define WEBHOOK_DISPATCH_DETAIL_RING_QUEUE_HPP

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

namespace webhook::detail {

/** A FIFO queue in one ring buffer that doubles when full and never shrinks: once it has held
    its largest number of elements, pushing and popping allocate nothing (a `std::deque`
    allocates and frees blocks as elements pass through it, here on two threads). */
template <class T>
class ring_queue {
public:
    bool empty() const noexcept { return size_ == 0; }
    std::size_t size() const noexcept { return size_; }

    T& front() noexcept { return *slots_[head_]; }
    /// The `i`-th element from the front.
    const T& operator[](std::size_t i) const noexcept { return *slots_[(head_ + i) & mask()]; }

    void push_back(T&& value) {
        if (size_ == slots_.size())
            grow();
        slots_[(head_ + size_) & mask()].emplace(std::move(value));
        ++size_;
    }

    /// Takes out the `i`-th element from the front; those behind it move up (O(size - i)).
    T take(std::size_t i) {
        T out = std::move(*slots_[(head_ + i) & mask()]);
        for (std::size_t j = i; j + 1 < size_; ++j) {
            auto& here = slots_[(head_ + j) & mask()];
            here.reset();
            here.emplace(std::move(*slots_[(head_ + j + 1) & mask()]));
        }
        slots_[(head_ + size_ - 1) & mask()].reset();
        --size_;
        return out;
    }

    void pop_front() {
        slots_[head_].reset();
        head_ = (head_ + 1) & mask();
        --size_;
    }

private:
    std::size_t mask() const noexcept { return slots_.size() - 1; }

    void grow() {
        std::vector<std::optional<T>> larger(slots_.empty() ? 16 : 2 * slots_.size()); // 2^n
        for (std::size_t i = 0; i < size_; ++i)
            larger[i].emplace(std::move(*slots_[(head_ + i) & mask()]));
        slots_.swap(larger);
        head_ = 0;
    }

    // Elements are only ever move-constructed into an empty slot and destroyed, never
    // assigned: an element type need not be move-assignable.
    std::vector<std::optional<T>> slots_;
    std::size_t head_ = 0;
    std::size_t size_ = 0;
};

} // namespace webhook::detail

#endif
