// Unit tests for asyncio/threads.hpp: ConcurrentFuture, ThreadPoolExecutor,
// EventLoop::run_in_executor, to_thread, wrap_future, run_coroutine_threadsafe, the default
// executor's shutdown by asyncio::run, and virtual time while a worker runs.
//
// Every suite name contains "Thread": CI runs them under ThreadSanitizer (--gtest_filter
// '*Thread*'). They use real threads and, where they must, real time, but never sleep to
// wait for something: they block on latches and futures.

#include "asyncio/threads.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <future>
#include <latch>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "asyncio/wait_for.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::ConcurrentFuture;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::ThreadPoolExecutor;
using namespace std::chrono_literals;

void run(Coro<void> main, bool virtual_time = true) {
  asyncio::run(std::move(main), {.virtual_time = virtual_time});
}

std::string thread_name() {
  char buf[32] = {};
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  return buf;
}

// ---------------------------------------------------------------------------------------
// ConcurrentFuture (concurrent.futures.Future)

TEST(ThreadConcurrentFuture, ResultWaitsForTheSettingThreadAndCallbacksRun) {
  auto f = ConcurrentFuture<int>::create();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.done());
  std::vector<int> seen;
  f.add_done_callback([&](const ConcurrentFuture<int>& g) { seen.push_back(g.result()); });
  std::thread t([f] { f.set_result(42); });
  EXPECT_EQ(f.result(), 42);
  t.join();
  EXPECT_TRUE(f.done());
  EXPECT_EQ(seen, std::vector<int>{42});
  // Added to a done future: called at once, in this thread.
  f.add_done_callback([&](const ConcurrentFuture<int>& g) { seen.push_back(g.result() + 1); });
  EXPECT_EQ(seen, (std::vector<int>{42, 43}));
  EXPECT_THROW(f.set_result(1), asyncio::InvalidStateError);
  EXPECT_FALSE(ConcurrentFuture<int>().valid());
}

TEST(ThreadConcurrentFuture, ResultTimesOutThenRaisesTheSetException) {
  auto f = ConcurrentFuture<void>::create();
  EXPECT_THROW(f.result(0.01), asyncio::TimeoutError);
  EXPECT_THROW(f.exception(0), asyncio::TimeoutError);
  f.set_exception(std::make_exception_ptr(std::out_of_range("nope")));
  EXPECT_THROW(f.result(), std::out_of_range);
  EXPECT_TRUE(f.exception() != nullptr);
}

TEST(ThreadConcurrentFuture, CancelSucceedsOnlyWhilePending) {
  auto f = ConcurrentFuture<int>::create();
  int called = 0;
  f.add_done_callback([&](const ConcurrentFuture<int>&) { ++called; });
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(f.cancel());  // already cancelled: still true, callbacks not run twice
  EXPECT_EQ(called, 1);
  EXPECT_TRUE(f.cancelled());
  EXPECT_THROW(f.result(), CancelledError);
  EXPECT_FALSE(f.set_running_or_notify_cancel());

  auto g = ConcurrentFuture<int>::create();
  EXPECT_TRUE(g.set_running_or_notify_cancel());
  EXPECT_TRUE(g.running());
  EXPECT_FALSE(g.cancel());  // running: cannot be cancelled
  g.set_result(1);
  EXPECT_FALSE(g.cancel());
  EXPECT_THROW(g.set_running_or_notify_cancel(), asyncio::RuntimeError);
}

TEST(ThreadConcurrentFuture, ManyThreadsWaitOnOneResult) {
  auto f = ConcurrentFuture<int>::create();
  std::atomic<int> sum{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i) ts.emplace_back([&, f] { sum += f.result(); });
  f.set_result(5);
  for (auto& t : ts) t.join();
  EXPECT_EQ(sum.load(), 40);
}

// ---------------------------------------------------------------------------------------
// ThreadPoolExecutor

TEST(ThreadPool, SubmitGivesTheResultOrTheException) {
  ThreadPoolExecutor pool(2);
  auto a = pool.submit([](int x, int y) { return x + y; }, 40, 2);
  auto b = pool.submit([]() -> int { throw std::invalid_argument("bad"); });
  EXPECT_EQ(a.result(), 42);
  try {
    b.result();
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad");
  }
}

TEST(ThreadPool, DefaultSizeIsCPythonsAndZeroIsRefused) {
  ThreadPoolExecutor pool;
  const std::size_t cpus = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(pool.max_workers(),
            std::min<std::size_t>(32, ThreadPoolExecutor::default_max_workers()));
  EXPECT_LE(ThreadPoolExecutor::default_max_workers(), std::min<std::size_t>(32, cpus + 4));
  EXPECT_GE(ThreadPoolExecutor::default_max_workers(), 5u);
  try {
    ThreadPoolExecutor bad(0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "max_workers must be greater than 0");
  }
}

TEST(ThreadPool, ThreadsStartLazilyUpToMax) {
  ThreadPoolExecutor pool(3, "lazy");
  EXPECT_EQ(pool.thread_count(), 0u);
  std::latch go(1);
  std::vector<ConcurrentFuture<std::string>> fs;
  for (int i = 0; i < 5; ++i)
    fs.push_back(pool.submit([&go] {
      go.wait();
      return thread_name();
    }));
  EXPECT_EQ(pool.thread_count(), 3u);  // never more than max_workers
  go.count_down();
  for (auto& f : fs) EXPECT_EQ(f.result().rfind("lazy_", 0), 0u);
  // Idle workers are reused: no new thread for sequential jobs.
  for (int i = 0; i < 5; ++i) pool.submit([] {}).result();
  EXPECT_EQ(pool.thread_count(), 3u);
}

TEST(ThreadPool, ShutdownWaitsAndRefusesNewWork) {
  ThreadPoolExecutor pool(2);
  std::atomic<int> ran{0};
  std::vector<ConcurrentFuture<void>> fs;
  for (int i = 0; i < 10; ++i) fs.push_back(pool.submit([&] { ++ran; }));
  pool.shutdown(true);
  EXPECT_EQ(ran.load(), 10);  // queued work still ran
  for (auto& f : fs) EXPECT_TRUE(f.done());
  try {
    pool.submit([] {});
    FAIL() << "no exception";
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "cannot schedule new futures after shutdown");
  }
}

TEST(ThreadPool, ShutdownWithCancelFuturesCancelsQueuedWork) {
  ThreadPoolExecutor pool(1);
  std::latch started(1), go(1);
  auto busy = pool.submit([&] {
    started.count_down();
    go.wait();
  });
  started.wait();
  auto queued = pool.submit([] { return 1; });
  std::thread releaser([&] {
    // shutdown(cancel_futures) below cancels `queued` before it blocks on the join.
    while (!queued.done()) std::this_thread::yield();
    go.count_down();
  });
  pool.shutdown(true, true);
  releaser.join();
  EXPECT_TRUE(queued.cancelled());
  EXPECT_TRUE(busy.done() && !busy.cancelled());
}

// ---------------------------------------------------------------------------------------
// to_thread (ports of CPython's test_threads.py) and run_in_executor

TEST(ThreadToThread, ReturnsTheFunctionsResult) {  // test_to_thread
  run([]() -> Coro<void> {
    auto sum = [](std::vector<int> v) {
      int s = 0;
      for (int x : v) s += x;
      return s;
    };
    std::vector<int> args = {40, 2};  // (not a braced list inside co_await: GCC 12 bug)
    int result = co_await asyncio::to_thread(sum, args);
    EXPECT_EQ(result, 42);
  }());
}

TEST(ThreadToThread, RaisesTheFunctionsException) {  // test_to_thread_exception
  run([]() -> Coro<void> {
    try {
      co_await asyncio::to_thread([] { throw asyncio::RuntimeError("test"); });
      ADD_FAILURE() << "no exception";
    } catch (const asyncio::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "test");
    }
  }());
}

TEST(ThreadToThread, CallsOnceOffTheLoopThread) {  // test_to_thread_once
  run([]() -> Coro<void> {
    std::atomic<int> calls{0};
    const auto loop_thread = std::this_thread::get_id();
    auto id = co_await asyncio::to_thread([&] {
      ++calls;
      return std::this_thread::get_id();
    });
    EXPECT_EQ(calls.load(), 1);
    EXPECT_NE(id, loop_thread);
    auto name = co_await asyncio::to_thread(thread_name);
    EXPECT_EQ(name.rfind("asyncio_", 0), 0u);
  }());
}

TEST(ThreadToThread, GatheredCallsAllRun) {  // test_to_thread_concurrent
  run([]() -> Coro<void> {
    std::atomic<int> calls{0};
    auto func = [&] { ++calls; };
    std::vector<Coro<void>> futs;
    for (int i = 0; i < 10; ++i) futs.push_back(asyncio::to_thread(func));
    co_await asyncio::gather(std::move(futs));
    EXPECT_EQ(calls.load(), 10);
  }());
}

TEST(ThreadToThread, PassesTheArguments) {  // test_to_thread_args_kwargs (no kwargs in C++)
  run([]() -> Coro<void> {
    auto f = [](std::string s, bool something) { return s + (something ? "!" : "?"); };
    EXPECT_EQ(co_await asyncio::to_thread(f, std::string("test"), true), "test!");
  }());
}

TEST(ThreadToThread, ReturnsAMoveOnlyResult) {
  run([]() -> Coro<void> {
    auto p = co_await asyncio::to_thread([] { return std::make_unique<int>(7); });
    EXPECT_EQ(*p, 7);
  }());
}

TEST(ThreadRunInExecutor, RunsOnTheGivenExecutorOrTheDefault) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    ThreadPoolExecutor pool(1, "mine");
    auto name = co_await loop.run_in_executor(&pool, thread_name);
    EXPECT_EQ(name, "mine_0");
    auto twice = co_await loop.run_in_executor(
        nullptr, [](int x) { return 2 * x; }, 21);
    EXPECT_EQ(twice, 42);
  }());
}

TEST(ThreadRunInExecutor, SetDefaultExecutorReplacesTheDefaultAndRefusesNull) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    loop.set_default_executor(std::make_shared<ThreadPoolExecutor>(1, "dflt"));
    EXPECT_EQ(co_await asyncio::to_thread(thread_name), "dflt_0");
    EXPECT_THROW(loop.set_default_executor(nullptr), std::invalid_argument);
  }());
}

TEST(ThreadRunInExecutor, DefaultExecutorRefusesWorkAfterShutdownDefaultExecutor) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    co_await asyncio::to_thread([] {});
    co_await loop.shutdown_default_executor();
    try {
      (void)loop.run_in_executor(nullptr, [] {});
      ADD_FAILURE() << "no exception";
    } catch (const asyncio::RuntimeError& e) {
      EXPECT_STREQ(e.what(), "Executor shutdown has been called");
    }
    ThreadPoolExecutor pool(1);  // an explicit executor still works
    co_await loop.run_in_executor(&pool, [] {});
  }());
}

TEST(ThreadRunInExecutor, OnAClosedLoopRaisesRuntimeError) {
  EventLoop loop;
  loop.close();
  try {
    (void)loop.run_in_executor(nullptr, [] {});
    FAIL() << "no exception";
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Event loop is closed");
  }
}

TEST(ThreadRunInExecutor, ResultArrivesThroughTheLoopOneIterationBeforeTheTask) {
  // CPython: the worker's call_soon_threadsafe runs _set_state (which completes the loop
  // future); the awaiting task resumes in the next iteration, after the done callbacks
  // registered before it.
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    std::vector<std::string> order;
    auto fut = loop.run_in_executor(nullptr, [] { return 1; });
    fut.add_done_callback([&](const asyncio::Future<int>&) { order.push_back("callback"); });
    int v = co_await fut;
    order.push_back("task");
    EXPECT_EQ(v, 1);
    EXPECT_EQ(order, (std::vector<std::string>{"callback", "task"}));
  }());
}

// The latches outlive asyncio::run, which waits for the job still blocked on them when
// the main coroutine returns.
TEST(ThreadRunInExecutor, CancelWhileRunningDiscardsResult) {
  std::latch started(1), go(1);
  std::atomic<bool> finished{false};
  run(
      [](std::latch& started, std::latch& go, std::atomic<bool>& finished) -> Coro<void> {
        auto job = [&] {
          started.count_down();
          go.wait();
          finished = true;
          return 5;
        };
        auto t = asyncio::create_task(asyncio::to_thread(job));
        co_await asyncio::to_thread([&] { started.wait(); });
        t.cancel();
        EXPECT_THROW(co_await t, CancelledError);  // at once, the job still running
        EXPECT_FALSE(finished.load());
        go.count_down();
      }(started, go, finished),
      false);
  EXPECT_TRUE(finished.load());
}

TEST(ThreadRunInExecutor, CancelBeforeStartNeverRuns) {
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    ThreadPoolExecutor pool(1);
    std::latch started(1), go(1);
    std::atomic<bool> ran{false};
    auto busy = loop.run_in_executor(&pool, [&] {
      started.count_down();
      go.wait();
    });
    auto queued = loop.run_in_executor(&pool, [&] { ran = true; });
    co_await asyncio::to_thread([&] { started.wait(); });
    queued.cancel();
    // The concurrent future is cancelled by the loop future's done callback, which runs
    // at the next iteration (CPython `_call_check_cancel`): the call is still queued then.
    co_await asyncio::sleep(0);
    go.count_down();
    co_await busy;
    pool.shutdown(true);
    EXPECT_FALSE(ran.load());
    EXPECT_TRUE(queued.cancelled());
  }());
}

TEST(ThreadRunInExecutor, WaitForOnABlockedJobTimesOutAtOnce) {
  // Real time: a job that outlives its timeout; the caller gets TimeoutError at once.
  std::latch go(1);
  run(
      [](std::latch& go) -> Coro<void> {
        auto t0 = std::chrono::steady_clock::now();
        EXPECT_THROW(co_await asyncio::wait_for(asyncio::to_thread([&] { go.wait(); }), 0.02),
                     asyncio::TimeoutError);
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
        go.count_down();
      }(go),
      false);
}

TEST(ThreadConcurrentFuture, WrapFutureDeliversItsResultOnTheLoop) {
  run([]() -> Coro<void> {
    auto cf = ConcurrentFuture<std::string>::create();
    auto fut = asyncio::wrap_future(cf);
    std::thread t([cf] { cf.set_result("from a thread"); });
    EXPECT_EQ(co_await fut, "from a thread");
    t.join();
    EXPECT_EQ(cf.result(), "from a thread");  // copied, not moved: cf is the user's
  }());
}

// ---------------------------------------------------------------------------------------
// Virtual time while a worker runs

TEST(ThreadVirtualTime, ClockHoldsStillWhileAJobIsPending) {
  // A timer 10 s ahead must not fire while the worker runs: the clock waits for it.
  run([]() -> Coro<void> {
    auto& loop = asyncio::get_running_loop();
    std::latch go(1);
    bool timer_fired = false;
    loop.call_later(10, [&] { timer_fired = true; });
    std::thread releaser([&] { go.count_down(); });
    co_await asyncio::to_thread([&] { go.wait(); });
    EXPECT_EQ(loop.time(), 0.0);
    EXPECT_FALSE(timer_fired);
    releaser.join();
    co_await asyncio::sleep(10);
    EXPECT_TRUE(timer_fired);
    EXPECT_EQ(loop.time(), 10.0);
  }());
}

// ---------------------------------------------------------------------------------------
// run_coroutine_threadsafe

Coro<int> add_later(int a, int b) {
  co_await asyncio::sleep(0.001);
  co_return a + b;
}

TEST(ThreadRunCoroutineThreadsafe, ResultReachesTheCallingThread) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        auto r = co_await asyncio::to_thread([&loop] {
          auto f = asyncio::run_coroutine_threadsafe(add_later(40, 2), loop);
          return f.result(10);
        });
        EXPECT_EQ(r, 42);
      }(),
      false);
}

TEST(ThreadRunCoroutineThreadsafe, ExceptionReachesTheThread) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        auto what = co_await asyncio::to_thread([&loop] {
          auto f = asyncio::run_coroutine_threadsafe(
              []() -> Coro<int> {
                co_await asyncio::sleep(0);
                throw std::domain_error("in the loop");
              }(),
              loop);
          try {
            f.result();
          } catch (const std::domain_error& e) {
            return std::string(e.what());
          }
          return std::string("none");
        });
        EXPECT_EQ(what, "in the loop");
      }(),
      false);
}

TEST(ThreadRunCoroutineThreadsafe, CancelFromTheThreadCancelsTheTask) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        asyncio::Future<void> entered = loop.create_future<void>();
        std::atomic<bool> saw_cancel{false};
        auto body = [&]() -> Coro<int> {
          entered.set_result();
          try {
            co_await asyncio::sleep(3600);
          } catch (const CancelledError&) {
            saw_cancel = true;
            throw;
          }
          co_return 0;
        };
        std::promise<ConcurrentFuture<int>> handoff;
        auto worker = asyncio::to_thread([&] {
          auto f = asyncio::run_coroutine_threadsafe(body(), loop);
          handoff.set_value(f);
        });
        co_await worker;
        auto f = handoff.get_future().get();
        co_await entered;
        // Named, not a temporary in the co_await: GCC 12 destroys such a temporary twice
        // (docs/deviations.md, Compilers), which would drop a reference on `f` twice.
        auto cancel_it = [f] {
          bool ok = f.cancel();
          return ok && f.cancelled();
        };
        auto cancelled = co_await asyncio::to_thread(cancel_it);
        EXPECT_TRUE(cancelled);
        while (!saw_cancel.load()) co_await asyncio::sleep(0);  // the task.cancel is posted
        EXPECT_THROW(f.result(0), CancelledError);
      }(),
      false);
}

TEST(ThreadRunCoroutineThreadsafe, TaskCancelledOnTheLoopCancelsTheFuture) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        auto f = co_await asyncio::to_thread([&loop] {
          return asyncio::run_coroutine_threadsafe(
              []() -> Coro<int> {
                asyncio::current_task().cancel();
                co_await asyncio::sleep(0);
                co_return 1;
              }(),
              loop);
        });
        auto wait_outcome = [f] {  // named: see CancelFromTheThreadCancelsTheTask
          try {
            f.result(10);
            return std::string("result");
          } catch (const CancelledError&) {
            return std::string("cancelled");
          }
        };
        auto outcome = co_await asyncio::to_thread(wait_outcome);
        EXPECT_EQ(outcome, "cancelled");
        EXPECT_TRUE(f.cancelled());
      }(),
      false);
}

TEST(ThreadRunCoroutineThreadsafe, ResultTimesOutWhileTheCoroutineRuns) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        std::atomic<bool> release{false};
        auto slow = [&]() -> Coro<int> {
          while (!release.load()) co_await asyncio::sleep(0.001);
          co_return 3;
        };
        auto r = co_await asyncio::to_thread([&] {
          auto f = asyncio::run_coroutine_threadsafe(slow(), loop);
          bool timed_out = false;
          try {
            f.result(0.01);
          } catch (const asyncio::TimeoutError&) {
            timed_out = true;
          }
          release = true;
          return timed_out ? f.result() : -1;
        });
        EXPECT_EQ(r, 3);
      }(),
      false);
}

TEST(ThreadRunCoroutineThreadsafe, OnAClosedLoopRaisesRuntimeError) {
  EventLoop loop;
  loop.close();
  EXPECT_THROW(asyncio::run_coroutine_threadsafe(add_later(1, 2), loop), asyncio::RuntimeError);
}

TEST(ThreadRunCoroutineThreadsafe, SubmitsToALoopRunningInAnotherThread) {
  // The usual arrangement: a loop running forever in a background thread.
  EventLoop loop;
  std::thread t([&] { loop.run_forever(); });
  std::vector<ConcurrentFuture<int>> fs;
  for (int i = 0; i < 20; ++i)
    fs.push_back(asyncio::run_coroutine_threadsafe(add_later(i, i), loop));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(fs[i].result(10), 2 * i);
  loop.call_soon_threadsafe([&] { loop.stop(); });
  t.join();
  loop.close();
}

// ---------------------------------------------------------------------------------------
// asyncio::run and the default executor

TEST(ThreadShutdown, RunWaitsForTheDefaultExecutorsJobs) {
  std::atomic<bool> done{false};
  std::latch go(1);
  run(
      [](std::atomic<bool>& d, std::latch& g) -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        // Fire and forget: nobody awaits this job, still blocked when main returns.
        (void)loop.run_in_executor(nullptr, [&d, &g] {
          g.wait();
          d = true;
        });
        // Released by the loop during asyncio::run's shutdown, after main has returned.
        loop.call_soon([&g] { g.count_down(); });
        co_return;
      }(done, go),
      false);
  EXPECT_TRUE(done.load());  // shutdown_default_executor waited for it
}

TEST(ThreadShutdown, ShutdownDefaultExecutorWithoutOneReturns) {
  run([]() -> Coro<void> { co_await asyncio::get_running_loop().shutdown_default_executor(); }());
}

TEST(ThreadShutdown, CloseDropsResultsStillInFlight) {
  // The job finishes and posts, but the loop closes before running the delivery. The job
  // may finish only once the loop has stopped (`go`), and the test holds the default
  // executor so that it can wait for the worker to be done (and to have posted).
  EventLoop loop;
  auto ex = std::make_shared<ThreadPoolExecutor>(1);
  loop.set_default_executor(ex);
  std::latch go(1);
  asyncio::Future<int> fut;
  loop.run_until_complete([](EventLoop& l, asyncio::Future<int>& f, std::latch& g) -> Coro<void> {
    f = l.run_in_executor(nullptr, [&g] {
      g.wait();
      return 1;
    });
    co_return;
  }(loop, fut, go));
  go.count_down();
  ex->shutdown(true);  // the job has returned and its result is posted to the loop
  EXPECT_FALSE(fut.done());
  loop.close();  // drops the posted delivery
  EXPECT_FALSE(fut.done());
}

// ---------------------------------------------------------------------------------------
// Stress: many threads entering the loop at once

TEST(ThreadStress, CallSoonThreadsafeFromManyThreadsRunsEveryCallback) {
  EventLoop loop;
  constexpr int kThreads = 6, kPer = 2000;
  int counter = 0;  // touched only on the loop thread
  std::vector<std::thread> ts;
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&] {
      for (int j = 0; j < kPer; ++j)
        loop.call_soon_threadsafe([&] {
          if (++counter == kThreads * kPer) loop.stop();
        });
    });
  loop.run_forever();
  for (auto& t : ts) t.join();
  EXPECT_EQ(counter, kThreads * kPer);
  loop.close();
}

TEST(ThreadStress, RunCoroutineThreadsafeFromManyThreadsRunsEveryCoroutine) {
  run(
      []() -> Coro<void> {
        auto& loop = asyncio::get_running_loop();
        constexpr int kThreads = 4, kPer = 300;
        int on_loop = 0;
        auto work = [&](int i) -> Coro<int> {
          ++on_loop;
          if (i % 3 == 0) co_await asyncio::sleep(0);
          co_return i;
        };
        std::vector<Coro<long>> jobs;
        for (int t = 0; t < kThreads; ++t)
          jobs.push_back(asyncio::to_thread([&loop, &work, t] {
            std::vector<ConcurrentFuture<int>> fs;
            for (int j = 0; j < kPer; ++j)
              fs.push_back(asyncio::run_coroutine_threadsafe(work(t * kPer + j), loop));
            long sum = 0;
            for (auto& f : fs) sum += f.result();
            return sum;
          }));
        auto sums = co_await asyncio::gather(std::move(jobs));
        long total = 0;
        for (long s : sums) total += s;
        const long n = kThreads * kPer;
        EXPECT_EQ(total, n * (n - 1) / 2);
        EXPECT_EQ(on_loop, n);
      }(),
      false);
}

TEST(ThreadStress, ManyToThreadCallsAtOnceAllReturn) {
  run([]() -> Coro<void> {
    std::vector<Coro<int>> calls;
    for (int i = 0; i < 200; ++i) calls.push_back(asyncio::to_thread([i] { return i * i; }));
    auto results = co_await asyncio::gather(std::move(calls));
    for (int i = 0; i < 200; ++i) EXPECT_EQ(results[i], i * i);
  }());
}

}  // namespace
