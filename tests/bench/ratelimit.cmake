# The rate limiter's cost per call for each store (memory, host, redis with its own server).
# Include from tests/bench/CMakeLists.txt: include(${CMAKE_CURRENT_SOURCE_DIR}/ratelimit.cmake)
# Run: <build>/tests/bench/ratelimit_bench [calls] [redis_calls]  -> one JSON line per store.
add_executable(ratelimit_bench ${CMAKE_CURRENT_LIST_DIR}/ratelimit_bench.cpp)
target_include_directories(ratelimit_bench PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../unit/ratelimit)
target_link_libraries(ratelimit_bench PRIVATE toolgate_ratelimit PkgConfig::HIREDIS toolgate_warnings)
