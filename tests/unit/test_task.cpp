// Unit tests for asyncio/task.hpp: task start and latency (R15–R18), cancellation
// (R20–R25, R27), "Task exception was never retrieved" (R12), Task-only API (R28),
// current_task / all_tasks, eager tasks (R66). Every expected value was checked against
// CPython 3.13 (tests/conformance/vtloop.py as the virtual-time loop).

#include "asyncio/task.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <algorithm>
#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/future.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task_group.hpp"
#include "support.hpp"

namespace {

using asyncio::AnyTask;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio_test::HandlerLog;
using asyncio_test::Lifetime;
using asyncio_test::run_briefly;
using asyncio_test::Ticker;

/// The message of the CancelledError `fn` throws; "<no error>" if it returns.
template <class F>
std::string cancel_message_of(F&& fn) {
  try {
    fn();
  } catch (const CancelledError& e) {
    return e.what();
  }
  return "<no error>";
}

/// std::to_string of a count, a flag (1 or 0) or a cancelling() level.
std::string str(std::integral auto n) { return std::to_string(n); }

// ---------------------------------------------------------------------------------------
// Start, steps, latency

TEST(Task, StartsAtTheNextIterationInCallSoonOrder) {
  // CPython: docs/semantics.md e01 (R15, R17, R18). Verified output of CPython 3.13.
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  Ticker* T = nullptr;
  auto child = [&](std::string name) -> Coro<std::string> {
    log.push_back(name + " start @" + str(T->n));
    co_await asyncio::sleep(0);
    log.push_back(name + " after sleep0 @" + str(T->n));
    co_return name;
  };
  auto plain = []() -> Coro<int> { co_return 5; };
  auto quick = []() -> Coro<int> { co_return 1; };
  auto main = [&]() -> Coro<void> {
    Ticker ticker(loop);
    T = &ticker;
    log.push_back("main start @" + str(T->n));
    loop.call_soon([&] { log.push_back("cb1 @" + str(T->n)); });
    auto t1 = asyncio::create_task(child("t1"));
    loop.call_soon([&] { log.push_back("cb2 @" + str(T->n)); });
    auto t2 = asyncio::create_task(child("t2"));
    log.push_back("main after create @" + str(T->n));
    Future<int> f = loop.create_future<int>();
    f.set_result(1);
    co_await f;
    log.push_back("main after await done-future @" + str(T->n));
    co_await plain();
    log.push_back("main after await plain coro @" + str(T->n));
    co_await asyncio::sleep(0);
    log.push_back("main after sleep0 @" + str(T->n));
    std::string r = co_await t1;
    log.push_back("main got " + r + " @" + str(T->n));
    Future<int> g = loop.create_future<int>();
    loop.call_soon([g] { g.set_result(7); });
    int start = T->n;
    co_await g;
    log.push_back("resume after future set (set in iter " + str(start + 1) + ") @" + str(T->n));
    auto t3 = asyncio::create_task(quick());
    int s = T->n;
    co_await t3;
    log.push_back("await fresh task quick(): started @" + str(s) + " resumed @" + str(T->n));
    co_await t2;
    ticker.stop();
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{
                     "main start @0",
                     "main after create @0",
                     "main after await done-future @0",
                     "main after await plain coro @0",
                     "cb1 @1",
                     "t1 start @1",
                     "cb2 @1",
                     "t2 start @1",
                     "main after sleep0 @1",
                     "t1 after sleep0 @2",
                     "t2 after sleep0 @2",
                     "main got t1 @3",
                     "resume after future set (set in iter 4) @5",
                     "await fresh task quick(): started @5 resumed @7",
                 }));
}

TEST(Task, CreateTaskInsideACoroutineUsesTheRunningLoop) {
  // CPython: test_tasks.py::test_bare_create_task
  EventLoop loop({.virtual_time = true});
  auto inner = []() -> Coro<int> { co_return 1; };
  auto coro = [&]() -> Coro<int> {
    Task<int> task = asyncio::create_task(inner());
    co_return co_await task;
  };
  EXPECT_EQ(loop.run_until_complete(coro()), 1);
}

TEST(Task, CreateTaskWithoutARunningLoopRaises) {
  // CPython (R65): asyncio.create_task() outside a loop → RuntimeError('no running event loop').
  auto inner = []() -> Coro<int> { co_return 1; };
  try {
    auto t = asyncio::create_task(inner());
    FAIL() << "expected RuntimeError";
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "no running event loop");
  }
}

TEST(Task, CreateTaskWithoutARunningLoopFreesTheCoroutine) {
  auto body = [](Lifetime) -> Coro<void> { co_return; };
  EXPECT_THROW(asyncio::create_task(body(Lifetime{})), asyncio::RuntimeError);
  EXPECT_EQ(Lifetime::live, 0);
}

TEST(Task, CreateTaskOnAClosedLoopRaisesAndFreesTheCoroutine) {
  // CPython (R64): loop.create_task() on a closed loop → RuntimeError('Event loop is closed').
  EventLoop loop({.virtual_time = true});
  loop.close();
  auto body = [](Lifetime) -> Coro<void> { co_return; };
  try {
    auto t = loop.create_task(body(Lifetime{}));
    FAIL() << "expected RuntimeError";
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Event loop is closed");
  }
  EXPECT_EQ(Lifetime::live, 0);
}

TEST(Task, NamesAreTaskNFromAProcessWideCounter) {
  // CPython: Task-<N> from a global counter; test_bare_create_named_task for name=.
  EventLoop loop({.virtual_time = true});
  auto noop = []() -> Coro<void> { co_return; };
  Task<void> a = loop.create_task(noop());
  Task<void> b = loop.create_task(noop());
  ASSERT_EQ(a.get_name().rfind("Task-", 0), 0u) << a.get_name();
  ASSERT_EQ(b.get_name().rfind("Task-", 0), 0u) << b.get_name();
  const long na = std::stol(a.get_name().substr(5));
  const long nb = std::stol(b.get_name().substr(5));
  EXPECT_GT(na, 0);
  EXPECT_EQ(nb, na + 1);
  Task<void> c = loop.create_task(noop(), "No-op");
  EXPECT_EQ(c.get_name(), "No-op");
  c.set_name("renamed");
  EXPECT_EQ(c.get_name(), "renamed");
  // A named task does not consume a number.
  Task<void> d = loop.create_task(noop());
  EXPECT_EQ(d.get_name(), "Task-" + std::to_string(nb + 1));
  AnyTask any = d;
  EXPECT_EQ(any.get_name(), d.get_name());
  loop.run_until_complete(d);
}

TEST(Task, SetResultAndSetExceptionAreRefused) {
  // CPython: test_tasks.py::test_task_set_methods (R28)
  EventLoop loop({.virtual_time = true});
  auto notmuch = []() -> Coro<std::string> { co_return "ko"; };
  Task<std::string> task = loop.create_task(notmuch());
  try {
    task.set_result("ok");
    FAIL();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Task does not support set_result operation");
  }
  try {
    task.set_exception(std::make_exception_ptr(std::invalid_argument("v")));
    FAIL();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "Task does not support set_exception operation");
  }
  // Through the Future<T> base too.
  const Future<std::string>& as_future = task;
  EXPECT_THROW(as_future.set_result("ok"), asyncio::RuntimeError);
  EXPECT_EQ(loop.run_until_complete(task), "ko");
}

TEST(Task, ResultOfAPendingTaskRaisesInvalidState) {
  EventLoop loop({.virtual_time = true});
  auto body = []() -> Coro<int> { co_return 1; };
  Task<int> t = loop.create_task(body());
  try {
    t.result();
    FAIL();
  } catch (const asyncio::InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Result is not set.");
  }
  EXPECT_EQ(loop.run_until_complete(t), 1);
  EXPECT_EQ(t.result(), 1);
}

TEST(Task, AwaitingAFinishedTaskDoesNotSuspend) {
  EventLoop loop({.virtual_time = true});
  auto quick = []() -> Coro<int> { co_return 3; };
  auto main = [&]() -> Coro<std::string> {
    Task<int> t = asyncio::create_task(quick());
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    Ticker ticker(loop);
    int v = co_await t;
    ticker.stop();
    co_return str(v) + " @" + str(ticker.n);
  };
  EXPECT_EQ(loop.run_until_complete(main()), "3 @0");
}

TEST(Task, LoopKeepsAnUnreferencedTaskAliveUntilItFinishes) {
  // Deliberate fix of gh-91887: dropping the handle does not lose the task.
  EventLoop loop({.virtual_time = true});
  bool finished = false;
  auto body = [&](Lifetime) -> Coro<void> {
    co_await asyncio::sleep(1);
    finished = true;
  };
  { auto dropped = loop.create_task(body(Lifetime{})); }
  EXPECT_EQ(Lifetime::live, 1);
  loop.run_until_complete(asyncio::sleep(2));
  EXPECT_TRUE(finished);
  EXPECT_EQ(Lifetime::live, 0);
}

// ---------------------------------------------------------------------------------------
// current_task / all_tasks

TEST(Task, CurrentTaskIsTheRunningTask) {
  // CPython: test_tasks.py::test_current_task
  EventLoop loop({.virtual_time = true});
  AnyTask task;
  bool same = false;
  auto coro = [&]() -> Coro<void> {
    same = asyncio::current_task() == task;
    co_return;
  };
  task = loop.create_task(coro());
  loop.run_until_complete(task);
  EXPECT_TRUE(same);
}

TEST(Task, CurrentTaskOutsideARunningLoopRaises) {
  // CPython: asyncio.current_task() with no running loop → RuntimeError('no running event loop').
  try {
    asyncio::current_task();
    FAIL();
  } catch (const asyncio::RuntimeError& e) {
    EXPECT_STREQ(e.what(), "no running event loop");
  }
}

TEST(Task, CurrentTaskInAPlainCallbackIsEmpty) {
  // CPython: current_task() is None inside a call_soon callback.
  EventLoop loop({.virtual_time = true});
  bool empty = false;
  loop.call_soon([&] { empty = !asyncio::current_task().valid(); });
  loop.run_until_complete(asyncio::sleep(0));
  EXPECT_TRUE(empty);
}

TEST(Task, CurrentTaskFollowsInterleavedTasks) {
  // CPython: test_tasks.py::test_current_task_with_interleaving_tasks
  EventLoop loop({.virtual_time = true});
  Future<bool> fut1 = loop.create_future<bool>();
  Future<bool> fut2 = loop.create_future<bool>();
  AnyTask task1, task2;
  std::vector<bool> checks;
  auto coro1 = [&]() -> Coro<void> {
    checks.push_back(asyncio::current_task() == task1);
    co_await fut1;
    checks.push_back(asyncio::current_task() == task1);
    fut2.set_result(true);
  };
  auto coro2 = [&]() -> Coro<void> {
    checks.push_back(asyncio::current_task() == task2);
    fut1.set_result(true);
    co_await fut2;
    checks.push_back(asyncio::current_task() == task2);
  };
  Task<void> t1 = loop.create_task(coro1());
  Task<void> t2 = loop.create_task(coro2());
  task1 = t1;
  task2 = t2;
  loop.run_until_complete(t1);
  loop.run_until_complete(t2);
  EXPECT_EQ(checks, (std::vector<bool>{true, true, true, true}));
}

TEST(Task, AllTasksListsUnfinishedTasksIncludingTheCurrentOne) {
  // CPython: asyncio.all_tasks() — pending tasks of the running loop, current included.
  EventLoop loop({.virtual_time = true});
  auto sleeper = []() -> Coro<void> { co_await asyncio::sleep(10); };
  auto quick = []() -> Coro<void> { co_return; };
  auto main = [&]() -> Coro<std::string> {
    Task<void> s = asyncio::create_task(sleeper());
    Task<void> q = asyncio::create_task(quick());
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    auto all = asyncio::all_tasks();
    auto has = [&](const AnyTask& t) {
      for (auto& a : all)
        if (a == t) return true;
      return false;
    };
    std::string out = str(static_cast<int>(all.size()));
    out += has(asyncio::current_task()) ? " current" : "";
    out += has(AnyTask(s)) ? " sleeper" : "";
    out += has(AnyTask(q)) ? " quick" : "";
    s.cancel();
    co_return out;
  };
  EXPECT_EQ(loop.run_until_complete(main()), "2 current sleeper");
}

// ---------------------------------------------------------------------------------------
// Cancellation

TEST(Task, CancellingASleepingTaskEndsItCancelledAtOnce) {
  // CPython: test_tasks.py::test_cancel
  EventLoop loop({.virtual_time = true});
  auto task = []() -> Coro<int> {
    co_await asyncio::sleep(10.0);
    co_return 12;
  };
  Task<int> t = loop.create_task(task());
  loop.call_soon([&] { t.cancel(); });
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.cancelled());
  EXPECT_FALSE(t.cancel());
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);  // vtloop: the cancelled sleep never advanced time
}

TEST(Task, CancelBeforeFirstStepRunsNoneOfTheBody) {
  // CPython: docs/semantics.md e09 A (R22): body ran=False args=('early',) cancelled=True.
  EventLoop loop({.virtual_time = true});
  bool ran = false;
  auto body = [&]() -> Coro<void> {
    ran = true;
    co_await asyncio::sleep(1);
  };
  Task<void> t = loop.create_task(body());
  EXPECT_TRUE(t.cancel("early"));
  EXPECT_EQ(t.cancelling(), 1u);
  EXPECT_FALSE(t.cancelled());
  EXPECT_FALSE(t.done());
  EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(t); }), "early");
  EXPECT_FALSE(ran);
  EXPECT_TRUE(t.cancelled());
}

TEST(Task, CancelMessageReachesTheAwaiter) {
  // CPython: test_tasks.py::test_task_cancel_message_getter
  EventLoop loop({.virtual_time = true});
  auto coro = []() -> Coro<void> { co_return; };
  Task<void> t = loop.create_task(coro());
  t.cancel("my message");
  EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(t); }), "my message");
}

TEST(Task, ResultOfATaskCancelledWithAMessageRaisesTheMessage) {
  // CPython: test_tasks.py::test_cancel_with_message_then_future_result. The port waits
  // for the task with a done callback instead of asyncio.wait([task]) (not in the core);
  // checked in CPython 3.13 that both give the same messages. Python's msg=None maps to "".
  for (std::string msg : {std::string(), std::string("my message")}) {
    SCOPED_TRACE(msg);
    EventLoop loop({.virtual_time = true});
    auto sleep = []() -> Coro<void> { co_await asyncio::sleep(10); };
    auto coro = [&]() -> Coro<void> {
      Task<void> task = asyncio::create_task(sleep());
      co_await asyncio::sleep(0);
      task.cancel(msg);
      Future<void> finished = loop.create_future();
      task.add_done_callback([finished](const Future<void>&) { finished.set_result(); });
      co_await finished;
      task.result();
    };
    Task<void> task = loop.create_task(coro());
    EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(task); }), msg);
    EXPECT_TRUE(task.cancelled());
  }
}

TEST(Task, ExceptionOfATaskCancelledBeforeItStartedRaisesTheMessage) {
  // CPython: test_tasks.py::test_cancel_with_message_before_starting_task (exception()).
  EventLoop loop({.virtual_time = true});
  auto sleep = []() -> Coro<void> { co_await asyncio::sleep(10); };
  auto coro = [&]() -> Coro<void> {
    Task<void> task = asyncio::create_task(sleep());
    task.cancel("my message");
    Future<void> finished = loop.create_future();
    task.add_done_callback([finished](const Future<void>&) { finished.set_result(); });
    co_await finished;
    task.exception();
  };
  Task<void> task = loop.create_task(coro());
  EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(task); }), "my message");
}

TEST(Task, CancelMessageIsHandedOutOnce) {
  // CPython: docs/semantics.md e14 D (R27): await -> ('msg',), result() #1 -> (), #2 -> ().
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::vector<std::string>> {
    Task<void> t = asyncio::create_task(asyncio::sleep(1));
    co_await asyncio::sleep(0);
    t.cancel("msg");
    std::vector<std::string> out;
    try {
      co_await t;
    } catch (const CancelledError& e) {
      out.push_back(e.what());
    }
    for (int i = 0; i < 2; ++i) out.push_back(cancel_message_of([&] { t.result(); }));
    co_return out;
  };
  EXPECT_EQ(loop.run_until_complete(main()), (std::vector<std::string>{"msg", "", ""}));
}

TEST(Task, RepeatedCancelOfAParkedTaskCountsEveryRequestFirstMessageWins) {
  // CPython: docs/semantics.md e09 B and test_tasks.py::test_cancelling (R21): both True,
  // cancelling() == 2, args ('one',), cancel after done False.
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::string> {
    Task<void> t = asyncio::create_task(asyncio::sleep(1));
    co_await asyncio::sleep(0);
    EXPECT_EQ(t.cancelling(), 0u);
    EXPECT_TRUE(t.cancel("one"));
    EXPECT_TRUE(t.cancel("two"));
    EXPECT_EQ(t.cancelling(), 2u);
    std::string msg;
    try {
      co_await t;
    } catch (const CancelledError& e) {
      msg = e.what();
    }
    EXPECT_FALSE(t.cancel());
    EXPECT_EQ(t.cancelling(), 2u);
    co_return msg;
  };
  EXPECT_EQ(loop.run_until_complete(main()), "one");
}

TEST(Task, RepeatedCancelOfAnUnstartedTaskKeepsTheLastMessage) {
  // CPython 3.13: not parked, so each cancel() overwrites _cancel_message → args ('two',).
  EventLoop loop({.virtual_time = true});
  auto sleeper = []() -> Coro<void> { co_await asyncio::sleep(10); };
  Task<void> t = loop.create_task(sleeper());
  EXPECT_TRUE(t.cancel("one"));
  EXPECT_TRUE(t.cancel("two"));
  EXPECT_EQ(t.cancelling(), 2u);
  EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(t); }), "two");
}

TEST(Task, CancelBetweenTwoSleepZeroEndsCancelled) {
  // CPython: test_tasks.py::test_cancel_yield
  EventLoop loop({.virtual_time = true});
  auto task = []() -> Coro<int> {
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    co_return 12;
  };
  Task<int> t = loop.create_task(task());
  run_briefly(loop);
  t.cancel();
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.cancelled());
  EXPECT_FALSE(t.cancel());
}

TEST(Task, CancellingTheAwaitedFutureCancelsTheTask) {
  // CPython: test_tasks.py::test_cancel_inner_future
  EventLoop loop({.virtual_time = true});
  Future<void> f = loop.create_future();
  auto task = [&]() -> Coro<int> {
    co_await f;
    co_return 12;
  };
  Task<int> t = loop.create_task(task());
  run_briefly(loop);
  f.cancel();
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(t.cancelled());
}

TEST(Task, CancellingBothTaskAndInnerFutureCancelsOnce) {
  // CPython: test_tasks.py::test_cancel_both_task_and_inner_future
  EventLoop loop({.virtual_time = true});
  Future<void> f = loop.create_future();
  auto task = [&]() -> Coro<int> {
    co_await f;
    co_return 12;
  };
  Task<int> t = loop.create_task(task());
  run_briefly(loop);
  f.cancel();
  t.cancel();
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(t.cancelled());
}

TEST(Task, TaskCatchingCancelledErrorReturnsNormally) {
  // CPython: test_tasks.py::test_cancel_task_catching
  EventLoop loop({.virtual_time = true});
  Future<void> fut1 = loop.create_future();
  Future<void> fut2 = loop.create_future();
  auto task = [&]() -> Coro<int> {
    co_await fut1;
    try {
      co_await fut2;
    } catch (const CancelledError&) {
      co_return 42;
    }
    co_return 0;
  };
  Task<int> t = loop.create_task(task());
  run_briefly(loop);
  fut1.set_result();
  run_briefly(loop);
  t.cancel();
  EXPECT_TRUE(fut2.cancelled());
  EXPECT_EQ(loop.run_until_complete(t), 42);
  EXPECT_FALSE(t.cancelled());
  // R25: the request count is not reset by catching.
  EXPECT_EQ(t.cancelling(), 1u);
}

TEST(Task, TaskIgnoringTheCancelAwaitsTheNextFuture) {
  // CPython: test_tasks.py::test_cancel_task_ignoring
  EventLoop loop({.virtual_time = true});
  Future<void> fut1 = loop.create_future();
  Future<void> fut2 = loop.create_future();
  Future<int> fut3 = loop.create_future<int>();
  auto task = [&]() -> Coro<int> {
    co_await fut1;
    try {
      co_await fut2;
    } catch (const CancelledError&) {
    }
    co_return co_await fut3;
  };
  Task<int> t = loop.create_task(task());
  run_briefly(loop);
  fut1.set_result();
  run_briefly(loop);
  t.cancel();
  EXPECT_TRUE(fut2.cancelled());
  run_briefly(loop);
  fut3.set_result(42);
  EXPECT_EQ(loop.run_until_complete(t), 42);
  EXPECT_FALSE(fut3.cancelled());
  EXPECT_FALSE(t.cancelled());
}

TEST(Task, SelfCancelThenAwaitCancelsTheSleepImmediately) {
  // CPython: test_tasks.py::test_cancel_current_task (R23)
  EventLoop loop({.virtual_time = true});
  Task<int> t;
  auto task = [&]() -> Coro<int> {
    t.cancel();
    co_await asyncio::sleep(100);
    co_return 12;
  };
  t = loop.create_task(task());
  EXPECT_FALSE(t.cancelled());
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.cancelled());
  EXPECT_FALSE(t.cancel());
  EXPECT_DOUBLE_EQ(loop.time(), 0.0);  // vtloop 3.13: the 100 s sleep never ran
}

TEST(Task, SelfCancelThenReturnEndsCancelled) {
  // CPython: test_tasks.py::test_cancel_at_end
  EventLoop loop({.virtual_time = true});
  Task<int> t;
  auto task = [&]() -> Coro<int> {
    t.cancel();
    co_return 12;
  };
  t = loop.create_task(task());
  EXPECT_FALSE(t.cancelled());
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.done());
  EXPECT_TRUE(t.cancelled());
  EXPECT_FALSE(t.cancel());
}

TEST(Task, SelfCancelThenAwaitAPendingFutureCancelsThatFuture) {
  // CPython: docs/semantics.md e09 F: inner future cancelled=True, task cancelled=True.
  EventLoop loop({.virtual_time = true});
  Future<void> f = loop.create_future();
  bool inner_cancelled = false;
  auto body = [&]() -> Coro<void> {
    asyncio::current_task().cancel();
    try {
      co_await f;
    } catch (...) {
      inner_cancelled = f.cancelled();
      throw;
    }
  };
  Task<void> t = loop.create_task(body());
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(inner_cancelled);
  EXPECT_TRUE(t.cancelled());
}

TEST(Task, SelfCancelThenAwaitANestedTaskCancelsItAndItsFuture) {
  // CPython: test_tasks.py::test_cancel_awaited_task (bpo-34872)
  EventLoop loop({.virtual_time = true});
  Task<void> task, nested_task;
  Future<void> fut = loop.create_future();
  auto nested = [&]() -> Coro<void> { co_await fut; };
  auto coro = [&]() -> Coro<void> {
    nested_task = asyncio::create_task(nested());
    co_await asyncio::sleep(0);
    task.cancel();
    co_await nested_task;
  };
  task = loop.create_task(coro());
  EXPECT_THROW(loop.run_until_complete(task), CancelledError);
  EXPECT_TRUE(task.cancelled());
  EXPECT_TRUE(nested_task.cancelled());
  EXPECT_TRUE(fut.cancelled());
}

TEST(Task, CancelPropagatesDownAChainOfAwaitedTasks) {
  // CPython: docs/semantics.md e09 G (R24): leaf and mid both see ('via-mid',).
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  Task<void> lt;
  auto leaf = [&]() -> Coro<void> {
    try {
      co_await asyncio::sleep(1);
    } catch (const CancelledError& e) {
      log.push_back(std::string("leaf ") + e.what());
      throw;
    }
  };
  auto mid = [&]() -> Coro<void> { co_await lt; };
  auto main = [&]() -> Coro<void> {
    lt = asyncio::create_task(leaf());
    Task<void> mt = asyncio::create_task(mid());
    co_await asyncio::sleep(0);
    mt.cancel("via-mid");
    try {
      co_await mt;
    } catch (const CancelledError& e) {
      log.push_back(std::string("mid ") + e.what() + (lt.cancelled() ? " leaf cancelled" : ""));
    }
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"leaf via-mid", "mid via-mid leaf cancelled"}));
}

TEST(Task, CancellingOuterCancelsInlineInnerWhichCancelsTheWaiter) {
  // CPython: test_tasks.py::test_yield_future_passes_cancel
  EventLoop loop({.virtual_time = true});
  int proof = 0;
  Future<void> waiter = loop.create_future();
  auto inner = [&]() -> Coro<void> {
    try {
      co_await waiter;
    } catch (const CancelledError&) {
      proof += 1;
      throw;
    }
    ADD_FAILURE() << "got past the await in inner()";
  };
  auto outer = [&]() -> Coro<void> {
    try {
      co_await inner();
    } catch (const CancelledError&) {
      proof += 100;  // expect this path
      co_return;
    }
    proof += 10;
  };
  Task<void> f = loop.create_task(outer());
  run_briefly(loop);
  f.cancel();
  loop.run_until_complete(f);
  EXPECT_EQ(proof, 101);
  EXPECT_TRUE(waiter.cancelled());
}

TEST(Task, CancelFromATimerReachesTheAwaitingTask) {
  // CPython: test_tasks.py::test_task_cancel_sleeping_task
  EventLoop loop({.virtual_time = true});
  auto sleep = [](double dt) -> Coro<void> { co_await asyncio::sleep(dt); };
  auto doit = [&]() -> Coro<std::string> {
    Task<void> sleeper = asyncio::create_task(sleep(5000));
    loop.call_later(0.1, [sleeper] { sleeper.cancel(); });
    try {
      co_await sleeper;
    } catch (const CancelledError&) {
      co_return "cancelled";
    }
    co_return "slept in";
  };
  EXPECT_EQ(loop.run_until_complete(doit()), "cancelled");
  EXPECT_DOUBLE_EQ(loop.time(), 0.1);
}

TEST(Task, CancelForwardsToTheAwaitedFuture) {
  // CPython: test_tasks.py::test_task_cancel_waiter_future
  EventLoop loop({.virtual_time = true});
  Future<void> fut = loop.create_future();
  auto coro = [&]() -> Coro<void> { co_await fut; };
  Task<void> task = loop.create_task(coro());
  run_briefly(loop);
  EXPECT_FALSE(fut.cancelled());
  task.cancel();
  EXPECT_TRUE(fut.cancelled());  // forwarded at once (R20)
  EXPECT_FALSE(task.cancelled());
  run_briefly(loop);
  EXPECT_THROW(loop.run_until_complete(task), CancelledError);
  EXPECT_TRUE(fut.cancelled());
  EXPECT_TRUE(task.cancelled());
}

TEST(Task, CaughtCancellationLeavesCancellingAtOne) {
  // CPython: docs/semantics.md e09 C (R25): result=survived cancelled=False, cancelling 1 inside
  // and after the finish.
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  auto resilient = [&]() -> Coro<std::string> {
    try {
      co_await asyncio::sleep(1);
    } catch (const CancelledError&) {
      log.push_back("caught; cancelling inside=" + str(asyncio::current_task().cancelling()));
    }
    co_await asyncio::sleep(0);
    co_return "survived";
  };
  auto main = [&]() -> Coro<void> {
    Task<std::string> t = asyncio::create_task(resilient());
    co_await asyncio::sleep(0);
    t.cancel();
    std::string r = co_await t;
    log.push_back("result=" + r + " cancelled=" + str(t.cancelled()) +
                  " cancelling=" + str(t.cancelling()));
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"caught; cancelling inside=1",
                                           "result=survived cancelled=0 cancelling=1"}));
}

TEST(Task, UncancelResetsTheCountAndASecondCancelWorks) {
  // CPython: test_tasks.py::test_uncancel_basic
  EventLoop loop({.virtual_time = true});
  auto task = []() -> Coro<void> {
    bool cancelled = false;
    try {
      co_await asyncio::sleep(10);
    } catch (const CancelledError&) {
      asyncio::current_task().uncancel();
      cancelled = true;
    }
    if (cancelled) co_await asyncio::sleep(10);  // C++: no co_await inside a handler
  };
  Task<void> t = loop.create_task(task());
  loop.run_until_complete(asyncio::sleep(0.01));
  EXPECT_TRUE(t.cancel());  // cancel the first sleep
  EXPECT_EQ(t.cancelling(), 1u);
  EXPECT_FALSE(t.cancelled());
  loop.run_until_complete(asyncio::sleep(0.01));
  EXPECT_EQ(t.cancelling(), 0u);  // after uncancel()
  EXPECT_FALSE(t.cancelled());
  EXPECT_TRUE(t.cancel());  // cancel the second sleep
  EXPECT_EQ(t.cancelling(), 1u);
  EXPECT_FALSE(t.cancelled());
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(t.cancelled());
  EXPECT_TRUE(t.done());
  t.uncancel();  // no longer effective once the task is complete
  EXPECT_TRUE(t.cancelled());
  EXPECT_TRUE(t.done());
}

TEST(Task, UncancelNeverGoesBelowZero) {
  // CPython: docs/semantics.md e09 D: uncancel() -> 0, then at 0 -> 0.
  EventLoop loop({.virtual_time = true});
  auto body = []() -> Coro<void> { co_return; };
  Task<void> t = loop.create_task(body());
  EXPECT_EQ(t.uncancel(), 0u);
  t.cancel();
  t.cancel();
  EXPECT_EQ(t.uncancel(), 1u);
  EXPECT_EQ(t.uncancel(), 0u);
  EXPECT_EQ(t.uncancel(), 0u);
  loop.run_until_complete(t);  // uncancelled back to 0 before the first step: runs normally
  EXPECT_FALSE(t.cancelled());
}

TEST(Task, CancelAfterTheAwaitedFutureCompletedStillCancelsTheNextStep) {
  // CPython 3.13 (R20): the future refuses the cancel (already done), so the task sets
  // must-cancel: cancel() True, cancelling() 1, then CancelledError() with no message.
  EventLoop loop({.virtual_time = true});
  Future<void> fut = loop.create_future();
  auto coro = [&]() -> Coro<int> {
    co_await fut;
    co_return 42;
  };
  Task<int> t = loop.create_task(coro());
  loop.run_until_complete(asyncio::sleep(0));
  fut.set_result();
  EXPECT_TRUE(t.cancel());
  EXPECT_EQ(t.cancelling(), 1u);
  EXPECT_EQ(cancel_message_of([&] { loop.run_until_complete(t); }), "");
  EXPECT_TRUE(t.cancelled());
}

TEST(Task, UncancelToZeroClearsAPendingMustCancel) {
  // CPython: test_tasks.py::test_uncancel_resets_must_cancel (3.13+, gh-116720)
  EventLoop loop({.virtual_time = true});
  Future<void> fut = loop.create_future();
  auto coro = [&]() -> Coro<int> {
    co_await fut;
    co_return 42;
  };
  Task<int> task = loop.create_task(coro());
  loop.run_until_complete(asyncio::sleep(0));  // get the task waiting for fut
  fut.set_result();                            // make the task runnable
  task.cancel();                               // enter the cancelled state
  EXPECT_EQ(task.cancelling(), 1u);
  task.uncancel();  // undo the cancellation
  EXPECT_EQ(task.cancelling(), 0u);
  EXPECT_EQ(loop.run_until_complete(task), 42);
}

TEST(Task, UncancelLetsAHandWrittenTimeoutBlockCarryOn) {
  // CPython: test_tasks.py::test_uncancel_structured_blocks — a hand-written timeout.
  EventLoop loop({.virtual_time = true});
  struct Outcome {
    bool timed_out, structured_block_finished, outer_code_reached;
    bool operator==(const Outcome&) const = default;
  };
  auto make_request_with_timeout = [&](double sleep, double timeout) -> Coro<Outcome> {
    AnyTask task = asyncio::current_task();
    bool timed_out = false, structured_block_finished = false;
    auto timeout_handle = loop.call_later(timeout, [&] {
      timed_out = true;
      task.cancel();
    });
    try {
      try {
        co_await asyncio::sleep(sleep);
        structured_block_finished = true;
        timeout_handle.cancel();
      } catch (const CancelledError&) {
        timeout_handle.cancel();
        if (timed_out && task.uncancel() == 0) throw asyncio::TimeoutError();
        throw;
      }
    } catch (const asyncio::TimeoutError&) {
      EXPECT_TRUE(timed_out);
    }
    bool outer_code_reached = true;
    co_await asyncio::sleep(0);
    co_return Outcome{timed_out, structured_block_finished, outer_code_reached};
  };
  Task<Outcome> t1 = loop.create_task(make_request_with_timeout(10.0, 0.1));
  EXPECT_EQ(loop.run_until_complete(t1), (Outcome{true, false, true}));
  EXPECT_EQ(t1.cancelling(), 0u);
  Task<Outcome> t2 = loop.create_task(make_request_with_timeout(0, 10.0));
  EXPECT_EQ(loop.run_until_complete(t2), (Outcome{false, true, true}));
  EXPECT_EQ(t2.cancelling(), 0u);
}

// ---------------------------------------------------------------------------------------
// Errors

TEST(Task, ATaskAwaitingItselfGetsRuntimeError) {
  // CPython: test_tasks.py::test_task_awaits_on_itself
  EventLoop loop({.virtual_time = true});
  Task<void> task;
  auto test = [&]() -> Coro<void> { co_await task; };
  task = loop.create_task(test());
  try {
    loop.run_until_complete(task);
    FAIL() << "expected RuntimeError";
  } catch (const asyncio::RuntimeError& e) {
    const std::string expected =
        "Task cannot await on itself: <Task pending name='" + task.get_name() + "'";
    EXPECT_EQ(std::string(e.what()).rfind(expected, 0), 0u) << e.what();
  }
}

TEST(Task, AwaitingAFutureOfAnotherLoopGetsRuntimeError) {
  // CPython: test_tasks.py::test_other_loop_future
  EventLoop other_loop({.virtual_time = true});
  EventLoop loop({.virtual_time = true});
  Future<void> fut = other_loop.create_future();
  auto run = [&]() -> Coro<void> { co_await fut; };
  try {
    loop.run_until_complete(run());
    FAIL() << "expected RuntimeError";
  } catch (const asyncio::RuntimeError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("Task <Task pending name='Task-", 0), 0u) << what;
    EXPECT_NE(what.find(" got Future <Future pending"), std::string::npos) << what;
    EXPECT_NE(what.find(" attached to a different loop"), std::string::npos) << what;
  }
}

TEST(Task, ExceptionEscapingTheBodyFailsTheTask) {
  EventLoop loop({.virtual_time = true});
  auto body = []() -> Coro<int> {
    co_await asyncio::sleep(0);
    throw std::out_of_range("oops");
  };
  Task<int> t = loop.create_task(body());
  EXPECT_THROW(loop.run_until_complete(t), std::out_of_range);
  EXPECT_TRUE(t.done());
  EXPECT_FALSE(t.cancelled());
  EXPECT_NE(t.exception(), nullptr);
}

TEST(Task, UnretrievedTaskExceptionIsLoggedThroughTheHandler) {
  // CPython (R12): "Task exception was never retrieved" when the failed task goes away.
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  auto fail = []() -> Coro<void> {
    throw std::invalid_argument("boom");
    co_return;
  };
  { auto fire_and_forget = loop.create_task(fail()); }
  loop.run_until_complete(asyncio::sleep(0));
  ASSERT_EQ(log.messages(), std::vector<std::string>{"Task exception was never retrieved"});
  try {
    std::rethrow_exception(log.contexts[0].exception);
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "boom");
  }
}

TEST(Task, RetrievedTaskExceptionIsNotLogged) {
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  auto fail = []() -> Coro<void> {
    throw std::invalid_argument("boom");
    co_return;
  };
  {
    auto t = loop.create_task(fail());
    EXPECT_THROW(loop.run_until_complete(t), std::invalid_argument);
  }
  EXPECT_TRUE(log.contexts.empty());
}

TEST(Task, CancelOnAFailedTaskSilencesTheNeverRetrievedLog) {
  // CPython: test_tasks.py::test_tb_logger_not_called_after_cancel
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  auto coro = []() -> Coro<void> {
    throw std::invalid_argument("TypeError");
    co_return;
  };
  auto runner = [&]() -> Coro<void> {
    Task<void> task = asyncio::create_task(coro());
    co_await asyncio::sleep(0.05);
    EXPECT_FALSE(task.cancel());
  };
  loop.run_until_complete(runner());
  EXPECT_TRUE(log.contexts.empty());
}

TEST(Task, PendingTaskDestroyedAtCloseIsLoggedInDebugMode) {
  // CPython: test_tasks.py::test_log_destroyed_pending_task. CPython reports it when the GC
  // collects an unreferenced pending task; the port holds tasks strongly, so it happens
  // when close() drops the loop's reference, and (as the API contract says) in debug mode.
  EventLoop loop({.debug = true, .virtual_time = true});
  HandlerLog log(loop);
  auto kill_me = [&](Lifetime) -> Coro<void> {
    Future<void> future = loop.create_future();
    co_await future;
    throw std::runtime_error("code never reached");
  };
  {
    Task<void> task = loop.create_task(kill_me(Lifetime{}));
    run_briefly(loop);
  }
  EXPECT_TRUE(log.contexts.empty());
  EXPECT_EQ(Lifetime::live, 1);
  loop.close();
  EXPECT_EQ(log.messages(), std::vector<std::string>{"Task was destroyed but it is pending!"});
  EXPECT_EQ(Lifetime::live, 0);
}

TEST(Task, PendingTaskDestroyedAtCloseIsSilentOutsideDebugMode) {
  EventLoop loop({.virtual_time = true});
  if (loop.get_debug()) GTEST_SKIP() << "ASYNCIO_DEBUG is set in the environment";
  HandlerLog log(loop);
  auto body = [](Lifetime) -> Coro<void> { co_await asyncio::sleep(100); };
  { auto t = loop.create_task(body(Lifetime{})); }
  run_briefly(loop);
  loop.close();
  EXPECT_TRUE(log.contexts.empty());
  EXPECT_EQ(Lifetime::live, 0);
}

// ---------------------------------------------------------------------------------------
// Eager tasks (TaskOptions::eager_start; EventLoop::set_task_factory(eager_task_factory)),
// R66: the first step runs inside create_task, with the new task as current task; a
// coroutine that never suspends yields a task that is already done; one that suspends
// continues normally. Checked against CPython 3.13.0 (same scenario on
// tests/conformance/vtloop.py); ported CPython tests (test_eager_task_factory.py,
// test_tasks.py test_eager_start_*) are named in a comment.
//
// Known 3.13.0 quirk not reproduced: with a task factory installed, CPython 3.13.0's
// loop.create_task(coro) calls task.set_name(name) after the eager step, so an unnamed
// task ends up named "None" and a named one is still "Task-N" during its eager step.

/// A virtual-time loop with the eager task factory installed (CPython's test setUp).
struct EagerLoop {
  EagerLoop() { loop.set_task_factory(asyncio::eager_task_factory); }
  EventLoop loop{{.virtual_time = true}};
};

Coro<std::string> hello() { co_return "hello"; }

Coro<std::string> finished_after_blocking() {
  co_await asyncio::sleep(0.1);
  co_return "finished after blocking";
}

bool contains(const std::vector<AnyTask>& v, const AnyTask& t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

// ---- ported from test_eager_task_factory.py -------------------------------------------

TEST(Task, EagerTaskFactoryIsInstalledAndRemoved) {
  // CPython: test_eager_task_factory_set
  EagerLoop e;
  EXPECT_TRUE(e.loop.eager_task_factory_installed());
  e.loop.set_task_factory(nullptr);
  EXPECT_FALSE(e.loop.eager_task_factory_installed());
}

TEST(Task, EagerStepCanSetAFutureTheCreatorAwaits) {
  // CPython: test_await_future_during_eager_step
  EagerLoop e;
  auto set_result = [](Future<std::string> fut, std::string val) -> Coro<void> {
    fut.set_result(std::move(val));
    co_return;
  };
  auto run = [&]() -> Coro<std::string> {
    Future<std::string> fut = e.loop.create_future<std::string>();
    Task<void> t = e.loop.create_task(set_result(fut, "my message"));
    EXPECT_TRUE(t.done());  // the eager step completed the task
    co_return co_await fut;
  };
  EXPECT_EQ(e.loop.run_until_complete(run()), "my message");
}

TEST(Task, EagerNeverSuspendingCoroutineGivesADoneTask) {
  // CPython: test_eager_completion
  EagerLoop e;
  auto run = [&]() -> Coro<std::string> {
    Task<std::string> t = e.loop.create_task(hello());
    EXPECT_TRUE(t.done());
    co_return co_await t;
  };
  EXPECT_EQ(e.loop.run_until_complete(run()), "hello");
}

TEST(Task, EagerTaskThatSuspendsContinuesNormally) {
  // CPython: test_block_after_eager_step
  EagerLoop e;
  auto run = [&]() -> Coro<std::string> {
    Task<std::string> t = e.loop.create_task(finished_after_blocking());
    EXPECT_FALSE(t.done());
    std::string result = co_await t;
    EXPECT_TRUE(t.done());
    co_return result;
  };
  EXPECT_EQ(e.loop.run_until_complete(run()), "finished after blocking");
  EXPECT_DOUBLE_EQ(e.loop.time(), 0.1);
}

TEST(Task, CancellingAnEagerlyCompletedTaskDoesNothing) {
  // CPython: test_cancellation_after_eager_completion
  EagerLoop e;
  auto run = [&]() -> Coro<std::string> {
    Task<std::string> t = e.loop.create_task(hello());
    EXPECT_FALSE(t.cancel());
    std::string result = co_await t;
    EXPECT_FALSE(t.cancelled());  // a finished task cannot be cancelled
    co_return result;
  };
  EXPECT_EQ(e.loop.run_until_complete(run()), "hello");
}

TEST(Task, CancellingAnEagerTaskBlockedInItsFirstStepCarriesTheMessage) {
  // CPython: test_cancellation_after_eager_step_blocks
  EagerLoop e;
  auto run = [&]() -> Coro<void> {
    Task<std::string> t = e.loop.create_task(finished_after_blocking());
    t.cancel("cancellation message");
    EXPECT_GT(t.cancelling(), 0u);
    co_await t;
  };
  std::string msg = "<none>";
  try {
    e.loop.run_until_complete(run());
  } catch (const CancelledError& c) {
    msg = c.what();
  }
  EXPECT_EQ(msg, "cancellation message");
  EXPECT_EQ(e.loop.time(), 0.0);
}

TEST(Task, CurrentTaskIsTheNewTaskDuringTheEagerStepAndRestoredAfter) {
  // CPython: test_current_task
  EagerLoop e;
  AnyTask captured;
  auto coro = [&]() -> Coro<void> {
    captured = asyncio::current_task();
    co_await asyncio::sleep(0.1);
    EXPECT_TRUE(asyncio::current_task() == captured);  // same task after blocking
  };
  auto run = [&]() -> Coro<void> {
    AnyTask me = asyncio::current_task();
    Task<void> t = e.loop.create_task(coro());
    EXPECT_TRUE(captured == AnyTask(t));
    EXPECT_TRUE(asyncio::current_task() == me);
    co_await t;
  };
  e.loop.run_until_complete(run());
}

TEST(Task, NestedEagerStepsRestoreEachCurrentTask) {
  EagerLoop e;
  std::vector<std::string> log;
  AnyTask outer_task, inner_task;
  auto inner = [&]() -> Coro<int> {
    inner_task = asyncio::current_task();
    log.push_back("inner");
    co_return 1;
  };
  auto outer = [&]() -> Coro<int> {
    outer_task = asyncio::current_task();
    log.push_back("outer");
    Task<int> t = asyncio::create_task(inner());
    log.push_back(std::string("outer after, inner done=") + (t.done() ? "True" : "False"));
    EXPECT_TRUE(asyncio::current_task() == outer_task);
    co_return 2;
  };
  auto run = [&]() -> Coro<void> {
    AnyTask me = asyncio::current_task();
    Task<int> t = asyncio::create_task(outer());
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(asyncio::current_task() == me);
    EXPECT_FALSE(outer_task == inner_task);
    EXPECT_FALSE(outer_task == me);
    co_return;
  };
  e.loop.run_until_complete(run());
  EXPECT_EQ(log, (std::vector<std::string>{"outer", "inner", "outer after, inner done=True"}));
}

TEST(Task, AllTasksListsAnEagerlyCompletedTaskOnlyDuringItsStep) {
  // CPython: test_all_tasks_with_eager_completion
  EagerLoop e;
  std::vector<AnyTask> captured;
  auto coro = [&]() -> Coro<void> {
    captured = asyncio::all_tasks();
    co_return;
  };
  auto run = [&]() -> Coro<void> {
    Task<void> t = e.loop.create_task(coro());
    EXPECT_TRUE(contains(captured, t));
    EXPECT_FALSE(contains(asyncio::all_tasks(), t));
    co_return;
  };
  e.loop.run_until_complete(run());
}

TEST(Task, AllTasksListsABlockedEagerTaskUntilItFinishes) {
  // CPython: test_all_tasks_with_blocking
  EagerLoop e;
  std::vector<AnyTask> captured;
  auto coro = [&](Future<void> fut1, Future<void> fut2) -> Coro<void> {
    captured = asyncio::all_tasks();
    co_await fut1;
    fut2.set_result();
  };
  auto run = [&]() -> Coro<void> {
    Future<void> fut1 = e.loop.create_future<void>();
    Future<void> fut2 = e.loop.create_future<void>();
    Task<void> t = e.loop.create_task(coro(fut1, fut2));
    EXPECT_TRUE(contains(captured, t));
    EXPECT_TRUE(contains(asyncio::all_tasks(), t));
    fut1.set_result();
    co_await fut2;
    EXPECT_FALSE(contains(asyncio::all_tasks(), t));
  };
  e.loop.run_until_complete(run());
}

Coro<int> recursive_taskgroups(int width, int depth) {
  if (depth == 0) co_return 1;
  std::vector<Task<int>> futures;
  co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
    for (int i = 0; i < width; ++i)
      futures.push_back(tg.create_task(recursive_taskgroups(width, depth - 1)));
    co_return;
  });
  int sum = 0;
  for (auto& f : futures) sum += f.result();
  co_return sum;
}

Coro<int> recursive_gather(int width, int depth) {
  if (depth == 0) co_return 1;
  std::vector<Coro<int>> children;
  for (int i = 0; i < width; ++i) children.push_back(recursive_gather(width, depth - 1));
  std::vector<int> r = co_await asyncio::gather(std::move(children));
  int sum = 0;
  for (int x : r) sum += x;
  co_return sum;
}

/// Runs `f(5, 4)` in a task and returns {result, iterations spent}.
template <class F>
std::pair<int, int> tree(EventLoop& loop, F f) {
  auto m = [&]() -> Coro<std::pair<int, int>> {
    Ticker ticker(loop);
    int r = co_await f(5, 4);
    ticker.stop();
    co_return std::make_pair(r, ticker.n);
  };
  return loop.run_until_complete(m());
}

TEST(Task, EagerRecursiveTaskGroupsAndGathersCompleteWithoutAnIteration) {
  // CPython: BaseTaskCountingTests.test_recursive_taskgroups / test_recursive_gather (the
  // counted tasks are those not started eagerly: 0 with the factory, 781 without; here,
  // the iterations spent: 0 with the factory, 12 without, as on CPython 3.13.0)
  {
    EagerLoop e;
    EXPECT_EQ(tree(e.loop, recursive_taskgroups), std::make_pair(625, 0));
    EXPECT_EQ(tree(e.loop, recursive_gather), std::make_pair(625, 0));
  }
  {
    EventLoop loop({.virtual_time = true});
    EXPECT_EQ(tree(loop, recursive_taskgroups), std::make_pair(625, 12));
    EXPECT_EQ(tree(loop, recursive_gather), std::make_pair(625, 12));
  }
}

// ---- test_tasks.py: eager_start -------------------------------------------------------

TEST(Task, EagerStartOptionChoosesEagerOrLazyWithoutAFactory) {
  // CPython: test_eager_start_true / test_eager_start_false
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  auto c = [&](std::string n) -> Coro<void> {
    log.push_back(n);
    co_return;
  };
  auto run = [&]() -> Coro<void> {
    Task<void> lazy = asyncio::create_task(c("lazy"), asyncio::TaskOptions{.eager_start = false});
    log.push_back(std::string("after lazy done=") + (lazy.done() ? "True" : "False"));
    Task<void> eager = asyncio::create_task(c("eager"), asyncio::TaskOptions{.eager_start = true});
    log.push_back(std::string("after eager done=") + (eager.done() ? "True" : "False"));
    co_await lazy;
  };
  loop.run_until_complete(run());
  EXPECT_EQ(log, (std::vector<std::string>{"after lazy done=False", "eager",
                                           "after eager done=True", "lazy"}));
}

TEST(Task, EagerStartFalseOverridesTheFactory) {
  EagerLoop e;
  bool ran = false;
  auto c = [&]() -> Coro<void> {
    ran = true;
    co_return;
  };
  auto run = [&]() -> Coro<void> {
    Task<void> t =
        e.loop.create_task(c(), asyncio::TaskOptions{.name = "lazy", .eager_start = false});
    EXPECT_FALSE(ran);
    EXPECT_EQ(t.get_name(), "lazy");
    co_await t;
    EXPECT_TRUE(ran);
  };
  e.loop.run_until_complete(run());
}

// ---- R66 and beyond -------------------------------------------------------------------

TEST(Task, EagerFactoryDoesNotStartTasksCreatedWhileTheLoopIsNotRunning) {
  EagerLoop e;
  bool ran = false;
  auto c = [&]() -> Coro<void> {
    ran = true;
    co_return;
  };
  Task<void> t = e.loop.create_task(c());
  EXPECT_FALSE(ran);
  EXPECT_FALSE(t.done());
  e.loop.run_until_complete(t);
  EXPECT_TRUE(ran);
}

TEST(Task, EagerFirstStepRunsInsideCreateTaskAndLaterStepsInterleave) {
  // R66 (observed e14 E): the child's first step runs before create_task returns; its
  // later steps interleave as usual (checked on CPython 3.13.0).
  EagerLoop e;
  std::vector<std::string> log;
  auto child = [&](std::string name) -> Coro<std::string> {
    log.push_back(name + " start");
    co_await asyncio::sleep(0);
    log.push_back(name + " resumed");
    co_return name;
  };
  auto main = [&]() -> Coro<void> {
    log.push_back("main before");
    Task<std::string> t1 = asyncio::create_task(child("a"));
    log.push_back(std::string("main after a done=") + (t1.done() ? "True" : "False"));
    Task<std::string> t2 = asyncio::create_task(child("b"));
    log.push_back("main after b");
    co_await asyncio::sleep(0);
    log.push_back("main after sleep0");
    auto [ra, rb] = co_await asyncio::gather(t1, t2);
    log.push_back("gathered " + ra + rb);
  };
  e.loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"main before", "a start", "main after a done=False",
                                           "b start", "main after b", "a resumed", "b resumed",
                                           "main after sleep0", "gathered ab"}));
}

Coro<int> immediate(int i) { co_return i; }

TEST(Task, AGatherOfEagerTasksIsDoneAtOnce) {
  // 3.12+ (gh-104144): the children completed eagerly, so the gather is done when
  // returned and awaiting it takes no iteration.
  EagerLoop e;
  auto main = [&]() -> Coro<void> {
    Ticker ticker(e.loop);
    auto g = asyncio::gather(immediate(1), immediate(2), immediate(3));
    EXPECT_TRUE(g.done());
    auto r = co_await g;
    EXPECT_EQ(r, std::make_tuple(1, 2, 3));
    EXPECT_EQ(ticker.n, 0);
    ticker.stop();
  };
  e.loop.run_until_complete(main());
}

TEST(Task, AnExceptionInTheEagerStepFailsTheTaskAtOnce) {
  EagerLoop e;
  auto bad = []() -> Coro<int> {
    throw std::out_of_range("k");
    co_return 0;
  };
  auto main = [&]() -> Coro<void> {
    Task<int> t = asyncio::create_task(bad());
    EXPECT_TRUE(t.done());
    EXPECT_THROW(std::rethrow_exception(t.exception()), std::out_of_range);
    co_return;
  };
  e.loop.run_until_complete(main());
}

TEST(Task, SelfCancelInTheEagerStepThenReturnEndsCancelled) {
  EagerLoop e;
  auto c = []() -> Coro<int> {
    asyncio::current_task().cancel();
    co_return 3;
  };
  auto main = [&]() -> Coro<void> {
    Task<int> t = asyncio::create_task(c());
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    co_return;
  };
  e.loop.run_until_complete(main());
}

TEST(Task, EagerTaskGroupChildrenThatFinishOrFailAreHandledAtOnce) {
  // CPython 3.13.0 TaskGroup.create_task: a child already done is handled at once
  // (_on_task_done called synchronously): a failure aborts the group before create_task
  // returns, and the body is cancelled at its next await (checked on 3.13.0).
  EagerLoop e;
  std::vector<std::string> out;
  auto slow = [&]() -> Coro<void> {
    try {
      co_await asyncio::sleep(1);
    } catch (const CancelledError&) {
      out.push_back("slow cancelled");
      throw;
    }
  };
  auto fail = []() -> Coro<void> {
    throw std::invalid_argument("eager fail");
    co_return;
  };
  auto main = [&]() -> Coro<void> {
    Task<int> t;
    co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
      t = tg.create_task(immediate(5));
      out.push_back(std::string(t.done() ? "True " : "False ") + tg.repr());
      co_return;
    });
    out.push_back(std::to_string(t.result()));
    try {
      co_await asyncio::TaskGroup::run([&](asyncio::TaskGroup& tg) -> Coro<void> {
        tg.create_task(slow());
        out.push_back(tg.repr());
        Task<void> f = tg.create_task(fail());
        out.push_back(std::string(f.done() ? "True " : "False ") + tg.repr() + " " +
                      std::to_string(asyncio::current_task().cancelling()));
        try {
          co_await asyncio::sleep(0);
          out.push_back("not interrupted");
        } catch (const CancelledError&) {
          out.push_back("body cancelled");
          throw;
        }
      });
    } catch (const asyncio::ExceptionGroup& eg) {
      out.push_back(std::string("EG ") + std::to_string(eg.exceptions().size()));
    }
    out.push_back(std::to_string(asyncio::current_task().cancelling()));
  };
  e.loop.run_until_complete(main());
  EXPECT_EQ(
      out, (std::vector<std::string>{"True <TaskGroup entered>", "5", "<TaskGroup tasks=1 entered>",
                                     "True <TaskGroup tasks=1 errors=1 cancelling> 1",
                                     "slow cancelled", "body cancelled", "EG 1", "0"}));
}

}  // namespace
