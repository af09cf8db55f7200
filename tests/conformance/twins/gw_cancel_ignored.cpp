// Twin of gw_cancel_ignored.py: cancelling gathers whose children swallow the cancellation
// or clean up slowly; cancelling a task blocked in wait().
#include <exception>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using gw::repr;
using twin::py_repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<int> stubborn(std::string tag, double d, int ret) {
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError& e) {
    say("  ", tag, " swallows CancelledError(", py_repr(e.what()), ") t=", loop->time());
    co_return ret + 100;
  }
  co_return ret;
}

Coro<int> busy(std::string tag, int ret) {
  for (int i = 0; i < 5; ++i) {
    try {
      co_await asyncio::sleep(0);
    } catch (const CancelledError& e) {
      say("  ", tag, " swallows CancelledError(", py_repr(e.what()), ") at step ", i);
    }
  }
  co_return ret;
}

Coro<std::string> slow_cleanup(std::string tag, double d, double cleanup) {
  std::exception_ptr cancelled;  // no co_await inside a handler: re-raised after cleanup
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError& e) {
    say("  ", tag, " cleaning up after CancelledError(", py_repr(e.what()), ") t=", loop->time());
    cancelled = std::current_exception();
  }
  if (cancelled) {
    co_await asyncio::sleep(cleanup);
    say("  ", tag, " cleanup done t=", loop->time());
    std::rethrow_exception(cancelled);
  }
  co_return tag;
}

template <class G>
Coro<void> outcome(std::string label, G g) {
  try {
    auto r = co_await g;
    say("  ", label, ": result ", repr(r), " t=", loop->time());
  } catch (const CancelledError& e) {
    say("  ", label, ": CancelledError(", py_repr(e.what()), ") g.cancelled()=", g.cancelled(),
        " t=", loop->time());
  }
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  for (bool re : {false, true}) {
    say("A: parked children swallow, return_exceptions=", re);
    if (re) {
      auto g = asyncio::gather(asyncio::return_exceptions, stubborn("a1", 0.25, 1),
                               stubborn("a2", 0.375, 2));
      co_await asyncio::sleep(0.125);
      say("  g.cancel('A') -> ", g.cancel("A"));
      co_await outcome("A", g);
    } else {
      auto g = asyncio::gather(stubborn("a1", 0.25, 1), stubborn("a2", 0.375, 2));
      co_await asyncio::sleep(0.125);
      say("  g.cancel('A') -> ", g.cancel("A"));
      co_await outcome("A", g);
    }

    say("B: children between steps swallow, return_exceptions=", re);
    if (re) {
      auto g = asyncio::gather(asyncio::return_exceptions, busy("b1", 1), busy("b2", 2));
      co_await asyncio::sleep(0);
      co_await asyncio::sleep(0);
      say("  g.cancel('B') -> ", g.cancel("B"));
      co_await outcome("B", g);
    } else {
      auto g = asyncio::gather(busy("b1", 1), busy("b2", 2));
      co_await asyncio::sleep(0);
      co_await asyncio::sleep(0);
      say("  g.cancel('B') -> ", g.cancel("B"));
      co_await outcome("B", g);
    }
  }

  say("C: slow cleanup");
  auto g = asyncio::gather(slow_cleanup("c1", 1.0, 0.25), slow_cleanup("c2", 1.125, 0.125),
                           stubborn("c3", 0.0625, 3));
  co_await asyncio::sleep(0.125);
  say("  g.cancel('C') -> ", g.cancel("C"));
  co_await outcome("C", g);
  co_await asyncio::sleep(0.5);

  say("D: cancelling the task awaiting such a gather");
  auto t = asyncio::create_task(
      outcome("D", asyncio::gather(slow_cleanup("d1", 1.0, 0.25), stubborn("d2", 0.5, 4))));
  co_await asyncio::sleep(0.125);
  say("  t.cancel('D') -> ", t.cancel("D"));
  co_await t;
  say("  t.cancelled()=", t.cancelled(), " t=", loop->time());
  co_await asyncio::sleep(1);

  say("E: cancelling a task blocked in wait()");
  std::vector<asyncio::AnyTask> inputs;
  Task<std::string> e1 = asyncio::create_task(slow_cleanup("e1", 0.25, 0.0625));
  Task<int> e2 = asyncio::create_task(stubborn("e2", 0.375, 5));
  inputs.push_back(e1);
  inputs.push_back(e2);
  auto waiter = asyncio::create_task(asyncio::wait(inputs));
  co_await asyncio::sleep(0.125);
  say("  waiter.cancel() -> ", waiter.cancel());
  try {
    co_await waiter;
  } catch (const CancelledError&) {
    say("  waiter cancelled t=", loop->time(), "; inputs done: [", e1.done(), ", ", e2.done(), "]");
  }
  co_await asyncio::wait(inputs);
  say("  inputs -> [", py_repr(e1.result()), ", ", e2.result(), "] t=", loop->time(),
      " cancelled: [", e1.cancelled(), ", ", e2.cancelled(), "]");
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
