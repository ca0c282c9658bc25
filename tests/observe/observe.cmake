# The observe concept's tests (included from tests/CMakeLists.txt): the metrics registry and its
# exposition, checked exactly, by prometheus_client's parsers (Debian python3-prometheus-client)
# and by a real Prometheus server (Debian prometheus) scraping the listener.
webhook_add_test(observe/metrics_test.cpp)
webhook_add_test(observe/metrics_listener_test.cpp)

# prometheus_client's parsers read both formats back. Debian's python3 (HINTS before PATH: a
# python3 of pyenv or a venv first on the PATH has not got the Debian package).
find_program(WEBHOOK_PYTHON3 python3 HINTS /usr/bin)
webhook_add_test(observe/metrics_prometheus_client_test.cpp)
target_compile_definitions(observe_metrics_prometheus_client_test PRIVATE
    WEBHOOK_PYTHON3="${WEBHOOK_PYTHON3}" WEBHOOK_OBSERVE_DIR="${CMAKE_CURRENT_SOURCE_DIR}/observe")

# A real Prometheus scrapes the listener. Not found, the test still builds and fails saying
# what to install: it is never skipped silently.
find_program(WEBHOOK_PROMETHEUS prometheus)
if(NOT WEBHOOK_PROMETHEUS)
    message(STATUS "webhook: prometheus not found; observe_metrics_listener_prometheus_test will "
                   "fail until it is installed (scripts/deps.sh test)")
endif()
webhook_add_test(observe/metrics_listener_prometheus_test.cpp)
target_compile_definitions(observe_metrics_listener_prometheus_test PRIVATE
    WEBHOOK_PROMETHEUS="${WEBHOOK_PROMETHEUS}")
set_tests_properties(observe_metrics_listener_prometheus_test PROPERTIES TIMEOUT 180)
