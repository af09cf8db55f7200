// Twin of gw_first_error.py: the first error completes the gather, siblings run on.
#include <exception>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<std::string> worker(std::string name, double delay, bool fail = false) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    say("  ", name, " cancelled");
    throw;
  }
  if (fail) {
    say("  ", name, " raising t=", loop->time());
    throw std::invalid_argument(name);
  }
  say("  ", name, " done t=", loop->time());
  co_return name;
}

Coro<std::string> fail_now(std::string name) {
  say("  ", name, " raising at once");
  throw std::invalid_argument(name);
  co_return name;
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  loop->set_exception_handler([](asyncio::EventLoop&, const asyncio::ExceptionContext& ctx) {
    say("HANDLER: ", ctx.message);
  });
  say("A: flat");
  auto g = asyncio::gather(worker("a", 0.0625), worker("b", 0.125, true), worker("c", 0.3125),
                           worker("d", 0.1875, true));
  try {
    co_await g;
  } catch (const std::invalid_argument& e) {
    say("  caught ValueError(", py_repr(e.what()), ") t=", loop->time(), " done=", g.done(),
        " cancelled=", g.cancelled());
  }
  say("  g.cancel() after failure -> ", g.cancel());
  co_await asyncio::sleep(0.5);
  say("  after sleep t=", loop->time());

  say("B: nested");
  auto inner = asyncio::gather(worker("i1", 0.125, true), worker("i2", 0.25));
  auto outer = asyncio::gather(inner, worker("o1", 0.1875), worker("o2", 0.3125, true));
  try {
    co_await outer;
  } catch (const std::invalid_argument& e) {
    bool same =
        outer.exception() == inner.exception() && inner.exception() == std::current_exception();
    say("  caught ValueError(", py_repr(e.what()), ") t=", loop->time(), " same object: ", same);
  }
  bool oc = outer.cancel();
  say("  outer.cancel() -> ", oc, " inner.cancel() -> ", inner.cancel());
  co_await asyncio::sleep(0.5);

  say("C: two children failing in the same iteration: the first in argument order wins");
  auto gc = asyncio::gather(fail_now("p"), fail_now("q"), worker("r", 0.0625));
  try {
    co_await gc;
  } catch (const std::invalid_argument& e) {
    say("  caught ValueError(", py_repr(e.what()), ")");
  }
  co_await asyncio::sleep(0.125);

  say("D: a failed future and a failing task");
  auto f = loop->create_future<std::string>();
  loop->call_later(0.125, [f] { f.set_exception(std::invalid_argument("future")); });
  auto gd = asyncio::gather(worker("t", 0.0625, true), f, worker("u", 0.1875));
  try {
    co_await gd;
  } catch (const std::invalid_argument& e) {
    say("  caught ValueError(", py_repr(e.what()), ") t=", loop->time());
  }
  co_await asyncio::sleep(0.25);
  say("  f.exception() -> ValueError(", py_repr(twin::msg(f.exception())), ") t=", loop->time());
}

int main() {
  asyncio::run(main_(), {.virtual_time = true});
  say("end");
}
