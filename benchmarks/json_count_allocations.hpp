#ifndef WEBHOOK_BENCHMARKS_JSON_COUNT_ALLOCATIONS_HPP
#define WEBHOOK_BENCHMARKS_JSON_COUNT_ALLOCATIONS_HPP

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace bench {

/// Heap allocations made by this thread so far: every form of global operator new (replaced
/// in json_count_allocations.cpp) plus the RapidJSON allocator below.
std::uint64_t allocations() noexcept;

/// Counts one allocation made outside operator new.
void count_allocation() noexcept;

/** RapidJSON's CrtAllocator, counted. RapidJSON calls malloc and realloc directly, which the
    operator new replacement cannot see; without this its buffers would look free. */
class counting_crt_allocator {
public:
    static const bool kNeedFree = true;

    void* Malloc(std::size_t size) {
        if (size == 0)
            return nullptr;
        count_allocation();
        return std::malloc(size);
    }

    void* Realloc(void* original, std::size_t /*original_size*/, std::size_t new_size) {
        if (new_size == 0) {
            std::free(original);
            return nullptr;
        }
        count_allocation(); // a realloc may move the block: count it like a new one
        return std::realloc(original, new_size);
    }

    static void Free(void* p) noexcept { std::free(p); }

    // RapidJSON compares allocators when it swaps or moves buffers: all of these are equal.
    bool operator==(const counting_crt_allocator&) const noexcept { return true; }
};

} // namespace bench

#endif
