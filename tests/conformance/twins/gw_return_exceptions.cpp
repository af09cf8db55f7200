// Twin of gw_return_exceptions.py: gather(return_exceptions) with mixed outcomes.
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using gw::repr;
using twin::py_repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<std::string> ok(std::string tag, double d) {
  co_await asyncio::sleep(d);
  say("  < ", tag, " t=", loop->time());
  co_return tag;
}

Coro<std::string> fail(std::string tag, double d) {
  co_await asyncio::sleep(d);
  say("  ! ", tag, " t=", loop->time());
  throw std::invalid_argument(tag);
}

Coro<std::string> swallow(std::string tag, double d) {
  try {
    co_await asyncio::sleep(d);
  } catch (const CancelledError& e) {
    say("  ", tag, " swallows CancelledError(", py_repr(e.what()), ") t=", loop->time());
    co_return tag + "-swallowed";
  }
  co_return tag;
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  say("A: mixed outcomes");
  auto t_cancel = asyncio::create_task(ok("tc", 1.0));
  auto t_swallow = asyncio::create_task(swallow("ts", 1.125));
  auto fut = loop->create_future<std::string>();
  auto fut_c = loop->create_future<std::string>();
  loop->call_later(0.125, [t_cancel] { t_cancel.cancel("tc-msg"); });
  loop->call_later(0.1875, [t_swallow] { t_swallow.cancel("ts-msg"); });
  loop->call_later(0.25, [fut] { fut.set_exception(std::invalid_argument("from-future")); });
  loop->call_later(0.3125, [fut_c] { fut_c.cancel("fc-msg"); });
  auto inner_plain = asyncio::gather(ok("i1", 0.0625), fail("i2", 0.09375), ok("i3", 0.40625));
  auto inner_re =
      asyncio::gather(asyncio::return_exceptions, ok("j1", 0.0703125), fail("j2", 0.078125));
  auto g = asyncio::gather(asyncio::return_exceptions, ok("a", 0.03125), fail("b", 0.046875),
                           t_cancel, t_swallow, fut, fut_c, inner_plain, inner_re);
  auto r = co_await g;
  say("  -> ", repr(r), " t=", loop->time());
  say("  g.cancelled()=", g.cancelled(), " t_cancel.cancelled()=", t_cancel.cancelled(),
      " t_swallow.cancelled()=", t_swallow.cancelled());

  say("B: cancelling a return_exceptions gather");
  auto gb = asyncio::gather(asyncio::return_exceptions, ok("x", 0.25), fail("y", 0.0625),
                            swallow("z", 0.375));
  co_await asyncio::sleep(0.125);
  say("  g.cancel('B') -> ", gb.cancel("B"));
  try {
    auto rb = co_await gb;
    say("  -> ", repr(rb));
  } catch (const CancelledError& e) {
    say("  CancelledError(", py_repr(e.what()), ") g.cancelled()=", gb.cancelled(),
        " t=", loop->time());
  }

  say("C: every child fails");
  std::vector<Coro<std::string>> v;
  for (int i = 0; i < 4; ++i) v.push_back(fail("f" + std::to_string(i), 0.015625 * (5 - i)));
  auto rc = co_await asyncio::gather(asyncio::return_exceptions, std::move(v));
  say("  -> ", repr(rc));
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
