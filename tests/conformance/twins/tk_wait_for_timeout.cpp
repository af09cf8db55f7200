// Twin of tk_wait_for_timeout.py: wait_for timeouts, cleanup, inline coroutines, iteration
// counts (R46-R50).
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::TimeoutError;
using twin::say;

/// `type(e.__cause__).__name__` of a TimeoutError raised `from` a CancelledError.
std::string cause_of(const TimeoutError& e) {
  auto* n = dynamic_cast<const std::nested_exception*>(&e);
  if (n && asyncio::detail::is_cancelled_error(n->nested_ptr())) return "CancelledError";
  return "NoneType";
}

Coro<std::string> worker(std::string name, double delay) {
  auto& loop = asyncio::get_running_loop();
  say(name, ": start at ", loop.time());
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    say(name, ": cancelled at ", loop.time());
    say(name, ": finally");
    throw;
  }
  say(name, ": finally");
  say(name, ": slept ", delay);
  co_return name;
}

Coro<int> immediate(int v) { co_return v; }

bool started = false;
Coro<void> never_started() {
  started = true;
  co_return;
}

Coro<void> fail() {
  co_await asyncio::sleep(0.0625);
  throw std::invalid_argument("bad input");
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  auto me = asyncio::current_task();

  // A
  auto t = asyncio::create_task(worker("A", 10));
  try {
    co_await asyncio::wait_for(t, 0.5);
  } catch (const TimeoutError& e) {
    say("A: TimeoutError at ", loop.time(), " cause=", cause_of(e), " cancelled=", t.cancelled(),
        " cancelling=", me.cancelling());
  }

  // B
  try {
    co_await asyncio::wait_for(worker("B", 10), 0.25);
  } catch (const TimeoutError&) {
    say("B: TimeoutError at ", loop.time(), " cancelling=", me.cancelling());
  }

  // C, D
  auto r = co_await asyncio::wait_for(worker("C", 0.125), 1);
  say("C: result=", r, " at ", loop.time());
  r = co_await asyncio::wait_for(worker("D", 0.375), std::nullopt);
  say("D: result=", r, " at ", loop.time());

  // E
  auto T = std::make_unique<twin::Ticker>(loop);
  int n0 = T->n;
  co_await asyncio::wait_for(immediate(1), 10);
  say("E: immediate coroutine, timeout 10: ", T->n - n0, " iterations");
  n0 = T->n;
  co_await asyncio::wait_for(immediate(2), std::nullopt);
  say("E: immediate coroutine, no timeout: ", T->n - n0, " iterations");
  n0 = T->n;
  co_await asyncio::wait_for(asyncio::create_task(immediate(3)), 10);
  say("E: fresh task, timeout 10: ", T->n - n0, " iterations");
  auto f = loop.create_future<std::string>();
  f.set_result("done");
  n0 = T->n;
  auto rf = co_await asyncio::wait_for(f, 0);
  say("E: done future, timeout 0: ", rf, " after ", T->n - n0, " iterations");
  n0 = T->n;
  try {
    co_await asyncio::wait_for(never_started(), 0);
  } catch (const TimeoutError& e) {
    say("E: coroutine, timeout 0: TimeoutError after ", T->n - n0, " iterations, started=", started,
        " cause=", cause_of(e));
  }
  T->stop();

  // F
  try {
    co_await asyncio::wait_for(fail(), 1);
  } catch (const std::invalid_argument& e) {
    say("F: ValueError('", e.what(), "') at ", loop.time());
  }

  // G
  auto g = asyncio::create_task(worker("G", 5));
  co_await asyncio::sleep(0);
  try {
    co_await asyncio::wait_for(g, -1);
  } catch (const TimeoutError&) {
    say("G: TimeoutError at ", loop.time(), " cancelled=", g.cancelled());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
