// Blocking work moved off the loop with to_thread (twin: python/to_thread_demo.py).
//
// A "heartbeat" task ticks every 50 ms while three blocking calls (a CPU-bound hash, a
// blocking sleep standing for file or database I/O, and one that throws) run on the
// default thread pool. The ticks keep coming: the loop never blocks. The exception thrown
// in a worker reaches the awaiting coroutine. Real clock, about half a second.
//
//   Python                                       C++
//   await asyncio.to_thread(crunch, 2_000_000)   co_await asyncio::to_thread(crunch, 2'000'000)
//   loop.run_in_executor(None, fn, arg)          loop.run_in_executor(nullptr, fn, arg)

#include <asyncio/asyncio.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

using asyncio::Coro;

double t0 = 0;
double now() { return asyncio::get_running_loop().time() - t0; }

std::uint64_t crunch(std::uint64_t n) {  // CPU-bound: would freeze the loop if called inline
  std::uint64_t h = 1469598103934665603ull;
  for (std::uint64_t i = 0; i < n; ++i) h = (h ^ i) * 1099511628211ull;
  return h;
}

std::string blocking_io(double seconds) {  // e.g. a synchronous database driver
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  return "rows";
}

int flaky() { throw std::runtime_error("disk on fire"); }

Coro<void> heartbeat() {
  for (int i = 1;; ++i) {
    co_await asyncio::sleep(0.05);
    std::printf("[%.2f] tick %d\n", now(), i);
  }
}

Coro<void> amain() {
  auto& loop = asyncio::get_running_loop();
  t0 = loop.time();
  auto beat = asyncio::create_task(heartbeat());

  auto hash = asyncio::create_task(asyncio::to_thread(crunch, std::uint64_t{50'000'000}));
  auto rows = loop.run_in_executor(nullptr, blocking_io, 0.3);
  std::printf("[%.2f] started the blocking calls\n", now());
  std::string fetched = co_await rows;
  std::printf("[%.2f] %s fetched\n", now(), fetched.c_str());
  std::uint64_t h = co_await hash;
  std::printf("[%.2f] hash %016llx\n", now(), static_cast<unsigned long long>(h));
  try {
    co_await asyncio::to_thread(flaky);
  } catch (const std::runtime_error& e) {
    std::printf("[%.2f] the worker failed: %s\n", now(), e.what());
  }
  beat.cancel();
  co_await asyncio::gather(asyncio::return_exceptions, beat);
  std::printf("[%.2f] done\n", now());
}

int main() { return asyncio::run_main(amain()); }
