// Task-toolkit benchmarks: as_completed over N tasks (strict: one gate opened per
// completion; N = 1e3..16e3, total ms, for the growth exponent), TaskGroup spawn+join of
// N trivial tasks versus gather of N (ns per task), wait_for and a timeout scope around an
// immediate coroutine (ns per call). Twin and table: python/toolkit.py, which runs this
// program too:
//
//     python3 bench/python/toolkit.py --cxx build/bench/bench_toolkit
//
// Times are process CPU time (bench::cpu_ns; the twin uses time.process_time_ns): on this
// shared 2-core machine wall time is stretched by whatever else runs.
// Alone, this program prints one JSON line per figure (median of --reps runs):
//     {"bench": "as_completed", "n": 4000, "unit": "ms", "value": 1.2, "runs": [...]}

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
using asyncio::Future;
using asyncio::Task;

Coro<std::size_t> gated(Future<void> gate, std::size_t i) {
  co_await gate;
  co_return i;
}

// as_completed, strict drain: task i awaits gate i; each completion yielded by
// `async for` opens the next gate, in random order (as W3s) or in creation order (`seq`:
// the same work without the cache misses of jumping between N task frames). Total ms for
// N completions.
Coro<double> as_completed_strict(std::size_t n, bool random_order) {
  auto& loop = asyncio::get_running_loop();
  std::vector<Future<void>> gates;
  gates.reserve(n);
  for (std::size_t i = 0; i < n; ++i) gates.push_back(loop.create_future<void>());
  std::vector<Task<std::size_t>> tasks;
  tasks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) tasks.push_back(asyncio::create_task(gated(gates[i], i)));
  std::vector<std::uint32_t> order = bench::permutation(n, 42);
  if (!random_order) std::sort(order.begin(), order.end());
  co_await asyncio::sleep(0);  // every task parked on its gate
  const std::int64_t t0 = bench::cpu_ns();
  auto it = asyncio::as_completed(tasks);
  std::size_t opened = 0, seen = 0;
  if (n) gates[order[opened++]].set_result();
  while (auto t = co_await it.next()) {
    if (t->result() != order[seen++]) bench::fail("as_completed: wrong order");
    if (opened < n) gates[order[opened++]].set_result();
  }
  const std::int64_t t1 = bench::cpu_ns();
  if (seen != n) bench::fail("as_completed: missing completions");
  co_return static_cast<double>(t1 - t0) / 1e6;
}

Coro<double> as_completed_random(std::size_t n) { return as_completed_strict(n, true); }
Coro<double> as_completed_seq(std::size_t n) { return as_completed_strict(n, false); }

Coro<std::size_t> child(std::size_t i) { co_return i; }

// `async with TaskGroup() as tg: for i in range(n): tg.create_task(child(i))`, then the
// sum of the results: ns per task.
Coro<double> taskgroup_spawn_join(std::size_t n) {
  std::vector<Task<std::size_t>> tasks;
  tasks.reserve(n);
  const std::int64_t t0 = bench::cpu_ns();
  co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
    for (std::size_t i = 0; i < n; ++i) tasks.push_back(tg.create_task(child(i)));
    co_return;
  });
  std::size_t sum = 0;
  for (auto& t : tasks) sum += t.result();
  const std::int64_t t1 = bench::cpu_ns();
  if (sum != n * (n - 1) / 2) bench::fail("taskgroup: wrong sum");
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

// `await gather(*(child(i) for i in range(n)))`, then the sum: ns per task.
Coro<double> gather_spawn_join(std::size_t n) {
  const std::int64_t t0 = bench::cpu_ns();
  std::vector<Coro<std::size_t>> coros;
  coros.reserve(n);
  for (std::size_t i = 0; i < n; ++i) coros.push_back(child(i));
  std::vector<std::size_t> r = co_await asyncio::gather(std::move(coros));
  std::size_t sum = 0;
  for (std::size_t x : r) sum += x;
  const std::int64_t t1 = bench::cpu_ns();
  if (sum != n * (n - 1) / 2) bench::fail("gather: wrong sum");
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

Coro<std::size_t> immediate(std::size_t i) { co_return i; }

// `await wait_for(immediate(), 10)`: ns per call (3.12+: inline, no task, one timer).
Coro<double> wait_for_immediate(std::size_t n) {
  std::size_t sum = 0;
  const std::int64_t t0 = bench::cpu_ns();
  for (std::size_t i = 0; i < n; ++i) sum += co_await asyncio::wait_for(immediate(i), 10);
  const std::int64_t t1 = bench::cpu_ns();
  if (sum != n * (n - 1) / 2) bench::fail("wait_for: wrong sum");
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
}

// `async with timeout(10): await immediate()`: ns per scope.
Coro<double> timeout_immediate(std::size_t n) {
  std::size_t sum = 0;
  const std::int64_t t0 = bench::cpu_ns();
  for (std::size_t i = 0; i < n; ++i) sum += co_await asyncio::timeout(10, immediate(i));
  const std::int64_t t1 = bench::cpu_ns();
  if (sum != n * (n - 1) / 2) bench::fail("timeout: wrong sum");
  co_return static_cast<double>(t1 - t0) / static_cast<double>(n);
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
  std::vector<Case> cases;
  for (std::size_t n : {1000, 2000, 4000, 8000, 16000})
    cases.push_back({"as_completed", &as_completed_random, n, "ms"});
  for (std::size_t n : {1000, 2000, 4000, 8000, 16000})
    cases.push_back({"as_completed_seq", &as_completed_seq, n, "ms"});
  cases.push_back({"taskgroup", &taskgroup_spawn_join, 1000000, "ns"});
  cases.push_back({"gather", &gather_spawn_join, 1000000, "ns"});
  cases.push_back({"wait_for", &wait_for_immediate, 2000000, "ns"});
  cases.push_back({"timeout", &timeout_immediate, 2000000, "ns"});
  for (const Case& c : cases) {
    if (!only.empty() && only != c.name) continue;
    // as_completed keeps its N (the growth exponent needs them); the others scale.
    const bool fixed = !std::strncmp(c.name, "as_completed", 12);
    const auto n = fixed ? c.n : static_cast<std::size_t>(static_cast<double>(c.n) * scale);
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
