// Twin of sched_order.py: e01 scheduling order, then more latencies in loop iterations.
#include <memory>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<std::string> child(std::string name) {
  say(name, " start @", T->n);
  co_await asyncio::sleep(0);
  say(name, " after sleep0 @", T->n);
  co_return name;
}

Coro<int> plain() { co_return 5; }

Coro<int> quick() { co_return 1; }

Coro<int> two_hops() {
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  co_return 2;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  say("main start @", T->n);
  loop.call_soon([] { say("cb1 @", T->n); });
  auto t1 = asyncio::create_task(child("t1"));
  loop.call_soon([] { say("cb2 @", T->n); });
  auto t2 = asyncio::create_task(child("t2"));
  say("main after create @", T->n);
  auto f = loop.create_future<int>();
  f.set_result(1);
  co_await f;  // completed future: no suspension
  say("main after await done-future @", T->n);
  co_await plain();  // coroutine without suspension point: no suspension
  say("main after await plain coro @", T->n);
  co_await asyncio::sleep(0);
  say("main after sleep0 @", T->n);
  auto r = co_await t1;
  say("main got ", r, " @", T->n);
  // a task awaiting a pending future resumes one iteration after set_result
  auto g = loop.create_future<int>();
  loop.call_soon([g] { g.set_result(7); });
  int start = T->n;
  int v = co_await g;
  say("resume after future set (set in iter ", start + 1, ") value ", v, " @", T->n);
  // awaiting a fresh task that returns at once: created k, runs k+1, awaiter k+2
  auto t3 = asyncio::create_task(quick());
  int s = T->n;
  co_await t3;
  say("await fresh task quick(): started @", s, " resumed @", T->n);
  // t2 finished long ago: awaiting a done task does not suspend
  s = T->n;
  auto r2 = co_await t2;
  say("await done task t2 -> ", r2, ": started @", s, " resumed @", T->n);
  // a task with two sleep(0): created k, done k+3, awaiter k+4
  auto t4 = asyncio::create_task(two_hops());
  s = T->n;
  int r4 = co_await t4;
  say("await two_hops -> ", r4, ": started @", s, " resumed @", T->n);
  // a chain of inline awaits costs nothing
  s = T->n;
  int total = 0;
  for (int i = 0; i < 100; ++i) total += co_await plain();
  say("100 inline awaits -> ", total, ": started @", s, " now @", T->n);
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
