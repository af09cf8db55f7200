// Unit tests for eager tasks (asyncio/task.hpp: TaskOptions::eager_start; asyncio/
// event_loop.hpp: EventLoop::set_task_factory(asyncio::eager_task_factory)), R66: the first
// step runs inside create_task, with the new task as current task; a coroutine that never
// suspends yields a task that is already done; one that suspends continues normally.
// Every expected value was checked against CPython 3.13.0 (same scenario on
// tests/conformance/vtloop.py); ported CPython tests (test_eager_task_factory.py,
// test_tasks.py test_eager_start_*) are named in a comment.
//
// Known 3.13.0 quirk not reproduced: with a task factory installed, CPython 3.13.0's
// loop.create_task(coro) calls task.set_name(name) after the eager step, so an unnamed
// task ends up named "None" and a named one is still "Task-N" during its eager step.

#include <gtest/gtest.h>

#include <algorithm>
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
#include "asyncio/task.hpp"
#include "asyncio/task_group.hpp"

namespace {

using asyncio::AnyTask;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;

struct Ticker {
  explicit Ticker(EventLoop& l) : loop(l) {
    h = loop.call_soon([this] { tick(); });
  }
  void tick() {
    ++n;
    h = loop.call_soon([this] { tick(); });
  }
  void stop() { h.cancel(); }
  EventLoop& loop;
  int n = 0;
  asyncio::Handle h;
};

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

TEST(Eager, FactoryIsInstalled) {
  // CPython: test_eager_task_factory_set
  EagerLoop e;
  EXPECT_TRUE(e.loop.eager_task_factory_installed());
  e.loop.set_task_factory(nullptr);
  EXPECT_FALSE(e.loop.eager_task_factory_installed());
}

TEST(Eager, AFutureSetDuringTheEagerStep) {
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

TEST(Eager, ANeverSuspendingCoroutineGivesADoneTask) {
  // CPython: test_eager_completion
  EagerLoop e;
  auto run = [&]() -> Coro<std::string> {
    Task<std::string> t = e.loop.create_task(hello());
    EXPECT_TRUE(t.done());
    co_return co_await t;
  };
  EXPECT_EQ(e.loop.run_until_complete(run()), "hello");
}

TEST(Eager, ATaskThatSuspendsContinuesNormally) {
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

TEST(Eager, CancellingAnEagerlyCompletedTaskDoesNothing) {
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

TEST(Eager, CancellingAfterTheEagerStepBlocked) {
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

TEST(Eager, CurrentTaskIsTheNewTaskDuringTheEagerStepAndRestoredAfter) {
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

TEST(Eager, NestedEagerStepsRestoreEachCurrentTask) {
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

TEST(Eager, AllTasksWithEagerCompletion) {
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

TEST(Eager, AllTasksWithBlocking) {
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

TEST(Eager, RecursiveTaskGroupsAndGathersCompleteWithoutAnIteration) {
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

TEST(Eager, EagerStartTrueAndFalseWithoutAFactory) {
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

TEST(Eager, EagerStartFalseOverridesTheFactory) {
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

TEST(Eager, TheFactoryDoesNotStartTasksCreatedWhileTheLoopIsNotRunning) {
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

TEST(Eager, InterleavingWithTheCreator) {
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

TEST(Eager, AGatherOfEagerTasksIsDoneAtOnce) {
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

TEST(Eager, AnExceptionInTheEagerStepFailsTheTaskAtOnce) {
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

TEST(Eager, SelfCancelInTheEagerStepThenReturnEndsCancelled) {
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

TEST(Eager, TaskGroupChildrenThatFinishOrFailEagerly) {
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
