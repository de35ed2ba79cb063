# facegate_add_test(NAME SOURCES a.cpp... [LIBS lib...] [LABELS label...])
# one GoogleTest executable per test file group, discovered by CTest.
# labels: unit (no models), model (needs the ONNX models), shared (needs ../shared/data), server, compat
include(GoogleTest)
function(facegate_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT FACEGATE_BUILD_TESTS)
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    FACEGATE_TEST_MODEL_DIR="${FACEGATE_MODEL_DIR}"
    FACEGATE_TEST_SAMPLES_DIR="${FACEGATE_TESTDATA_DIR}/samples"
    FACEGATE_TEST_SHARED_DIR="${FACEGATE_SHARED_DATA_DIR}"
    FACEGATE_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
