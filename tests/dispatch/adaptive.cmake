# Adaptive concurrency end to end, against the overload receivers (support/overload_receivers.hpp);
# included from tests/CMakeLists.txt.
webhook_add_test(dispatch/adaptive_concurrency_test.cpp)
