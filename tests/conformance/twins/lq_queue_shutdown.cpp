// Twin of lq_queue_shutdown.py: Queue.shutdown, graceful and immediate.
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Queue;
using asyncio::QueueShutDown;
using twin::say;

std::unique_ptr<twin::Ticker> T;

template <class V>
Coro<void> get(Queue<V>& q, std::string name) {
  try {
    V item = co_await q.get();
    say(name, " got ", item, " @", T->n);
    q.task_done();
  } catch (const QueueShutDown&) {
    say(name, " QueueShutDown @", T->n);
  }
}

Coro<void> put(Queue<std::string>& q, std::string name, std::string item) {
  try {
    co_await q.put(item);
    say(name, " put ", item, " @", T->n);
  } catch (const QueueShutDown&) {
    say(name, " QueueShutDown @", T->n);
  }
}

template <class V>
Coro<void> join(Queue<V>& q, std::string name) {
  co_await q.join();
  say(name, " joined @", T->n);
}

Coro<void> main_() {
  T = std::make_unique<twin::Ticker>(asyncio::get_running_loop());
  {
    Queue<std::string> q(2);
    q.put_nowait("a");
    q.put_nowait("b");
    std::vector<asyncio::Task<void>> ts;
    ts.push_back(asyncio::create_task(put(q, "p1", "c")));
    ts.push_back(asyncio::create_task(join(q, "j1")));
    co_await asyncio::sleep(0);
    q.shutdown();
    say("shutdown @", T->n, " qsize=", q.qsize());
    for (int i = 0; i < 4; ++i) ts.push_back(asyncio::create_task(get(q, "g" + std::to_string(i))));
    co_await asyncio::gather(ts);
    try {
      q.put_nowait("d");
    } catch (const QueueShutDown&) {
      say("put_nowait QueueShutDown @", T->n);
    }
    try {
      q.get_nowait();
    } catch (const QueueShutDown&) {
      say("get_nowait QueueShutDown @", T->n);
    }
  }
  {
    Queue<int> q, unrelated;
    for (int i = 0; i < 3; ++i) q.put_nowait(i);
    int first = co_await q.get();  // (sequenced: C++ leaves argument order unspecified)
    say("got ", first, " @", T->n);
    auto j = asyncio::create_task(join(q, "j2"));
    auto g = asyncio::create_task(get(unrelated, "unrelated"));
    co_await asyncio::sleep(0);
    q.shutdown(true);
    say("shutdown(immediate) @", T->n, " qsize=", q.qsize());
    co_await asyncio::sleep(0);
    say("j2 done=", j.done(), " @", T->n);
    q.task_done();
    co_await j;
    try {
      q.task_done();
    } catch (const std::invalid_argument& e) {
      say("ValueError: ", e.what());
    }
    g.cancel();
    co_await asyncio::gather(asyncio::return_exceptions, g);
  }
  {
    Queue<int> q;
    std::vector<asyncio::Task<void>> gs;
    for (int i = 0; i < 3; ++i) gs.push_back(asyncio::create_task(get(q, "w" + std::to_string(i))));
    co_await asyncio::sleep(0);
    q.shutdown();
    co_await asyncio::gather(gs);
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
