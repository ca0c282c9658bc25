# What the built-in transport measures of each request (transport_timing), on loopback.
webhook_add_test(transport/beast_transport_timing_test.cpp)
