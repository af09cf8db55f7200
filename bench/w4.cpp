// W4: N tasks sleeping 1 h, gathered; once all are suspended, cancel the gather.
// Figure: ns per cancelled task, from the cancel call until the gather has resolved.
// Twin: python/w4.py.

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<void> w4(std::size_t n, bench::JsonLine& out) {
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(asyncio::sleep(3600)));
  auto g = asyncio::gather(tasks);
  co_await asyncio::sleep(0);  // every task has started and holds a 1 h timer
  const std::int64_t t0 = bench::now_ns();
  g.cancel();
  bool cancelled = false;
  try {
    co_await g;
  } catch (const asyncio::CancelledError&) {
    cancelled = true;
  }
  const std::int64_t t1 = bench::now_ns();
  if (!cancelled) bench::fail("gather was not cancelled");
  for (const auto& t : tasks)
    if (!t.cancelled()) bench::fail("every task cancelled");
  out.add("value", static_cast<double>(t1 - t0) / static_cast<double>(n))
      .add("cancel_ms", static_cast<double>(t1 - t0) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 100000);
  bench::JsonLine out = bench::header("W4", a.n, "ns_per_task");
  asyncio::run(w4(a.n, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
