// Twin of gw_cancel_group.py: the seed's gather program with group2.cancel().
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

int main() {
  asyncio::EventLoop main_loop({.virtual_time = true});
  asyncio::set_event_loop(&main_loop);
  loop = &asyncio::get_event_loop();

  auto group1 = asyncio::gather(coros(1, 5));
  auto group2 = asyncio::gather(coros(2, 3));
  auto group3 = asyncio::gather(coros(3, 9));

  auto all_groups = asyncio::gather(group1, group2, group3);

  loop->call_later(1.4, [&] {
    bool r = group2.cancel();
    say("group2.cancel() -> ", r, " t=", loop->time(), " done=", group2.done());
  });

  try {
    auto results = loop->run_until_complete(all_groups);
    say(repr(results));
  } catch (const CancelledError& e) {
    say("run_until_complete raised CancelledError(", py_repr(e.what()), ") t=", loop->time());
  }
  say("group1.done()=", group1.done(), " group3.done()=", group3.done());
  say("group2.done()=", group2.done(), " cancelled=", group2.cancelled(),
      " exception=", gw::exc_type(group2.exception()));
  say("all_groups.done()=", all_groups.done(), " cancelled=", all_groups.cancelled(),
      " exception=", gw::exc_type(all_groups.exception()));
  bool c2 = group2.cancel();
  say("group2.cancel() again -> ", c2, " all_groups.cancel() -> ", all_groups.cancel());
  auto r1 = loop->run_until_complete(group1);
  say("group1 -> ", repr(r1), " t=", loop->time());
  auto r3 = loop->run_until_complete(group3);
  say("group3 -> ", repr(r3), " t=", loop->time());
  loop->close();
  asyncio::set_event_loop(nullptr);
}
