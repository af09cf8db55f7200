// Twin of cancel_chain.py: cancellation forwarded down task -> task -> future chains.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;
asyncio::Future<std::string> f;

/// Awaits `below`, or the global future `f` when `below` is empty.
Coro<std::string> level(std::string name, Task<std::string> below) {
  try {
    if (!below.valid()) co_return co_await f;
    co_return co_await below;
  } catch (const CancelledError& e) {
    say("  ", name, " saw CancelledError(", py_repr(e.what()),
        ") cancelling=", asyncio::current_task().cancelling(), " @", T->n);
    throw;
  }
}

Coro<std::string> inner_coro() { co_return co_await f; }
Coro<std::string> middle_coro() { co_return co_await inner_coro(); }

Coro<std::string> stubborn_leaf() {
  try {
    co_await f;
  } catch (const CancelledError& e) {
    say("  leaf swallows ", py_repr(e.what()), " @", T->n);
  }
  co_await asyncio::sleep(0);
  co_return "leaf-value";
}

Task<std::string> mid_d;

Coro<std::string> top_catches() {
  try {
    co_await mid_d;
  } catch (const CancelledError& e) {
    say("  top caught ", py_repr(e.what()), " cancelling=", asyncio::current_task().cancelling(),
        " @", T->n);
  }
  co_await asyncio::sleep(0);
  co_return "top-done";
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  // A: top -> mid -> leaf -> future
  say("A");
  f = loop.create_future<std::string>();
  auto leaf = asyncio::create_task(level("leaf", {}));
  auto mid = asyncio::create_task(level("mid", leaf));
  auto top = asyncio::create_task(level("top", mid));
  co_await asyncio::sleep(0);
  bool c = top.cancel("deep");
  say("  cancel(top, 'deep') -> ", c, " @", T->n);
  say("  f.cancelled()=", f.cancelled(), " leaf.done()=", leaf.done(),
      " counts: top=", top.cancelling(), " mid=", mid.cancelling(), " leaf=", leaf.cancelling());
  try {
    co_await top;
  } catch (const CancelledError& e) {
    say("  await top -> ", py_repr(e.what()), " @", T->n);
  }
  say("  cancelled: top=", top.cancelled(), " mid=", mid.cancelled(), " leaf=", leaf.cancelled());
  // B: the chain inside one task (coroutines awaited inline) reaches the future too
  say("B");
  f = loop.create_future<std::string>();
  auto t = asyncio::create_task(middle_coro());
  co_await asyncio::sleep(0);
  t.cancel("inline");
  say("  f.cancelled()=", f.cancelled(), " @", T->n);
  try {
    co_await t;
  } catch (const CancelledError& e) {
    say("  await -> ", py_repr(e.what()), " @", T->n);
  }
  // C: the leaf swallows the cancel and returns: the levels above get its value
  say("C");
  f = loop.create_future<std::string>();
  leaf = asyncio::create_task(stubborn_leaf());
  mid = asyncio::create_task(level("mid", leaf));
  co_await asyncio::sleep(0);
  mid.cancel("try");
  auto r = co_await mid;
  say("  mid returned ", py_repr(r), " cancelled=", mid.cancelled(),
      " cancelling=", mid.cancelling(), " leaf cancelling=", leaf.cancelling(), " @", T->n);
  // D: cancelling the middle task directly: the top one is not cancelled, it just sees
  // the CancelledError of what it awaited, and may carry on
  say("D");
  f = loop.create_future<std::string>();
  leaf = asyncio::create_task(level("leaf", {}));
  mid_d = asyncio::create_task(level("mid", leaf));
  top = asyncio::create_task(top_catches());
  co_await asyncio::sleep(0);
  mid_d.cancel("mid-only");
  r = co_await top;
  say("  top -> ", py_repr(r), " cancelled=", top.cancelled(), " mid=", mid_d.cancelled(),
      " leaf=", leaf.cancelled(), " @", T->n);
  // E: a future shared by two tasks: cancelling one task cancels the future, so the
  // other task is woken with CancelledError too (though nobody cancelled it)
  say("E");
  f = loop.create_future<std::string>();
  auto a = asyncio::create_task(level("a", {}));
  auto b = asyncio::create_task(level("b", {}));
  co_await asyncio::sleep(0);
  a.cancel("only-a");
  for (auto& [name, tt] :
       std::vector<std::pair<std::string, Task<std::string>>>{{"a", a}, {"b", b}}) {
    try {
      co_await tt;
    } catch (const CancelledError& e) {
      say("  await ", name, " -> ", py_repr(e.what()), " cancelled=", tt.cancelled(),
          " cancelling=", tt.cancelling(), " @", T->n);
    }
  }
  // F: cancel the leaf's future from outside: every level ends cancelled, no counts
  say("F");
  f = loop.create_future<std::string>();
  leaf = asyncio::create_task(level("leaf", {}));
  mid = asyncio::create_task(level("mid", leaf));
  co_await asyncio::sleep(0);
  f.cancel("at-bottom");
  try {
    co_await mid;
  } catch (const CancelledError& e) {
    say("  await mid -> ", py_repr(e.what()), " counts mid=", mid.cancelling(),
        " leaf=", leaf.cancelling(), " @", T->n);
  }
  T->stop();
  mid_d = {};
  f = {};
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
