// Twin of tk_taskgroup_failure.py: TaskGroup failure cascade (R56-R58).
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::ExceptionGroup;
using asyncio::Task;
using asyncio::TaskGroup;
using twin::say;

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct KeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ZeroDivisionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct TypeError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string fmt(const ExceptionGroup& eg);
std::string fmt_one(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const ExceptionGroup& g) {
    return fmt(g);
  } catch (const ValueError& x) {
    return std::string("ValueError(") + x.what() + ")";
  } catch (const KeyError& x) {
    return std::string("KeyError(") + x.what() + ")";
  } catch (const ZeroDivisionError& x) {
    return std::string("ZeroDivisionError(") + x.what() + ")";
  } catch (const TypeError& x) {
    return std::string("TypeError(") + x.what() + ")";
  } catch (...) {
    return "?";
  }
}
std::string fmt(const ExceptionGroup& eg) {
  std::string inner;
  for (const auto& e : eg.exceptions()) inner += (inner.empty() ? "" : ", ") + fmt_one(e);
  return std::string(eg.what()) + " [" + inner + "]";
}

template <class E>
Coro<void> fail_after(double delay, std::string m) {
  co_await asyncio::sleep(delay);
  E exc(m);
  say("  raising ", fmt_one(std::make_exception_ptr(exc)), " at ",
      asyncio::get_running_loop().time());
  throw exc;
}

Coro<std::string> sleeper(std::string name, double delay, bool loud = false, bool crash = false) {
  auto& loop = asyncio::get_running_loop();
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    if (loud) say("  ", name, ": cancelled at ", loop.time());
    if (crash) {
      say("  ", name, ": raising KeyError in its cleanup");
      throw KeyError("cleanup");
    }
    throw;
  }
  say("  ", name, ": finished at ", loop.time());
  co_return name;
}

std::vector<int> started;
Coro<void> child(int i) {
  started.push_back(i);
  co_await asyncio::sleep(1);
}

Coro<void> nested() {
  try {
    co_await asyncio::sleep(10);
  } catch (...) {
  }
  throw TypeError("from body cleanup");
}

Coro<void> spawner(TaskGroup& g) {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    try {
      g.create_task(asyncio::sleep(0));
    } catch (const asyncio::RuntimeError& e) {
      say("  spawner: RuntimeError(", e.what(), ")");
    }
    throw;
  }
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  auto me = asyncio::current_task();

  say("A: one child fails, siblings and body cancelled");
  Task<std::string> b, c;
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      tg.create_task(fail_after<ValueError>(0.25, "a"));
      b = tg.create_task(sleeper("b", 1, true));
      c = tg.create_task(sleeper("c", 2));
      try {
        co_await asyncio::sleep(5);
      } catch (const CancelledError&) {
        say("  body: cancelled at ", loop.time());
        throw;
      }
    });
    say("A: not reached");
  } catch (const ExceptionGroup& eg) {
    say("A: ", fmt(eg), " at ", loop.time(), " b=", b.cancelled(), " c=", c.cancelled(),
        " cancelling=", me.cancelling());
  }

  say("B: a sibling fails in its cleanup: both errors, in completion order");
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      tg.create_task(fail_after<ValueError>(0.125, "first"));
      tg.create_task(sleeper("b", 1, true, true));
      co_return;
    });
  } catch (const ExceptionGroup& eg) {
    say("B: ", fmt(eg), " at ", loop.time());
  }

  say("C: the body fails before the children start");
  Task<void> t1, t2;
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      t1 = tg.create_task(child(1));
      t2 = tg.create_task(child(2));
      throw ZeroDivisionError("body");
      co_return;
    });
  } catch (const ExceptionGroup& eg) {
    say("C: ", fmt(eg), " started=", twin::py_list(started), " cancelled=", t1.cancelled(), ",",
        t2.cancelled());
  }

  say("D: a child error and then the body's own error");
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      tg.create_task(fail_after<ZeroDivisionError>(0.125, "child"));
      co_await nested();
    });
  } catch (const ExceptionGroup& eg) {
    say("D: ", fmt(eg), " at ", loop.time());
  }

  say("E: no new children once the group is shutting down");
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      tg.create_task(fail_after<ValueError>(0.0625, "x"));
      tg.create_task(spawner(tg));
      co_return;
    });
  } catch (const ExceptionGroup& eg) {
    say("E: ", fmt(eg));
  }

  say("F: a child cancelled explicitly is not an error");
  Task<std::string> f1, f2;
  co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
    f1 = tg.create_task(sleeper("f1", 1, true));
    f2 = tg.create_task(sleeper("f2", 0.25));
    co_await asyncio::sleep(0.125);
    f1.cancel();
  });
  say("F: t1 cancelled=", f1.cancelled(), " t2=", f2.result(), " at ", loop.time());

  say("G: a child fails while the exit already waits");
  try {
    co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
      tg.create_task(sleeper("g1", 1, true));
      tg.create_task(fail_after<ValueError>(0.5, "late"));
      co_return;
    });
    say("G: not reached");
  } catch (const ExceptionGroup& eg) {
    say("G: ", fmt(eg), " at ", loop.time(), " cancelling=", me.cancelling());
  }
  co_await asyncio::sleep(0);
  say("end");
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
