// Unit tests for asyncio/wait_for.hpp: `wait_for(aw, timeout)` with CPython 3.12+ semantics
// (R46–R50): a timeout cancels the awaited work, *waits* for it, then raises TimeoutError;
// a work that swallows the cancellation returns its value; cancelling the caller cancels
// the work and is never lost (gh-86296); timeout <= 0 never starts a coroutine.
// Every expected value (times, iteration counts, flags) was checked against CPython 3.13.0
// running the same scenario on tests/conformance/vtloop.py; ported CPython tests
// (Lib/test/test_asyncio/test_waitfor.py) are named in a comment.

#include "asyncio/wait_for.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/future.hpp"
#include "asyncio/shield.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "asyncio/wait.hpp"
#include "support.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio::TimeoutError;
using asyncio_test::caused_by_cancel;
using asyncio_test::nothing;
using asyncio_test::run_briefly;
using asyncio_test::Ticker;

/// A timeout small enough to pass `timeout > 0` (CPython test_waitfor's _EPSILON).
constexpr double kEpsilon = 0.0001;

struct FooException : std::runtime_error {
  FooException() : std::runtime_error("foo") {}
};

/// CPython test_waitfor.SlowTask: runs for 0.2 s of loop time, ignoring cancel requests.
struct SlowTask {
  static constexpr double kTaskTimeout = 0.2;
  bool exited = false;
  Coro<std::string> run() {
    EventLoop& loop = asyncio::get_running_loop();
    const double exitat = loop.time() + kTaskTimeout;
    for (;;) {
      const double tosleep = exitat - loop.time();
      if (tosleep <= 0) break;
      try {
        co_await asyncio::sleep(tosleep);
      } catch (const CancelledError&) {
      }
    }
    exited = true;
    co_return "slow";
  }
};

// ---- ported from test_waitfor.py ------------------------------------------------------

Coro<std::string> sleep_long_with_finally(bool* running) {
  *running = true;
  try {
    co_await asyncio::sleep(3600);
  } catch (...) {
    *running = false;
    throw;
  }
  *running = false;
  co_return "done";
}

TEST(WaitFor, TimeoutCancelsTheTaskRunsItsCleanupAndRaisesTimeoutError) {
  // CPython: test_wait_for
  EventLoop loop({.virtual_time = true});
  bool running = false;
  bool timed_out = false;
  Task<std::string> fut;
  auto main = [&]() -> Coro<void> {
    fut = asyncio::create_task(sleep_long_with_finally(&running));
    try {
      co_await asyncio::wait_for(fut, 0.1);
    } catch (const TimeoutError& e) {
      timed_out = true;
      EXPECT_TRUE(caused_by_cancel(e));
    }
    // R50: the caller's cancel count is back to 0.
    EXPECT_EQ(asyncio::current_task().cancelling(), 0u);
  };
  loop.run_until_complete(main());
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(fut.done());
  EXPECT_TRUE(fut.cancelled());
  EXPECT_FALSE(running);
  EXPECT_DOUBLE_EQ(loop.time(), 0.1);
}

TEST(WaitFor, TimeoutOnAnInlineCoroutineCancelsItAndRunsItsCleanup) {
  // The 3.12+ form of test_wait_for with a coroutine: it runs inline in the caller task.
  EventLoop loop({.virtual_time = true});
  bool running = false;
  auto main = [&]() -> Coro<std::string> {
    try {
      co_return co_await asyncio::wait_for(sleep_long_with_finally(&running), 0.1);
    } catch (const TimeoutError& e) {
      EXPECT_TRUE(caused_by_cancel(e));
      EXPECT_EQ(asyncio::current_task().cancelling(), 0u);
    }
    co_return "timeout";
  };
  EXPECT_EQ(loop.run_until_complete(main()), "timeout");
  EXPECT_FALSE(running);
  EXPECT_DOUBLE_EQ(loop.time(), 0.1);
}

Coro<std::string> return_done() { co_return "done"; }

TEST(WaitFor, NoneTimeoutIsAPlainAwait) {
  // CPython: test_wait_for_blocking
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(asyncio::wait_for(return_done(), std::nullopt)), "done");
}

Coro<asyncio::AnyTask> current() { co_return asyncio::current_task(); }

TEST(WaitFor, ACoroutineRunsInlineInTheCallerTaskWithoutAnIteration) {
  // R49, R39: `wait_for(coro, 10)` and `wait_for(coro, None)` of an immediate coroutine
  // take 0 iterations and run in the caller's task (3.11 made a new task: 3 iterations).
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Ticker ticker(loop);
    int n0 = ticker.n;
    asyncio::AnyTask t = co_await asyncio::wait_for(current(), 10);
    EXPECT_TRUE(t == asyncio::current_task());
    EXPECT_EQ(ticker.n - n0, 0);
    n0 = ticker.n;
    t = co_await asyncio::wait_for(current(), std::nullopt);
    EXPECT_TRUE(t == asyncio::current_task());
    EXPECT_EQ(ticker.n - n0, 0);
    ticker.stop();
  };
  loop.run_until_complete(main());
}

Coro<int> five() { co_return 5; }

TEST(WaitFor, AFreshTaskTakesTwoIterations) {
  // Checked on CPython 3.13: `await wait_for(create_task(c), 10)` of an immediate c.
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Ticker ticker(loop);
    int n0 = ticker.n;
    int r = co_await asyncio::wait_for(asyncio::create_task(five()), 10);
    EXPECT_EQ(r, 5);
    EXPECT_EQ(ticker.n - n0, 2);
    ticker.stop();
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, FutureCompletedByCallSoonBeforeTheTimeout) {
  // CPython: test_wait_for_race_condition
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::string> {
    Future<std::string> fut = loop.create_future<std::string>();
    auto waiting = asyncio::wait_for(fut, 0.2);
    loop.call_soon([fut] { fut.set_result("ok"); });
    co_return co_await std::move(waiting);
  };
  EXPECT_EQ(loop.run_until_complete(main()), "ok");
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);
}

Coro<int> inner_catching_the_cancel() {
  bool caught = false;
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    caught = true;
  }
  EXPECT_TRUE(caught);
  co_return 1;
}

TEST(WaitFor, InnerCatchingTheCancelReturnsItsValue) {
  // CPython: test_wait_for_cancellation_race_condition
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(asyncio::wait_for(inner_catching_the_cancel(), 0.01)), 1);
  EXPECT_DOUBLE_EQ(loop.time(), 0.01);
}

Coro<void> inner_with_slow_cleanup(bool* task_done) {
  std::exception_ptr cancelled;
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  } catch (...) {
    *task_done = true;
    throw;
  }
  if (cancelled) {
    try {
      co_await asyncio::sleep(kEpsilon);
    } catch (...) {
      *task_done = true;
      throw;
    }
    *task_done = true;
    std::rethrow_exception(cancelled);
  }
  *task_done = true;
}

TEST(WaitFor, WaitsForTheTaskCleanupBeforeRaisingTimeoutError) {
  // CPython: test_wait_for_waits_for_task_cancellation. The timeout is not an upper bound
  // (bpo-32751): TimeoutError comes after the cleanup's own sleep, at 2 * epsilon.
  EventLoop loop({.virtual_time = true});
  bool task_done = false;
  bool timed_out = false;
  auto main = [&]() -> Coro<void> {
    auto inner_task = asyncio::create_task(inner_with_slow_cleanup(&task_done));
    try {
      co_await asyncio::wait_for(inner_task, kEpsilon);
    } catch (const TimeoutError& e) {
      timed_out = true;
      EXPECT_TRUE(caused_by_cancel(e));
    }
    EXPECT_TRUE(inner_task.cancelled());
  };
  loop.run_until_complete(main());
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(task_done);
  EXPECT_DOUBLE_EQ(loop.time(), 0.0 + kEpsilon + kEpsilon);
}

TEST(WaitFor, WaitsForTheTaskCleanupWithTimeoutZero) {
  // CPython: test_wait_for_waits_for_task_cancellation_w_timeout_0
  EventLoop loop({.virtual_time = true});
  bool task_done = false;
  bool timed_out = false;
  auto foo = [&]() -> Coro<void> {
    auto inner_task = asyncio::create_task(inner_with_slow_cleanup(&task_done));
    co_await asyncio::sleep(kEpsilon);
    co_await asyncio::wait_for(inner_task, 0);
  };
  auto main = [&]() -> Coro<void> {
    try {
      co_await foo();
    } catch (const TimeoutError& e) {
      timed_out = true;
      EXPECT_TRUE(caused_by_cancel(e));
    }
  };
  loop.run_until_complete(main());
  EXPECT_TRUE(timed_out);
  EXPECT_TRUE(task_done);
}

Coro<void> inner_raising_in_finally() {
  try {
    co_await asyncio::sleep(0.2);
  } catch (...) {
  }
  throw FooException();
}

TEST(WaitFor, AnExceptionRaisedDuringCancellationReplacesTimeoutError) {
  // CPython: test_wait_for_reraises_exception_during_cancellation
  EventLoop loop({.virtual_time = true});
  auto foo = []() -> Coro<void> {
    auto inner_task = asyncio::create_task(inner_raising_in_finally());
    co_await asyncio::wait_for(inner_task, kEpsilon);
  };
  EXPECT_THROW(loop.run_until_complete(foo()), FooException);
}

TEST(WaitFor, AnExceptionRaisedByAnInlineCoroutineDuringCancellationPropagates) {
  // Same with the coroutine inline (R50: "that exception propagates").
  EventLoop loop({.virtual_time = true});
  EXPECT_THROW(loop.run_until_complete(asyncio::wait_for(inner_raising_in_finally(), kEpsilon)),
               FooException);
}

Coro<void> blocking_coroutine() {
  Future<void> fut = asyncio::get_running_loop().create_future<void>();
  co_await fut;  // never set
}

void cancel_wait_for(std::optional<asyncio::Delay> timeout) {
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Task<void> task = asyncio::create_task(blocking_coroutine());
    Task<void> wait = asyncio::create_task(asyncio::wait_for(task, timeout));
    loop.call_soon([wait] { wait.cancel(); });
    bool cancelled = false;
    try {
      co_await wait;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    // Python issue #23219: cancelling the wait must also cancel the task.
    EXPECT_TRUE(task.cancelled());
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, CancellingTheWaitCancelsTheTask) {
  // CPython: test_cancel_wait_for
  cancel_wait_for(60.0);
}

TEST(WaitFor, CancellingABlockingWaitCancelsTheTask) {
  // CPython: test_cancel_blocking_wait_for
  cancel_wait_for(std::nullopt);
}

Coro<int> return_42_on_cancel() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    co_return 42;
  }
  co_return 0;
}

TEST(WaitFor, InnerSuppressingTheCancelReturnsItsValue) {
  // CPython: test_wait_for_cancel_suppressed (gh-86296)
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(asyncio::wait_for(return_42_on_cancel(), 0.1)), 42);
}

TEST(WaitFor, OuterCancelWhileTheInnerFinishesInTheSameIterationIsNotLost) {
  // CPython: test_wait_for_issue86296. The inner completes in one cycle of the loop, before
  // the caller's cancel is processed; 3.11 returned normally, 3.12+ delivers the cancel.
  EventLoop loop({.virtual_time = true});
  bool reached_end = false;
  auto main = [&]() -> Coro<void> {
    Task<std::string> inner_task = asyncio::create_task(return_done());
    auto wait_for_coro = [&]() -> Coro<void> {
      co_await asyncio::wait_for(inner_task, 100);
      co_await asyncio::sleep(1);
      reached_end = true;
    };
    Task<void> task = asyncio::create_task(wait_for_coro());
    EXPECT_FALSE(task.done());
    co_await asyncio::sleep(0);  // run the task
    task.cancel();
    bool cancelled = false;
    try {
      co_await task;
    } catch (const CancelledError&) {
      cancelled = true;
    }
    EXPECT_TRUE(cancelled);
    EXPECT_TRUE(inner_task.done());
    EXPECT_EQ(co_await inner_task, "done");
  };
  loop.run_until_complete(main());
  EXPECT_FALSE(reached_end);
}

TEST(WaitFor, TimeoutZeroOnADoneFutureReturnsItsResult) {
  // CPython: test_wait_for_timeout_less_then_0_or_0_future_done (0 iterations)
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Future<std::string> fut = loop.create_future<std::string>();
    fut.set_result("done");
    Ticker ticker(loop);
    std::string r = co_await asyncio::wait_for(fut, 0);
    EXPECT_EQ(r, "done");
    EXPECT_EQ(ticker.n, 0);
    EXPECT_TRUE(fut.done());
    r = co_await asyncio::wait_for(fut, -1);
    EXPECT_EQ(r, "done");
    ticker.stop();
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, TimeoutZeroOnADoneInputKeepsItsExceptionOrCancellation) {
  // CPython wait_for: `if fut.done(): return fut.result()` — a done input's exception, or
  // its own CancelledError, comes out unchanged; only a cancel the timeout makes becomes
  // TimeoutError (twin wf_done_input).
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    auto sleeper = []() -> Coro<int> {
      co_await asyncio::sleep(10);
      co_return 1;
    };
    Task<int> t = asyncio::create_task(sleeper());
    co_await asyncio::sleep(0);
    t.cancel("x");
    co_await asyncio::sleep(0.1);
    Ticker ticker(loop);
    std::string what = "none";
    try {
      co_await asyncio::wait_for(t, 0);
    } catch (const TimeoutError&) {
      what = "TimeoutError";
    } catch (const CancelledError& e) {
      what = std::string("CancelledError:") + e.what();
    }
    EXPECT_EQ(what, "CancelledError:x");
    auto failing = []() -> Coro<int> {
      throw FooException();
      co_return 0;
    };
    Task<int> f = asyncio::create_task(failing());
    co_await asyncio::sleep(0);
    EXPECT_THROW(co_await asyncio::wait_for(f, -1), FooException);
    EXPECT_EQ(ticker.n, 1);  // the sleep(0) only: a done input takes no iteration
    ticker.stop();
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, TimeoutZeroNeverStartsACoroutine) {
  // CPython: test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started. The coroutine
  // becomes a task cancelled before its first step (3 iterations on CPython 3.13).
  EventLoop loop({.virtual_time = true});
  bool foo_started = false;
  auto foo = [&]() -> Coro<void> {
    foo_started = true;
    co_return;
  };
  auto main = [&]() -> Coro<void> {
    Ticker ticker(loop);
    bool timed_out = false;
    try {
      co_await asyncio::wait_for(foo(), 0);
    } catch (const TimeoutError& e) {
      timed_out = true;
      EXPECT_TRUE(caused_by_cancel(e));
    }
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(ticker.n, 3);
    ticker.stop();
  };
  loop.run_until_complete(main());
  EXPECT_FALSE(foo_started);
}

TEST(WaitFor, TimeoutZeroOrNegativeCancelsARunningTask) {
  // CPython: test_wait_for_timeout_less_then_0_or_0
  for (double timeout : {0.0, -1.0}) {
    SCOPED_TRACE(timeout);
    EventLoop loop({.virtual_time = true});
    bool foo_running = false;
    auto main = [&]() -> Coro<void> {
      Future<void> started = loop.create_future<void>();
      auto foo = [&]() -> Coro<std::string> {
        foo_running = true;
        started.set_result();
        try {
          co_await asyncio::sleep(10);
        } catch (...) {
          foo_running = false;
          throw;
        }
        foo_running = false;
        co_return "done";
      };
      Task<std::string> fut = asyncio::create_task(foo());
      co_await started;
      EXPECT_THROW(co_await asyncio::wait_for(fut, timeout), TimeoutError);
      EXPECT_TRUE(fut.done());
      EXPECT_TRUE(fut.cancelled());  // cancelled because of the timeout
    };
    loop.run_until_complete(main());
    EXPECT_FALSE(foo_running);
    EXPECT_DOUBLE_EQ(loop.time(), 0.0);
  }
}

TEST(WaitFor, CancellingTheWaitWaitsForACancelIgnoringInner) {
  // CPython: test_asyncio_wait_for_cancelled. The inner ignores the cancel and returns
  // normally, so (checked on 3.13) the wait_for task is not even cancelled.
  EventLoop loop({.virtual_time = true});
  SlowTask t;
  auto main = [&]() -> Coro<void> {
    Task<std::string> waitfortask =
        asyncio::create_task(asyncio::wait_for(t.run(), SlowTask::kTaskTimeout * 2));
    co_await asyncio::sleep(0);
    waitfortask.cancel();
    std::vector<Task<std::string>> tasks{waitfortask};
    co_await asyncio::wait(tasks);
    EXPECT_TRUE(t.exited);
    EXPECT_FALSE(waitfortask.cancelled());
    EXPECT_EQ(waitfortask.result(), "slow");
  };
  loop.run_until_complete(main());
  EXPECT_DOUBLE_EQ(loop.time(), 0.2);
}

TEST(WaitFor, TimeoutOnACancelIgnoringInnerReturnsItsValueAfterItFinishes) {
  // CPython: test_asyncio_wait_for_timeout (3.13: no TimeoutError, the value comes back
  // at 0.2, after the inner has exited).
  EventLoop loop({.virtual_time = true});
  SlowTask t;
  EXPECT_EQ(loop.run_until_complete(asyncio::wait_for(t.run(), SlowTask::kTaskTimeout / 2)),
            "slow");
  EXPECT_TRUE(t.exited);
  EXPECT_DOUBLE_EQ(loop.time(), 0.2);
}

// ---- WaitForShieldTests ---------------------------------------------------------------

Coro<std::string> sleep_then_done(double d) {
  co_await asyncio::sleep(d);
  co_return "done";
}

TEST(WaitFor, ZeroTimeoutOnAShieldCancelsTheShieldOnly) {
  // CPython: WaitForShieldTests.test_zero_timeout
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Task<std::string> task = asyncio::create_task(sleep_then_done(0.01));
    Future<std::string> shielded = asyncio::shield(task);
    EXPECT_THROW(co_await asyncio::wait_for(shielded, 0), TimeoutError);
    EXPECT_FALSE(task.done());  // still running in the background
    EXPECT_FALSE(task.cancelled());
    EXPECT_TRUE(shielded.cancelled());
    co_await asyncio::sleep(0.1);
    EXPECT_TRUE(task.done());
    EXPECT_EQ(task.result(), "done");
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, NoneTimeoutOnAShieldRunsToCompletion) {
  // CPython: WaitForShieldTests.test_none_timeout
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Task<std::string> task = asyncio::create_task(sleep_then_done(0.1));
    co_await asyncio::wait_for(asyncio::shield(task), std::nullopt);
    EXPECT_TRUE(task.done());
    EXPECT_EQ(co_await task, "done");
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, ShieldedWorkKeepsRunningAfterTheTimeout) {
  // CPython: WaitForShieldTests.test_shielded_timeout
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Task<std::string> task = asyncio::create_task(sleep_then_done(0.1));
    EXPECT_THROW(co_await asyncio::wait_for(asyncio::shield(task), 0.01), TimeoutError);
    EXPECT_DOUBLE_EQ(loop.time(), 0.01);
    EXPECT_FALSE(task.done());
    EXPECT_FALSE(task.cancelled());
    EXPECT_EQ(co_await task, "done");
    EXPECT_DOUBLE_EQ(loop.time(), 0.1);
  };
  loop.run_until_complete(main());
}

// ---- beyond CPython's tests -----------------------------------------------------------

Coro<std::unique_ptr<int>> make_unique_int(int v) {
  co_await asyncio::sleep(0.01);
  co_return std::make_unique<int>(v);
}

TEST(WaitFor, PassesMoveOnlyResults) {
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<int> {
    std::unique_ptr<int> a = co_await asyncio::wait_for(make_unique_int(7), 1);
    auto task = asyncio::create_task(make_unique_int(8));
    std::unique_ptr<int> b = co_await asyncio::wait_for(std::move(task), 1);
    co_return *a + *b;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 15);
}

Coro<int> fail_after(double d) {
  co_await asyncio::sleep(d);
  throw std::invalid_argument("boom");
}

TEST(WaitFor, AnExceptionBeforeTheTimeoutPropagatesAsIs) {
  EventLoop loop({.virtual_time = true});
  EXPECT_THROW(loop.run_until_complete(asyncio::wait_for(fail_after(0.01), 1)),
               std::invalid_argument);
  auto main = [&]() -> Coro<void> {
    auto t = asyncio::create_task(fail_after(0.01));
    co_await asyncio::sleep(0.02);
    // Done future, timeout 0: its exception, not TimeoutError.
    EXPECT_THROW(co_await asyncio::wait_for(t, 0), std::invalid_argument);
  };
  loop.run_until_complete(main());
}

TEST(WaitFor, TheCallerCanCatchTheTimeoutAndContinue) {
  // test_outer_task_is_not_cancelled, through wait_for: after a handled TimeoutError the
  // task is not cancelled and later awaits work.
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::string> {
    Task<std::string> t = asyncio::create_task(sleep_then_done(10));
    try {
      co_await asyncio::wait_for(asyncio::sleep(5), 1);
    } catch (const TimeoutError&) {
    }
    EXPECT_EQ(asyncio::current_task().cancelling(), 0u);
    co_return co_await t;
  };
  auto task = loop.create_task(main());
  EXPECT_EQ(loop.run_until_complete(task), "done");
  EXPECT_FALSE(task.cancelled());
  EXPECT_DOUBLE_EQ(loop.time(), 10.0);
}

TEST(WaitFor, NestedWaitForsAttributeTheTimeoutToTheInnermostExpiredOne) {
  // Outer 1 s, inner 0.5 s: the inner times out and the outer completes normally.
  EventLoop loop({.virtual_time = true});
  auto inner = []() -> Coro<std::string> {
    try {
      co_await asyncio::wait_for(asyncio::sleep(5), 0.5);
    } catch (const TimeoutError&) {
      co_return "inner timeout";
    }
    co_return "no timeout";
  };
  EXPECT_EQ(loop.run_until_complete(asyncio::wait_for(inner(), 1)), "inner timeout");
  EXPECT_DOUBLE_EQ(loop.time(), 0.5);
}

TEST(WaitFor, WaitForWithoutRunningItDoesNothing) {
  // wait_for is a coroutine: creating it and dropping it starts nothing (its argument, a
  // coroutine, is destroyed unstarted).
  EventLoop loop({.virtual_time = true});
  bool started = false;
  auto foo = [&]() -> Coro<void> {
    started = true;
    co_return;
  };
  {
    auto w = asyncio::wait_for(foo(), 1);
    (void)w;
  }
  run_briefly(loop);
  EXPECT_FALSE(started);
}

}  // namespace
