#include <webhook/transport/recycling_allocator.hpp>

#define BOOST_TEST_MODULE transport_recycling_allocator
#include <boost/test/unit_test.hpp>

#include <webhook/transport/request.hpp>

#include <memory>
#include <thread>
#include <type_traits>

// The allocator of a response's header fields, public so that the public response type names
// nothing internal.

BOOST_AUTO_TEST_CASE(the_response_fields_use_the_public_allocator) {
    static_assert(std::is_same_v<webhook::http_response_fields::allocator_type,
                                 webhook::recycling_allocator<char>>);
    static_assert(
        std::is_same_v<webhook::http_response::fields_type, webhook::http_response_fields>);
}

BOOST_AUTO_TEST_CASE(it_is_stateless_and_equal_across_types) {
    static_assert(std::is_empty_v<webhook::recycling_allocator<char>>);
    static_assert(std::allocator_traits<webhook::recycling_allocator<int>>::is_always_equal::value);
    const webhook::recycling_allocator<char> a;
    const webhook::recycling_allocator<long> b(a);
    BOOST_TEST((a == b));
}

BOOST_AUTO_TEST_CASE(a_freed_block_is_handed_out_again_on_the_same_thread) {
    // On a thread of its own: the cache starts empty and nothing else uses it.
    std::thread([] {
        webhook::recycling_allocator<char> alloc;
        char* first = alloc.allocate(100);
        alloc.deallocate(first, 100);
        char* second = alloc.allocate(120); // the same size class (up to 128 bytes)
        // As addresses: BOOST_TEST would compare two char* as C strings.
        BOOST_TEST(static_cast<void*>(second) == static_cast<void*>(first));
        alloc.deallocate(second, 120);
        char* large = alloc.allocate(4096); // beyond the cache: the heap
        large[4095] = 'x';
        alloc.deallocate(large, 4096);
    }).join();
}

BOOST_AUTO_TEST_CASE(an_impossible_size_throws) {
    webhook::recycling_allocator<long> alloc;
    BOOST_CHECK_THROW(static_cast<void>(alloc.allocate(~std::size_t{0} / 2)),
                      std::bad_array_new_length);
}
