# W7: TCP echo (bench/w7/). The load generator and our server always; the Boost.Asio
# server when Boost's headers are found (Debian libboost1.81-dev). bench/w7.py drives them.
add_executable(bench_w7_loadgen ${CMAKE_CURRENT_LIST_DIR}/loadgen.cpp)
add_executable(bench_w7_echo ${CMAKE_CURRENT_LIST_DIR}/echo_server.cpp)
target_link_libraries(bench_w7_echo PRIVATE asyncio::asyncio asyncio_warnings)
find_package(Boost 1.74 QUIET)
if(Boost_FOUND)
  add_executable(bench_w7_asio ${CMAKE_CURRENT_LIST_DIR}/echo_asio.cpp)
  target_include_directories(bench_w7_asio SYSTEM PRIVATE ${Boost_INCLUDE_DIRS})
  target_compile_features(bench_w7_asio PRIVATE cxx_std_20)
  target_link_libraries(bench_w7_asio PRIVATE Threads::Threads)
else()
  message(STATUS "Boost not found: skipping bench_w7_asio")
endif()
