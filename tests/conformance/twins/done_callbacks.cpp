// Twin of done_callbacks.py: done callbacks and waiter wake-ups, in registration order.
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Future;
using twin::say;

std::unique_ptr<twin::Ticker> T;

void cb_a(Future<int> fut) { say("  cb_a result=", fut.result(), " @", T->n); }
void cb_b(Future<int> fut) { say("  cb_b result=", fut.result(), " @", T->n); }

Coro<void> waiter(Future<std::string> f, int n) {
  std::string v = co_await f;
  say("  waiter ", n, " resumed with ", v, " @", T->n);
}

Coro<int> work() {
  co_await asyncio::sleep(0);
  co_return 10;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  // A: waiters (registered when their first step runs) and plain callbacks (registered
  // at once) are called in registration order, one iteration after set_result.
  say("A @", T->n);
  auto f = loop.create_future<std::string>();
  f.add_done_callback([](Future<std::string>) { say("  early callback @", T->n); });
  std::vector<asyncio::Task<void>> ts;
  for (int i : {3, 1, 2}) ts.push_back(asyncio::create_task(waiter(f, i)));
  co_await asyncio::sleep(0);
  f.add_done_callback(
      [](Future<std::string> fut) { say("  late callback done=", fut.done(), " @", T->n); });
  ts.push_back(asyncio::create_task(waiter(f, 4)));
  co_await asyncio::sleep(0);
  f.set_result("x");
  say("  set_result returned; callbacks not yet run @", T->n);
  for (auto& t : ts) co_await t;
  say("  all waiters done @", T->n);
  // B: add_done_callback on a done future goes through call_soon too
  say("B @", T->n);
  auto f2 = loop.create_future<int>();
  f2.set_result(1);
  loop.call_soon([] { say("  call_soon queued before @", T->n); });
  f2.add_done_callback([](Future<int>) { say("  callback on done future @", T->n); });
  loop.call_soon([] { say("  call_soon queued after @", T->n); });
  say("  add_done_callback returned @", T->n);
  co_await asyncio::sleep(0);
  say("  main after sleep0 @", T->n);
  // C: remove_done_callback removes every equal registration and counts them
  say("C @", T->n);
  auto f3 = loop.create_future<int>();
  f3.add_done_callback(&cb_a);
  f3.add_done_callback(&cb_b);
  f3.add_done_callback(&cb_a);
  auto n1 = f3.remove_done_callback(&cb_a);
  auto n2 = f3.remove_done_callback(&cb_a);
  say("  removed cb_a x", n1, "; again x", n2);
  f3.set_result(3);
  co_await asyncio::sleep(0);
  // D: a task's done callbacks and its awaiters, and a callback added by a callback
  say("D @", T->n);
  auto t = asyncio::create_task(work());
  t.add_done_callback([](Future<int> task) {
    say("  outer_cb result=", task.result(), " @", T->n);
    task.add_done_callback([](Future<int>) { say("  cb added by outer_cb @", T->n); });
  });
  int r = co_await t;
  say("  main awaited task -> ", r, " @", T->n);
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  // E: cancelled and failed futures also run their callbacks, one iteration later
  say("E @", T->n);
  auto f4 = loop.create_future<int>();
  f4.add_done_callback(
      [](Future<int> fut) { say("  f4 cancelled=", fut.cancelled(), " @", T->n); });
  f4.cancel("stop");
  auto f5 = loop.create_future<int>();
  f5.add_done_callback([](Future<int> fut) {
    say("  f5 exception message=", twin::msg(fut.exception()), " @", T->n);
  });
  f5.set_exception(std::invalid_argument("bad"));
  say("  cancel and set_exception returned @", T->n);
  co_await asyncio::sleep(0);
  try {
    co_await f4;
  } catch (const asyncio::CancelledError& e) {
    say("  await f4 -> CancelledError(", twin::py_repr(e.what()), ") @", T->n);
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
