// Unit tests for asyncio/sleep.hpp (R29): sleep(0) is exactly one iteration, a positive
// delay is a timer on the (virtual) clock, cancellation cancels the timer, NaN is refused.
// Every expected value was checked against CPython 3.13 (tests/conformance/vtloop.py as the loop).

#include "asyncio/sleep.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/task.hpp"
#include "support.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Task;
using asyncio_test::Lifetime;
using asyncio_test::Ticker;
using namespace std::chrono_literals;

/// White box: how many live (not cancelled) timers the loop's heap holds (CPython's test
/// looks at the TimerHandle's _cancelled flag instead).
struct TimerPeekLoop : EventLoop {
  using EventLoop::EventLoop;
  std::size_t live_timers() const { return asyncio::detail::LoopAccess::live_timers(*this); }
};

TEST(Sleep, SleepZeroLetsCallbacksQueuedBeforeItRunFirst) {
  // CPython: test_tasks.py::SleepTests::test_sleep_zero
  EventLoop loop({.virtual_time = true});
  int result = 0;
  auto inc_result = [&](int num) { result += num; };
  auto coro = [&]() -> Coro<void> {
    loop.call_soon([&] { inc_result(1); });
    EXPECT_EQ(result, 0);
    int num = co_await asyncio::sleep(0, 10);
    EXPECT_EQ(result, 1);  // incremented by the call_soon
    inc_result(num);
  };
  loop.run_until_complete(coro());
  EXPECT_EQ(result, 11);
}

TEST(Sleep, SleepZeroOrNegativeYieldsExactlyOneIteration) {
  // CPython (R29), 3.13: ticks [1, 2, 3], time 0.0.
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::vector<int>> {
    Ticker t(loop);
    std::vector<int> out;
    co_await asyncio::sleep(0);
    out.push_back(t.n);
    co_await asyncio::sleep(-1);
    out.push_back(t.n);
    co_await asyncio::sleep(0.0);
    out.push_back(t.n);
    t.stop();
    co_return out;
  };
  EXPECT_EQ(loop.run_until_complete(main()), (std::vector<int>{1, 2, 3}));
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);
}

TEST(Sleep, ReturnsItsResultAfterTheDelay) {
  // CPython: test_tasks.py::test_sleep ('yeah', time 0.1).
  EventLoop loop({.virtual_time = true});
  auto sleeper = [](double dt, std::string arg) -> Coro<std::string> {
    co_await asyncio::sleep(dt / 2);
    std::string res = co_await asyncio::sleep(dt / 2, arg);
    co_return res;
  };
  Task<std::string> t = loop.create_task(sleeper(0.1, "yeah"));
  loop.run_until_complete(t);
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.result(), "yeah");
  EXPECT_DOUBLE_EQ(loop.time(), 0.1);
}

TEST(Sleep, NaNDelayRaisesValueError) {
  // CPython: test_tasks.py::test_sleep_when_delay_is_nan (3.13+):
  // ValueError('Invalid delay: NaN (not a number)').
  EventLoop loop({.virtual_time = true});
  auto sleeper = []() -> Coro<void> { co_await asyncio::sleep(std::nan("")); };
  Task<void> t = loop.create_task(sleeper());
  try {
    loop.run_until_complete(t);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Invalid delay: NaN (not a number)");
  }
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);
}

TEST(Sleep, CancellingASleepingTaskCancelsItsTimer) {
  // CPython: test_tasks.py::test_sleep_cancel (3.13: 1 live timer, then 0 after cancel).
  TimerPeekLoop loop({.virtual_time = true});
  Task<std::string> t = loop.create_task(asyncio::sleep(10.0, std::string("yeah")));
  loop.run_until_complete(asyncio::sleep(0));
  EXPECT_EQ(loop.live_timers(), 1u);
  t.cancel();
  loop.run_until_complete(asyncio::sleep(0));
  EXPECT_EQ(loop.live_timers(), 0u);
  EXPECT_TRUE(t.cancelled());
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);
}

TEST(Sleep, CancelledSleepRaisesCancelledErrorWithTheMessage) {
  // CPython 3.13: the sleeper sees CancelledError('wake up') at once, no time passes.
  EventLoop loop({.virtual_time = true});
  auto s2 = []() -> Coro<std::string> {
    try {
      co_await asyncio::sleep(5);
    } catch (const CancelledError& e) {
      co_return std::string("sleeper saw ") + e.what();
    }
    co_return "slept";
  };
  auto main = [&]() -> Coro<std::string> {
    Task<std::string> t = asyncio::create_task(s2());
    co_await asyncio::sleep(0);
    t.cancel("wake up");
    co_return co_await t;
  };
  EXPECT_EQ(loop.run_until_complete(main()), "sleeper saw wake up");
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);
}

TEST(Sleep, TaskResumesOneIterationAfterItsTimerFires) {
  // CPython (R18, R29), 3.13: ['timer cb', 'task resumed', 'soon from timer cb'], t=1.0.
  // The sleep's timer and a later call_later(1) fire in the same iteration; the task's
  // wake-up was queued before the callback's call_soon.
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  auto s1 = [&]() -> Coro<void> {
    co_await asyncio::sleep(1);
    log.push_back("task resumed");
  };
  auto main = [&]() -> Coro<void> {
    Task<void> t = asyncio::create_task(s1());
    co_await asyncio::sleep(0);
    loop.call_later(1, [&] {
      log.push_back("timer cb");
      loop.call_soon([&] { log.push_back("soon from timer cb"); });
    });
    co_await t;
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"timer cb", "task resumed", "soon from timer cb"}));
  EXPECT_DOUBLE_EQ(loop.time(), 1.0);
}

TEST(Sleep, SleepersWakeInDeadlineOrder) {
  // CPython 3.13: sleeps of 0.3, 0.1, 0.2 → ['b', 'c', 'a'], time 0.3.
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  auto w = [&](std::string n, double d) -> Coro<void> {
    co_await asyncio::sleep(d);
    log.push_back(n);
  };
  auto main = [&]() -> Coro<void> {
    Task<void> a = asyncio::create_task(w("a", 0.3));
    Task<void> b = asyncio::create_task(w("b", 0.1));
    Task<void> c = asyncio::create_task(w("c", 0.2));
    co_await a;
    co_await b;
    co_await c;
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_DOUBLE_EQ(loop.time(), 0.3);
}

TEST(Sleep, SleepWrappedInATaskReturnsItsValue) {
  // CPython 3.13: loop.create_task(asyncio.sleep(1, 42)) → 42 at t=1.
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(loop.create_task(asyncio::sleep(1, 42))), 42);
  EXPECT_DOUBLE_EQ(loop.time(), 1.0);
}

TEST(Sleep, AcceptsChronoDurations) {
  EventLoop loop({.virtual_time = true});
  loop.run_until_complete(asyncio::sleep(1500ms));
  EXPECT_DOUBLE_EQ(loop.time(), 1.5);
  EXPECT_EQ(loop.run_until_complete(asyncio::sleep(2s, std::string("x"))), "x");
  EXPECT_DOUBLE_EQ(loop.time(), 3.5);
}

TEST(Sleep, MoveOnlyResultIsReturned) {
  EventLoop loop({.virtual_time = true});
  auto main = []() -> Coro<int> {
    std::unique_ptr<int> p = co_await asyncio::sleep(0.5, std::make_unique<int>(5));
    co_return *p;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 5);
}

TEST(Sleep, AnHourOfVirtualSleepTakesNoRealTime) {
  EventLoop loop({.virtual_time = true});
  auto t0 = std::chrono::steady_clock::now();
  loop.run_until_complete(asyncio::sleep(3600));
  EXPECT_DOUBLE_EQ(loop.time(), 3600.0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Sleep, ClosingTheLoopDestroysASleepingTaskAndItsTimer) {
  TimerPeekLoop loop({.virtual_time = true});
  auto body = [](Lifetime) -> Coro<void> { co_await asyncio::sleep(100); };
  { auto t = loop.create_task(body(Lifetime{})); }
  loop.run_until_complete(asyncio::sleep(0));
  EXPECT_EQ(loop.live_timers(), 1u);
  EXPECT_EQ(Lifetime::live, 1);
  loop.close();
  EXPECT_EQ(Lifetime::live, 0);
}

}  // namespace
