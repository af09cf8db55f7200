// Twin of wf_done_input.py: wait_for with timeout <= 0 on done and pending inputs.
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::TimeoutError;
using twin::py_repr;
using twin::say;

Coro<int> value(int v) { co_return v; }
Coro<std::string> svalue(std::string v) { co_return v; }
Coro<int> fail() {
  throw std::invalid_argument("bad");
  co_return 0;
}
Coro<std::string> sleeper() {
  co_await asyncio::sleep(10);
  co_return "slept";
}
Coro<std::string> stubborn() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
  }
  co_return "kept";
}

bool started = false;
Coro<std::string> never() {
  started = true;
  co_return "ran";
}

std::string repr(int v) { return py_repr(v); }
std::string repr(const std::string& v) { return py_repr(v); }

template <class A>
Coro<void> probe(std::string label, A aw, double timeout) {
  auto& loop = asyncio::get_running_loop();
  double t0 = loop.time();
  try {
    auto r = co_await asyncio::wait_for(std::move(aw), timeout);
    say("  ", label, ": -> ", repr(r));
  } catch (const TimeoutError& e) {
    std::string cause = "None()";
    if (auto* n = dynamic_cast<const std::nested_exception*>(&e)) {
      try {
        n->rethrow_nested();
      } catch (const CancelledError& c) {
        cause = "CancelledError(" + py_repr(c.what()) + ")";
      } catch (...) {
        cause = "other()";
      }
    }
    say("  ", label, ": TimeoutError from ", cause);
  } catch (const CancelledError& e) {
    say("  ", label, ": CancelledError(", py_repr(e.what()), ")");
  } catch (const std::invalid_argument& e) {
    say("  ", label, ": ValueError(", py_repr(e.what()), ")");
  }
  say("    dt=", loop.time() - t0);
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  say("A done result");
  auto a = asyncio::create_task(value(42));
  co_await asyncio::sleep(0.1);
  co_await probe("task", a, 0);
  auto f = loop.create_future<int>();
  f.set_result(7);
  co_await probe("future, timeout -1", f, -1);
  say("B done exception");
  auto b = asyncio::create_task(fail());
  co_await asyncio::sleep(0.1);
  co_await probe("task", b, 0);
  say("C done cancelled");
  auto c = asyncio::create_task(sleeper());
  co_await asyncio::sleep(0);
  c.cancel("x");
  co_await asyncio::sleep(0.1);
  co_await probe("task", c, 0);
  auto c2 = asyncio::create_task(value(1));
  c2.cancel();
  co_await asyncio::sleep(0.1);
  co_await probe("task cancelled before start", c2, 0);
  auto cf = loop.create_future<int>();
  cf.cancel("fut");
  co_await probe("future", cf, 0);
  say("D pending coroutine");
  co_await probe("coroutine", never(), 0);
  say("    started=", twin::py_bool(started));
  say("E pending task");
  auto e = asyncio::create_task(sleeper());
  co_await asyncio::sleep(0);
  co_await probe("task", e, 0);
  say("    cancelled=", twin::py_bool(e.cancelled()));
  auto e2 = asyncio::create_task(stubborn());
  co_await asyncio::sleep(0);
  co_await probe("task that ignores the cancel", e2, 0);
  say("F positive timeout, done input");
  auto g = asyncio::create_task(svalue("v"));
  co_await asyncio::sleep(0);
  co_await probe("task", g, 5);
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
