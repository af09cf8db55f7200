// Twin of lq_semaphore_rate.py: Semaphore as a rate limiter on the virtual clock,
// BoundedSemaphore over-release, a granted waiter cancelled.
#include <cstdio>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Semaphore;
using twin::say;

const double DURATIONS[] = {0.5, 0.2, 0.9, 0.1, 0.4, 0.3, 0.7, 0.2};

std::string f3(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", x);
  return buf;
}

Coro<int> fetch(Semaphore& sem, int i, std::vector<int>& log) {
  auto& loop = asyncio::get_running_loop();
  auto held = co_await sem.acquire_guard();
  double start = loop.time();
  co_await asyncio::sleep(DURATIONS[i]);
  log.push_back(i);
  say("fetch ", i, " start=", f3(start), " end=", f3(loop.time()), " value=", sem.value());
  co_return i * 10;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  Semaphore sem(3);
  std::vector<int> log;
  std::vector<Coro<int>> fetches;
  for (int i = 0; i < 8; ++i) fetches.push_back(fetch(sem, i, log));
  auto results = co_await asyncio::gather(std::move(fetches));
  say("results ", twin::py_list(results), " order ", twin::py_list(log), " t=", f3(loop.time()),
      " locked=", sem.locked());

  asyncio::BoundedSemaphore b(1);
  co_await b.acquire();
  b.release();
  try {
    b.release();
  } catch (const std::invalid_argument& e) {
    say("ValueError: ", e.what());
  }

  Semaphore s(0);
  auto w1 = asyncio::create_task(s.acquire());
  auto w2 = asyncio::create_task(s.acquire());
  co_await asyncio::sleep(0);
  s.release();
  w1.cancel();
  co_await asyncio::sleep(0);
  say("w1 cancelled=", w1.cancelled(), " w2 done=", w2.done(), " locked=", s.locked());
  co_await asyncio::sleep(0);
  say("w2 done=", w2.done(), " locked=", s.locked());
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
