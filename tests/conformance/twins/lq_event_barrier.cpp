// Twin of lq_event_barrier.py: Event wake-up order and clear(); Barrier rounds, reset, abort.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Barrier;
using asyncio::Coro;
using asyncio::Event;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<void> ev_waiter(Event& ev, std::string name) {
  bool r = co_await ev.wait();
  say(name, " woke ", r, " @", T->n, " is_set=", ev.is_set());
}

Coro<void> party(Barrier& barrier, std::string name, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    int i = co_await barrier.wait();
    say(name, " round ", r, " index ", i, " @", T->n, " n_waiting=", barrier.n_waiting());
  }
}

Coro<void> breakable(Barrier& barrier, std::string name) {
  try {
    co_await barrier.wait();
    say(name, " passed @", T->n);
  } catch (const asyncio::BrokenBarrierError& e) {
    say(name, " BrokenBarrierError: ", e.what(), " @", T->n, " broken=", barrier.broken());
  }
}

Coro<void> main_() {
  T = std::make_unique<twin::Ticker>(asyncio::get_running_loop());
  {
    Event ev;
    std::vector<asyncio::Task<void>> ws;
    for (int i = 0; i < 3; ++i) {
      // "w" + std::to_string(i), written as an append: at -O3 GCC 12 reports a false
      // -Wrestrict inside operator+(const char*, std::string&&) (GCC PR 105329 / 105651).
      std::string name = "w";
      name += std::to_string(i);
      ws.push_back(asyncio::create_task(ev_waiter(ev, std::move(name))));
    }
    co_await asyncio::sleep(0);
    ev.set();
    auto late = asyncio::create_task(ev_waiter(ev, "late"));
    ev.clear();
    say("set then clear @", T->n);
    co_await asyncio::sleep(0);
    say("late done=", late.done(), " @", T->n);
    ev.set();
    ws.push_back(late);
    co_await asyncio::gather(ws);
    say("event done @", T->n);
  }
  {
    Barrier b(3);
    std::vector<asyncio::Task<void>> ts;
    for (const char* n : {"x", "y", "z"}) ts.push_back(asyncio::create_task(party(b, n, 2)));
    co_await asyncio::gather(ts);
    say("rounds done @", T->n, " n_waiting=", b.n_waiting(), " broken=", b.broken());
  }
  {
    Barrier b(3);
    std::vector<asyncio::Task<void>> ts;
    for (const char* n : {"r1", "r2"}) ts.push_back(asyncio::create_task(breakable(b, n)));
    co_await asyncio::sleep(0);
    say("n_waiting=", b.n_waiting(), " @", T->n);
    co_await b.reset();
    co_await asyncio::gather(ts);
    say("after reset n_waiting=", b.n_waiting(), " broken=", b.broken(), " @", T->n);
    ts.clear();
    for (const char* n : {"a1", "a2"}) ts.push_back(asyncio::create_task(breakable(b, n)));
    co_await asyncio::sleep(0);
    co_await b.abort();
    co_await asyncio::gather(ts);
    co_await breakable(b, "a3");
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
