// Twin of tk_taskgroup_cancel.py: TaskGroup and a cancellation from outside.
#include <exception>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::ExceptionGroup;
using asyncio::Task;
using asyncio::TaskGroup;
using twin::say;

struct MyExc : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ZeroDivisionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct KeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct UserRuntimeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string fmt(const ExceptionGroup& eg) {
  std::string out;
  for (const auto& e : eg.exceptions()) {
    if (!out.empty()) out += ", ";
    try {
      std::rethrow_exception(e);
    } catch (const MyExc& x) {
      out += std::string("MyExc(") + x.what() + ")";
    } catch (const ZeroDivisionError& x) {
      out += std::string("ZeroDivisionError(") + x.what() + ")";
    } catch (const KeyError& x) {
      out += std::string("KeyError(") + x.what() + ")";
    } catch (const UserRuntimeError& x) {
      out += std::string("RuntimeError(") + x.what() + ")";
    } catch (...) {
      out += "?";
    }
  }
  return "EG[" + out + "]";
}

int counter = 0;

Coro<void> counted(double delay) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    ++counter;
    throw;
  }
}

template <class Runner>
Coro<void> start_and_cancel(std::string label, Runner runner, double at) {
  auto& loop = asyncio::get_running_loop();
  Task<void> r = asyncio::create_task(runner());
  co_await asyncio::sleep(at);
  say(label, ": cancel at ", loop.time(), " -> ", r.cancel());
  try {
    co_await r;
    say(label, ": returned normally");
  } catch (const CancelledError&) {
    say(label, ": CancelledError at ", loop.time(), " cancelled=", r.cancelled());
  } catch (const ExceptionGroup& eg) {
    say(label, ": ", fmt(eg), " at ", loop.time(), " cancelled=", r.cancelled());
  }
}

Coro<void> runner_a() {
  co_await TaskGroup::run([](TaskGroup& g) -> Coro<void> {
    for (int i = 0; i < 5; ++i) g.create_task(counted(5 + i));
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      say("  body: cancelled, children cancelled so far: ", counter);
      throw;
    }
  });
}

Coro<void> runner_b() {
  co_await TaskGroup::run([]() -> Coro<void> { co_await asyncio::sleep(10); });
}

Coro<void> runner_b2() {
  co_await TaskGroup::run([]() -> Coro<void> {
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      throw MyExc("converted");
    }
  });
}

Coro<void> crash_soon() {
  co_await asyncio::sleep(0.375);
  throw ZeroDivisionError("soon");
}

Coro<void> runner_c() {
  co_await TaskGroup::run([](TaskGroup& g) -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    g.create_task(crash_soon());
    std::exception_ptr cancelled;
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    }
    if (cancelled) {
      say("  body: cancelled at ", loop.time(), ", slow cleanup");
      co_await asyncio::sleep(0.5);
      say("  body: cleanup finished (not reached)");
      std::rethrow_exception(cancelled);
    }
  });
}

Coro<void> runner_d() {
  co_await TaskGroup::run([](TaskGroup& g) -> Coro<void> {
    g.create_task(counted(1));
    g.create_task(asyncio::sleep(2));
    co_return;
  });
}

Coro<void> fails_in_cleanup() {
  try {
    co_await asyncio::sleep(10);
  } catch (...) {
  }
  throw KeyError("cleanup");
}

Coro<void> runner_e() {
  co_await TaskGroup::run([](TaskGroup& g) -> Coro<void> {
    g.create_task(fails_in_cleanup());
    co_await asyncio::sleep(10);
  });
}

Coro<void> raise_error(asyncio::Future<void> event) {
  event.set_result();
  co_await asyncio::sleep(0);
  throw UserRuntimeError("child");
}

Coro<void> inner(asyncio::Future<void> event) {
  auto& loop = asyncio::get_running_loop();
  try {
    // Named, not a temporary in the co_await: GCC 12 destroys such a temporary twice when
    // the awaited coroutine throws (docs/deviations.md, Compilers).
    auto body = [event](TaskGroup& tg) -> Coro<void> {
      tg.create_task(raise_error(event));
      co_await asyncio::sleep(1);
    };
    co_await TaskGroup::run(body);
  } catch (const ExceptionGroup& eg) {
    say("  inner: ", fmt(eg), " cancelling=", asyncio::current_task().cancelling());
  }
  try {
    co_await asyncio::sleep(1);
    say("  inner: not cancelled (wrong)");
  } catch (const CancelledError&) {
    say("  inner: next await cancelled at ", loop.time());
    throw;
  }
}

Coro<void> slow_child() {
  auto& loop = asyncio::get_running_loop();
  std::exception_ptr cancelled;
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  if (cancelled) {
    say("  slow_child: cancelled at ", loop.time(), ", cleaning up");
    co_await asyncio::sleep(0.25);
    say("  slow_child: cleanup done at ", loop.time());
    std::rethrow_exception(cancelled);
  }
}

Coro<void> runner_g() {
  co_await TaskGroup::run([](TaskGroup& g) -> Coro<void> {
    g.create_task(slow_child());
    co_return;
  });
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();

  co_await start_and_cancel("A", runner_a, 0.125);
  say("A: children cancelled: ", counter);

  co_await start_and_cancel("B", runner_b, 0.125);
  co_await start_and_cancel("B2", runner_b2, 0.125);
  co_await start_and_cancel("C", runner_c, 0.125);

  counter = 0;
  co_await start_and_cancel("D", runner_d, 0.0625);
  say("D: counted children cancelled: ", counter);

  co_await start_and_cancel("E", runner_e, 0.125);

  // F
  auto event = loop.create_future<void>();
  auto t = asyncio::create_task(inner(event));
  co_await event;
  auto before = t.cancelling();
  bool c = t.cancel();
  say("F: cancelling before=", before, " cancel -> ", c, " after=", t.cancelling());
  try {
    co_await t;
  } catch (const CancelledError&) {
    say("F: cancelled=", t.cancelled());
  }

  // G
  auto r = asyncio::create_task(runner_g());
  co_await asyncio::sleep(0.125);
  r.cancel();
  co_await asyncio::sleep(0.125);
  bool c2 = r.cancel();
  say("G: second cancel -> ", c2, " cancelling=", r.cancelling());
  try {
    co_await r;
  } catch (const CancelledError&) {
    say("G: CancelledError at ", loop.time(), " cancelled=", r.cancelled());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
