// Twin of lq_queue_pipeline.py: bounded Queue producer/consumers with task_done/join, then
// LifoQueue and PriorityQueue hand-offs.
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Queue;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<void> producer(Queue<int>& q, int n) {
  for (int i = 0; i < n; ++i) {
    co_await q.put(i);
    say("put ", i, " @", T->n, " qsize=", q.qsize(), " full=", q.full());
  }
  say("producer joining @", T->n);
  co_await q.join();
  say("joined @", T->n, " qsize=", q.qsize());
}

Coro<void> consumer(Queue<int>& q, std::string name, int work) {
  try {
    for (;;) {
      int item = co_await q.get();
      say(name, " got ", item, " @", T->n);
      for (int i = 0; i < work; ++i) co_await asyncio::sleep(0);
      q.task_done();
    }
  } catch (const CancelledError&) {
    say(name, " cancelled @", T->n, " empty=", q.empty());
    throw;
  }
}

Coro<void> drain(Queue<int>& q, std::string name, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) out.push_back(co_await q.get());
  say(name, " drained ", twin::py_list(out), " @", T->n);
}

Coro<void> hand_off(Queue<int>& q2, std::string name) {
  auto t = asyncio::create_task(drain(q2, name, 5));
  co_await asyncio::sleep(0);
  for (int v : {5, 1, 4}) q2.put_nowait(v);
  say(name, " qsize=", q2.qsize(), " @", T->n);
  co_await asyncio::sleep(0);
  say(name, " qsize=", q2.qsize(), " @", T->n);
  for (int v : {3, 2, 9}) {
    co_await q2.put(v);
    say(name, " put ", v, " @", T->n);
  }
  co_await t;
}

Coro<void> main_() {
  T = std::make_unique<twin::Ticker>(asyncio::get_running_loop());
  Queue<int> q(2);
  std::vector<asyncio::Task<void>> consumers;
  consumers.push_back(asyncio::create_task(consumer(q, "fast", 1)));
  consumers.push_back(asyncio::create_task(consumer(q, "slow", 3)));
  co_await producer(q, 7);
  for (auto& c : consumers) c.cancel();
  auto res = co_await asyncio::gather(asyncio::return_exceptions, consumers);
  std::vector<std::string> kinds;
  for (auto& r : res)
    kinds.push_back(asyncio::detail::is_cancelled_error(r.exception()) ? "CancelledError" : "?");
  say("consumers: ", twin::py_list(kinds), " @", T->n);

  asyncio::LifoQueue<int> lifo(3);
  co_await hand_off(lifo, "LifoQueue");
  asyncio::PriorityQueue<int> prio(3);
  co_await hand_off(prio, "PriorityQueue");
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
