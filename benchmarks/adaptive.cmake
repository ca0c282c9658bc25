# The adaptive-concurrency benchmark (benchmarks/run_adaptive.sh): the dispatcher with fixed
# limits and with adaptive concurrency against the overloaded receivers of the tests
# (tests/support/overload_receivers.hpp), in one process. Included from benchmarks/CMakeLists.txt.
find_package(Threads REQUIRED)
add_executable(adaptive_benchmark adaptive_benchmark.cpp)
target_include_directories(adaptive_benchmark PRIVATE ${PROJECT_SOURCE_DIR}/tests)
target_link_libraries(adaptive_benchmark PRIVATE webhook::compiled webhook_project_options
                                                 Threads::Threads)
