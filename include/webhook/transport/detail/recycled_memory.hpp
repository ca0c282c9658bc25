#ifndef WEBHOOK_TRANSPORT_DETAIL_RECYCLED_MEMORY_HPP
#define WEBHOOK_TRANSPORT_DETAIL_RECYCLED_MEMORY_HPP

#include <cstddef>
#include <new>

namespace webhook::detail {

/** Small blocks kept per thread for reuse, so that what every request needs for a moment (the
    state of a send, the header fields of a response) does not touch the heap once a steady
    stream of requests has warmed the cache. Blocks of up to 512 bytes come in four sizes; a
    block freed on another thread than the one that allocated it joins that thread's cache.
    `webhook::recycling_allocator` (transport/recycling_allocator.hpp) is the allocator over it. */
class recycled_memory {
public:
    static constexpr std::size_t largest = 512;

    static void* allocate(std::size_t size) {
        if (size > largest)
            return ::operator new(size);
        bin& b = local().bins_[bin_of(size)];
        if (b.count != 0)
            return b.blocks[--b.count];
        return ::operator new(block_size(bin_of(size)));
    }

    static void deallocate(void* p, std::size_t size) noexcept {
        if (size <= largest) {
            bin& b = local().bins_[bin_of(size)];
            if (b.count < per_bin) {
                b.blocks[b.count++] = p;
                return;
            }
        }
        ::operator delete(p);
    }

    recycled_memory(const recycled_memory&) = delete;
    recycled_memory& operator=(const recycled_memory&) = delete;

private:
    static constexpr std::size_t bins = 4; // 64, 128, 256 and 512 bytes
    static constexpr std::size_t per_bin = 32;

    struct bin {
        void* blocks[per_bin] = {};
        std::size_t count = 0;
    };

    static constexpr std::size_t bin_of(std::size_t size) noexcept {
        return size <= 64 ? 0 : size <= 128 ? 1 : size <= 256 ? 2 : 3;
    }
    static constexpr std::size_t block_size(std::size_t bin) noexcept { return 64u << bin; }

    recycled_memory() = default;
    ~recycled_memory() {
        for (bin& b : bins_)
            while (b.count != 0)
                ::operator delete(b.blocks[--b.count]);
    }

    static recycled_memory& local() noexcept {
        thread_local recycled_memory cache;
        return cache;
    }

    bin bins_[bins];
};

} // namespace webhook::detail

#endif
