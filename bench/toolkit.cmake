# Task-toolkit benchmarks (as_completed growth, TaskGroup vs gather, wait_for / timeout
# overhead): bench_toolkit, whose CPython twin and comparison table is python/toolkit.py.
# Included by bench/CMakeLists.txt.
add_executable(bench_toolkit ${CMAKE_CURRENT_LIST_DIR}/toolkit.cpp)
target_include_directories(bench_toolkit PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(bench_toolkit PRIVATE asyncio::asyncio asyncio_warnings)
