// W2: gather(gather(g1), gather(g2), gather(g3)) over N tasks split in thirds, each
// sleeping uniform [0, 10 ms) on the real clock. Figures: ms beyond the 10 ms floor, peak
// RSS. Twin: python/w2.py.

#include <cstdint>
#include <tuple>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

asyncio::Coro<std::uint32_t> sleeper_us(std::uint32_t d_us) {
  co_await asyncio::sleep(static_cast<double>(d_us) / 1e6);
  co_return d_us;
}

std::vector<asyncio::Coro<std::uint32_t>> sleepers(const std::vector<std::uint32_t>& d,
                                                   std::size_t from, std::size_t to) {
  std::vector<asyncio::Coro<std::uint32_t>> out;
  out.reserve(to - from);
  for (std::size_t i = from; i < to; ++i) out.push_back(sleeper_us(d[i]));
  return out;
}

asyncio::Coro<void> w2(std::size_t n, std::uint32_t seed, bench::JsonLine& out) {
  const std::vector<std::uint32_t> d = bench::durations_us(n, 10000, seed);
  const std::size_t a = n / 3, b = 2 * n / 3;
  const std::int64_t t0 = bench::now_ns();
  auto [r1, r2, r3] = co_await asyncio::gather(asyncio::gather(sleepers(d, 0, a)),
                                               asyncio::gather(sleepers(d, a, b)),
                                               asyncio::gather(sleepers(d, b, n)));
  const std::int64_t t1 = bench::now_ns();
  if (r1.size() != a || r2.size() != b - a || r3.size() != n - b) bench::fail("result count");
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t v = i < a ? r1[i] : i < b ? r2[i - a] : r3[i - b];
    if (v != d[i]) bench::fail("result value");
  }
  std::uint32_t max_us = 0;
  for (std::uint32_t x : d) max_us = x > max_us ? x : max_us;
  const double wall_ms = static_cast<double>(t1 - t0) / 1e6;
  out.add("value", wall_ms - 10.0).add("wall_ms", wall_ms).add("max_sleep_ms", max_us / 1e3);
}

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 100000);
  bench::JsonLine out = bench::header("W2", a.n, "ms_beyond_10ms");
  asyncio::run(w2(a.n, a.seed, out));
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
