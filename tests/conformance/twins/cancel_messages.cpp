// Twin of cancel_messages.py: cancel messages, first message wins, one-shot on tasks.
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

Coro<void> sleeper(double d) { co_await asyncio::sleep(d); }

Coro<void> catcher(std::string label) {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError& e) {
    say("  ", label, " saw CancelledError(", py_repr(e.what()),
        ") cancelling=", asyncio::current_task().cancelling());
    throw;
  }
}

/// getattr(fut, what)() for a cancelled future: prints the CancelledError's message.
template <class F>
void probe(const F& f, const std::string& what) {
  try {
    if (what == "result")
      f.result();
    else
      (void)f.exception();
  } catch (const CancelledError& e) {
    say("  ", what, "() -> ", py_repr(e.what()));
  }
}

asyncio::Task<void> t_h;

Coro<void> consumer(int n) {
  try {
    co_await t_h;
  } catch (const CancelledError& e) {
    say("  consumer ", n, " -> ", py_repr(e.what()));
  }
}

Coro<std::string> wait_g(asyncio::Future<void> g) {
  try {
    co_await g;
  } catch (const CancelledError& e) {
    say("  task saw ", py_repr(e.what()), " cancelling=", asyncio::current_task().cancelling());
    co_return "swallowed";
  }
  co_return "not reached";
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  // A: the message reaches the coroutine and the awaiter
  say("A");
  auto t = asyncio::create_task(catcher("A"));
  co_await asyncio::sleep(0);
  bool c1 = t.cancel("hello");
  say("  cancel('hello') -> ", c1, " cancelled=", t.cancelled(), " done=", t.done());
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> CancelledError(", py_repr(e.what()), ") cancelled=", t.cancelled());
  }
  // B: cancel twice: both True, count 2, the first message wins; cancel when done: False
  say("B");
  t = asyncio::create_task(catcher("B"));
  co_await asyncio::sleep(0);
  c1 = t.cancel("one");
  bool c2 = t.cancel("two");
  say("  cancel('one') -> ", c1, ", cancel('two') -> ", c2, ", cancelling=", t.cancelling());
  try {
    co_await t;
  } catch (const CancelledError& e) {
    bool c3 = t.cancel("three");
    say("  await -> ", py_repr(e.what()), "; cancel after done -> ", c3,
        "; cancelling=", t.cancelling());
  }
  // C: one-shot: the first consumer gets the message, later ones an empty one
  say("C");
  t = asyncio::create_task(sleeper(1));
  co_await asyncio::sleep(0);
  t.cancel("msg");
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()));
  }
  for (int i = 0; i < 2; ++i) {
    try {
      t.result();
    } catch (const CancelledError& e) {
      say("  result() #", i + 1, " -> ", py_repr(e.what()));
    }
  }
  probe(t, "exception");
  // D: one-shot, first consumer is result() (nobody awaited the task)
  say("D");
  t = asyncio::create_task(sleeper(1));
  co_await asyncio::sleep(0);
  t.cancel("first");
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  say("  done=", t.done(), " cancelled=", t.cancelled());
  for (const char* what : {"exception", "result", "result"}) probe(t, what);
  // E: a plain future keeps its message for every consumer
  say("E");
  auto f = loop.create_future<int>();
  c1 = f.cancel("x");
  c2 = f.cancel("y");
  say("  cancel('x') -> ", c1, ", again -> ", c2, ", cancelled=", f.cancelled());
  for (const char* what : {"result", "result", "exception"}) probe(f, what);
  try {
    co_await f;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()));
  }
  // F: no message at all
  say("F");
  t = asyncio::create_task(catcher("F"));
  co_await asyncio::sleep(0);
  t.cancel();
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()), " args-empty=", std::string(e.what()).empty());
  }
  // G: cancelling the future a task waits on: the task sees the future's message
  say("G");
  auto g = loop.create_future<void>();
  auto tg = asyncio::create_task(wait_g(g));
  co_await asyncio::sleep(0);
  g.cancel("from-future");
  auto rg = co_await tg;
  say("  task result ", py_repr(rg), " cancelled=", tg.cancelled());
  // H: two awaiters of one cancelled task: the first gets the message, the second not
  say("H");
  t_h = asyncio::create_task(sleeper(1));
  std::vector<asyncio::Task<void>> cs;
  for (int n : {1, 2}) cs.push_back(asyncio::create_task(consumer(n)));
  co_await asyncio::sleep(0);
  t_h.cancel("shared");
  for (auto& c : cs) co_await c;
  t_h = {};
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
