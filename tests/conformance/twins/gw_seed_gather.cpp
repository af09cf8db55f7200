// Twin of gw_seed_gather.py: the seed's gather program with fixed delays.
#include <map>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "gw_twin.hpp"
#include "twin.hpp"

using asyncio::Coro;
using twin::say;

const std::map<std::string, double> DELAYS = {
    {"group 1.1", 2.25},   {"group 1.2", 1.125},  {"group 1.3", 2.875},  {"group 1.4", 1.5},
    {"group 1.5", 2.0625}, {"group 2.1", 1.75},   {"group 2.2", 2.5625}, {"group 2.3", 1.0625},
    {"group 3.1", 2.375},  {"group 3.2", 1.3125}, {"group 3.3", 2.9375}, {"group 3.4", 1.875},
    {"group 3.5", 2.125},  {"group 3.6", 1.25},   {"group 3.7", 2.6875}, {"group 3.8", 1.5625},
    {"group 3.9", 2.8125},
};

Coro<std::string> coro(std::string tag) {
  say("> ", tag);
  co_await asyncio::sleep(DELAYS.at(tag));
  say("< ", tag);
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
  asyncio::EventLoop& loop = asyncio::get_event_loop();

  auto group1 = asyncio::gather(coros(1, 5));
  auto group2 = asyncio::gather(coros(2, 3));
  auto group3 = asyncio::gather(coros(3, 9));

  auto all_groups = asyncio::gather(group1, group2, group3);

  auto [r1, r2, r3] = loop.run_until_complete(all_groups);

  loop.close();

  say(gw::pformat(
      std::vector<gw::PyObj>{gw::PyObj::list(r1), gw::PyObj::list(r2), gw::PyObj::list(r3)}));
  asyncio::set_event_loop(nullptr);
}
