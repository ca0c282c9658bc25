# The crash suite: a receiver process, a poster process (killed with SIGKILL at random moments)
# and the test that drives them; included from tests/CMakeLists.txt after the receiver's setup.
foreach(program crash_receiver crash_poster)
    add_executable(spool_${program} spool/${program}.cpp)
    target_include_directories(spool_${program} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(spool_${program} PRIVATE webhook::compiled webhook_project_options
                                                   OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
endforeach()
webhook_add_test(spool/crash_test.cpp)
target_compile_definitions(spool_crash_test PRIVATE
    WEBHOOK_CRASH_RECEIVER="$<TARGET_FILE:spool_crash_receiver>"
    WEBHOOK_CRASH_POSTER="$<TARGET_FILE:spool_crash_poster>")
add_dependencies(spool_crash_test spool_crash_receiver spool_crash_poster)

webhook_add_test(spool/delivery_test.cpp)
target_link_libraries(spool_delivery_test PRIVATE OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
