// W3s: strict drain. Task i awaits its own gate future; each round opens one gate (in a
// seeded random order) and calls wait(pending, FIRST_COMPLETED) with the pending set the
// previous call returned, so exactly one task completes per call. Figure: total ms (the
// driver fits the growth exponent over N). Twin: python/w3s.py.

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<int> gated(asyncio::Future<int> gate) { co_return co_await gate; }

asyncio::Coro<void> w3s(std::size_t n, std::uint32_t seed, bench::JsonLine& out) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  const std::vector<std::uint32_t> order = bench::permutation(n, seed);
  std::vector<asyncio::Future<int>> gates;
  gates.reserve(n);
  for (std::size_t i = 0; i < n; ++i) gates.push_back(loop.create_future<int>());
  constexpr asyncio::WaitOptions first{.return_when = asyncio::FIRST_COMPLETED};

  const std::int64_t t0 = bench::now_ns();
  const std::int64_t c0 = bench::cpu_ns();
  std::vector<asyncio::Task<int>> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(gated(gates[i])));
  co_await asyncio::sleep(0);  // every task starts and parks on its gate
  asyncio::WaitSet<asyncio::Task<int>> pending;
  std::size_t scanned = 0;
  for (std::size_t round = 0; round < n; ++round) {
    const std::uint32_t g = order[round];
    gates[g].set_result(static_cast<int>(g));
    asyncio::WaitResult<asyncio::Task<int>> r;
    if (round == 0) {
      scanned += tasks.size();
      r = co_await asyncio::wait(std::move(tasks), first);
    } else {
      scanned += pending.size();
      r = co_await asyncio::wait(std::move(pending), first);
    }
    if (r.done.size() != 1 || r.done.front().result() != static_cast<int>(g))
      bench::fail("exactly the opened task completes");
    pending = std::move(r.pending);
  }
  const std::int64_t t1 = bench::now_ns();
  const std::int64_t c1 = bench::cpu_ns();
  if (!pending.empty()) bench::fail("pending left");
  out.add("value", static_cast<double>(t1 - t0) / 1e6)
      .add("cpu_ms", static_cast<double>(c1 - c0) / 1e6)
      .add("iters", n)
      .add("scanned", scanned);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 1000);
  bench::JsonLine out = bench::header("W3s", a.n, "total_ms");
  asyncio::run(w3s(a.n, a.seed, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
