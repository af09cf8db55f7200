// Twin of gw_rerun.py: repeated run_until_complete with pending work carried over.
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::Coro;
using gw::repr;
using twin::py_repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<std::string> leaf(std::string tag, double d) {
  say("  > ", tag, " t=", loop->time());
  co_await asyncio::sleep(d);
  say("  < ", tag, " t=", loop->time());
  co_return tag;
}

Coro<void> boom() {
  co_await asyncio::sleep(0.125);
  throw std::invalid_argument("boom");
}

int main() {
  asyncio::EventLoop main_loop({.virtual_time = true});
  asyncio::set_event_loop(&main_loop);
  loop = &asyncio::get_event_loop();

  say("run 1: sleep(1) while a task and a gather start");
  auto t1 = loop->create_task(leaf("t1", 3.0));
  auto g = asyncio::gather(leaf("g1", 1.5), leaf("g2", 2.5), t1);
  loop->run_until_complete(asyncio::sleep(1));
  say("  t=", loop->time(), " g.done()=", g.done(), " t1.done()=", t1.done());

  say("run 2: wait([t1], timeout=0.75)");
  auto [done, pending] =
      loop->run_until_complete(asyncio::wait(std::vector{t1}, {.timeout = 0.75}));
  say("  t=", loop->time(), " done=", done.size(), " pending=", pending.size(),
      " g.done()=", g.done());

  say("run 3: a new gather, made between runs, including the old one");
  auto g2 = asyncio::gather(leaf("h1", 0.125), g);
  say("  g2.done()=", g2.done());
  auto r2 = loop->run_until_complete(g2);
  say("  -> ", repr(r2), " t=", loop->time());

  say("run 4: the finished gathers again");
  auto rg = loop->run_until_complete(g);
  auto rg2 = loop->run_until_complete(g2);
  say("  g -> ", repr(rg), " g2 -> ", repr(rg2), " t=", loop->time());

  say("run 5: a failing gather; its sibling finishes in run 6");
  auto g3 = asyncio::gather(leaf("k1", 0.25), asyncio::sleep(0.0625, std::string("x")),
                            loop->create_task(leaf("k2", 0.75)));
  auto g4 = asyncio::gather(g3, boom());
  try {
    loop->run_until_complete(g4);
  } catch (const std::invalid_argument& e) {
    say("  ValueError(", py_repr(e.what()), ") t=", loop->time(), " g3.done()=", g3.done());
  }
  say("run 6");
  auto r3 = loop->run_until_complete(g3);
  say("  g3 -> ", repr(r3), " t=", loop->time());
  loop->close();
  say("closed: ", loop->is_closed());
  asyncio::set_event_loop(nullptr);
}
