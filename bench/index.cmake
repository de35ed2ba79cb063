# bench_index: latency, recall, memory and build time of the vector index (see docs/benchmarks-index.md)
add_executable(bench_index ${CMAKE_CURRENT_LIST_DIR}/bench_index.cpp)
target_link_libraries(bench_index PRIVATE facegate_index)
