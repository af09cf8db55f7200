// Twin of lq_condition.py: Condition wait_for/notify(n)/notify_all, cancel after notify,
// un-acquired errors, two conditions on one lock.
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Condition;
using asyncio::Coro;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<void> consumer(Condition& cond, std::string name, std::deque<std::optional<int>>& items,
                    std::vector<std::string>& log) {
  auto held = co_await cond.acquire_guard();
  for (;;) {
    co_await cond.wait_for([&] { return !items.empty(); });
    auto item = items.front();
    items.pop_front();
    if (!item) {
      say(name, " stops @", T->n);
      co_return;
    }
    log.push_back(name + ":" + std::to_string(*item));
    say(name, " took ", *item, " @", T->n, " locked=", cond.locked());
  }
}

Coro<void> waiter(Condition& cond, std::string name, std::vector<std::string>& woken) {
  auto held = co_await cond.acquire_guard();
  try {
    co_await cond.wait();
    woken.push_back(name);
    say(name, " woken @", T->n);
  } catch (const CancelledError&) {
    say(name, " cancelled @", T->n, " holds lock=", cond.locked());
    throw;
  }
}

Coro<void> on(Condition& c, asyncio::Lock& lock, std::string name) {
  auto held = co_await c.acquire_guard();
  co_await c.wait();
  say(name, " woken @", T->n, " lock=", lock.locked());
}

Coro<void> main_() {
  T = std::make_unique<twin::Ticker>(asyncio::get_running_loop());
  {
    Condition cond;
    std::deque<std::optional<int>> items;
    std::vector<std::string> log;
    std::vector<asyncio::Task<void>> cs;
    for (const char* n : {"c1", "c2", "c3"})
      cs.push_back(asyncio::create_task(consumer(cond, n, items, log)));
    co_await asyncio::sleep(0);
    {
      auto held = co_await cond.acquire_guard();
      items.push_back(1);
      items.push_back(2);
      cond.notify(2);
      say("notified 2 @", T->n);
    }
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    {
      auto held = co_await cond.acquire_guard();
      for (std::optional<int> v : {std::optional<int>(3), std::optional<int>(),
                                   std::optional<int>(), std::optional<int>()})
        items.push_back(v);
      cond.notify_all();
      say("notified all @", T->n);
    }
    co_await asyncio::gather(cs);
    say("log ", twin::py_list(log), " @", T->n);
  }
  {
    Condition cond;
    std::vector<std::string> woken;
    auto w1 = asyncio::create_task(waiter(cond, "w1", woken));
    auto w2 = asyncio::create_task(waiter(cond, "w2", woken));
    co_await asyncio::sleep(0);
    {
      auto held = co_await cond.acquire_guard();
      cond.notify(1);
      w1.cancel();
      say("notify(1), cancel w1 @", T->n);
    }
    co_await asyncio::gather(asyncio::return_exceptions, w1, w2);
    say("woken ", twin::py_list(woken), " w1 cancelled=", w1.cancelled(), " @", T->n,
        " locked=", cond.locked());
    try {
      cond.notify();
    } catch (const asyncio::RuntimeError& e) {
      say("RuntimeError: ", e.what());
    }
    try {
      co_await cond.wait();
    } catch (const asyncio::RuntimeError& e) {
      say("RuntimeError: ", e.what());
    }
  }
  {
    asyncio::Lock lock;
    Condition ca(lock), cb(lock);
    auto ta = asyncio::create_task(on(ca, lock, "on-a"));
    auto tb = asyncio::create_task(on(cb, lock, "on-b"));
    co_await asyncio::sleep(0);
    {
      auto held = co_await lock.acquire_guard();
      cb.notify();
    }
    co_await asyncio::sleep(0);
    say("a done=", ta.done(), " b done=", tb.done(), " @", T->n);
    {
      auto held = co_await ca.acquire_guard();
      ca.notify();
    }
    co_await asyncio::gather(ta, tb);
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
