// Twin of gw_seed_wait.py: the seed's wait program with fixed delays. The coroutines are
// passed to wait() as in the seed (the library wraps them in tasks, in input order).
#include <map>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using twin::say;

const std::map<int, double> DELAYS = {{1, 3.25}, {2, 1.5},   {3, 4.375}, {4, 0.875}, {5, 2.125},
                                      {6, 4.75}, {7, 1.125}, {8, 3.625}, {9, 2.5},   {10, 0.625}};

Coro<int> coro(int tag) {
  say("> ", tag);
  co_await asyncio::sleep(DELAYS.at(tag));
  say("< ", tag);
  co_return tag;
}

int main() {
  asyncio::EventLoop main_loop({.virtual_time = true});
  asyncio::set_event_loop(&main_loop);
  asyncio::EventLoop& loop = asyncio::get_event_loop();

  std::vector<Coro<int>> tasks;
  for (int i = 1; i <= 10; ++i) tasks.push_back(coro(i));

  say("Get first result:");
  auto [finished, unfinished] = loop.run_until_complete(
      asyncio::wait(std::move(tasks), {.return_when = asyncio::FIRST_COMPLETED}));

  for (auto& task : finished) say(task.result());
  say("unfinished: ", unfinished.size());

  say("Get more results in 2 seconds:");
  auto [finished2, unfinished2] =
      loop.run_until_complete(asyncio::wait(std::move(unfinished), {.timeout = 2}));

  for (auto& task : finished2) say(task.result());
  say("unfinished2: ", unfinished2.size());

  say("Get all other results:");
  auto [finished3, unfinished3] = loop.run_until_complete(asyncio::wait(std::move(unfinished2)));

  for (auto& task : finished3) say(task.result());

  loop.close();
  asyncio::set_event_loop(nullptr);
}
