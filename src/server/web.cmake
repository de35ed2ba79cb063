# facegate_web: the pages of web/ compiled into the binary (their routes are server/web_routes.cpp).
# included from src/CMakeLists.txt: include(server/web.cmake)
include(${PROJECT_SOURCE_DIR}/cmake/embed_web.cmake)

set(FACEGATE_WEB_GENERATED ${CMAKE_CURRENT_BINARY_DIR}/web_assets_data.cpp)
facegate_embed_web(WEB_DIR ${PROJECT_SOURCE_DIR}/web OUTPUT ${FACEGATE_WEB_GENERATED})

add_library(facegate_web STATIC
  ${CMAKE_CURRENT_LIST_DIR}/web_assets.cpp
  ${FACEGATE_WEB_GENERATED})
target_include_directories(facegate_web PUBLIC ${PROJECT_SOURCE_DIR}/src)
