// Twin of tk_shield.py: shield (R54) and wait_for(shield(t)).
#include <cctype>
#include <memory>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using asyncio::TimeoutError;
using twin::say;

Coro<std::string> work(std::string name, double delay) {
  auto& loop = asyncio::get_running_loop();
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    say(name, ": cancelled at ", loop.time());
    throw;
  }
  say(name, ": finished at ", loop.time());
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  co_return name;
}

Coro<int> immediate() { co_return 7; }

Coro<std::string> waiter(Task<std::string> inner) {
  auto& loop = asyncio::get_running_loop();
  try {
    co_return co_await asyncio::shield(inner);
  } catch (const CancelledError&) {
    say("waiter: CancelledError at ", loop.time(), " inner done=", inner.done());
    throw;
  }
}

Coro<void> failing() {
  co_await asyncio::sleep(0.5);
  throw std::invalid_argument("late failure");
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();

  // A
  auto inner = asyncio::create_task(work("a", 1));
  auto w = asyncio::create_task(waiter(inner));
  co_await asyncio::sleep(0.25);
  w.cancel();
  try {
    co_await w;
  } catch (const CancelledError&) {
    say("A: waiter cancelled=", w.cancelled());
  }
  auto ra = co_await inner;
  say("A: inner result ", ra, " at ", loop.time());

  // B
  auto ib = asyncio::create_task(work("b", 1));
  loop.call_later(0.5, [ib] { ib.cancel(); });
  try {
    co_await asyncio::shield(ib);
  } catch (const CancelledError&) {
    say("B: CancelledError at ", loop.time(),
        " my cancelling=", asyncio::current_task().cancelling());
  }

  // C
  auto f = loop.create_future<int>();
  f.set_result(5);
  say("C: shield(done) is the same object: ", asyncio::shield(f) == f);
  auto T = std::make_unique<twin::Ticker>(loop);
  int rc = co_await asyncio::shield(immediate());
  say("C: shield(immediate()) -> ", rc, " after ", T->n, " iterations");
  T->stop();

  // D
  auto t = asyncio::create_task(work("d", 0.5));
  try {
    co_await asyncio::wait_for(asyncio::shield(t), 0.125);
  } catch (const TimeoutError&) {
    say("D: TimeoutError at ", loop.time(), " t done=", t.done(), " cancelled=", t.cancelled());
  }
  auto rd = co_await t;
  say("D: t result ", rd, " at ", loop.time());

  // E
  auto te = asyncio::create_task(work("e", 0.5));
  auto s = asyncio::shield(te);
  try {
    co_await asyncio::wait_for(s, 0);
  } catch (const TimeoutError&) {
    say("E: TimeoutError shield cancelled=", s.cancelled(), " t cancelled=", te.cancelled());
  }
  co_await asyncio::sleep(1);
  say("E: t result ", te.result());

  // F
  auto fi = asyncio::create_task(failing());
  auto fw = asyncio::create_task(asyncio::wait_for(asyncio::shield(fi), 0.125));
  try {
    co_await fw;
  } catch (const TimeoutError&) {
    say("F: TimeoutError at ", loop.time());
  }
  try {
    co_await fi;
  } catch (const std::invalid_argument& e) {
    say("F: inner raised ValueError('", e.what(), "') at ", loop.time());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
