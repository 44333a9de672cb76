# neuropart_cc_library(NAME name SRCS ... DEPS ... [PUBLIC_DEPS ...])
#   A static library; public headers come from core/include.
function(neuropart_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(${A_NAME} STATIC ${A_SRCS})
  target_include_directories(${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/core/include
                                       PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_DEPS})
endfunction()

# neuropart_cc_test(NAME name SRCS ... DEPS ... [COPTS ...] [DEFINES ...] [LABEL unit|integration|e2e])
#   A GoogleTest binary whose cases CTest discovers one by one; nothing when BUILD_TESTING is OFF.
function(neuropart_cc_test)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(A "" "NAME;LABEL" "SRCS;DEPS;COPTS;DEFINES" ${ARGN})
  if(NOT A_LABEL)
    set(A_LABEL unit)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_options(${A_NAME} PRIVATE ${A_COPTS})
  target_compile_definitions(${A_NAME} PRIVATE ${A_DEFINES})
  gtest_discover_tests(${A_NAME} DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS ${A_LABEL}
                       ENVIRONMENT "NEUROPART_SOURCE_DIR=${PROJECT_SOURCE_DIR};NEUROPART_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# neuropart_cc_fuzzer(NAME name SRCS ... DEPS ...)
#   A libFuzzer harness, built only by the fuzz preset (NEUROPART_FUZZ) as part of the target
#   neuropart_fuzzers. Its corpus is tests/fuzz/corpus/<name>. Two CTests, label `fuzz`:
#   <name>.corpus replays the corpus (the regression cases), <name>.run fuzzes a scratch copy of
#   it for NEUROPART_FUZZ_SECONDS through scripts/fuzz.
function(neuropart_cc_fuzzer)
  if(NOT NEUROPART_FUZZ OR NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}
                                               ${PROJECT_SOURCE_DIR}/tests/fuzz)
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  target_link_options(${A_NAME} PRIVATE -fsanitize=fuzzer)
  add_dependencies(neuropart_fuzzers ${A_NAME})
  # -runs=0 executes every input of the corpus once and generates none.
  add_test(NAME ${A_NAME}.corpus
           COMMAND ${A_NAME} -runs=0 ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${A_NAME})
  add_test(NAME ${A_NAME}.run
           COMMAND ${PROJECT_SOURCE_DIR}/scripts/fuzz --no-build --build-dir ${PROJECT_BINARY_DIR}
                   --seconds ${NEUROPART_FUZZ_SECONDS} ${A_NAME})
  set_tests_properties(${A_NAME}.corpus ${A_NAME}.run PROPERTIES LABELS fuzz)
endfunction()

# neuropart_install_binary(TARGET target COMPONENT worker|operator)
#   Installs the binary into <prefix>/bin as part of COMPONENT (the images run
#   `cmake --install --component`).
function(neuropart_install_binary)
  cmake_parse_arguments(A "" "TARGET;COMPONENT" "" ${ARGN})
  install(TARGETS ${A_TARGET} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${A_COMPONENT})
endfunction()

# neuropart_find_python(VAR MODULE module [REQUIRED])
#   Sets VAR to the first python3 on PATH (then the system's) that can `import module`: a pyenv
#   shim or a venv earlier on PATH often lacks Debian's python3-numpy or python3-torch.
function(neuropart_python_imports result candidate)
  execute_process(COMMAND ${candidate} -c "import ${NEUROPART_PYTHON_MODULE}"
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    set(${result} FALSE PARENT_SCOPE)
  endif()
endfunction()

function(neuropart_find_python var)
  cmake_parse_arguments(A "REQUIRED" "MODULE" "" ${ARGN})
  set(NEUROPART_PYTHON_MODULE ${A_MODULE})
  find_program(${var} NAMES python3 NAMES_PER_DIR PATHS /usr/bin
               VALIDATOR neuropart_python_imports)
  if(A_REQUIRED AND NOT ${var})
    message(FATAL_ERROR "no python3 on PATH can `import ${A_MODULE}`; install Debian's "
                        "python3-${A_MODULE} (scripts/install-deps.sh) or pass -D${var}=...")
  endif()
endfunction()
