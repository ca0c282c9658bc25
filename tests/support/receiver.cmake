# The test-side servers (receiver, PKI, CONNECT proxy) and their self-test; included from
# tests/CMakeLists.txt.
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)

webhook_add_test(support/receiver_selftest.cpp)
target_link_libraries(support_receiver_selftest PRIVATE OpenSSL::SSL OpenSSL::Crypto
                                                        Threads::Threads)
