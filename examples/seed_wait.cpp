// The seed question's second program, "asyncio.wait", ported line by line. As in the
// original (Python <= 3.10), the coroutines themselves are passed to wait(), which wraps
// them in tasks; `pending` sets go back into wait() as they came out.
//
// Options: --seed N (repeatable delays, identical to examples/python/seed_wait.py with the
// same seed), --virtual-time (no real waiting).

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <vector>

#include "support/args.hpp"

using asyncio::Coro;

pyrandom::Random rng(0);

Coro<int> coro(int tag) {
  std::printf("> %d\n", tag);
  co_await asyncio::sleep(rng.uniform(0.5, 5));
  std::printf("< %d\n", tag);
  co_return tag;
}

int main(int argc, char** argv) {
  SeedArgs args = SeedArgs::parse(argc, argv, /*allow_cancel=*/false);
  rng = args.rng();
  asyncio::EventLoop virtual_loop({.virtual_time = true});
  if (args.virtual_time) asyncio::set_event_loop(&virtual_loop);

  asyncio::EventLoop& loop = asyncio::get_event_loop();

  std::vector<Coro<int>> tasks;
  for (int i = 1; i < 11; ++i) tasks.push_back(coro(i));

  std::printf("Get first result:\n");
  auto [finished, unfinished] = loop.run_until_complete(
      asyncio::wait(std::move(tasks), {.return_when = asyncio::FIRST_COMPLETED}));

  for (auto& task : finished) std::printf("%d\n", task.result());
  std::printf("unfinished: %zu\n", unfinished.size());

  std::printf("Get more results in 2 seconds:\n");
  auto [finished2, unfinished2] =
      loop.run_until_complete(asyncio::wait(std::move(unfinished), {.timeout = 2}));

  for (auto& task : finished2) std::printf("%d\n", task.result());
  std::printf("unfinished2: %zu\n", unfinished2.size());

  std::printf("Get all other results:\n");
  auto [finished3, unfinished3] = loop.run_until_complete(asyncio::wait(std::move(unfinished2)));

  for (auto& task : finished3) std::printf("%d\n", task.result());

  loop.close();
  return 0;
}
