# The toolkit family of the differential fuzzer (fuzz/gen_tk.py: gen.py's scenarios plus
# wait_for, shield, TaskGroup and timeout nodes): test twin.tk_fuzz, built like
# twin.gw_fuzz (fuzz/CMakeLists.txt). Included by tests/conformance/CMakeLists.txt.

set(ASYNCIO_TK_FUZZ_SEEDS "1-60" CACHE STRING
    "Seeds of the toolkit fuzz scenarios built into tk_fuzz (gen_tk.py seed list)")

if(NOT Python3_Interpreter_FOUND)
  add_test(NAME twin.tk_fuzz COMMAND ${CMAKE_COMMAND}
           "-DMSG=CPython 3.13 was not found at configure time: the fuzzer needs it to generate and run its scenarios"
           -P ${CMAKE_CURRENT_LIST_DIR}/../fail.cmake)
  return()
endif()

set(_tk_fuzz_scenarios ${CMAKE_CURRENT_BINARY_DIR}/tk_fuzz_scenarios.cpp)
add_custom_command(
  OUTPUT ${_tk_fuzz_scenarios}
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/gen_tk.py cpp "${ASYNCIO_TK_FUZZ_SEEDS}"
          -o ${_tk_fuzz_scenarios}
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/gen_tk.py ${CMAKE_CURRENT_LIST_DIR}/gen.py
  COMMENT "Generating the toolkit fuzz scenarios ${ASYNCIO_TK_FUZZ_SEEDS}"
  VERBATIM)
add_executable(tk_fuzz ${_tk_fuzz_scenarios})
target_include_directories(tk_fuzz PRIVATE ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_CURRENT_LIST_DIR}/..)
target_link_libraries(tk_fuzz PRIVATE asyncio::asyncio asyncio_warnings)
# One large generated translation unit: optimising it would only slow the build down.
target_compile_options(tk_fuzz PRIVATE -O0 -g0)
add_dependencies(twins tk_fuzz)

add_test(NAME twin.tk_fuzz
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/run_tk_fuzz.py
                 --cxx $<TARGET_FILE:tk_fuzz> --seeds "${ASYNCIO_TK_FUZZ_SEEDS}"
                 --python ${Python3_EXECUTABLE})
set_tests_properties(twin.tk_fuzz PROPERTIES TIMEOUT 120 LABELS conformance)
