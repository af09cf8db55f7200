// W6: two tasks hand a token back and forth through a pair of primitives, N hand-offs
// (N/2 round trips). Variants: `--variant event` (an Event pair, W6e) and `--variant queue`
// (a Queue(maxsize=1) pair, W6q). Figure: ns per hand-off. Twin: python/w6.py.
//
// Built against whatever the library offers: without include/asyncio/locks.hpp (Event) or
// queues.hpp (Queue) the variant prints "not available". The CMake file compiles this
// with ASYNCIO_BENCH_W6_STUB when the headers exist but this code does not compile against
// them, so the benchmarks never break the build.

#include <cstdint>
#include <string>

#include "asyncio/asyncio.hpp"
#include "common.hpp"

#if !defined(ASYNCIO_BENCH_W6_STUB) && __has_include("asyncio/locks.hpp")
#include "asyncio/locks.hpp"
#define ASYNCIO_BENCH_HAVE_EVENT 1
#endif
#if !defined(ASYNCIO_BENCH_W6_STUB) && __has_include("asyncio/queues.hpp")
#include "asyncio/queues.hpp"
#define ASYNCIO_BENCH_HAVE_QUEUE 1
#endif

namespace {

#ifdef ASYNCIO_BENCH_HAVE_EVENT
asyncio::Coro<void> event_ping(asyncio::Event& ea, asyncio::Event& eb, std::size_t rounds,
                               std::size_t& count) {
  for (std::size_t i = 0; i < rounds; ++i) {
    eb.set();
    co_await ea.wait();
    ea.clear();
    ++count;
  }
}
asyncio::Coro<void> event_pong(asyncio::Event& ea, asyncio::Event& eb, std::size_t rounds) {
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await eb.wait();
    eb.clear();
    ea.set();
  }
}
asyncio::Coro<void> w6e(std::size_t n, bench::JsonLine& out) {
  const std::size_t rounds = n / 2;
  asyncio::Event ea, eb;
  std::size_t count = 0;
  const std::int64_t t0 = bench::now_ns();
  co_await asyncio::gather(event_ping(ea, eb, rounds, count), event_pong(ea, eb, rounds));
  const std::int64_t t1 = bench::now_ns();
  if (count != rounds) bench::fail("round count");
  out.add("value", static_cast<double>(t1 - t0) / static_cast<double>(2 * rounds));
}
#endif

#ifdef ASYNCIO_BENCH_HAVE_QUEUE
asyncio::Coro<std::size_t> queue_ping(asyncio::Queue<std::size_t>& ab,
                                      asyncio::Queue<std::size_t>& ba, std::size_t rounds) {
  std::size_t v = 0;
  for (std::size_t i = 0; i < rounds; ++i) {
    co_await ab.put(i);
    v = co_await ba.get();
  }
  co_return v;
}
asyncio::Coro<void> queue_pong(asyncio::Queue<std::size_t>& ab, asyncio::Queue<std::size_t>& ba,
                               std::size_t rounds) {
  for (std::size_t i = 0; i < rounds; ++i) {
    std::size_t v = co_await ab.get();
    co_await ba.put(v);
  }
}
asyncio::Coro<void> w6q(std::size_t n, bench::JsonLine& out) {
  const std::size_t rounds = n / 2;
  asyncio::Queue<std::size_t> ab(1), ba(1);
  const std::int64_t t0 = bench::now_ns();
  auto [v, unused] =
      co_await asyncio::gather(queue_ping(ab, ba, rounds), queue_pong(ab, ba, rounds));
  (void)unused;
  const std::int64_t t1 = bench::now_ns();
  if (rounds && v != rounds - 1) bench::fail("last token");
  out.add("value", static_cast<double>(t1 - t0) / static_cast<double>(2 * rounds));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  bench::Args a = bench::parse_args(argc, argv, 1000000);
  const bool queue = a.variant == "queue";
  if (!queue && !a.variant.empty() && a.variant != "event") bench::fail("--variant event|queue");
  bench::JsonLine out = bench::header(queue ? "W6q" : "W6e", a.n, "ns_per_handoff");
  out.add("variant", queue ? "queue" : "event");
  bool ran = false;
#ifdef ASYNCIO_BENCH_HAVE_QUEUE
  if (queue) {
    asyncio::run(w6q(a.n, out));
    ran = true;
  }
#endif
#ifdef ASYNCIO_BENCH_HAVE_EVENT
  if (!queue) {
    asyncio::run(w6e(a.n, out));
    ran = true;
  }
#endif
  if (!ran) {
    out.null("value")
        .add("status", "not available")
        .add("reason",
             queue ? "asyncio/queues.hpp: no Queue yet" : "asyncio/locks.hpp: no Event yet");
  }
  out.add("peak_rss_mib", bench::peak_rss_mib()).print();
}
