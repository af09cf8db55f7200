// The allocation budget, as a regression guard that is not a timed test: a task costs one
// allocation (its coroutine frame, which holds the task state) and a `co_await` on a
// future, a sleep or a yield costs none. Every global operator new in this binary is
// counted (the replacements below), and so is every frame (FramePool's counter), so a
// change that adds a hidden allocation to a hot path fails here, on any machine.
//
// Budgets are checked in steady state: the first round warms the pools the runtime keeps
// (frame free lists, the ready ring, the timer heap), later rounds must not allocate beyond
// the frames themselves.

#include "asyncio/detail/frame_allocator.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/future.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/locks.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"

// ------------------------------------------------------------ counting allocator hook
// ThreadSanitizer's runtime defines operator new itself (a replacement would not link):
// there only the frame counts are checked.
#if defined(__SANITIZE_THREAD__)
#define ASYNCIO_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ASYNCIO_COUNT_NEW 0
#endif
#endif
#ifndef ASYNCIO_COUNT_NEW
#define ASYNCIO_COUNT_NEW 1
#endif

namespace {
std::atomic<std::uint64_t> global_news{0};

#if ASYNCIO_COUNT_NEW
void* counted_new(std::size_t n) {
  global_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* counted_new_aligned(std::size_t n, std::align_val_t a) {
  global_news.fetch_add(1, std::memory_order_relaxed);
  std::size_t al = static_cast<std::size_t>(a);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
#endif
}  // namespace

#if ASYNCIO_COUNT_NEW
void* operator new(std::size_t n) { return counted_new(n); }
void* operator new[](std::size_t n) { return counted_new(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_new_aligned(n, a); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  global_news.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

namespace {

using asyncio::Coro;
using asyncio::EventLoop;

/// Allocations made while `body` runs: frames, and global operator new calls that are not
/// frames (with the frame pool off — sanitizer builds — frames also reach operator new).
struct Counts {
  std::uint64_t frames = 0;
  std::uint64_t other = 0;
};

struct Meter {
  std::uint64_t frames0 = asyncio::detail::frame_allocations;
  std::uint64_t news0 = global_news.load();
  Counts read() const {
    Counts c;
    c.frames = asyncio::detail::frame_allocations - frames0;
    std::uint64_t news = global_news.load() - news0;
    // Without the pool every frame is one operator new; with it, refills of the pool's
    // chunks are the only frame-related news (counted as "other": they must be rare).
    c.other = !ASYNCIO_COUNT_NEW ? 0 : ASYNCIO_FRAME_POOL ? news : news - c.frames;
    return c;
  }
};

EventLoop::Options virtual_clock() {
  EventLoop::Options o;
  o.virtual_time = true;
  return o;
}

Coro<int> trivial(int i) { co_return i; }

TEST(AllocationBudget, TaskCreateRunAwaitIsOneFrame) {
  EventLoop loop(virtual_clock());
  std::vector<Counts> rounds;
  loop.run_until_complete([&]() -> Coro<void> {
    for (int r = 0; r < 3; ++r) {
      Meter m;
      for (int i = 0; i < 1000; ++i) {
        int v = co_await asyncio::create_task(trivial(i));
        EXPECT_EQ(v, i);
      }
      rounds.push_back(m.read());
    }
  }());
  for (const Counts& c : rounds) EXPECT_EQ(c.frames, 1000u);
  // Steady state: nothing besides the frames (the name is formatted lazily, the ready ring
  // and the free lists are warm).
  EXPECT_EQ(rounds[1].other, 0u);
  EXPECT_EQ(rounds[2].other, 0u);
}

TEST(AllocationBudget, AwaitingAllocatesNothing) {
  EventLoop loop(virtual_clock());
  Counts sleeps0, sleeps, futures, yields;
  loop.run_until_complete([&]() -> Coro<void> {
    co_await asyncio::sleep(0.001);  // warm-up: the timer heap grows once
    {
      Meter m;
      for (int i = 0; i < 1000; ++i) co_await asyncio::sleep(0);
      sleeps0 = m.read();
    }
    {
      Meter m;
      for (int i = 0; i < 1000; ++i) co_await asyncio::sleep(0.001);
      sleeps = m.read();
    }
    {
      asyncio::Future<int> f = asyncio::get_running_loop().create_future<int>();
      Meter m;
      asyncio::get_running_loop().call_soon([f]() mutable { f.set_result(7); });
      int v = co_await f;
      EXPECT_EQ(v, 7);
      futures = m.read();
    }
    {
      asyncio::Event ev;
      Meter m;
      for (int i = 0; i < 1000; ++i) {
        asyncio::get_running_loop().call_soon([&ev] { ev.set(); });
        co_await ev.wait();
        ev.clear();
      }
      yields = m.read();
    }
  }());
  EXPECT_EQ(sleeps0.frames, 0u);
  EXPECT_EQ(sleeps0.other, 0u);
  EXPECT_EQ(sleeps.frames, 0u);
  EXPECT_EQ(sleeps.other, 0u);
  EXPECT_EQ(futures.frames, 0u);
  EXPECT_LE(futures.other, 1u);  // the call_soon closure copies a handle: at most one box
  EXPECT_EQ(yields.frames, 0u);
  EXPECT_LE(yields.other, 1000u);  // one boxed closure per call_soon, nothing per await
}

TEST(AllocationBudget, GatherCostsOneFramePerChildAndConstantOverhead) {
  EventLoop loop(virtual_clock());
  Counts small, big;
  loop.run_until_complete([&]() -> Coro<void> {
    for (int warm = 0; warm < 2; ++warm) {
      for (int n : {10, 10000}) {
        std::vector<Coro<int>> coros;
        coros.reserve(static_cast<std::size_t>(n));
        Meter m;
        for (int i = 0; i < n; ++i) coros.push_back(trivial(i));
        std::vector<int> res = co_await asyncio::gather(std::move(coros));
        EXPECT_EQ(res.size(), static_cast<std::size_t>(n));
        (n == 10 ? small : big) = m.read();
      }
    }
  }());
  EXPECT_EQ(small.frames, 10u);
  EXPECT_EQ(big.frames, 10000u);
  // The gather's own bookkeeping (children and results arrays) does not grow with the
  // number of allocations: a few vectors, whatever N is.
  EXPECT_LE(small.other, 8u);
  EXPECT_LE(big.other, 8u);
}

TEST(AllocationBudget, SleepingTasksCostOneFrameEach) {
  EventLoop loop(virtual_clock());
  Counts c;
  loop.run_until_complete([&]() -> Coro<void> {
    for (int warm = 0; warm < 2; ++warm) {
      std::vector<asyncio::Task<void>> tasks;
      tasks.reserve(5000);
      Meter m;
      for (int i = 0; i < 5000; ++i) tasks.push_back(asyncio::create_task(asyncio::sleep(1.0)));
      co_await asyncio::gather(tasks);
      c = m.read();
    }
  }());
  EXPECT_EQ(c.frames, 5000u);
  EXPECT_LE(c.other, 8u);
}

}  // namespace
