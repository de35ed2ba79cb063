# facegate_document: finding and rectifying a document in a photo, choosing its portrait, scoring how
# sure we are it is an identity document, and the analyzer the register action calls (docs/documents.md).
add_library(facegate_document STATIC
  ${CMAKE_CURRENT_LIST_DIR}/document_locator.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_page.cpp
  ${CMAKE_CURRENT_LIST_DIR}/portrait_selector.cpp
  ${CMAKE_CURRENT_LIST_DIR}/document_confidence.cpp
  ${CMAKE_CURRENT_LIST_DIR}/document_orientation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/document_analyzer.cpp
  ${CMAKE_CURRENT_LIST_DIR}/document_explain.cpp)
target_include_directories(facegate_document PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(facegate_document PUBLIC facegate_mrz facegate_core PRIVATE nlohmann_json::nlohmann_json)

# the generator of synthetic documents (tools/id_document) is added after this directory: test for
# its CMakeLists rather than its target, which does not exist yet at this point
set(FACEGATE_DOCUMENT_TEST_LIBS facegate_document)
if(EXISTS ${PROJECT_SOURCE_DIR}/tools/id_document/CMakeLists.txt)
  list(APPEND FACEGATE_DOCUMENT_TEST_LIBS facegate_id_document_generator)
  set(FACEGATE_HAVE_ID_DOCUMENT_GENERATOR 1)
else()
  set(FACEGATE_HAVE_ID_DOCUMENT_GENERATOR 0)
endif()

facegate_add_test(test_document_locator
  SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_document_locator.cpp
  LIBS facegate_document LABELS unit)
facegate_add_test(test_document_analyzer
  SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_document_analyzer.cpp
  LIBS ${FACEGATE_DOCUMENT_TEST_LIBS} LABELS model)
facegate_add_test(test_document_specimens
  SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_document_specimens.cpp
  LIBS ${FACEGATE_DOCUMENT_TEST_LIBS} LABELS shared)
foreach(t test_document_locator test_document_analyzer test_document_specimens)
  if(TARGET ${t})
    target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
    target_compile_definitions(${t} PRIVATE FACEGATE_HAVE_ID_DOCUMENT_GENERATOR=${FACEGATE_HAVE_ID_DOCUMENT_GENERATOR})
  endif()
endforeach()
