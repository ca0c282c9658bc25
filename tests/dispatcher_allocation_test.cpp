#include <webhook/dispatcher.hpp>

#define BOOST_TEST_MODULE dispatcher_allocation
#include <boost/test/unit_test.hpp>

#include "support/test_receiver.hpp"

#include <boost/describe.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>

// The hot path allocates nothing: once a dispatcher has warmed up (buffers, connections, the
// per-thread caches), a steady stream of posted events costs no heap allocation per event on
// the thread that posts or on the dispatcher's I/O thread. Counted by replacing the global
// operator new (per thread: the receiver's own thread allocates as it likes).

namespace {

thread_local std::uint64_t allocations = 0;

void* counted(std::size_t size) {
    ++allocations;
    if (void* p = std::malloc(size == 0 ? 1 : size))
        return p;
    throw std::bad_alloc();
}

void* counted_aligned(std::size_t size, std::align_val_t align) {
    ++allocations;
    const std::size_t a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a))
        return p;
    throw std::bad_alloc();
}

} // namespace

void* operator new(std::size_t size) {
    return counted(size);
}
void* operator new[](std::size_t size) {
    return counted(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
    return counted_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
    return counted_aligned(size, align);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

namespace {

using namespace std::chrono_literals;

struct incident {
    std::string id;
    int priority = 0;
    std::string state;
    std::string summary;
};
BOOST_DESCRIBE_STRUCT(incident, (), (id, priority, state, summary))

} // namespace

BOOST_AUTO_TEST_CASE(a_steady_stream_of_posted_events_allocates_nothing_per_event) {
    webhook::test::test_receiver receiver;
    webhook::endpoint e;
    e.url = receiver.url("/hook");
    e.data_location = webhook::data_path("root/result");
    e.authentication = webhook::basic_auth{"svc-user", "s3cret"};
    e.max_in_flight = 4;
    e.queue.capacity = 64;

    // Read on the I/O thread, where outcomes are reported; read here after flush.
    std::uint64_t io_allocations = 0;
    std::uint64_t delivered = 0;
    webhook::dispatcher_options options;
    options.on_outcome = [&](const webhook::delivery& d) {
        io_allocations = allocations;
        delivered += d.ok() ? 1 : 0;
    };
    webhook::dispatcher d{e, std::move(options)};
    // Longer than a short string's inline buffer, so that a payload copy would allocate.
    const incident event{"INC001", 2, "new", "Database cluster db-7 is not answering"};
    constexpr int burst_size = 64;
    const auto burst = [&] {
        for (int i = 0; i < burst_size; ++i)
            BOOST_REQUIRE(d.post(event));
        BOOST_REQUIRE(d.flush(10s));
    };
    for (int i = 0; i < 5; ++i) // warm-up: buffers, connections, caches
        burst();

    constexpr int bursts = 20;
    const std::uint64_t io_before = io_allocations;
    const std::uint64_t post_before = allocations;
    for (int i = 0; i < bursts; ++i)
        burst();
    const std::uint64_t post_thread = allocations - post_before;
    BOOST_TEST(delivered == std::uint64_t{(5 + bursts) * burst_size});
    BOOST_TEST(io_allocations - io_before == 0u);
    // The posting thread allocates only to wake an idle I/O thread, through Asio: the first
    // post of a burst, flush's, and one more whenever the I/O thread ran out of events in the
    // middle of a burst (a slow or descheduled producer). A few per burst, never per event.
    BOOST_TEST(post_thread <= std::uint64_t{4 * bursts});
    BOOST_TEST_MESSAGE("posting thread: " << post_thread << " allocations in " << bursts
                                          << " bursts of " << burst_size << " events");
}
