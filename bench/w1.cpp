// W1: one coroutine gathers N trivial coroutines, each returning its index; the results
// are checked. Figure: ns per task (spawn + run + collect). Twin: python/w1.py.

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<int> trivial(int i) { co_return i; }

asyncio::Coro<void> w1(std::size_t n, bench::JsonLine& out) {
  const std::int64_t t0 = bench::now_ns();
  std::vector<asyncio::Coro<int>> coros;
  coros.reserve(n);
  for (std::size_t i = 0; i < n; ++i) coros.push_back(trivial(static_cast<int>(i)));
  std::vector<int> res = co_await asyncio::gather(std::move(coros));
  const std::int64_t t1 = bench::now_ns();
  if (res.size() != n) bench::fail("result count");
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (res[i] != static_cast<int>(i)) bench::fail("result order");
    sum += res[i];
  }
  if (sum != static_cast<std::int64_t>(n) * (static_cast<std::int64_t>(n) - 1) / 2)
    bench::fail("result sum");
  out.add("value", static_cast<double>(t1 - t0) / static_cast<double>(n))
      .add("total_ms", static_cast<double>(t1 - t0) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 100000);
  bench::JsonLine out = bench::header("W1", a.n, "ns_per_task");
  asyncio::run(w1(a.n, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
