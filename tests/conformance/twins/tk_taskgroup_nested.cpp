// Twin of tk_taskgroup_nested.py: nested TaskGroups and their ExceptionGroups.
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::ExceptionGroup;
using asyncio::TaskGroup;
using twin::say;

struct ValueError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct ZeroDivisionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct UserRuntimeError : std::runtime_error {  // Python's RuntimeError raised by user code
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
  } catch (const ZeroDivisionError& x) {
    return std::string("ZeroDivisionError(") + x.what() + ")";
  } catch (const UserRuntimeError& x) {
    return std::string("RuntimeError(") + x.what() + ")";
  } catch (...) {
    return "?";
  }
}
std::string fmt(const ExceptionGroup& eg) {
  std::string inner;
  for (const auto& e : eg.exceptions()) inner += (inner.empty() ? "" : ", ") + fmt_one(e);
  return "EG[" + inner + "]";
}

Coro<void> crash_after(double t, std::string tag) {
  co_await asyncio::sleep(t);
  throw ValueError(tag);
}

Coro<void> crash_in_cleanup(std::string tag) {
  try {
    co_await asyncio::sleep(10);
  } catch (...) {
  }
  throw ZeroDivisionError(tag);
}

Coro<void> runner() {
  co_await TaskGroup::run([](TaskGroup& g1) -> Coro<void> {
    g1.create_task(asyncio::sleep(10));
    co_await TaskGroup::run([](TaskGroup& g2) -> Coro<void> {
      g2.create_task(crash_in_cleanup("cleanup"));
      co_await asyncio::sleep(10);
    });
  });
}

template <class E>
Coro<void> raise_after(double t, std::string m) {
  co_await asyncio::sleep(t);
  throw E(m);
}

std::vector<int> results;
Coro<int> worker(int i, double delay) {
  co_await asyncio::sleep(delay);
  results.push_back(i);
  co_return i;
}

Coro<void> level(int n) {
  co_await TaskGroup::run([n](TaskGroup& g) -> Coro<void> {
    g.create_task(asyncio::sleep(5));
    if (n == 0) {
      g.create_task(crash_after(0.125, "deep"));
    } else {
      co_await level(n - 1);
    }
  });
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  auto me = asyncio::current_task();

  // A
  try {
    co_await TaskGroup::run([](TaskGroup& g1) -> Coro<void> {
      g1.create_task(crash_after(0.125, "outer"));
      co_await TaskGroup::run([](TaskGroup& g2) -> Coro<void> {
        g2.create_task(crash_after(10, "inner"));
        co_return;
      });
    });
  } catch (const ExceptionGroup& eg) {
    say("A: ", fmt(eg), " at ", loop.time(), " cancelling=", me.cancelling());
  }

  // B
  try {
    co_await TaskGroup::run([](TaskGroup& g1) -> Coro<void> {
      g1.create_task(crash_after(10, "outer"));
      co_await TaskGroup::run([](TaskGroup& g2) -> Coro<void> {
        g2.create_task(crash_after(0.125, "inner"));
        co_return;
      });
    });
  } catch (const ExceptionGroup& eg) {
    say("B: ", fmt(eg), " at ", loop.time(), " cancelling=", me.cancelling());
  }

  // C
  auto r = asyncio::create_task(runner());
  co_await asyncio::sleep(0.125);
  r.cancel();
  try {
    co_await r;
  } catch (const ExceptionGroup& eg) {
    say("C: ", fmt(eg), " at ", loop.time(), " runner cancelled=", r.cancelled());
  }

  // D
  try {
    co_await TaskGroup::run([&](TaskGroup& outer_tg) -> Coro<void> {
      try {
        co_await TaskGroup::run([&](TaskGroup& inner_tg) -> Coro<void> {
          inner_tg.create_task(raise_after<UserRuntimeError>(0, "inner"));
          outer_tg.create_task(raise_after<ValueError>(0, "outer"));
          co_return;
        });
      } catch (const ExceptionGroup& eg) {
        say("D: inner ", fmt(eg), " cancelling=", me.cancelling());
      }
      say("D: after inner cancelling=", me.cancelling());
    });
  } catch (const ExceptionGroup& eg) {
    say("D: outer ", fmt(eg));
  }
  say("D: cancelling=", me.cancelling());

  // E
  co_await TaskGroup::run([&](TaskGroup& outer) -> Coro<void> {
    outer.create_task(worker(1, 0.5));
    try {
      co_await TaskGroup::run([](TaskGroup& inner) -> Coro<void> {
        inner.create_task(worker(2, 0.125));
        inner.create_task(crash_after(0.25, "inner"));
        co_return;
      });
    } catch (const ExceptionGroup& eg) {
      say("E: inner ", fmt(eg), " at ", loop.time(), " cancelling=", me.cancelling());
    }
    outer.create_task(worker(3, 0.375));
  });
  say("E: outer done at ", loop.time(), " results=", twin::py_list(results));

  // F
  try {
    co_await level(2);
  } catch (const ExceptionGroup& eg) {
    say("F: ", fmt(eg), " at ", loop.time(), " cancelling=", me.cancelling());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
