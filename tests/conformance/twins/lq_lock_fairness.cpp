// Twin of lq_lock_fairness.py: Lock FIFO order and wake-up iterations, cancellation of a
// woken waiter, a newcomer jumping cancelled waiters, over-release.
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Lock;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<void> worker(Lock& lock, std::string name, int hold) {
  say(name, " wants @", T->n, " locked=", lock.locked());
  {
    auto held = co_await lock.acquire_guard();
    say(name, " got @", T->n);
    for (int i = 0; i < hold; ++i) co_await asyncio::sleep(0);
  }
  say(name, " released @", T->n);
}

Coro<void> grab(Lock& lock, std::vector<std::string>& order, std::string name) {
  auto held = co_await lock.acquire_guard();
  order.push_back(name);
}

Coro<void> main_() {
  T = std::make_unique<twin::Ticker>(asyncio::get_running_loop());
  Lock lock;
  auto a = asyncio::create_task(worker(lock, "a", 2));
  auto b = asyncio::create_task(worker(lock, "b", 0));
  auto c = asyncio::create_task(worker(lock, "c", 1));
  co_await asyncio::sleep(0);
  auto d = asyncio::create_task(worker(lock, "d", 0));
  co_await asyncio::gather(a, b, c, d);
  say("all done @", T->n, " locked=", lock.locked());

  co_await lock.acquire();
  auto w1 = asyncio::create_task(lock.acquire());
  auto w2 = asyncio::create_task(lock.acquire());
  co_await asyncio::sleep(0);
  lock.release();
  w1.cancel();
  say("released, w1 cancelled @", T->n);
  try {
    co_await w1;
  } catch (const CancelledError&) {
    say("w1 cancelled @", T->n, " locked=", lock.locked());
  }
  co_await w2;
  say("w2 acquired @", T->n, " locked=", lock.locked());
  lock.release();

  co_await lock.acquire();
  auto w3 = asyncio::create_task(lock.acquire());
  co_await asyncio::sleep(0);
  w3.cancel();
  lock.release();
  int start = T->n;
  bool got = co_await lock.acquire();
  say("newcomer got ", got, " started @", start, " now @", T->n);
  lock.release();
  try {
    co_await w3;
  } catch (const CancelledError&) {
    say("w3 cancelled @", T->n, " locked=", lock.locked());
  }

  co_await lock.acquire();
  std::vector<std::string> order;
  auto w4 = asyncio::create_task(grab(lock, order, "w4"));
  co_await asyncio::sleep(0);
  lock.release();
  auto w5 = asyncio::create_task(grab(lock, order, "w5"));
  say("after release locked=", lock.locked());
  co_await asyncio::gather(w4, w5);
  say("order ", twin::py_list(order), " @", T->n);

  try {
    lock.release();
  } catch (const asyncio::RuntimeError& e) {
    say("RuntimeError: ", e.what());
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
