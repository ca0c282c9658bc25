# webhookctl (tools/), run as a child process against real spools and loopback servers;
# included from tests/CMakeLists.txt. The CLI is built with the examples (tools/ is added after
# tests/), so the test exists only then; its path reaches the test as a compile definition,
# resolved when the build files are generated, once the target exists.
if(WEBHOOK_BUILD_EXAMPLES)
    webhook_add_test(tools/webhookctl_test.cpp)
    target_link_libraries(tools_webhookctl_test PRIVATE OpenSSL::SSL OpenSSL::Crypto
                                                        Threads::Threads)
    target_compile_definitions(tools_webhookctl_test PRIVATE
        WEBHOOKCTL_PATH="$<TARGET_FILE:webhookctl>")
    add_dependencies(tools_webhookctl_test webhookctl)
    set_tests_properties(tools_webhookctl_test PROPERTIES TIMEOUT 120)
endif()
