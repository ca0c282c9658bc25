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
