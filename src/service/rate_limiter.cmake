# facegate_rate_limiter: sliding-window rate limits keyed by string (per external ID, per client).
# included by the project (include(src/service/rate_limiter.cmake) after facegate_testing.cmake);
# paths are relative to this file so it does not matter from where.
add_library(facegate_rate_limiter STATIC ${CMAKE_CURRENT_LIST_DIR}/rate_limiter.cpp)
target_include_directories(facegate_rate_limiter PUBLIC ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(facegate_rate_limiter PUBLIC facegate_common)

facegate_add_test(test_rate_limiter
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/../../tests/service/test_rate_limiter.cpp
  LIBS facegate_rate_limiter Threads::Threads
  LABELS unit)
