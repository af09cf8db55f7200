// W3: N tasks sleeping uniform [0, 50 ms); drained with
//   while pending: done, pending = wait(pending, FIRST_COMPLETED)
// passing back the pending set the previous call returned. Figure: total ms.
// Twin: python/w3.py.

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<std::uint32_t> sleeper_us(std::uint32_t d_us) {
  co_await asyncio::sleep(static_cast<double>(d_us) / 1e6);
  co_return d_us;
}

asyncio::Coro<void> w3(std::size_t n, std::uint32_t seed, bench::JsonLine& out) {
  const std::vector<std::uint32_t> d = bench::durations_us(n, 50000, seed);
  constexpr asyncio::WaitOptions first{.return_when = asyncio::FIRST_COMPLETED};
  const std::int64_t t0 = bench::now_ns();
  std::vector<asyncio::Task<std::uint32_t>> tasks;
  tasks.reserve(n);
  for (std::uint32_t x : d) tasks.push_back(asyncio::create_task(sleeper_us(x)));
  std::size_t iters = 1, scanned = n;
  auto r = co_await asyncio::wait(std::move(tasks), first);
  std::size_t ndone = r.done.size();
  asyncio::WaitSet<asyncio::Task<std::uint32_t>> pending = std::move(r.pending);
  while (!pending.empty()) {
    scanned += pending.size();
    auto next = co_await asyncio::wait(std::move(pending), first);
    ndone += next.done.size();
    pending = std::move(next.pending);
    ++iters;
  }
  const std::int64_t t1 = bench::now_ns();
  if (ndone != n) bench::fail("done count");
  out.add("value", static_cast<double>(t1 - t0) / 1e6).add("iters", iters).add("scanned", scanned);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 1000);
  bench::JsonLine out = bench::header("W3", a.n, "total_ms");
  asyncio::run(w3(a.n, a.seed, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
