// Twin of tk_wait_for_race.py: wait_for races (gh-86296, bpo-23219).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Delay;
using asyncio::TimeoutError;
using twin::py_list;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<std::string> inner() { co_return "done"; }

Coro<void> blocking() {
  auto fut = asyncio::get_running_loop().create_future<void>();
  try {
    co_await fut;
  } catch (const CancelledError&) {
    say("blocking: cancelled");
    throw;
  }
}

Coro<void> wait_for_coro(asyncio::Task<std::string> inner_task, std::optional<Delay> timeout,
                         std::vector<std::string>* reached) {
  auto r = co_await asyncio::wait_for(inner_task, timeout);
  reached->push_back("after wait_for (" + r + ")");
  co_await asyncio::sleep(1);
  reached->push_back("end");
}

Coro<std::string> on_future(asyncio::Future<std::string> fut) { co_return co_await fut; }

std::string label(std::optional<double> t) { return t ? twin::py_float(*t) : "None"; }

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);

  // A
  for (std::optional<double> timeout : {std::optional<double>(100), std::optional<double>()}) {
    auto inner_task = asyncio::create_task(inner());
    std::vector<std::string> reached;
    std::optional<Delay> d;
    if (timeout) d = *timeout;
    auto task = asyncio::create_task(wait_for_coro(inner_task, d, &reached));
    co_await asyncio::sleep(0);
    task.cancel();
    try {
      co_await task;
    } catch (const CancelledError&) {
      say("A[", timeout ? std::to_string(static_cast<int>(*timeout)) : "None",
          "]: caller cancelled, inner done=", inner_task.done(), " result=", inner_task.result(),
          " reached=", py_list(reached), " @", T->n);
    }
  }

  // B
  for (std::optional<double> timeout : {std::optional<double>(60.0), std::optional<double>()}) {
    auto task = asyncio::create_task(blocking());
    std::optional<Delay> d;
    if (timeout) d = *timeout;
    auto wait = asyncio::create_task(asyncio::wait_for(task, d));
    loop.call_soon([wait] { wait.cancel(); });
    try {
      co_await wait;
    } catch (const CancelledError&) {
      say("B[", label(timeout), "]: wait cancelled, task cancelled=", task.cancelled(), " @", T->n);
    }
  }

  // C
  auto fut = loop.create_future<std::string>();
  auto waiting = asyncio::wait_for(fut, 0.2);
  loop.call_soon([fut] { fut.set_result("ok"); });
  auto rc = co_await std::move(waiting);
  say("C: ", rc, " at ", loop.time(), " @", T->n);

  // D
  auto fd = loop.create_future<std::string>();
  auto w = asyncio::create_task(asyncio::wait_for(on_future(fd), 10));
  co_await asyncio::sleep(0);
  fd.set_result("late");
  w.cancel();
  try {
    auto r = co_await w;
    say("D: returned ", r);
  } catch (const CancelledError&) {
    say("D: caller cancelled=", w.cancelled(), " fut result=", fd.result(), " @", T->n);
  }

  // E
  T->stop();
  const std::pair<const char*, double> cases[] = {{"same iteration", -1e-9 / 4},
                                                  {"one iteration earlier", -0.125}};
  for (const auto& [name, offset] : cases) {
    auto fe = loop.create_future<std::string>();
    const double start = loop.time();
    loop.call_at(start + 0.5 + offset, [fe] {
      if (!fe.done()) fe.set_result("value");
    });
    try {
      auto r = co_await asyncio::wait_for(fe, 0.5);
      say("E[", name, "]: result ", r, " at ", loop.time());
    } catch (const TimeoutError&) {
      say("E[", name, "]: TimeoutError at ", loop.time(), ", fut result=", fe.result());
    }
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
