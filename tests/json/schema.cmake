# The JSON Schema generator: unit tests of every mapping, and real documents checked by an
# independent validator (Debian's python3-jsonschema).

webhook_add_test(json/schema_test.cpp)

# Prints one JSON line per case: a schema, a document, and whether it must validate.
add_executable(json_schema_cases json/schema_cases.cpp)
target_include_directories(json_schema_cases PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(json_schema_cases PRIVATE webhook::webhook webhook_project_options)
# Building the unit tests builds the cases too, so `--target json_schema_test` then
# `ctest -R schema` runs everything.
add_dependencies(json_schema_test json_schema_cases)

# Debian's interpreter, explicitly: the python3 first on PATH may be a separate build that does
# not see Debian's dist-packages, and so not python3-jsonschema.
find_program(WEBHOOK_DEBIAN_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT WEBHOOK_DEBIAN_PYTHON3)
    message(WARNING "/usr/bin/python3 not found: json_schema_validate will fail. "
                    "Install python3 and python3-jsonschema (scripts/deps.sh test).")
    set(WEBHOOK_DEBIAN_PYTHON3 /usr/bin/python3)
endif()
add_test(NAME json_schema_validate
         COMMAND sh -c [["$1" | "$2" "$3"]] sh $<TARGET_FILE:json_schema_cases>
                 ${WEBHOOK_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_validate.py)

# A type the serializer cannot write has no schema either: the serializer's one compile error
# (require_serializable), naming the member type that cannot be written, and no other.
add_test(NAME json_schema_unsupported_fail
         COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I${PROJECT_SOURCE_DIR}/include
                 ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_unsupported_fail.cpp)
set_tests_properties(json_schema_unsupported_fail PROPERTIES
    PASS_REGULAR_EXPRESSION "unsupported_type<int\\*>.*json::schema\\(.*this type cannot be serialized"
    FAIL_REGULAR_EXPRESSION "error:.*error:")
add_test(NAME json_schema_unsupported_control
         COMMAND ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -DWEBHOOK_SCHEMA_CONTROL
                 -I${PROJECT_SOURCE_DIR}/include
                 ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_unsupported_fail.cpp)

# The validation script itself: it must report wrong expectations and invalid schemas, and
# must not pass when no case ran.
add_test(NAME json_schema_validate_reports_failures
         COMMAND sh -c [=[out=$("$1" "$2" < "$3"); rc=$?; printf '%s\n' "$out"
                         last=$(printf '%s\n' "$out" | tail -n 1)
                         [ "$rc" -ne 0 ] && [ "$last" = "1 passed, 2 failed" ]]=]
                 sh ${WEBHOOK_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_validate.py
                 ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_validate_selftest.jsonl)
add_test(NAME json_schema_validate_refuses_no_cases
         COMMAND sh -c [[! "$1" "$2" < /dev/null]]
                 sh ${WEBHOOK_DEBIAN_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/json/schema_validate.py)
