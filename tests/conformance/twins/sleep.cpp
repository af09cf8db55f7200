// Twin of sleep.py: sleep(0), sleep(d, result), wake-up latency, clock arithmetic,
// cancelling a sleep.
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;
double start = 0;

Coro<std::string> sleeper(std::string name, double d) {
  co_await asyncio::sleep(d);
  say("  ", name, " woke t=", asyncio::get_running_loop().time());
  co_return name;
}

Coro<std::string> long_sleep() {
  auto& loop = asyncio::get_running_loop();
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError& e) {
    say("  long_sleep cancelled ", py_repr(e.what()), " after ", loop.time() - start);
  }
  // (C++ cannot co_await inside a catch block: the rest of the handler lives here.)
  auto r = co_await asyncio::sleep(0.25, std::string("second sleep"));
  co_return r;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  // A: sleep(0) = one iteration; callbacks queued before it run first
  say("A @", T->n);
  loop.call_soon([] { say("  callback queued before sleep(0) @", T->n); });
  co_await asyncio::sleep(0);
  say("  after sleep(0) @", T->n);
  co_await asyncio::sleep(-3);
  say("  after sleep(-3) @", T->n);
  auto r0 = co_await asyncio::sleep(0, std::string("zero-result"));
  say("  sleep(0, result) -> ", py_repr(r0), " @", T->n);
  for (int i = 0; i < 5; ++i) co_await asyncio::sleep(0);
  say("  after 5 x sleep(0) @", T->n, " t=", loop.time());
  T->stop();
  // B: sleep with a result, and the clock's float arithmetic
  say("B");
  int r1 = co_await asyncio::sleep(0.5, 1);
  say("  sleep(0.5, 1) -> ", r1, " t=", loop.time());
  for (int i = 0; i < 3; ++i) co_await asyncio::sleep(0.1);
  say("  3 x sleep(0.1) t=", loop.time());
  co_await asyncio::sleep(1e-10);
  say("  sleep(1e-10) t=", loop.time());
  // C: a task wakes one iteration after its timer fires. A probe timer due within the
  // clock resolution of the sleep's deadline runs in the same iteration, after it.
  say("C");
  double now = loop.time();
  loop.call_at(now + 1 + 1e-12, [&loop] {
    say("  probe timer (same iteration as the sleep's timer) t=", loop.time());
    loop.call_soon([] { say("  probe's call_soon (next iteration)"); });
  });
  co_await asyncio::sleep(1);
  say("  sleeper resumed t=", loop.time());
  co_await asyncio::sleep(0);
  // D: concurrent sleepers wake in deadline order
  say("D");
  std::vector<asyncio::Task<std::string>> ts;
  ts.push_back(asyncio::create_task(sleeper("s0.3", 0.3)));
  ts.push_back(asyncio::create_task(sleeper("s0.1", 0.1)));
  ts.push_back(asyncio::create_task(sleeper("s0.2", 0.2)));
  for (auto& t : ts) co_await t;
  std::vector<std::string> results;
  for (auto& t : ts) results.push_back(t.result());
  say("  results ", twin::py_list(results));
  // E: cancelling a sleep: the task sees CancelledError at once; its timer is dropped so
  // the clock does not jump to the old deadline
  say("E");
  start = loop.time();
  auto t = asyncio::create_task(long_sleep());
  co_await asyncio::sleep(1);
  t.cancel("wake up");
  auto rl = co_await t;
  say("  long_sleep -> ", py_repr(rl), " after ", loop.time() - start);
  co_await asyncio::sleep(0.5);
  say("  main after ", loop.time() - start);
  // F: a delay over the 24 h select cap takes two jumps of the clock
  say("F");
  start = loop.time();
  co_await asyncio::sleep(2 * 86400 + 0.5);
  say("  slept ", loop.time() - start, " t=", loop.time());
  // G: create_task(sleep(...)) is a task like any other
  say("G");
  auto tg = asyncio::create_task(asyncio::sleep(0.75, std::string("from task")));
  auto rg = co_await tg;
  say("  task -> ", py_repr(rg), " done=", tg.done());
  // H: NaN is refused
  say("H");
  try {
    co_await asyncio::sleep(std::nan(""));
  } catch (const std::invalid_argument& e) {
    say("  ValueError(", py_repr(e.what()), ")");
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
