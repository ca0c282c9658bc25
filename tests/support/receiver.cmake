# The test-side servers (receiver, PKI, CONNECT proxy) and their self-tests; included from
# tests/CMakeLists.txt.
find_package(OpenSSL REQUIRED)
find_package(Threads REQUIRED)

foreach(selftest receiver pki proxy)
    webhook_add_test(support/${selftest}_selftest.cpp)
    target_link_libraries(support_${selftest}_selftest PRIVATE OpenSSL::SSL OpenSSL::Crypto
                                                               Threads::Threads)
endforeach()
