# The event catalogue: unit tests of the AsyncAPI and OpenAPI documents, and the documents
# checked by the specifications' reference parsers (npm, tests/hub/catalogue/run.sh).

webhook_add_test(hub/catalogue_test.cpp)

# What the validators read is only as good as the validators: a build test, like the other
# checks that need no sanitizer (WEBHOOK_TEST_BUILDS), and the one here that needs npm.
if(WEBHOOK_TEST_BUILDS)
    add_executable(hub_catalogue_documents hub/catalogue_documents.cpp)
    target_include_directories(hub_catalogue_documents PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(hub_catalogue_documents PRIVATE webhook::compiled
                                                          webhook_project_options)
    # Building the unit tests builds the documents' program too: `--target hub_catalogue_test`
    # then `ctest -R catalogue` runs everything.
    add_dependencies(hub_catalogue_test hub_catalogue_documents)
    add_test(NAME hub_catalogue_validate
             COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/hub/catalogue/run.sh
                     $<TARGET_FILE:hub_catalogue_documents>
                     ${CMAKE_CURRENT_BINARY_DIR}/hub_catalogue_validate)
    set_tests_properties(hub_catalogue_validate PROPERTIES TIMEOUT 600)
endif()
