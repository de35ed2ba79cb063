# facegate_mrz: ICAO 9303 machine readable zones. mrz_compose/mrz_parse are text only; ocrb_glyphs
# classifies OCR-B characters against templates rendered from Debian's fonts-ocr-b; mrz_reader finds
# and reads the zone in an image.
set(FACEGATE_OCRB_FONT "/usr/share/fonts/opentype/ocr-b/OCRB.otf" CACHE FILEPATH
    "OCR-B font the MRZ glyph templates are rendered from (fonts-ocr-b); env FACEGATE_OCRB_FONT overrides it")

# the countries an MRZ may name: ISO 3166-1 alpha-3 from Debian's iso-codes, read at configure time
# into a generated list (ICAO's own codes, such as D and UTO, are added in mrz_country_codes.cpp)
set(FACEGATE_ISO_3166_JSON "/usr/share/iso-codes/json/iso_3166-1.json" CACHE FILEPATH
    "ISO 3166-1 country codes (Debian's iso-codes) the MRZ reader chooses country fields among")
if(NOT EXISTS "${FACEGATE_ISO_3166_JSON}")
  message(FATAL_ERROR "${FACEGATE_ISO_3166_JSON} is missing: install Debian's iso-codes (scripts/setup.sh does)")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${FACEGATE_ISO_3166_JSON}")
file(READ "${FACEGATE_ISO_3166_JSON}" _iso_json)
string(JSON _iso_count LENGTH "${_iso_json}" "3166-1")
math(EXPR _iso_last "${_iso_count} - 1")
set(_iso_codes "")
foreach(i RANGE ${_iso_last})
  string(JSON _code GET "${_iso_json}" "3166-1" ${i} "alpha_3")
  string(APPEND _iso_codes "\"${_code}\",\n")
endforeach()
file(CONFIGURE OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/generated/document/iso_3166_alpha3.inc"
     CONTENT "// generated from ${FACEGATE_ISO_3166_JSON} by src/document/mrz.cmake\n${_iso_codes}")

add_library(facegate_mrz STATIC
  ${CMAKE_CURRENT_LIST_DIR}/mrz_country_codes.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_compose.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_layout.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_parse.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ocrb_glyphs.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_choice.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mrz_reader.cpp)
target_include_directories(facegate_mrz PUBLIC ${PROJECT_SOURCE_DIR}/src
                           PRIVATE ${CMAKE_CURRENT_BINARY_DIR}/generated)
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
