// Twin of lq_queue_cancel.py: cancellation safety of Queue.get/put, wait_for(q.get()),
// a woken getter re-queueing at the end.
#include <cctype>
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

template <class V>
Coro<void> getter(Queue<V>& q, std::string name, std::vector<std::string>& log) {
  try {
    V item = co_await q.get();
    log.push_back(name + ":" + twin::str(item));
    say(name, " got ", item, " @", T->n);
  } catch (const CancelledError&) {
    say(name, " cancelled @", T->n, " qsize=", q.qsize());
    throw;
  }
}

Coro<void> putter(Queue<std::string>& q, std::string name, std::string item) {
  try {
    co_await q.put(item);
    say(name, " put ", item, " @", T->n, " qsize=", q.qsize());
  } catch (const CancelledError&) {
    say(name, " cancelled @", T->n, " qsize=", q.qsize());
    throw;
  }
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  {
    Queue<std::string> q;
    std::vector<std::string> log;
    std::vector<asyncio::Task<void>> gs;
    for (const char* n : {"g1", "g2", "g3"}) gs.push_back(asyncio::create_task(getter(q, n, log)));
    co_await asyncio::sleep(0);
    q.put_nowait("x");
    gs[0].cancel();
    say("put x, cancelled g1 @", T->n);
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    q.put_nowait("y");
    co_await asyncio::gather(asyncio::return_exceptions, gs);
    say("log ", twin::py_list(log), " @", T->n, " qsize=", q.qsize());
  }
  {
    Queue<std::string> q(1);
    q.put_nowait("first");
    std::vector<asyncio::Task<void>> ps;
    for (const char* n : {"p1", "p2", "p3"})
      ps.push_back(asyncio::create_task(putter(q, n, upper(n))));
    co_await asyncio::sleep(0);
    say("got ", q.get_nowait(), " @", T->n);
    ps[0].cancel();
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    say("got ", q.get_nowait(), " @", T->n);
    co_await asyncio::gather(asyncio::return_exceptions, ps);
    auto left = q.get_nowait();  // (sequenced: C++ leaves argument order unspecified)
    say("left ", left, " @", T->n, " empty=", q.empty());
  }
  {
    Queue<int> q;
    std::vector<std::string> log;
    auto ga = asyncio::create_task(getter(q, "ga", log));
    auto gb = asyncio::create_task(getter(q, "gb", log));
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    say("stole ", q.get_nowait(), " @", T->n);
    co_await asyncio::sleep(0);
    q.put_nowait(2);
    q.put_nowait(3);
    co_await asyncio::gather(ga, gb);
    say("log ", twin::py_list(log), " @", T->n);
    T->stop();
  }
  {
    Queue<std::string> q;
    loop.call_later(2.5, [&q] { q.put_nowait("late"); });
    try {
      co_await asyncio::wait_for(q.get(), 1.5);
    } catch (const asyncio::TimeoutError&) {
      say("TimeoutError t=", loop.time(), " empty=", q.empty());
    }
    auto item = co_await asyncio::wait_for(q.get(), 5);
    say("got ", item, " t=", loop.time());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
