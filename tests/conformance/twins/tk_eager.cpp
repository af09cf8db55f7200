// Twin of tk_eager.py: eager tasks (R66).
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::AnyTask;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using asyncio::TaskGroup;
using twin::say;

AnyTask me;
std::vector<AnyTask> captured;
std::vector<std::string> flog;
std::vector<std::string> order;

Coro<std::string> child(std::string name) {
  say("A: ", name, " start (current is the child: ", !(asyncio::current_task() == me), ")");
  co_await asyncio::sleep(0);
  say("A: ", name, " resumed");
  co_return name;
}

Coro<int> quick(int v) {
  captured.push_back(asyncio::current_task());
  co_return v * 2;
}

Coro<std::string> sleeper() {
  auto& loop = asyncio::get_running_loop();
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError& e) {
    say("C: sleeper got CancelledError('", e.what(), "') at ", loop.time());
    throw;
  }
  co_return "slept";
}

Coro<void> fail() {
  throw std::invalid_argument("eager failure");
  co_return;
}

Coro<void> slow() {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    say("E: slow cancelled");
    throw;
  }
}

Coro<int> inner() {
  flog.push_back("inner runs");
  co_return 1;
}

Coro<int> outer() {
  flog.push_back("outer runs");
  auto t = asyncio::create_task(inner());
  flog.push_back(std::string("outer resumes, inner done=") + twin::py_bool(t.done()) +
                 ", current is outer: " + twin::py_bool(!(asyncio::current_task() == me)));
  co_await asyncio::sleep(0);
  flog.push_back("outer after sleep(0)");
  co_return 2;
}

Coro<void> rec(std::string n) {
  order.push_back(n);
  co_return;
}

Coro<int> waiter(int i, asyncio::Future<std::string> fut) {
  auto r = co_await fut;
  say("H: waiter ", i, " got ", r, " at ", asyncio::get_running_loop().time());
  co_return i;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  me = asyncio::current_task();
  loop.set_task_factory(asyncio::eager_task_factory);

  // A
  say("A: main before");
  auto t1 = asyncio::create_task(child("a"));
  say("A: main after a: done=", t1.done(), " current is main: ", asyncio::current_task() == me);
  auto t2 = asyncio::create_task(child("b"));
  say("A: main after b");
  co_await asyncio::sleep(0);
  say("A: main after sleep(0)");
  auto [ra, rb] = co_await asyncio::gather(t1, t2);
  say("A: gathered ", twin::py_list(std::vector<std::string>{ra, rb}));

  // B
  {
    auto t = asyncio::create_task(quick(21));
    bool ran_as_itself = captured.at(0) == AnyTask(t);
    bool c = t.cancel();
    say("B: done=", t.done(), " result=", t.result(), " ran as itself=", ran_as_itself,
        " cancel -> ", c, " cancelled=", t.cancelled());
  }

  // C
  {
    auto t = asyncio::create_task(sleeper());
    bool done = t.done();
    bool c = t.cancel("stop");
    say("C: done=", done, " cancel -> ", c, " cancelling=", t.cancelling());
    try {
      co_await t;
    } catch (const CancelledError& e) {
      say("C: awaiting raised CancelledError('", e.what(), "') cancelled=", t.cancelled());
    }
  }

  // D
  {
    auto T = std::make_unique<twin::Ticker>(loop);
    auto g = asyncio::gather(quick(1), quick(2), quick(3));
    bool done = g.done();
    auto [a, b, c] = co_await g;
    say("D: gather done at once: ", done, " -> ", twin::py_list(std::vector<int>{a, b, c}), " @",
        T->n);
    T->stop();
  }

  // E
  co_await TaskGroup::run([](TaskGroup& tg) -> Coro<void> {
    auto t = tg.create_task(quick(5));
    say("E: child done in create_task: ", t.done(), ", ", tg.repr());
    co_return;
  });
  try {
    co_await TaskGroup::run([](TaskGroup& tg) -> Coro<void> {
      tg.create_task(slow());
      auto f = tg.create_task(fail());
      say("E: failed child done=", f.done(), " ", tg.repr(), " cancelling=", me.cancelling());
      try {
        co_await asyncio::sleep(0);
      } catch (const CancelledError&) {
        say("E: body cancelled at its next await");
        throw;
      }
    });
  } catch (const asyncio::ExceptionGroup& eg) {
    std::vector<std::string> errs;
    for (const auto& e : eg.exceptions()) errs.push_back("ValueError(" + twin::msg(e) + ")");
    say("E: ", twin::py_list(errs), " cancelling=", me.cancelling());
  }

  // F
  {
    auto t = asyncio::create_task(outer());
    flog.push_back(std::string("main: outer done=") + twin::py_bool(t.done()) +
                   ", current is main: " + twin::py_bool(asyncio::current_task() == me));
    co_await t;
    say("F: ", twin::py_list(flog));
  }

  // G
  loop.set_task_factory(nullptr);
  {
    auto lazy = asyncio::create_task(rec("lazy"), asyncio::TaskOptions{.eager_start = false});
    auto eager = asyncio::create_task(rec("eager"), asyncio::TaskOptions{.eager_start = true});
    order.push_back(std::string("created: lazy done=") + twin::py_bool(lazy.done()) +
                    " eager done=" + twin::py_bool(eager.done()));
    co_await lazy;
    say("G: ", twin::py_list(order));
  }

  // H
  loop.set_task_factory(asyncio::eager_task_factory);
  {
    auto fut = loop.create_future<std::string>();
    std::vector<Task<int>> ws;
    for (int i = 0; i < 3; ++i) ws.push_back(asyncio::create_task(waiter(i, fut)));
    loop.call_later(0.5, [fut] { fut.set_result("go"); });
    auto r = co_await asyncio::gather(ws);
    say("H: ", twin::py_list(r));
  }
  loop.set_task_factory(nullptr);
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
