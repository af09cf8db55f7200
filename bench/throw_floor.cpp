// The floor of W4: one C++ throw/catch through one frame, N times (CancelledError, as a
// cancelled task's body throws it and the awaiting frame catches it). Figure: ns per
// throw/catch. For instruction counts (the W4 ratio in docs/benchmarks.md):
//   valgrind --tool=callgrind --collect-atstart=no --toggle-collect='throw_loop*'
//            build-bench/bench/bench_throw_floor 1e5
// and divide the total by N.

#include <cstdint>

#include "asyncio/exceptions.hpp"
#include "common.hpp"

namespace {

[[gnu::noinline]] void thrower(std::size_t i) {
  if (i != ~std::size_t{0}) throw asyncio::CancelledError("");
}

[[gnu::noinline]] std::size_t throw_loop(std::size_t n) {
  std::size_t caught = 0;
  for (std::size_t i = 0; i < n; ++i) {
    try {
      thrower(i);
    } catch (const asyncio::CancelledError&) {
      ++caught;
    }
  }
  return caught;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 100000);
  bench::JsonLine out = bench::header("throw_floor", a.n, "ns_per_throw");
  const std::int64_t t0 = bench::now_ns();
  std::size_t c = throw_loop(a.n);
  const std::int64_t t1 = bench::now_ns();
  if (c != a.n) bench::fail("every throw caught");
  out.add("value", static_cast<double>(t1 - t0) / static_cast<double>(a.n))
      .add("peak_rss_mib", bench::peak_rss_mib())
      .print();
}
