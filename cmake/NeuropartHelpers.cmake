# neuropart_cc_library(NAME name SRCS ... DEPS ... [PUBLIC_DEPS ...])
#   A static library; public headers come from core/include.
function(neuropart_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${A_NAME} STATIC ${A_SRCS})
  target_include_directories(${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/core/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
endfunction()

# neuropart_cc_test(NAME name SRCS ... DEPS ... [LABEL unit|integration|e2e])
#   A GoogleTest binary whose cases CTest discovers one by one.
function(neuropart_cc_test)
  cmake_parse_arguments(A "" "NAME;LABEL" "SRCS;DEPS" ${ARGN})
  if(NOT A_LABEL)
    set(A_LABEL unit)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${A_NAME} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS ${A_LABEL}
                       ENVIRONMENT "NEUROPART_SOURCE_DIR=${PROJECT_SOURCE_DIR};NEUROPART_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()
