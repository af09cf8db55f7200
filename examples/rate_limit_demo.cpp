// A rate-limited fetcher: 12 "requests", at most 3 in flight, guarded by a Semaphore
// (twin: python/rate_limit_demo.py). Each fetch holds a slot for its own duration; the
// waiting ones get a slot in FIFO order as slots free up. --virtual-time: instant, and the
// output is exactly CPython's.
//
//   Python                                   C++
//   sem = asyncio.Semaphore(3)               asyncio::Semaphore sem(3);
//   async with sem:                          auto slot = co_await sem.acquire_guard();
//       ...                                  ...   // released when `slot` goes away

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using asyncio::Coro;

// Distinct "latencies" (no two timers share a deadline: CPython orders such ties arbitrarily).
const double kLatency[] = {0.31, 0.12, 0.45, 0.07, 0.27, 0.19, 0.38, 0.11, 0.23, 0.05, 0.33, 0.16};

double t0 = 0;
double now() { return asyncio::get_running_loop().time() - t0; }
int in_flight = 0;
int peak = 0;

Coro<std::string> fetch(asyncio::Semaphore& sem, int i) {
  auto slot = co_await sem.acquire_guard();  // at most 3 fetches hold a slot
  ++in_flight;
  if (in_flight > peak) peak = in_flight;
  std::printf("[%.2f] GET /item/%d (in flight: %d)\n", now(), i, in_flight);
  co_await asyncio::sleep(kLatency[i]);
  --in_flight;
  std::printf("[%.2f] /item/%d -> 200\n", now(), i);
  co_return "item-" + std::to_string(i);
}

Coro<void> amain() {
  t0 = asyncio::get_running_loop().time();
  asyncio::Semaphore sem(3);
  std::vector<Coro<std::string>> requests;
  for (int i = 0; i < 12; ++i) requests.push_back(fetch(sem, i));
  std::vector<std::string> bodies = co_await asyncio::gather(std::move(requests));
  std::printf("[%.2f] fetched %zu items, first %s, last %s, peak concurrency %d\n", now(),
              bodies.size(), bodies.front().c_str(), bodies.back().c_str(), peak);
}

int main(int argc, char** argv) {
  bool vt = argc > 1 && !std::strcmp(argv[1], "--virtual-time");
  return asyncio::run_main(amain(), {.virtual_time = vt});
}
