# Synchronisation benchmarks (locks.hpp, queues.hpp, threads.hpp): bench_sync, whose
# CPython twin and comparison table is python/sync.py. Included by bench/CMakeLists.txt.
add_executable(bench_sync ${CMAKE_CURRENT_LIST_DIR}/sync.cpp)
target_link_libraries(bench_sync PRIVATE asyncio::asyncio asyncio_warnings)
