// The seed question's first program, "asyncio.gather", ported line by line.
//
//   Python                                       C++
//   async def coro(tag): ...                     Coro<std::string> coro(std::string tag)
//   loop = asyncio.get_event_loop()              EventLoop& loop = get_event_loop();
//   asyncio.gather(*[coro(...) for i in ...])    gather(group_of(...))  (a vector of Coro)
//   all_groups = asyncio.gather(g1, g2, g3)      auto all_groups = gather(group1, ...);
//   loop.run_until_complete(all_groups)          loop.run_until_complete(all_groups);
//   loop.close(); pprint(results)                loop.close(); pprint(results)
//
// Options: --seed N (repeatable delays, identical to examples/python/seed_gather.py with the
// same seed), --virtual-time (no real waiting), --cancel group2|all (shows what cancelling
// one group, or the outer gather, does).

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "support/args.hpp"
#include "support/pprint.hpp"

using asyncio::Coro;

pyrandom::Random rng(0);

Coro<std::string> coro(std::string tag) {
  std::printf("> %s\n", tag.c_str());
  co_await asyncio::sleep(rng.uniform(1, 3));
  std::printf("< %s\n", tag.c_str());
  co_return tag;
}

// [coro("group {}.{}".format(group, i)) for i in range(1, n + 1)]: a list, as in Python.
// (A lazy view, std::views::iota(1, n + 1) | std::views::transform(...), is also a range
// gather accepts, but clang 14 cannot compile libstdc++ 12's views: docs/building.md.)
std::vector<Coro<std::string>> group_of(int group, int n) {
  std::vector<Coro<std::string>> coros;
  for (int i = 1; i <= n; ++i) {
    coros.push_back(coro("group " + std::to_string(group) + "." + std::to_string(i)));
  }
  return coros;
}

int main(int argc, char** argv) {
  SeedArgs args = SeedArgs::parse(argc, argv, /*allow_cancel=*/true);
  rng = args.rng();
  asyncio::EventLoop virtual_loop({.virtual_time = true});
  if (args.virtual_time) asyncio::set_event_loop(&virtual_loop);

  asyncio::EventLoop& loop = asyncio::get_event_loop();

  auto group1 = asyncio::gather(group_of(1, 5));
  auto group2 = asyncio::gather(group_of(2, 3));
  auto group3 = asyncio::gather(group_of(3, 9));

  auto all_groups = asyncio::gather(group1, group2, group3);

  if (args.cancel == "group2") {
    loop.call_later(
        1.5, [&] { std::printf("group2.cancel() -> %s\n", group2.cancel() ? "True" : "False"); });
  } else if (args.cancel == "all") {
    loop.call_later(1.5, [&] {
      std::printf("all_groups.cancel() -> %s\n", all_groups.cancel() ? "True" : "False");
    });
  }

  try {
    auto [r1, r2, r3] = loop.run_until_complete(all_groups);
    loop.close();
    std::vector<std::vector<std::string>> results{r1, r2, r3};
    std::printf("%s\n", pyprint::pformat(results).c_str());
  } catch (const asyncio::CancelledError&) {
    std::printf("all_groups raised CancelledError\n");
    std::printf("group1 done=%d group2 done=%d group3 done=%d\n", group1.done(), group2.done(),
                group3.done());
    loop.close();
  }
  return 0;
}
