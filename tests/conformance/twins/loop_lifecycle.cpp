// Twin of loop_lifecycle.py: run_until_complete twice, re-entry errors, stop(), close().
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::RuntimeError;
using twin::py_repr;
using twin::say;

asyncio::EventLoop loop({.virtual_time = true});

// A: e16: the final step of main queues a child task and a callback; both still run
// before run_until_complete returns (they were queued before the stop callback)
Coro<void> child() {
  say("  child ran t=", loop.time());
  co_return;
}

Coro<std::string> first_main() {
  loop.create_task(child());
  loop.call_soon([] { say("  call_soon cb ran"); });
  say("  main running=", loop.is_running());
  co_return "main result";
}

// B: a task left pending by one run_until_complete continues in the next
Coro<std::string> slow() {
  say("  slow start t=", loop.time());
  co_await asyncio::sleep(5);
  say("  slow end t=", loop.time());
  co_return "slow";
}

// C: the exception of the awaited coroutine comes out of run_until_complete
Coro<void> boom() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("boom");
}

// D: re-entry while running
Coro<std::string> nested() {
  try {
    loop.run_until_complete(asyncio::sleep(0));
  } catch (const RuntimeError& e) {
    say("  nested run_until_complete: RuntimeError(", py_repr(e.what()), ")");
  }
  try {
    asyncio::run(child());
  } catch (const RuntimeError& e) {
    say("  asyncio.run inside a loop: RuntimeError(", py_repr(e.what()), ")");
  }
  try {
    loop.close();
  } catch (const RuntimeError& e) {
    say("  close while running: RuntimeError(", py_repr(e.what()), ")");
  }
  {
    asyncio::EventLoop other({.virtual_time = true});
    try {
      other.run_until_complete(asyncio::sleep(0));
    } catch (const RuntimeError& e) {
      say("  another loop inside: RuntimeError(", py_repr(e.what()), ")");
    }
    other.close();
  }
  co_return "nested done";
}

// E: stop() inside: the future is not done yet; the task stays pending and continues at
// the next run
Coro<std::string> stopper() {
  loop.stop();
  say("  stopper: stop() requested t=", loop.time());
  co_await asyncio::sleep(1);
  say("  stopper resumed t=", loop.time());
  co_return "stopper done";
}

int main() {
  say("A");
  say("  running=", loop.is_running(), " closed=", loop.is_closed());
  auto r = loop.run_until_complete(first_main());
  say("  1st run_until_complete -> ", py_repr(r));
  loop.run_until_complete(asyncio::sleep(0));
  say("  2nd run_until_complete done");
  auto f = loop.create_future<int>();
  f.set_result(3);
  say("  done future -> ", loop.run_until_complete(f));

  say("B");
  auto t = loop.create_task(slow());
  loop.run_until_complete(asyncio::sleep(1));
  say("  after 1st run: t=", loop.time(), " slow done=", t.done());
  r = loop.run_until_complete(t);
  say("  2nd run -> ", py_repr(r), " t=", loop.time());

  say("C");
  try {
    loop.run_until_complete(boom());
  } catch (const std::invalid_argument& e) {
    say("  run_until_complete raised ValueError(", py_repr(e.what()), ")");
  }

  say("D");
  r = loop.run_until_complete(nested());
  say("  -> ", py_repr(r));

  say("E");
  t = loop.create_task(stopper());
  try {
    loop.run_until_complete(t);
  } catch (const RuntimeError& e) {
    say("  RuntimeError(", py_repr(e.what()), ") task done=", t.done());
  }
  r = loop.run_until_complete(t);
  say("  again -> ", py_repr(r), " t=", loop.time());

  // F: stop() from a callback ends run_forever after the current iteration; callbacks
  // queued during that iteration wait for the next run
  say("F");
  loop.call_soon([] {
    say("  stop_cb");
    loop.call_soon([] { say("  queued by stop_cb (next run)"); });
    loop.stop();
  });
  loop.call_soon([] { say("  queued after stop_cb (same iteration)"); });
  loop.run_forever();
  say("  run_forever returned");
  loop.run_until_complete(asyncio::sleep(0));

  // G: close() with a task still pending: the task is not cancelled; the closed loop
  // refuses everything
  say("G");
  auto tp = loop.create_task(asyncio::sleep(10));
  loop.run_until_complete(asyncio::sleep(0));
  loop.close();
  say("  closed=", loop.is_closed(), " pending task done=", tp.done(),
      " cancelled=", tp.cancelled());
  std::vector<std::pair<std::string, std::function<void()>>> actions = {
      {"run_until_complete", [] { loop.run_until_complete(asyncio::sleep(0)); }},
      {"run_forever", [] { loop.run_forever(); }},
      {"call_soon", [] { loop.call_soon([] {}); }},
      {"call_later", [] { loop.call_later(1, [] {}); }},
      {"call_at", [] { loop.call_at(1, [] {}); }},
      {"create_task", [] { loop.create_task(child()); }},
  };
  for (auto& [what, action] : actions) {
    try {
      action();
      say("  ", what, ": no error");
    } catch (const RuntimeError& e) {
      say("  ", what, ": RuntimeError(", py_repr(e.what()), ")");
    }
  }
  loop.close();
  say("  close() twice ok, time() still ", loop.time());
}
