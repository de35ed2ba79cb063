# facegate_mrz: ICAO 9303 machine readable zones. mrz_compose/mrz_parse are text only; ocrb_glyphs
# classifies OCR-B characters against templates rendered from Debian's fonts-ocr-b; mrz_reader finds
# and reads the zone in an image.
set(FACEGATE_OCRB_FONT "/usr/share/fonts/opentype/ocr-b/OCRB.otf" CACHE FILEPATH
    "OCR-B font the MRZ glyph templates are rendered from (fonts-ocr-b); env FACEGATE_OCRB_FONT overrides it")

add_library(facegate_mrz STATIC
  ${CMAKE_CURRENT_LIST_DIR}/mrz_compose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_layout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_parse.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ocrb_glyphs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_choice.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_reader.cpp)
target_include_directories(facegate_mrz PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(facegate_mrz PUBLIC facegate_common ${OpenCV_LIBS})
target_compile_definitions(facegate_mrz PRIVATE FACEGATE_OCRB_FONT_DEFAULT="${FACEGATE_OCRB_FONT}")

# unit: text, glyphs and synthesised documents; shared: the ICAO specimen scans of ../shared/data
facegate_add_test(test_mrz SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_mrz.cpp
                  LIBS facegate_mrz LABELS unit)
facegate_add_test(test_mrz_choice SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_mrz_choice.cpp
                  LIBS facegate_mrz LABELS unit)
facegate_add_test(test_mrz_reader SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_mrz_reader.cpp
                  LIBS facegate_mrz LABELS unit)
facegate_add_test(test_mrz_specimens SOURCES ${PROJECT_SOURCE_DIR}/tests/document/test_mrz_specimens.cpp
                  LIBS facegate_mrz LABELS shared)
