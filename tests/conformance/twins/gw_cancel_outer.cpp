// Twin of gw_cancel_outer.py: the seed's gather program with all_groups.cancel().
#include <map>
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

const std::map<std::string, double> DELAYS = {
    {"group 1.1", 2.25},   {"group 1.2", 1.125},  {"group 1.3", 2.875},  {"group 1.4", 1.5},
    {"group 1.5", 2.0625}, {"group 2.1", 1.75},   {"group 2.2", 2.5625}, {"group 2.3", 1.0625},
    {"group 3.1", 2.375},  {"group 3.2", 1.3125}, {"group 3.3", 2.9375}, {"group 3.4", 1.875},
    {"group 3.5", 2.125},  {"group 3.6", 1.25},   {"group 3.7", 2.6875}, {"group 3.8", 1.5625},
    {"group 3.9", 2.8125},
};

asyncio::EventLoop* loop = nullptr;

Coro<std::string> coro(std::string tag) {
  say("> ", tag);
  try {
    co_await asyncio::sleep(DELAYS.at(tag));
  } catch (const CancelledError& e) {
    say("x ", tag, " CancelledError(", py_repr(e.what()), ") t=", loop->time());
    throw;
  }
  say("< ", tag, " t=", loop->time());
  co_return tag;
}

std::vector<Coro<std::string>> coros(int group, int n) {
  std::vector<Coro<std::string>> v;
  for (int i = 1; i <= n; ++i)
    v.push_back(coro("group " + std::to_string(group) + "." + std::to_string(i)));
  return v;
}

using Group = asyncio::Future<std::vector<std::string>>;

struct Groups {
  Group g1, g2, g3;
  asyncio::Future<
      std::tuple<std::vector<std::string>, std::vector<std::string>, std::vector<std::string>>>
      all;
};

Groups make_groups() {
  Groups g;
  g.g1 = asyncio::gather(coros(1, 5));
  g.g2 = asyncio::gather(coros(2, 3));
  g.g3 = asyncio::gather(coros(3, 9));
  g.all = asyncio::gather(g.g1, g.g2, g.g3);
  return g;
}

std::string cancelled_repr(const asyncio::AnyFuture& f) {
  return "CancelledError(" + py_repr(twin::msg(f.exception())) + ")";
}

void report(const Groups& g) {
  int i = 0;
  for (const Group* x : {&g.g1, &g.g2, &g.g3})
    say("group", ++i, ": done=", x->done(), " cancelled=", x->cancelled(),
        " exception=", cancelled_repr(*x));
  say("all_groups: done=", g.all.done(), " cancelled=", g.all.cancelled(),
      " exception=", cancelled_repr(g.all));
}

void run_all(const Groups& g) {
  try {
    say(repr(loop->run_until_complete(g.all)));
  } catch (const CancelledError& e) {
    say("run_until_complete raised CancelledError(", py_repr(e.what()), ") t=", loop->time());
  }
}

int main() {
  asyncio::EventLoop main_loop({.virtual_time = true});
  asyncio::set_event_loop(&main_loop);
  loop = &asyncio::get_event_loop();

  say("A: all_groups.cancel('stop') at t=1.4");
  Groups a = make_groups();
  loop->call_later(1.4, [&] {
    bool r = a.all.cancel("stop");
    say("all_groups.cancel('stop') -> ", r, " t=", loop->time());
  });
  run_all(a);
  report(a);
  say("all_groups.cancel() again -> ", a.all.cancel());

  say("B: all_groups.cancel('early') before the loop runs");
  Groups b = make_groups();
  say("all_groups.cancel('early') -> ", b.all.cancel("early"));
  run_all(b);
  report(b);
  loop->close();
  asyncio::set_event_loop(nullptr);
}
