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

# The same CLI against a Redis stream and a PostgreSQL outbox on servers the test starts (only
# where both spools' tests run: redis/redis.cmake and postgres/postgres.cmake say why not).
if(WEBHOOK_BUILD_EXAMPLES AND TARGET redis_redis_spool_test AND TARGET postgres_postgres_spool_test)
    webhook_add_test(tools/webhookctl_servers_test.cpp)
    target_link_libraries(tools_webhookctl_servers_test PRIVATE webhook::redis webhook::postgres)
    target_compile_definitions(tools_webhookctl_servers_test PRIVATE
        WEBHOOKCTL_PATH="$<TARGET_FILE:webhookctl>" WEBHOOK_PG_BIN="${WEBHOOK_PG_BIN}"
        WEBHOOK_REDIS_SERVER="${WEBHOOK_REDIS_SERVER}")
    add_dependencies(tools_webhookctl_servers_test webhookctl)
    set_tests_properties(tools_webhookctl_servers_test PROPERTIES TIMEOUT 120)
endif()
