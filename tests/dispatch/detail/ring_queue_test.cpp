#include <webhook/dispatch/detail/ring_queue.hpp>

#define BOOST_TEST_MODULE ring_queue
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

using webhook::detail::ring_queue;

BOOST_AUTO_TEST_CASE(first_in_first_out_across_wrap_around_and_growth) {
    ring_queue<std::string> q;
    BOOST_TEST(q.empty());
    int next_in = 0, next_out = 0;
    // Interleaved so that the head moves through the ring before every growth (16, 32, 64).
    for (int round = 0; round < 50; ++round) {
        for (int i = 0; i < 3; ++i)
            q.push_back(std::to_string(next_in++));
        BOOST_TEST(q[0] == std::to_string(next_out));
        BOOST_TEST(q[q.size() - 1] == std::to_string(next_in - 1));
        BOOST_TEST(q.front() == std::to_string(next_out));
        q.pop_front();
        ++next_out;
    }
    BOOST_TEST(q.size() == 100u);
    while (!q.empty()) {
        BOOST_REQUIRE(q.front() == std::to_string(next_out++));
        q.pop_front();
    }
    BOOST_TEST(next_out == next_in);
}

BOOST_AUTO_TEST_CASE(move_only_elements_are_released_when_popped) {
    ring_queue<std::unique_ptr<int>> q;
    auto shared = std::make_shared<int>(7);
    std::weak_ptr<int> watch = shared;
    ring_queue<std::shared_ptr<int>> holders;
    holders.push_back(std::move(shared));
    for (int i = 0; i < 40; ++i) // grows twice with the element inside
        holders.push_back(nullptr);
    BOOST_TEST(!watch.expired());
    holders.pop_front();
    BOOST_TEST(watch.expired()); // not kept alive in the ring until its slot is reused
    for (int i = 0; i < 20; ++i)
        q.push_back(std::make_unique<int>(i));
    for (int i = 0; i < 20; ++i) {
        BOOST_REQUIRE(*q.front() == i);
        q.pop_front();
    }
    BOOST_TEST(q.empty());
}

BOOST_AUTO_TEST_CASE(take_removes_from_the_middle_and_keeps_the_order_across_the_wrap) {
    ring_queue<std::unique_ptr<int>> q;
    for (int i = 0; i < 12; ++i) // the ring wraps: head moves past the middle first
        q.push_back(std::make_unique<int>(i));
    for (int i = 0; i < 10; ++i)
        q.pop_front();
    for (int i = 12; i < 20; ++i)
        q.push_back(std::make_unique<int>(i));
    BOOST_TEST(*q.take(3) == 13);
    BOOST_TEST(*q.take(0) == 10);
    BOOST_TEST(*q.take(q.size() - 1) == 19);
    std::vector<int> rest;
    while (!q.empty()) {
        rest.push_back(*q.front());
        q.pop_front();
    }
    BOOST_TEST(rest == (std::vector<int>{11, 12, 14, 15, 16, 17, 18}),
               boost::test_tools::per_element());
}
