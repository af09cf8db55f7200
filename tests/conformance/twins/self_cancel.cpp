// Twin of self_cancel.py: a task cancelling itself; cancel at end.
#include <memory>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;
asyncio::Future<void> f;
asyncio::Future<std::string> done;
asyncio::Task<void> o;

template <class Tk>
Coro<void> report(std::string name, Tk t) {
  try {
    if constexpr (std::is_void_v<typename Tk::value_type>) {
      co_await t;
      say("  ", name, ": result None cancelled=", t.cancelled(), " @", T->n);
    } else {
      auto r = co_await t;
      say("  ", name, ": result ", py_repr(r), " cancelled=", t.cancelled(), " @", T->n);
    }
  } catch (const CancelledError& e) {
    say("  ", name, ": CancelledError(", py_repr(e.what()), ") cancelled=", t.cancelled(), " @",
        T->n);
  }
}

Coro<int> cancel_then_return() {
  say("  A: cancel -> ", asyncio::current_task().cancel("me"));
  co_return 12;
}

Coro<void> cancel_then_await() {
  asyncio::current_task().cancel("park");
  struct Finally {
    ~Finally() { say("  B: finally: f.cancelled()=", f.cancelled(), " @", T->n); }
  } fin;
  co_await f;
}

Coro<void> cancel_then_yield() {
  asyncio::current_task().cancel("yield");
  say("  C: still running after cancel @", T->n);
  co_await asyncio::sleep(0);
  say("  C: not reached");
}

Coro<void> cancel_then_sleep() {
  asyncio::current_task().cancel();
  co_await asyncio::sleep(5);
}

Coro<std::string> cancel_then_done_future() {
  asyncio::current_task().cancel("end");
  std::string v = co_await done;
  say("  E: got ", py_repr(v), " without suspending @", T->n);
  co_return v;
}

Coro<std::string> cancel_and_catch() {
  asyncio::current_task().cancel("caught");
  try {
    co_await asyncio::sleep(0);
  } catch (const CancelledError& e) {
    say("  F: caught ", py_repr(e.what()), " cancelling=", asyncio::current_task().cancelling(),
        " @", T->n);
  }
  co_return "kept going";
}

Coro<void> other() {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError& e) {
    say("  G: other saw ", py_repr(e.what()), " @", T->n);
    throw;
  }
}

Coro<void> cancel_then_await_task() {
  asyncio::current_task().cancel("fwd");
  co_await o;
}

Coro<std::string> cancelled_during_step() {
  auto me = asyncio::current_task();
  asyncio::get_running_loop().call_soon([me] {
    bool c = me.cancel("cb");
    say("  H: callback cancel -> ", c, " @", T->n);
  });
  co_await asyncio::sleep(0);  // the callback runs before this step resumes
  co_return "too late?";
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);

  // A: cancel, then return: cancelled at end; every consumer sees the message
  auto ta = asyncio::create_task(cancel_then_return());
  co_await report("A", ta);
  try {
    ta.result();
  } catch (const CancelledError& e) {
    say("  A: result() again -> ", py_repr(e.what()));
  }
  // B: cancel, then await a pending future: the future is cancelled as the task parks
  f = loop.create_future<void>();
  auto tb = asyncio::create_task(cancel_then_await());
  co_await asyncio::sleep(0);
  say("  B: after the task's first step: f.cancelled()=", f.cancelled(), " @", T->n);
  co_await report("B", tb);
  // C: cancel, then sleep(0): the CancelledError comes at the next step
  co_await report("C", asyncio::create_task(cancel_then_yield()));
  // D: cancel, then sleep(5): the sleep is cancelled, the clock does not move
  double t0 = loop.time();
  co_await report("D", asyncio::create_task(cancel_then_sleep()));
  say("  D: clock moved ", loop.time() - t0);
  // E: cancel, then await a done future (no suspension), then return: cancelled at end
  done = loop.create_future<std::string>();
  done.set_result("v");
  co_await report("E", asyncio::create_task(cancel_then_done_future()));
  // F: cancel self inside try, catch at the next await, return a value: not cancelled
  co_await report("F", asyncio::create_task(cancel_and_catch()));
  // G: cancel self, then await another task: the request is forwarded to that task
  o = asyncio::create_task(other());
  co_await report("G", asyncio::create_task(cancel_then_await_task()));
  say("  G: other cancelled=", o.cancelled(), " cancelling=", o.cancelling());
  // H: a task cancelled from outside while it runs (by a callback it queued) then returns
  co_await report("H", asyncio::create_task(cancelled_during_step()));
  T->stop();
  f = {};
  done = {};
  o = {};
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
