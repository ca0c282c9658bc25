#ifndef WEBHOOK_TRANSPORT_RECYCLING_ALLOCATOR_HPP
#define WEBHOOK_TRANSPORT_RECYCLING_ALLOCATOR_HPP

#include <webhook/transport/detail/recycled_memory.hpp>

#include <cstddef>
#include <limits>
#include <new>
#include <type_traits>

namespace webhook {

/** A standard allocator over memory recycled per thread: blocks of up to 512 bytes are kept in
    a small cache of the allocating thread (four sizes, 32 blocks each) and handed out again,
    so that what a steady stream of requests allocates and frees for a moment (the header
    fields of each `http_response`) does not touch the heap once the cache is warm. Larger
    blocks come from `operator new`. A block freed on another thread joins that thread's cache.

    It is the allocator of `http_response_fields`; name it when you declare a response type of
    your own that must be the transport's (`boost::beast::http::basic_fields<
    webhook::recycling_allocator<char>>`). Stateless: any two compare equal, and it
    propagates like `std::allocator`. `T` must not be over-aligned. */
template <class T>
class recycling_allocator {
public:
    using value_type = T;
    using is_always_equal = std::true_type;

    recycling_allocator() noexcept = default;
    template <class U>
    recycling_allocator(const recycling_allocator<U>&) noexcept {}

    /// Space for `n` objects. @throws std::bad_array_new_length, std::bad_alloc
    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
        if (n > std::numeric_limits<std::size_t>::max() / sizeof(T))
            throw std::bad_array_new_length();
        return static_cast<T*>(detail::recycled_memory::allocate(n * sizeof(T)));
    }
    /// Returns what `allocate(n)` gave to the calling thread's cache (or to the heap).
    void deallocate(T* p, std::size_t n) noexcept {
        detail::recycled_memory::deallocate(p, n * sizeof(T));
    }

    template <class U>
    friend bool operator==(const recycling_allocator&, const recycling_allocator<U>&) noexcept {
        return true;
    }
};

} // namespace webhook

#endif
