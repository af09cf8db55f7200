// Twin of gw_nested_groups.py: groups of groups, shared groups, futures and sleep() as
// children, gathers of finished groups.
#include <string>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::Coro;
using gw::repr;
using twin::say;

asyncio::EventLoop* loop = nullptr;

Coro<std::string> leaf(std::string tag, double d) {
  say("  > ", tag, " t=", loop->time());
  co_await asyncio::sleep(d);
  say("  < ", tag, " t=", loop->time());
  co_return tag;
}

template <class G>
Coro<std::string> watcher(std::string name, G g) {
  auto r = co_await g;
  say("  ", name, " got ", repr(r), " t=", loop->time());
  co_return name;
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  say("A: three levels");
  auto a = asyncio::gather(leaf("a1", 0.5), leaf("a2", 0.25));
  auto b =
      asyncio::gather(leaf("b1", 0.375), asyncio::gather(leaf("b2", 0.125), leaf("b3", 0.625)));
  auto top = asyncio::gather(a, b, leaf("c", 0.0625));
  co_await asyncio::sleep(0.3);
  say("  t=", loop->time(), " a.done()=", a.done(), " b.done()=", b.done(),
      " top.done()=", top.done());
  auto r = co_await top;
  say("  top -> ", repr(r), " t=", loop->time());

  say("B: one group shared by two parents and two awaiting tasks");
  auto shared = asyncio::gather(leaf("s1", 0.125), leaf("s2", 0.0625));
  auto p1 = asyncio::gather(shared, leaf("p1", 0.25));
  auto p2 = asyncio::gather(leaf("p2", 0.1875), shared);
  auto w1 = asyncio::create_task(watcher("w1", shared));
  auto w2 = asyncio::create_task(watcher("w2", shared));
  auto rb = co_await asyncio::gather(p1, p2, w1, w2);
  say("  -> ", repr(rb), " t=", loop->time());

  say("C: futures and sleep() as children");
  auto f = loop->create_future<int>();
  loop->call_later(0.0390625, [f] { f.set_result(7); });
  auto rc = co_await asyncio::gather(f, asyncio::sleep(0.015625), leaf("l", 0.03125), f);
  say("  -> ", repr(rc), " t=", loop->time());

  say("D: gathers of finished groups are done at once");
  twin::Ticker T(*loop);
  int s = T.n;
  auto g = asyncio::gather(a, b, top, shared);
  say("  done when returned: ", g.done());
  auto rd = co_await g;
  say("  -> ", repr(rd), " iterations=", T.n - s);
  s = T.n;
  auto re = co_await asyncio::gather(asyncio::gather(), asyncio::gather(a));
  say("  empty and done groups -> ", repr(re), " iterations=", T.n - s);
  T.stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
