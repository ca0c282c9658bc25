# The hub: its decisions without I/O, and the hub itself over loopback receivers.
webhook_add_test(hub/hub_endpoint_test.cpp)
webhook_add_test(hub/hub_test.cpp)
target_link_libraries(hub_hub_test PRIVATE OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
if(WEBHOOK_TEST_BUILDS)
    # An event type without a name, and two with one name, do not compile.
    webhook_add_compile_test(hub_unnamed_event_fail "this event type has no name; give it one with")
    set_tests_properties(compile_fail_hub_unnamed_event_fail PROPERTIES
                         FAIL_REGULAR_EXPRESSION "error:.*error:")
    webhook_add_compile_test(hub_duplicate_event_type_fail
                             "two types have the same event type name and version")
    webhook_add_compile_test(hub_bad_event_type_name_fail "invalid event type name")
endif()
