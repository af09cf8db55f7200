// Synchronisation benchmarks: W6 (a token handed back and forth between two tasks through
// a Queue(maxsize=1) pair and through an Event pair), an uncontended Lock acquire/release,
// and a to_thread round trip. Twin and table: python/sync.py, which runs this program too:
//
//     python3 bench/python/sync.py --cxx build/bench/bench_sync
//
// Alone, this program prints one JSON line per figure (median of --reps runs):
//     {"bench": "w6_queue", "n": 1000000, "unit": "ns", "value": 21.3, "runs": [...]}

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

namespace {

using asyncio::Coro;

// W6, Queue variant: ns per hand-off (N hand-offs = N/2 round trips).
Coro<double> w6_queue(std::size_t n) {
  const std::size_t rounds = n / 2;
  asyncio::Queue<std::size_t> ab(1), ba(1);
  auto pong = [&]() -> Coro<void> {
    for (std::size_t i = 0; i < rounds; ++i) co_await ba.put(co_await ab.get());
  };
  const std::int64_t t0 = bench::now_ns();
  auto t = asyncio::create_task(pong());
  std::size_t last = 0;
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await ab.put(i);
    last = co_await ba.get();
  }
  co_await t;
  const std::int64_t t1 = bench::now_ns();
  if (rounds && last != rounds - 1) bench::fail("w6_queue: wrong token");
  co_return static_cast<double>(t1 - t0) / static_cast<double>(2 * rounds);
}

// W6, Event variant.
Coro<double> w6_event(std::size_t n) {
  const std::size_t rounds = n / 2;
  asyncio::Event ea, eb;
  auto pong = [&]() -> Coro<void> {
    for (std::size_t i = 0; i < rounds; ++i) {
      co_await eb.wait();
      eb.clear();
      ea.set();
    }
  };
  const std::int64_t t0 = bench::now_ns();
  auto t = asyncio::create_task(pong());
  for (std::size_t i = 0; i < rounds; ++i) {
    eb.set();
    co_await ea.wait();
    ea.clear();
  }
  co_await t;
  const std::int64_t t1 = bench::now_ns();
  co_return static_cast<double>(t1 - t0) / static_cast<double>(2 * rounds);
}

// Uncontended Lock: ns per acquire + release (no suspension, no allocation).
Coro<double> lock_uncontended(std::size_t n) {
  asyncio::Lock lock;
  const std::int64_t t0 = bench::now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    co_await lock.acquire();
    lock.release();
  }
  const std::int64_t t1 = bench::now_ns();
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

// `async with lock:` (the guard form) — the same work plus the guard.
Coro<double> lock_guard(std::size_t n) {
  asyncio::Lock lock;
  const std::int64_t t0 = bench::now_ns();
  for (std::size_t i = 0; i < n; ++i) {
    auto held = co_await lock.acquire_guard();
  }
  const std::int64_t t1 = bench::now_ns();
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

// to_thread round trip: µs per `await to_thread(noop)` (submit, worker wake-up, result
// posted back through call_soon_threadsafe, task resumed).
Coro<double> to_thread_rt(std::size_t n) {
  co_await asyncio::to_thread([] {});  // start the worker outside the measurement
  const std::int64_t t0 = bench::now_ns();
  for (std::size_t i = 0; i < n; ++i) co_await asyncio::to_thread([] {});
  const std::int64_t t1 = bench::now_ns();
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n) / 1000.0;
}

struct Case {
  const char* name;
  Coro<double> (*fn)(std::size_t);
  std::size_t n;
  const char* unit;
};

}  // namespace

int main(int argc, char** argv) {
  int reps = 5;
  double scale = 1.0;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) {
      reps = std::atoi(argv[++i]);
    } else if (!std::strcmp(argv[i], "--quick")) {
      scale = 0.1;
    } else if (!std::strcmp(argv[i], "--only") && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--reps R] [--quick] [--only NAME]\n", argv[0]);
      return 2;
    }
  }
  const Case cases[] = {
      {"w6_queue", &w6_queue, 1000000, "ns"},
      {"w6_event", &w6_event, 1000000, "ns"},
      {"lock_uncontended", &lock_uncontended, 10000000, "ns"},
      {"lock_guard", &lock_guard, 10000000, "ns"},
      {"to_thread", &to_thread_rt, 20000, "us"},
  };
  for (const Case& c : cases) {
    if (!only.empty() && only != c.name) continue;
    const auto n = static_cast<std::size_t>(static_cast<double>(c.n) * scale);
    std::vector<double> runs;
    for (int r = 0; r < reps; ++r) runs.push_back(asyncio::run(c.fn(n)));
    std::vector<double> sorted = runs;
    std::sort(sorted.begin(), sorted.end());
    std::printf("{\"bench\": \"%s\", \"n\": %zu, \"unit\": \"%s\", \"value\": %.3f, \"runs\": [",
                c.name, n, c.unit, sorted[sorted.size() / 2]);
    for (std::size_t i = 0; i < runs.size(); ++i) std::printf("%s%.3f", i ? ", " : "", runs[i]);
    std::printf("]}\n");
    std::fflush(stdout);
  }
}
