// Twin of gw_cancel_child.py: a child cancelled directly (R34, R35, R27).
#include <string>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using gw::repr;
using twin::py_repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<std::string> coro(std::string tag, double d) {
  say("> ", tag);
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError& e) {
    say("x ", tag, " CancelledError(", py_repr(e.what()), ") t=", loop->time());
    throw;
  }
  say("< ", tag, " t=", loop->time());
  co_return tag;
}

template <class G>
Coro<void> caller(G g) {
  co_await g;
  say("caller: not reached");
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  say("A: child 2.1 cancelled at t=0.5");
  auto t21 = asyncio::create_task(coro("2.1", 1.25));
  auto group1 = asyncio::gather(coro("1.1", 0.75), coro("1.2", 1.5));
  auto group2 = asyncio::gather(t21, coro("2.2", 1.0), coro("2.3", 0.25));
  auto all_groups = asyncio::gather(group1, group2);
  loop->call_later(0.5, [t21] { say("t21.cancel('child') -> ", t21.cancel("child")); });
  try {
    co_await all_groups;
  } catch (const CancelledError& e) {
    say("all_groups raised CancelledError(", py_repr(e.what()), ") t=", loop->time());
  }
  say("group2: done=", group2.done(), " cancelled=", group2.cancelled(),
      " exception=CancelledError(", py_repr(twin::msg(group2.exception())), ")");
  say("all_groups: cancelled=", all_groups.cancelled(),
      " same exception object=", all_groups.exception() == group2.exception());
  auto r1 = co_await group1;
  say("group1 -> ", repr(r1), " t=", loop->time());
  co_await asyncio::sleep(0.5);

  say("B: the task awaiting such a gather ends cancelled");
  auto t = asyncio::create_task(coro("b", 1.0));
  auto c = asyncio::create_task(caller(asyncio::gather(t, coro("b2", 0.625))));
  co_await asyncio::sleep(0.25);
  t.cancel("by-b");
  co_await asyncio::sleep(0.125);
  say("caller: done=", c.done(), " cancelled=", c.cancelled(), " cancelling=", c.cancelling());
  try {
    co_await c;
  } catch (const CancelledError& e) {
    say("await caller -> CancelledError(", py_repr(e.what()), ")");
  }
  co_await asyncio::sleep(0.5);

  say("C: return_exceptions=True");
  auto tc = asyncio::create_task(coro("c", 1.0));
  loop->call_later(0.25, [tc] { tc.cancel("bye"); });
  auto r = co_await asyncio::gather(asyncio::return_exceptions, tc, coro("c2", 0.375));
  say("results: ", repr(r));
  try {
    tc.result();
  } catch (const CancelledError& e) {
    say("t.result() -> CancelledError(", py_repr(e.what()), ")");
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
