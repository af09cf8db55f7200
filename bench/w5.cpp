// W5: N tasks suspended in sleep(1) at once. Figure: bytes of RSS per task, from
// /proc/self/statm before creating them and after one loop iteration (all suspended);
// the gather and the task handles count, as in every peer. Twin: python/w5.py.

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<void> w5(std::size_t n, bench::JsonLine& out) {
  const std::int64_t rss0 = bench::current_rss_bytes();
  const std::int64_t heap0 = bench::malloc_in_use_bytes();
  const std::int64_t t0 = bench::now_ns();
  std::vector<asyncio::Task<void>> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(asyncio::sleep(1.0)));
  auto g = asyncio::gather(tasks);
  co_await asyncio::sleep(0);  // every task is now suspended in sleep(1)
  const std::int64_t t_spawned = bench::now_ns();
  const std::int64_t rss1 = bench::current_rss_bytes();
  const std::int64_t heap1 = bench::malloc_in_use_bytes();
  co_await g;
  const std::int64_t t1 = bench::now_ns();
  const double dn = static_cast<double>(n);
  out.add("value", static_cast<double>(rss1 - rss0) / dn)
      .add("heap_bytes_per_task", static_cast<double>(heap1 - heap0) / dn)
      .add("rss_during_mib", static_cast<double>(rss1) / (1 << 20))
      .add("rss_base_mib", static_cast<double>(rss0) / (1 << 20))
      .add("spawn_ms", static_cast<double>(t_spawned - t0) / 1e6)
      .add("total_ms", static_cast<double>(t1 - t0) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 1000000);
  bench::JsonLine out = bench::header("W5", a.n, "bytes_per_task");
  asyncio::run(w5(a.n, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
