// Twin of cancel_before_start.py: a task cancelled before its first step.
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_list;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;
std::vector<std::string> ran;
asyncio::Task<void> victim;

Coro<void> body(std::string name) {
  struct Finally {
    std::string name;
    ~Finally() { say("  finally of ", name, " (body ran)"); }
  } fin{name};
  ran.push_back(name);
  co_await asyncio::sleep(1);
}

Coro<int> instant() {
  ran.push_back("instant");
  co_return 1;
}

Coro<std::string> spawner() {
  victim = asyncio::create_task(body("d"));
  co_await asyncio::sleep(0);
  co_return "spawned";
}

Coro<void> killer() {
  bool started = !ran.empty() && ran.back() == "d";
  bool c = victim.cancel("killed");
  say("  killer: victim started? ", started, " cancel -> ", c, " @", T->n);
  co_return;
}

Coro<void> watcher() {
  try {
    co_await victim;
  } catch (const CancelledError& e) {
    say("  watcher: ", py_repr(e.what()), " @", T->n);
  }
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  // A: cancel right after create_task
  say("A @", T->n);
  auto t = asyncio::create_task(body("a"));
  bool c = t.cancel("early");
  say("  cancel('early') -> ", c, " cancelling=", t.cancelling(), " cancelled=", t.cancelled(),
      " done=", t.done());
  t.add_done_callback([](asyncio::Future<void> t) {
    say("  done callback: cancelled=", t.cancelled(), " @", T->n);
  });
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()), " body ran=", py_list(ran), " cancelled=", t.cancelled(),
        " @", T->n);
  }
  // B: several requests before the start: all True, counted, the last message wins
  say("B @", T->n);
  t = asyncio::create_task(body("b"));
  bool c1 = t.cancel("m1");
  bool c2 = t.cancel("m2");
  bool c3 = t.cancel("m3");
  say("  cancel x3 -> ", c1, " ", c2, " ", c3, " cancelling=", t.cancelling());
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()), " body ran=", py_list(ran), " @", T->n);
  }
  // C: a coroutine that would return at once is cancelled all the same
  say("C @", T->n);
  auto ti = asyncio::create_task(instant());
  ti.cancel();
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  say("  done=", ti.done(), " cancelled=", ti.cancelled(), " body ran=", py_list(ran), " @", T->n);
  // D: cancelled by another task before its start, awaited by a third. In the next
  // iteration the spawner creates the victim, then the killer (queued right after the
  // spawner) cancels it before the victim's first step.
  say("D @", T->n);
  auto s = asyncio::create_task(spawner());
  auto k = asyncio::create_task(killer());
  co_await asyncio::sleep(0);
  auto w = asyncio::create_task(watcher());
  co_await s;
  co_await k;
  co_await w;
  say("  body ran=", py_list(ran), " victim cancelled=", victim.cancelled(), " @", T->n);
  // E: cancelling the same task again once it has ended: False, count unchanged
  c = victim.cancel();
  say("E: cancel again -> ", c, " cancelling=", victim.cancelling());
  T->stop();
  victim = {};
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
