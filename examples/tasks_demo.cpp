// Tasks, sleep and cancellation on the real clock (about a second).
//
//   Python                                      C++
//   asyncio.create_task(worker("fast", 0.3))    asyncio::create_task(worker("fast", 0.3))
//   await asyncio.sleep(0.5)                    co_await asyncio::sleep(0.5)
//   ticker.cancel("msg"); ticker.cancelling()   ticker.cancel("msg"); ticker.cancelling()
//   except asyncio.CancelledError as e: raise   catch (const asyncio::CancelledError& e) { throw; }
//   asyncio.run(main())                         asyncio::run_main(amain())

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <string>

using asyncio::Coro;

double start_time = 0;
double elapsed() { return asyncio::get_running_loop().time() - start_time; }

Coro<std::string> worker(std::string name, double seconds) {
  std::printf("[%.1f s] %s: started, sleeping %.1f s\n", elapsed(), name.c_str(), seconds);
  co_await asyncio::sleep(seconds);
  std::printf("[%.1f s] %s: done\n", elapsed(), name.c_str());
  co_return name + " ok";
}

Coro<void> ticker() {
  for (int i = 1;; ++i) {
    try {
      co_await asyncio::sleep(0.25);
    } catch (const asyncio::CancelledError& e) {
      std::printf("[%.1f s] ticker: cancelled (\"%s\"), cleaning up\n", elapsed(), e.what());
      throw;  // let the cancellation finish the task
    }
    std::printf("[%.1f s] ticker: tick %d\n", elapsed(), i);
  }
}

Coro<void> amain() {
  start_time = asyncio::get_running_loop().time();
  asyncio::Task<std::string> fast = asyncio::create_task(worker("fast", 0.3), "fast");
  asyncio::Task<std::string> slow = asyncio::create_task(worker("slow", 1.0), "slow");
  asyncio::Task<void> tick = asyncio::create_task(ticker(), "ticker");

  // Cancelled before its first step: none of its body runs.
  asyncio::Task<std::string> unneeded = asyncio::create_task(worker("unneeded", 5), "unneeded");
  unneeded.cancel("not needed after all");

  std::string r = co_await fast;
  std::printf("[%.1f s] main: fast returned \"%s\"\n", elapsed(), r.c_str());

  co_await asyncio::sleep(0.5);
  tick.cancel("main has seen enough ticks");
  std::printf("[%.1f s] main: ticker.cancelling() = %u\n", elapsed(), tick.cancelling());
  try {
    co_await tick;
  } catch (const asyncio::CancelledError& e) {
    std::printf("[%.1f s] main: ticker ended cancelled=%s, message \"%s\"\n", elapsed(),
                tick.cancelled() ? "True" : "False", e.what());
  }

  r = co_await slow;
  std::printf("[%.1f s] main: slow returned \"%s\"\n", elapsed(), r.c_str());
  std::printf("[%.1f s] main: unneeded.cancelled() = %s\n", elapsed(),
              unneeded.cancelled() ? "True" : "False");
}

int main() { return asyncio::run_main(amain()); }
