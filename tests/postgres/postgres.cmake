# The PostgreSQL outbox's tests: only where libpq (webhook::postgres) and PostgreSQL 15's server
# binaries are found. Each test program initdb's its own cluster in a temporary directory and
# runs it on a free loopback port (never a system service). Included from tests/CMakeLists.txt.
# HINTS, not PATHS: the version's own directory before the PATH (where /usr/local/bin may have
# links to it, or another version may be).
find_program(WEBHOOK_PG_POSTGRES postgres HINTS /usr/lib/postgresql/15/bin)
if(WEBHOOK_PG_POSTGRES)
    # initdb is beside postgres (a link to postgres is followed to where initdb is).
    get_filename_component(WEBHOOK_PG_BIN ${WEBHOOK_PG_POSTGRES} REALPATH)
    get_filename_component(WEBHOOK_PG_BIN ${WEBHOOK_PG_BIN} DIRECTORY)
endif()
if(NOT TARGET webhook::postgres OR NOT WEBHOOK_PG_POSTGRES OR NOT EXISTS ${WEBHOOK_PG_BIN}/initdb)
    message(STATUS "webhook: PostgreSQL tests skipped (need libpq and PostgreSQL 15's postgres: "
                   "Debian libpq-dev postgresql-15, initdb beside postgres)")
    return()
endif()

foreach(test postgres_server_selftest postgres_spool_test postgres_outbox_test)
    webhook_add_test(postgres/${test}.cpp)
    target_link_libraries(postgres_${test} PRIVATE webhook::postgres)
    target_compile_definitions(postgres_${test} PRIVATE WEBHOOK_PG_BIN="${WEBHOOK_PG_BIN}")
    set_tests_properties(postgres_${test} PROPERTIES TIMEOUT 120)
endforeach()

# The multi-process suite: dispatcher processes (postgres_worker) sharing one outbox table, a
# producer process committing events in its own transactions, and the crash suite's receiver
# process (spool/crash.cmake) logging every webhook-id it answers.
add_executable(postgres_worker postgres/postgres_worker.cpp)
target_link_libraries(postgres_worker PRIVATE webhook::postgres webhook::compiled
                                              webhook_project_options)
webhook_add_test(postgres/postgres_multiprocess_test.cpp)
target_link_libraries(postgres_postgres_multiprocess_test PRIVATE webhook::postgres)
target_compile_definitions(postgres_postgres_multiprocess_test PRIVATE
    WEBHOOK_PG_BIN="${WEBHOOK_PG_BIN}"
    WEBHOOK_PG_WORKER="$<TARGET_FILE:postgres_worker>"
    WEBHOOK_CRASH_RECEIVER="$<TARGET_FILE:spool_crash_receiver>")
add_dependencies(postgres_postgres_multiprocess_test postgres_worker spool_crash_receiver)
set_tests_properties(postgres_postgres_multiprocess_test PROPERTIES TIMEOUT 240)
