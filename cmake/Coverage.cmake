# Coverage of the freestanding core (src/core) with gcov + lcov.
#
# Included by the top-level CMakeLists.txt when -DDXEMEM_COVERAGE=ON (which
# also compiles everything with --coverage -O0). Adds one target:
#
#   cmake -S . -B build-cov -DDXEMEM_COVERAGE=ON
#   cmake --build build-cov -j2 && cmake --build build-cov --target coverage
#
# which resets the counters, runs the whole CTest suite, captures the
# counters with lcov, keeps only src/core, writes an HTML report to
# <build>/coverage/html/index.html, prints the line and function coverage of
# src/core and fails when it is below DXEMEM_COVERAGE_MIN_LINES (percent of
# lines) or DXEMEM_COVERAGE_MIN_FUNCTIONS (percent of functions). The
# minimums are meant to go up only.
#
# The same file is also the checking script (cmake -P): in script mode it
# reads an lcov tracefile and compares its totals with the minimums.

if(CMAKE_SCRIPT_MODE_FILE)
  # ---- script mode: cmake -DINFO=... -DMIN_LINES=.. -DMIN_FUNCTIONS=.. -P
  if(NOT EXISTS "${INFO}")
    message(FATAL_ERROR "coverage: no tracefile ${INFO}")
  endif()
  file(STRINGS "${INFO}" records REGEX "^(LF|LH|FNF|FNH):")
  set(lines_found 0)
  set(lines_hit 0)
  set(functions_found 0)
  set(functions_hit 0)
  foreach(record ${records})
    string(REGEX MATCH "^([A-Z]+):([0-9]+)$" _ "${record}")
    set(value ${CMAKE_MATCH_2})
    if(CMAKE_MATCH_1 STREQUAL "LF")
      math(EXPR lines_found "${lines_found} + ${value}")
    elseif(CMAKE_MATCH_1 STREQUAL "LH")
      math(EXPR lines_hit "${lines_hit} + ${value}")
    elseif(CMAKE_MATCH_1 STREQUAL "FNF")
      math(EXPR functions_found "${functions_found} + ${value}")
    elseif(CMAKE_MATCH_1 STREQUAL "FNH")
      math(EXPR functions_hit "${functions_hit} + ${value}")
    endif()
  endforeach()
  if(lines_found EQUAL 0 OR functions_found EQUAL 0)
    message(FATAL_ERROR "coverage: ${INFO} has no src/core data "
                        "(did the tests run?)")
  endif()

  # Percentages with one decimal, in integer arithmetic.
  function(percent hit found out)
    math(EXPR tenths "(${hit} * 1000) / ${found}")
    math(EXPR whole "${tenths} / 10")
    math(EXPR frac "${tenths} % 10")
    set(${out} "${whole}.${frac}%" PARENT_SCOPE)
  endfunction()
  percent(${lines_hit} ${lines_found} line_pct)
  percent(${functions_hit} ${functions_found} function_pct)
  message("src/core coverage: lines ${line_pct} (${lines_hit}/${lines_found}), "
          "functions ${function_pct} (${functions_hit}/${functions_found})")
  message("report: ${REPORT}")

  set(failed "")
  math(EXPR lines_scaled "${lines_hit} * 100")
  math(EXPR lines_needed "${MIN_LINES} * ${lines_found}")
  if(lines_scaled LESS lines_needed)
    string(APPEND failed " lines ${line_pct} < ${MIN_LINES}%;")
  endif()
  math(EXPR functions_scaled "${functions_hit} * 100")
  math(EXPR functions_needed "${MIN_FUNCTIONS} * ${functions_found}")
  if(functions_scaled LESS functions_needed)
    string(APPEND failed " functions ${function_pct} < ${MIN_FUNCTIONS}%;")
  endif()
  if(failed)
    message(FATAL_ERROR "coverage below the minimum:${failed}")
  endif()
  return()
endif()

# ---- configure mode: the coverage target ----------------------------------
set(DXEMEM_COVERAGE_MIN_LINES 95 CACHE STRING
    "Minimum line coverage of src/core, percent")
set(DXEMEM_COVERAGE_MIN_FUNCTIONS 100 CACHE STRING
    "Minimum function coverage of src/core, percent")

find_program(DXEMEM_LCOV lcov)
find_program(DXEMEM_GENHTML genhtml)
if(NOT DXEMEM_LCOV OR NOT DXEMEM_GENHTML)
  message(FATAL_ERROR "DXEMEM_COVERAGE needs lcov and genhtml "
                      "(apt-get install lcov)")
endif()
if(NOT DXEMEM_TESTS)
  message(FATAL_ERROR "DXEMEM_COVERAGE needs DXEMEM_TESTS=ON")
endif()

# lcov runs gcov; with clang, gcov is `llvm-cov gcov`.
set(dxemem_gcov_tool "")
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
  find_program(DXEMEM_LLVM_COV NAMES llvm-cov)
  if(NOT DXEMEM_LLVM_COV)
    message(FATAL_ERROR "DXEMEM_COVERAGE with clang needs llvm-cov")
  endif()
  set(staged ${PROJECT_BINARY_DIR}/CMakeFiles/coverage-gcov.sh)
  file(WRITE ${staged} "#!/bin/sh\nexec \"${DXEMEM_LLVM_COV}\" gcov \"$@\"\n")
  file(COPY ${staged} DESTINATION ${PROJECT_BINARY_DIR}
       FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ
                        GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  set(dxemem_gcov_tool --gcov-tool ${PROJECT_BINARY_DIR}/coverage-gcov.sh)
endif()

set(dxemem_cov_dir ${PROJECT_BINARY_DIR}/coverage)
set(dxemem_cov_all ${dxemem_cov_dir}/all.info)
set(dxemem_cov_core ${dxemem_cov_dir}/core.info)
set(dxemem_cov_html ${dxemem_cov_dir}/html)

add_custom_target(coverage
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${dxemem_cov_dir}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${dxemem_cov_dir}
  COMMAND ${DXEMEM_LCOV} --quiet ${dxemem_gcov_tool} --zerocounters
          --directory ${PROJECT_BINARY_DIR}
  COMMAND ${CMAKE_CTEST_COMMAND} --output-on-failure -j2
  COMMAND ${DXEMEM_LCOV} --quiet ${dxemem_gcov_tool} --capture
          --directory ${PROJECT_BINARY_DIR} --output-file ${dxemem_cov_all}
  COMMAND ${DXEMEM_LCOV} --quiet --extract ${dxemem_cov_all}
          "${PROJECT_SOURCE_DIR}/src/core/*" --output-file ${dxemem_cov_core}
  COMMAND ${DXEMEM_GENHTML} --quiet --title "dxemem src/core"
          --output-directory ${dxemem_cov_html} ${dxemem_cov_core}
  COMMAND ${CMAKE_COMMAND} -DINFO=${dxemem_cov_core}
          -DREPORT=${dxemem_cov_html}/index.html
          -DMIN_LINES=${DXEMEM_COVERAGE_MIN_LINES}
          -DMIN_FUNCTIONS=${DXEMEM_COVERAGE_MIN_FUNCTIONS}
          -P ${CMAKE_CURRENT_LIST_FILE}
  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
  COMMENT "Coverage of src/core (minimum: lines ${DXEMEM_COVERAGE_MIN_LINES}%, "
          "functions ${DXEMEM_COVERAGE_MIN_FUNCTIONS}%)"
  VERBATIM)
