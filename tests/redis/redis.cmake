# The Redis spool's tests: only where hiredis (webhook::redis) and redis-server are found. Each
# test starts its own redis-server on a free loopback port with a temporary directory (never a
# system service) and stops it at the end. Included from tests/CMakeLists.txt.
find_program(WEBHOOK_REDIS_SERVER redis-server PATHS /usr/bin /usr/sbin)
if(NOT TARGET webhook::redis OR NOT WEBHOOK_REDIS_SERVER)
    message(STATUS "webhook: Redis spool tests skipped (need hiredis and redis-server: "
                   "Debian libhiredis-dev redis-server)")
    return()
endif()

foreach(test redis_spool redis_spool_connection)
    webhook_add_test(redis/${test}_test.cpp)
    target_link_libraries(redis_${test}_test PRIVATE webhook::redis)
    target_compile_definitions(redis_${test}_test PRIVATE
        WEBHOOK_REDIS_SERVER="${WEBHOOK_REDIS_SERVER}")
    set_tests_properties(redis_${test}_test PROPERTIES TIMEOUT 120)
endforeach()

# The multi-process suite: dispatcher processes (redis_worker) sharing one stream, the crash
# suite's receiver process (spool/crash.cmake) logging every webhook-id it answers.
add_executable(redis_worker redis/redis_worker.cpp)
target_link_libraries(redis_worker PRIVATE webhook::redis webhook::compiled webhook_project_options)
webhook_add_test(redis/multiprocess_test.cpp)
target_link_libraries(redis_multiprocess_test PRIVATE webhook::redis)
target_compile_definitions(redis_multiprocess_test PRIVATE
    WEBHOOK_REDIS_SERVER="${WEBHOOK_REDIS_SERVER}"
    WEBHOOK_REDIS_WORKER="$<TARGET_FILE:redis_worker>"
    WEBHOOK_CRASH_RECEIVER="$<TARGET_FILE:spool_crash_receiver>")
add_dependencies(redis_multiprocess_test redis_worker spool_crash_receiver)
set_tests_properties(redis_multiprocess_test PROPERTIES TIMEOUT 180)
