// Twin of future_states.py: the Future/Task state machine and its error messages.
#include <regex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::InvalidStateError;
using asyncio::RuntimeError;
using twin::py_repr;
using twin::say;

template <class F>
void attempt(const std::string& label, F fn) {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      say("  ", label, " -> None");
    } else {
      auto r = fn();
      say("  ", label, " -> ", twin::py_repr(r));
    }
  } catch (const InvalidStateError& e) {
    say("  ", label, " -> InvalidStateError(", py_repr(e.what()), ")");
  } catch (const CancelledError& e) {
    say("  ", label, " -> CancelledError(", py_repr(e.what()), ")");
  } catch (const RuntimeError& e) {
    say("  ", label, " -> RuntimeError(", py_repr(e.what()), ")");
  } catch (const std::invalid_argument& e) {
    say("  ", label, " -> ValueError(", py_repr(e.what()), ")");
  }
}

std::string exc_text(const std::exception_ptr& e) {
  return e ? "ValueError(" + py_repr(twin::msg(e)) + ")" : "None";
}

asyncio::Future<void> foreign;

Coro<void> selfawait() { co_await asyncio::current_task(); }
Coro<void> await_foreign() { co_await foreign; }

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  say("A: pending future");
  auto f = loop.create_future<int>();
  say("  done=", f.done(), " cancelled=", f.cancelled(), " loop ok=", &f.get_loop() == &loop);
  attempt("result()", [&] { return f.result(); });
  attempt("exception()", [&] { (void)f.exception(); });
  say("B: finished with a result");
  f.set_result(5);
  attempt("result()", [&] { return f.result(); });
  say("  exception() -> ", exc_text(f.exception()));
  attempt("set_result(6)", [&] { f.set_result(6); });
  attempt("set_exception()", [&] { f.set_exception(std::invalid_argument("late")); });
  attempt("cancel()", [&] { return f.cancel(); });
  int v = co_await f;
  say("  await -> ", v, " done=", f.done(), " cancelled=", f.cancelled());
  say("C: finished with an exception");
  auto g = loop.create_future<int>();
  g.set_exception(std::invalid_argument("bad"));
  // (Python's attempt() prints ValueError for result(); so does this catch.)
  attempt("result()", [&] { return g.result(); });
  attempt("result() again", [&] { return g.result(); });
  say("  exception() -> ", exc_text(g.exception()));
  attempt("set_result(1)", [&] { g.set_result(1); });
  try {
    co_await g;
  } catch (const std::invalid_argument& e) {
    say("  await -> ValueError(", py_repr(e.what()), ")");
  }
  say("D: cancelled");
  auto h = loop.create_future<int>();
  bool c1 = h.cancel();
  bool c2 = h.cancel();
  say("  cancel() -> ", c1, " again -> ", c2);
  attempt("result()", [&] { return h.result(); });
  attempt("exception()", [&] { (void)h.exception(); });
  attempt("set_result(1)", [&] { h.set_result(1); });
  say("E: a task cannot be completed from outside");
  auto t = asyncio::create_task(asyncio::sleep(0));
  attempt("task.set_result(1)", [&] { t.set_result(1); });
  attempt("task.set_exception()", [&] { t.set_exception(std::invalid_argument("x")); });
  attempt("task.result() while pending", [&] { t.result(); });
  attempt("task.exception() while pending", [&] { (void)t.exception(); });
  co_await t;
  attempt("task.result() when done", [&] { t.result(); });
  say("  task.exception() when done -> ", exc_text(t.exception()));
  say("F: a task awaiting itself");
  auto ts = asyncio::create_task(selfawait());
  try {
    co_await ts;
  } catch (const RuntimeError& e) {
    std::smatch m;
    std::string s = e.what();
    std::regex_search(s, m, std::regex("^.*?name=.[^']*."));
    say("  RuntimeError(", py_repr(m.str(0)), "...)");
  }
  say("G: a future of another loop");
  {
    asyncio::EventLoop other({.virtual_time = true});
    foreign = other.create_future<void>();
    auto tf = asyncio::create_task(await_foreign());
    try {
      co_await tf;
    } catch (const RuntimeError& e) {
      std::string m = e.what();
      say("  RuntimeError: starts ", py_repr(m.substr(0, 5)), " ends ",
          py_repr(m.substr(m.size() - 30)));
    }
    foreign = {};
    other.close();
  }
  say("H: a done future awaited twice does not suspend; its result is kept");
  auto k = loop.create_future<std::vector<int>>();
  loop.call_soon([k] { k.set_result(std::vector<int>{1, 2}); });
  auto k1 = twin::py_list(co_await k);
  auto k2 = twin::py_list(co_await k);
  say("  ", k1, " ", k2, " ", twin::py_list(k.result()));
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
