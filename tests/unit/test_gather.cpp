// Unit tests for asyncio/gather.hpp: result order (R32), first error (R33), cancelled
// children (R34, R35), cancelling the gather (R36-R38), iteration counts (R39), and the
// C++ forms (ranges, lazy views, void and move-only results, module-level gathers).
// Every expected value was checked against CPython 3.13 (the same scenario run on
// tests/conformance/vtloop.py); ported CPython tests are named in a comment.

#include "asyncio/gather.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <cstddef>
#include <iterator>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/future.hpp"
#include "asyncio/result.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "support.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Result;
using asyncio::Task;
using asyncio_test::HandlerLog;
using asyncio_test::Lifetime;
using asyncio_test::nothing;
using asyncio_test::run_briefly;
using asyncio_test::Ticker;
using Log = std::vector<std::string>;

/// CPython GatherTestsBase._run_loop ("while loop._ready: run_briefly(loop)"): the
/// scenarios below settle within a few iterations.
void run_loop(EventLoop& loop) {
  for (int i = 0; i < 4; ++i) run_briefly(loop);
}

/// Makes `loop` the thread's current loop for a scope (module-level code uses it).
struct CurrentLoop {
  explicit CurrentLoop(EventLoop& loop) { asyncio::set_event_loop(&loop); }
  ~CurrentLoop() { asyncio::set_event_loop(nullptr); }
};

/// Python's repr of CancelledError(...).args: "()" or "('m',)".
std::string args_of(const CancelledError& e) {
  return e.message().empty() ? "()" : "('" + e.message() + "',)";
}

template <class E>
std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E& x) {
    return x.what();
  } catch (...) {
    return "<other exception>";
  }
}

bool is_cancelled_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError&) {
    return true;
  } catch (...) {
    return false;
  }
}

// ---- coroutines shared by the tests ------------------------------------------------------

/// CoroutineGatherTests.wrap_futures: `async def coro(fut=fut): return await fut`.
Coro<int> await_value(Future<int> f) { co_return co_await f; }

Coro<int> value(int x) { co_return x; }
Coro<std::string> echo(std::string s, int* runs = nullptr) {
  if (runs) ++*runs;
  co_return s;
}

/// docs/semantics.md e04 `normal`: sleeps, logs its cancellation and lets it through.
Coro<std::string> normal(std::string name, double delay, Log& log) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError& e) {
    log.push_back(name + " cancelled args=" + args_of(e));
    throw;
  }
  co_return name;
}

/// docs/semantics.md e04 `stubborn`: swallows the first cancellation and sleeps again.
Coro<int> stubborn(std::string name, double delay, int ret, Log& log) {
  bool again = false;
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError& e) {
    log.push_back(name + " got CancelledError" + args_of(e) + " -> ignoring, sleeping again");
    again = true;
  }
  if (again) co_await asyncio::sleep(delay);
  log.push_back(name + " returns " + std::to_string(ret));
  co_return ret;
}

/// docs/semantics.md e03 `worker`.
Coro<std::string> worker(std::string name, double delay, bool fail, Log& log) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    log.push_back(name + " cancelled");
    throw;
  }
  if (fail) {
    log.push_back(name + " raising");
    throw std::invalid_argument(name);
  }
  log.push_back(name + " done");
  co_return name;
}

// ---- GatherTestsBase (run by FutureGatherTests and CoroutineGatherTests) -----------------

/// The gather of `futs`: directly (FutureGatherTests) or, as CoroutineGatherTests does,
/// each future wrapped in a coroutine and gather() called inside a running task.
template <bool ReturnExc>
using IntGather =
    std::conditional_t<ReturnExc, Future<std::vector<Result<int>>>, Future<std::vector<int>>>;

template <bool ReturnExc>
Coro<IntGather<ReturnExc>> gather_in_task(std::vector<Future<int>> futs) {
  std::vector<Coro<int>> coros;
  for (auto& f : futs) coros.push_back(await_value(f));
  if constexpr (ReturnExc) {
    co_return asyncio::gather(asyncio::return_exceptions, std::move(coros));
  } else {
    co_return asyncio::gather(std::move(coros));
  }
}

template <bool ReturnExc>
IntGather<ReturnExc> make_gather(EventLoop& loop, bool wrap, std::vector<Future<int>> futs) {
  if (wrap) return loop.run_until_complete(gather_in_task<ReturnExc>(std::move(futs)));
  if constexpr (ReturnExc) {
    return asyncio::gather(asyncio::return_exceptions, futs);
  } else {
    return asyncio::gather(futs);
  }
}

template <bool ReturnExc>
void check_success(bool wrap) {
  // CPython: GatherTestsBase._check_success
  EventLoop loop({.virtual_time = true});
  auto a = loop.create_future<int>(), b = loop.create_future<int>(), c = loop.create_future<int>();
  auto fut = make_gather<ReturnExc>(loop, wrap, {a, b, c});
  int calls = 0;
  fut.add_done_callback([&](const auto& f) {
    ++calls;
    EXPECT_TRUE(f == fut);
  });
  b.set_result(1);
  a.set_result(2);
  run_loop(loop);
  EXPECT_EQ(calls, 0);
  EXPECT_FALSE(fut.done());
  c.set_result(3);
  run_loop(loop);
  EXPECT_EQ(calls, 1);
  auto& r = fut.result();
  ASSERT_EQ(r.size(), 3u);
  if constexpr (ReturnExc) {
    EXPECT_EQ(r[0].value(), 2);
    EXPECT_EQ(r[1].value(), 1);
    EXPECT_EQ(r[2].value(), 3);
  } else {
    EXPECT_EQ(r, (std::vector<int>{2, 1, 3}));
  }
}

TEST(Gather, ResultsComeInArgumentOrder) {
  // CPython: GatherTestsBase.test_success (R32)
  check_success<false>(false);
  check_success<false>(true);
}

TEST(Gather, ResultsComeInArgumentOrderWithReturnExceptions) {
  // CPython: GatherTestsBase.test_result_exception_success
  check_success<true>(false);
  check_success<true>(true);
}

void check_one_exception(bool wrap) {
  // CPython: GatherTestsBase.test_one_exception
  EventLoop loop({.virtual_time = true});
  HandlerLog handler(loop);
  {
    std::vector<Future<int>> f;
    for (int i = 0; i < 5; ++i) f.push_back(loop.create_future<int>());
    auto fut = make_gather<false>(loop, wrap, f);
    int calls = 0;
    fut.add_done_callback([&](const auto&) { ++calls; });
    auto exc = std::make_exception_ptr(std::domain_error("division by zero"));
    f[0].set_result(1);
    f[1].set_exception(exc);
    run_loop(loop);
    EXPECT_TRUE(fut.done());
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(fut.exception() == exc);
    // Does nothing
    f[2].set_result(3);
    f[3].cancel();
    f[4].set_exception(std::runtime_error("rt"));
    (void)f[4].exception();
    run_loop(loop);
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(fut.exception() == exc);
  }
  run_loop(loop);
  EXPECT_EQ(handler.messages(), Log{});  // no "exception was never retrieved"
}

TEST(Gather, FirstExceptionCompletesTheGatherAndLaterOutcomesAreIgnored) {
  check_one_exception(false);
  check_one_exception(true);
}

void check_return_exceptions(bool wrap) {
  // CPython: GatherTestsBase.test_return_exceptions
  EventLoop loop({.virtual_time = true});
  std::vector<Future<int>> f;
  for (int i = 0; i < 4; ++i) f.push_back(loop.create_future<int>());
  auto fut = make_gather<true>(loop, wrap, f);
  int calls = 0;
  fut.add_done_callback([&](const auto&) { ++calls; });
  auto exc = std::make_exception_ptr(std::domain_error("division by zero"));
  auto exc2 = std::make_exception_ptr(std::runtime_error("rt"));
  f[1].set_result(1);
  f[2].set_exception(exc);
  f[0].set_result(3);
  run_loop(loop);
  EXPECT_FALSE(fut.done());
  f[3].set_exception(exc2);
  run_loop(loop);
  EXPECT_TRUE(fut.done());
  EXPECT_EQ(calls, 1);
  auto& r = fut.result();
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].value(), 3);
  EXPECT_EQ(r[1].value(), 1);
  EXPECT_FALSE(r[2].has_value());
  EXPECT_TRUE(r[2].exception() == exc);
  EXPECT_TRUE(r[3].exception() == exc2);
  EXPECT_THROW(r[3].value(), std::runtime_error);
}

TEST(Gather, ReturnExceptionsCollectsExceptionsInPlace) {
  check_return_exceptions(false);
  check_return_exceptions(true);
}

TEST(Gather, CancelledChildIsAnExceptionNotACancellationOfTheGather) {
  // CPython: FutureGatherTests.test_one_cancellation (R34)
  EventLoop loop({.virtual_time = true});
  std::vector<Future<int>> f;
  for (int i = 0; i < 5; ++i) f.push_back(loop.create_future<int>());
  auto fut = asyncio::gather(f);
  int calls = 0;
  fut.add_done_callback([&](const auto&) { ++calls; });
  f[0].set_result(1);
  f[1].cancel();
  run_loop(loop);
  EXPECT_TRUE(fut.done());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(fut.cancelled());
  EXPECT_TRUE(is_cancelled_error(fut.exception()));
  // Does nothing
  f[2].set_result(3);
  f[3].cancel();
  f[4].set_exception(std::runtime_error("rt"));
  (void)f[4].exception();
  run_loop(loop);
  EXPECT_EQ(calls, 1);
}

TEST(Gather, ReturnExceptionsReportsCancelledChildrenAsCancelledErrors) {
  // CPython: FutureGatherTests.test_result_exception_one_cancellation
  EventLoop loop({.virtual_time = true});
  std::vector<Future<int>> f;
  for (int i = 0; i < 6; ++i) f.push_back(loop.create_future<int>());
  auto fut = asyncio::gather(asyncio::return_exceptions, f);
  int calls = 0;
  fut.add_done_callback([&](const auto&) { ++calls; });
  f[0].set_result(1);
  auto zde = std::make_exception_ptr(std::domain_error("division by zero"));
  f[1].set_exception(zde);
  f[2].cancel();
  run_loop(loop);
  EXPECT_FALSE(fut.done());
  f[3].set_result(3);
  f[4].cancel();
  auto rte = std::make_exception_ptr(std::runtime_error("rt"));
  f[5].set_exception(rte);
  auto res = loop.run_until_complete(fut);
  ASSERT_EQ(res.size(), 6u);
  EXPECT_EQ(res[0].value(), 1);
  EXPECT_TRUE(res[1].exception() == zde);
  EXPECT_TRUE(is_cancelled_error(res[2].exception()));
  EXPECT_EQ(res[3].value(), 3);
  EXPECT_TRUE(is_cancelled_error(res[4].exception()));
  EXPECT_TRUE(res[5].exception() == rte);
  EXPECT_EQ(calls, 1);
}

// ---- CoroutineGatherTests -----------------------------------------------------------------

Coro<std::vector<std::string>> gather_same_task_twice(int* runs) {
  // Python gathers one coroutine object c as gather(c, c, coro('def'), c); a C++ Coro is
  // move-only, so the same object is a Task here.
  Task<std::string> c = asyncio::create_task(echo("abc", runs));
  auto t = co_await asyncio::gather(c, c, echo("def", runs), c);
  std::vector<Task<std::string>> twice{c, c};
  auto r = co_await asyncio::gather(twice);
  co_return std::vector<std::string>{std::get<0>(t), std::get<1>(t), std::get<2>(t),
                                     std::get<3>(t), r[0],           r[1]};
}

TEST(Gather, SameTaskTwiceIsAwaitedOnceAndItsResultRepeated) {
  // CPython: CoroutineGatherTests.test_duplicate_coroutines (R30)
  EventLoop loop({.virtual_time = true});
  int runs = 0;
  auto r = loop.run_until_complete(gather_same_task_twice(&runs));
  EXPECT_EQ(r, (std::vector<std::string>{"abc", "abc", "def", "abc", "abc", "abc"}));
  EXPECT_EQ(runs, 2);
}

struct BroadcastState {
  int proof = 0;
  Future<void> waiter;
  Task<void> child1, child2;
  Future<std::tuple<std::monostate, std::monostate>> gatherer;
};

Coro<void> broadcast_inner(BroadcastState& s) {
  co_await s.waiter;
  s.proof += 1;
}

Coro<void> broadcast_outer(BroadcastState& s) {
  s.gatherer = asyncio::gather(s.child1, s.child2);
  co_await s.gatherer;
  s.proof += 100;
}

TEST(Gather, CancellingTheAwaitingTaskCancelsEveryChild) {
  // CPython: CoroutineGatherTests.test_cancellation_broadcast
  EventLoop loop({.virtual_time = true});
  BroadcastState s;
  s.waiter = loop.create_future();
  s.child1 = loop.create_task(broadcast_inner(s));
  s.child2 = loop.create_task(broadcast_inner(s));
  Task<void> f = loop.create_task(broadcast_outer(s));
  run_briefly(loop);
  EXPECT_TRUE(f.cancel());
  EXPECT_THROW(loop.run_until_complete(f), CancelledError);
  EXPECT_FALSE(s.gatherer.cancel());
  EXPECT_TRUE(s.waiter.cancelled());
  EXPECT_TRUE(s.child1.cancelled());
  EXPECT_TRUE(s.child2.cancelled());
  run_briefly(loop);
  EXPECT_EQ(s.proof, 0);
}

Coro<void> raise_after(Future<void> f) {
  co_await f;
  throw std::runtime_error("should not be ignored");
}

Coro<void> gather_two_raisers(Future<void> a, Future<void> b) {
  co_await asyncio::gather(raise_after(a), raise_after(b));
}

TEST(Gather, LaterChildExceptionIsMarkedRetrieved) {
  // CPython: CoroutineGatherTests.test_exception_marking (R33): the second child's
  // exception, arriving after the gather is done, is never logged.
  EventLoop loop({.virtual_time = true});
  HandlerLog handler(loop);
  {
    auto a = loop.create_future(), b = loop.create_future();
    Task<void> f = loop.create_task(gather_two_raisers(a, b));
    run_briefly(loop);
    a.set_result();
    run_briefly(loop);
    b.set_result();
    run_briefly(loop);
    EXPECT_EQ(what_of<std::runtime_error>(f.exception()), "should not be ignored");
  }
  run_loop(loop);
  EXPECT_EQ(handler.messages(), Log{});
}

TEST(Gather, FuturesOfDifferentLoopsAreRefused) {
  // CPython: FutureGatherTests.test_constructor_heterogenous_futures (ValueError)
  EventLoop one({.virtual_time = true});
  EventLoop other({.virtual_time = true});
  auto f1 = one.create_future<int>();
  auto f2 = other.create_future<int>();
  EXPECT_THROW((void)asyncio::gather(f1, f2), std::invalid_argument);
  EXPECT_THROW((void)asyncio::gather(std::vector<Future<int>>{f1, f2}), std::invalid_argument);
  // Homogenous futures of another loop: the gather is bound to that loop.
  auto g = asyncio::gather(f2, f2);
  EXPECT_EQ(&g.get_loop(), &other);
}

// ---- empty gather (R31) -------------------------------------------------------------------

Coro<int> await_empty_gathers(Ticker& t) {
  int s = t.n;
  auto g = asyncio::gather();
  EXPECT_TRUE(g.done());
  std::tuple<> r = co_await g;
  (void)r;
  auto v = co_await asyncio::gather(std::vector<Coro<int>>{});
  EXPECT_TRUE(v.empty());
  co_return t.n - s;
}

TEST(Gather, EmptyGatherIsDoneAtOnce) {
  // CPython: test_constructor_empty_sequence_use_global_loop /
  // _use_running_loop (R31): a done future holding []; awaiting it takes 0 iterations.
  EventLoop loop({.virtual_time = true});
  {
    CurrentLoop current(loop);
    auto g = asyncio::gather();
    EXPECT_TRUE(g.done());
    EXPECT_EQ(&g.get_loop(), &loop);
    static_assert(std::is_same_v<decltype(g), Future<std::tuple<>>>);
    auto v = asyncio::gather(std::vector<Task<int>>{});
    EXPECT_TRUE(v.done());
    EXPECT_TRUE(v.result().empty());
    auto r = asyncio::gather(asyncio::return_exceptions, std::vector<Task<int>>{});
    EXPECT_TRUE(r.done());
  }
  Ticker t(loop);
  EXPECT_EQ(loop.run_until_complete(await_empty_gathers(t)), 0);
  t.stop();
}

// ---- cancellation (R36-R38) ---------------------------------------------------------------

Coro<void> cancel_gather_directly(Log& log) {
  auto g = asyncio::gather(normal("a1", 1, log), normal("a2", 1, log));
  co_await asyncio::sleep(0);
  bool ret = g.cancel("m");
  log.push_back(std::string("A: g.cancel('m') -> ") + (ret ? "True" : "False") +
                "; g.cancelled() right after = " + (g.cancelled() ? "True" : "False"));
  try {
    co_await g;
  } catch (const CancelledError& e) {
    log.push_back("A: await g raised CancelledError args=" + args_of(e) +
                  "; g.cancelled()=" + (g.cancelled() ? "True" : "False"));
  }
}

TEST(Gather, CancelCancelsEveryChildAndTheGatherRaisesTheMessage) {
  // docs/semantics.md e04 A (R36)
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(cancel_gather_directly(log));
  EXPECT_EQ(log, (Log{
                     "A: g.cancel('m') -> True; g.cancelled() right after = False",
                     "a1 cancelled args=('m',)",
                     "a2 cancelled args=('m',)",
                     "A: await g raised CancelledError args=('m',); g.cancelled()=False",
                 }));
}

Coro<void> children_ignore_cancel(Log& log) {
  auto g = asyncio::gather(asyncio::return_exceptions, stubborn("b1", 0.05, 1, log),
                           stubborn("b2", 0.05, 2, log));
  co_await asyncio::sleep(0.01);
  log.push_back(std::string("B: g.cancel() -> ") + (g.cancel() ? "True" : "False"));
  try {
    co_await g;
    log.push_back("B: result");
  } catch (const CancelledError& e) {
    log.push_back("B: CancelledError args=" + args_of(e) + " g.cancelled()=" +
                  (g.cancelled() ? "True" : "False") + " g.exception is CancelledError=" +
                  (is_cancelled_error(g.exception()) ? "True" : "False"));
  }
}

TEST(Gather, ChildrenIgnoringTheCancelStillEndTheGatherWithCancelledError) {
  // docs/semantics.md e04 B (R36, bpo-32684): even with return_exceptions and children that
  // finish normally, the gather ends with CancelledError; cancelled() stays false.
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(children_ignore_cancel(log));
  EXPECT_EQ(log, (Log{
                     "B: g.cancel() -> True",
                     "b1 got CancelledError() -> ignoring, sleeping again",
                     "b2 got CancelledError() -> ignoring, sleeping again",
                     "b1 returns 1",
                     "b2 returns 2",
                     // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one line, split
                     "B: CancelledError args=() g.cancelled()=False g.exception is "
                     "CancelledError=True",
                 }));
}

Coro<std::tuple<std::string, int>> gather_awaiter(Log& log) {
  try {
    co_return co_await asyncio::gather(normal("c1", 1, log), stubborn("c2", 0.05, 7, log));
  } catch (const CancelledError& e) {
    log.push_back("C: awaiter got CancelledError args=" + args_of(e));
    throw;
  }
}

Coro<void> cancel_the_awaiting_task(Log& log) {
  auto t = asyncio::create_task(gather_awaiter(log));
  co_await asyncio::sleep(0.01);
  t.cancel("stop");
  try {
    co_await t;
  } catch (const CancelledError& e) {
    log.push_back(std::string("C: t.cancelled()=") + (t.cancelled() ? "True" : "False") +
                  " args=" + args_of(e));
  }
}

TEST(Gather, CancellingTheAwaitingTaskForwardsTheMessage) {
  // docs/semantics.md e04 C: the first cancelled child's CancelledError('stop') reaches the task.
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(cancel_the_awaiting_task(log));
  EXPECT_EQ(log, (Log{
                     "c1 cancelled args=('stop',)",
                     "c2 got CancelledError('stop',) -> ignoring, sleeping again",
                     "C: awaiter got CancelledError args=('stop',)",
                     "C: t.cancelled()=True args=('stop',)",
                 }));
}

Coro<void> nested_cancel(Log& log) {
  auto inner = asyncio::gather(normal("d1", 1, log), normal("d2", 1, log));
  auto outer = asyncio::gather(inner, normal("d3", 1, log));
  co_await asyncio::sleep(0);
  log.push_back(std::string("D: outer.cancel() -> ") + (outer.cancel() ? "True" : "False"));
  try {
    co_await outer;
  } catch (const CancelledError&) {
    log.push_back(std::string("D: outer raised CancelledError; inner.done()=") +
                  (inner.done() ? "True" : "False") + " inner.exception is CancelledError=" +
                  (is_cancelled_error(inner.exception()) ? "True" : "False"));
  }
}

TEST(Gather, CancellingAnOuterGatherCancelsTheInnerGathersChildren) {
  // docs/semantics.md e04 D (R38)
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(nested_cancel(log));
  EXPECT_EQ(log, (Log{
                     "D: outer.cancel() -> True",
                     "d1 cancelled args=()",
                     "d2 cancelled args=()",
                     "d3 cancelled args=()",
                     // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one line, split
                     "D: outer raised CancelledError; inner.done()=True inner.exception is "
                     "CancelledError=True",
                 }));
}

Coro<void> gather_child_cancelled_by_someone_else(Log& log) {
  auto t = asyncio::create_task(normal("e1", 1, log));
  asyncio::get_running_loop().call_soon([t] { t.cancel(); });
  co_await asyncio::gather(t);
}

Coro<void> check_caller_cancelled(Log& log) {
  auto ct = asyncio::create_task(gather_child_cancelled_by_someone_else(log));
  co_await asyncio::sleep(0.01);
  log.push_back(std::string("E: caller task cancelled()=") + (ct.cancelled() ? "True" : "False") +
                " cancelling()=" + std::to_string(ct.cancelling()));
}

TEST(Gather, CancelledChildMakesTheUncancelledAwaitingTaskEndCancelled) {
  // docs/semantics.md e04 E (R34)
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(check_caller_cancelled(log));
  EXPECT_EQ(log, (Log{"e1 cancelled args=()", "E: caller task cancelled()=True cancelling()=0"}));
}

Coro<void> cancelled_child_in_results(Log& log) {
  auto t = asyncio::create_task(normal("g1", 1, log));
  co_await asyncio::sleep(0);
  t.cancel("bye");
  auto [r] = co_await asyncio::gather(asyncio::return_exceptions, t);
  EXPECT_FALSE(r.has_value());
  log.push_back("G: element is CancelledError=" +
                std::string(is_cancelled_error(r.exception()) ? "True" : "False") + " msg='" +
                what_of<CancelledError>(r.exception()) + "'");
  try {
    t.result();
  } catch (const CancelledError& e) {
    log.push_back("G: t.result() raises args=" + args_of(e));
  }
}

TEST(Gather, ReturnExceptionsTurnsACancelledTaskIntoAnEmptyCancelledError) {
  // docs/semantics.md e04 G (R35, R27): [CancelledError('')], while t.result() still gets 'bye'.
  EventLoop loop({.virtual_time = true});
  Log log;
  loop.run_until_complete(cancelled_child_in_results(log));
  EXPECT_EQ(log, (Log{"g1 cancelled args=('bye',)", "G: element is CancelledError=True msg=''",
                      "G: t.result() raises args=('bye',)"}));
}

Coro<Future<std::tuple<int>>> gather_of_child(Future<int> fut) {
  // The indirection fut -> child coroutine: the gather is not done with fut.
  co_return asyncio::gather(await_value(fut));
}

TEST(Gather, GatherWhoseChildrenAreDoneRefusesCancel) {
  // CPython: test_cancel_gather_1 (bpo-26923, R37)
  EventLoop loop({.virtual_time = true});
  auto fut = loop.create_future<int>();
  auto gather_future = loop.run_until_complete(gather_of_child(fut));
  int cancel_result = -1;
  fut.add_done_callback([&](const Future<int>&) { cancel_result = gather_future.cancel(); });
  fut.set_result(42);
  loop.run_until_complete(gather_future);
  EXPECT_EQ(cancel_result, 0);
  EXPECT_FALSE(gather_future.cancelled());
  EXPECT_EQ(std::get<0>(gather_future.result()), 42);
}

Coro<void> cancel_after_failure(Log& log) {
  auto g = asyncio::gather(worker("a", 0.01, false, log), worker("b", 0.02, true, log),
                           worker("c", 0.05, false, log), worker("d", 0.03, true, log));
  try {
    co_await g;
  } catch (const std::invalid_argument& e) {
    log.push_back(std::string("A: caught ValueError('") + e.what() +
                  "'); gather done=" + (g.done() ? "True" : "False") +
                  " cancelled=" + (g.cancelled() ? "True" : "False"));
  }
  log.push_back(std::string("A: g.cancel() after failure -> ") + (g.cancel() ? "True" : "False"));
  co_await asyncio::sleep(0.1);
  log.push_back("A: after sleep");
}

TEST(Gather, FirstErrorLeavesTheSiblingsRunningAndLaterErrorsUnlogged) {
  // docs/semantics.md e03 A (R33, R37): the first error completes the gather; the siblings go
  // on; cancel() is then refused; the later error is not "never retrieved".
  EventLoop loop({.virtual_time = true});
  HandlerLog handler(loop);
  Log log;
  loop.run_until_complete(cancel_after_failure(log));
  run_loop(loop);
  EXPECT_EQ(
      log,
      (Log{"a done", "b raising", "A: caught ValueError('b'); gather done=True cancelled=False",
           "A: g.cancel() after failure -> False", "d raising", "c done", "A: after sleep"}));
  EXPECT_EQ(handler.messages(), Log{});
}

Coro<void> gather_loop_then_cancelled() {
  double time = 0;
  for (;;) {
    time += 0.05;
    co_await asyncio::gather(asyncio::return_exceptions, asyncio::sleep(0.05));
    if (time > 1) co_return;
  }
}

Coro<void> cancel_task_inside_gather(std::string msg) {
  auto qwe = asyncio::create_task(gather_loop_then_cancelled());
  co_await asyncio::sleep(0.2);
  qwe.cancel(msg);
  co_await qwe;
}

TEST(Gather, CancelOfATaskInsideAReturnExceptionsGatherPropagatesItsMessage) {
  // CPython: test_cancel_gather_2
  for (std::string msg : {"", "my message"}) {
    EventLoop loop({.virtual_time = true});
    try {
      loop.run_until_complete(cancel_task_inside_gather(msg));
      ADD_FAILURE() << "gather() does not propagate CancelledError";
    } catch (const CancelledError& e) {
      EXPECT_EQ(e.message(), msg);
    }
  }
}

Coro<void> cancel_awaiter_when_children_done(Future<int> fut, Log& log) {
  try {
    auto [v] = co_await asyncio::gather(await_value(fut));
    log.push_back("got " + std::to_string(v));
  } catch (const CancelledError& e) {
    log.push_back("awaiter cancelled args=" + args_of(e));
    throw;
  }
}

TEST(Gather, AwaitingTaskCancelledAfterTheChildrenFinishedIsCancelledByItsOwnFlag) {
  // R37, second half: the gather refuses (its children are done), so the task's own
  // must-cancel flag delivers CancelledError when the gather's result wakes it.
  EventLoop loop({.virtual_time = true});
  Log log;
  auto fut = loop.create_future<int>();
  Task<void> t = loop.create_task(cancel_awaiter_when_children_done(fut, log));
  run_briefly(loop);
  bool cancel_ret = false;
  fut.add_done_callback([&](const Future<int>&) { cancel_ret = t.cancel("late"); });
  fut.set_result(42);
  EXPECT_THROW(loop.run_until_complete(t), CancelledError);
  EXPECT_TRUE(cancel_ret);
  EXPECT_TRUE(t.cancelled());
  EXPECT_EQ(log, (Log{"awaiter cancelled args=('late',)"}));
}

// ---- iteration counts (R39) ---------------------------------------------------------------

Coro<std::vector<int>> count_gather_iterations(Ticker& t) {
  EventLoop& loop = asyncio::get_running_loop();
  std::vector<int> out;
  // 1. gather of already-completed futures: done when returned, 0 iterations
  auto f1 = loop.create_future<int>(), f2 = loop.create_future<int>();
  f1.set_result(1);
  f2.set_result(2);
  int s = t.n;
  auto g = asyncio::gather(f1, f2);
  EXPECT_TRUE(g.done());
  auto [x1, x2] = co_await g;
  EXPECT_EQ(x1 + x2, 3);
  out.push_back(t.n - s);
  // 2. gather of coroutines that return immediately: 3
  s = t.n;
  auto [a, b, c] = co_await asyncio::gather(value(1), value(2), value(3));
  EXPECT_EQ(a + b + c, 6);
  out.push_back(t.n - s);
  // 3. gather of finished tasks: 0
  std::vector<Task<int>> ts{asyncio::create_task(value(0)), asyncio::create_task(value(1))};
  co_await asyncio::sleep(0);
  EXPECT_TRUE(ts[0].done() && ts[1].done());
  s = t.n;
  auto r = co_await asyncio::gather(ts);
  EXPECT_EQ(r, (std::vector<int>{0, 1}));
  out.push_back(t.n - s);
  // 4. empty gather: 0
  s = t.n;
  co_await asyncio::gather();
  out.push_back(t.n - s);
  // 5. a pending future completed by call_soon: done in k, gather done in k+1, resume k+2
  auto f3 = loop.create_future<int>();
  loop.call_soon([f3] { f3.set_result(3); });
  s = t.n;
  co_await asyncio::gather(f3);
  out.push_back(t.n - s);
  t.stop();
  co_return out;
}

TEST(Gather, IterationCountsMatchCPython) {
  // docs/semantics.md e02 (R39), 3.12+ column; item 5 checked separately on CPython 3.13.
  EventLoop loop({.virtual_time = true});
  Ticker t(loop);
  EXPECT_EQ(loop.run_until_complete(count_gather_iterations(t)), (std::vector<int>{0, 3, 0, 0, 3}));
}

// ---- C++ forms ------------------------------------------------------------------------------

Coro<int> square(int x) {
  co_await asyncio::sleep(0.01 * (6 - x));  // finish in reverse order
  const int sq = x * x;
  co_return sq;
}

/// A hand-written lazy input range: the coroutine square(i) is made when dereferenced.
struct LazySquares {
  struct iterator {
    using iterator_concept = std::input_iterator_tag;
    using value_type = Coro<int>;
    using difference_type = std::ptrdiff_t;
    int i = 0;
    Coro<int> operator*() const { return square(i); }
    iterator& operator++() {
      ++i;
      return *this;
    }
    void operator++(int) { ++i; }
    bool operator==(const iterator&) const = default;
  };
  int lo, hi;
  iterator begin() const { return {lo}; }
  iterator end() const { return {hi}; }
};
static_assert(std::ranges::input_range<LazySquares> && !std::ranges::sized_range<LazySquares>);

Coro<std::vector<int>> gather_lazy_range() {
  co_return co_await asyncio::gather(LazySquares{1, 6});
}

TEST(Gather, LazyRangesAreGatheredInOrder) {
  // Python: asyncio.gather(*(coro(i) for i in range(1, 6))) - "generators work too".
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(gather_lazy_range()), (std::vector<int>{1, 4, 9, 16, 25}));
}

// clang 14 cannot compile libstdc++ 12's range adaptors (iota_view has no usable begin()
// there), so the std::views form is checked by the compilers that can.
#if !defined(__clang__) || __clang_major__ >= 15
Coro<std::vector<int>> gather_lazy_view() {
  co_return co_await asyncio::gather(std::views::iota(1, 6) | std::views::transform(square));
}

Coro<std::vector<Result<int>>> gather_lazy_view_return_exceptions() {
  auto fail_on_3 = [](int x) -> Coro<int> {
    if (x == 3) throw std::invalid_argument("three");
    co_return x;
  };
  co_return co_await asyncio::gather(asyncio::return_exceptions,
                                     std::views::iota(1, 5) | std::views::transform(fail_on_3));
}

TEST(Gather, LazyViewsAreGatheredInOrder) {
  // The same with std::views::iota(1, 6) | std::views::transform(coro).
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(gather_lazy_view()), (std::vector<int>{1, 4, 9, 16, 25}));
  auto r = loop.run_until_complete(gather_lazy_view_return_exceptions());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].value(), 1);
  EXPECT_EQ(r[1].value(), 2);
  EXPECT_EQ(what_of<std::invalid_argument>(r[2].exception()), "three");
  EXPECT_EQ(r[3].value(), 4);
}
#endif

Coro<void> void_child(int& n) {
  co_await asyncio::sleep(0.01);
  ++n;
}

Coro<int> gather_void_children() {
  int n = 0;
  auto r = co_await asyncio::gather(void_child(n), value(5), asyncio::sleep(0.02), void_child(n));
  static_assert(
      std::is_same_v<decltype(r), std::tuple<std::monostate, int, std::monostate, std::monostate>>);
  std::vector<Coro<void>> v;
  v.push_back(void_child(n));
  v.push_back(void_child(n));
  auto rv = co_await asyncio::gather(std::move(v));
  static_assert(std::is_same_v<decltype(rv), std::vector<std::monostate>>);
  EXPECT_EQ(rv.size(), 2u);
  std::vector<Coro<void>> w;
  w.push_back(void_child(n));
  auto re = co_await asyncio::gather(asyncio::return_exceptions, std::move(w));
  EXPECT_TRUE(re.at(0).has_value());
  co_return n * 10 + std::get<1>(r);
}

TEST(Gather, VoidChildrenYieldMonostate) {
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(gather_void_children()), 55);
}

Coro<std::unique_ptr<int>> boxed(int x) {
  co_await asyncio::sleep(0.01);
  co_return std::make_unique<int>(x);
}

Coro<int> gather_move_only() {
  auto [a, b] = co_await asyncio::gather(boxed(1), boxed(2));
  std::vector<Coro<std::unique_ptr<int>>> v;
  v.push_back(boxed(3));
  v.push_back(boxed(4));
  auto r = co_await asyncio::gather(std::move(v));
  std::vector<Coro<std::unique_ptr<int>>> w;
  w.push_back(boxed(5));
  auto re = co_await asyncio::gather(asyncio::return_exceptions, std::move(w));
  std::unique_ptr<int> five = std::move(re[0]).value();
  co_return *a + *b + *r[0] + *r[1] + *five;
}

TEST(Gather, MoveOnlyResultsAreMovedOut) {
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(gather_move_only()), 15);
}

Coro<std::string> tagged(std::string tag, double delay, Log& log) {
  log.push_back("> " + tag);
  co_await asyncio::sleep(delay);
  log.push_back("< " + tag);
  co_return tag;
}

TEST(Gather, GatherBuiltBeforeTheLoopRunsUsesTheCurrentLoop) {
  // The seed's module-level program: gather() before run_until_complete, on
  // get_event_loop(); the children start in argument order at the first iteration.
  EventLoop loop({.virtual_time = true});
  CurrentLoop current(loop);
  Log log;
  auto group1 = asyncio::gather(tagged("1.1", 0.3, log), tagged("1.2", 0.1, log));
  auto group2 = asyncio::gather(tagged("2.1", 0.2, log));
  EXPECT_EQ(&group1.get_loop(), &loop);
  auto all = asyncio::gather(group1, group2);
  EXPECT_TRUE(log.empty());
  auto [r1, r2] = loop.run_until_complete(all);
  loop.close();
  EXPECT_EQ(std::get<0>(r1), "1.1");
  EXPECT_EQ(std::get<1>(r1), "1.2");
  EXPECT_EQ(std::get<0>(r2), "2.1");
  EXPECT_EQ(log, (Log{"> 1.1", "> 1.2", "> 2.1", "< 1.2", "< 2.1", "< 1.1"}));
  EXPECT_EQ(loop.time(), 0.3);
}

Coro<int> hold(Lifetime, Future<void> never) {
  co_await never;
  co_return 1;
}

TEST(Gather, ClosingTheLoopWithAPendingGatherLeaksNothing) {
  const int before = Lifetime::live;
  {
    EventLoop loop({.virtual_time = true});
    CurrentLoop current(loop);  // the gathers are made outside the loop, on this one
    auto never = loop.create_future();
    auto inner = asyncio::gather(hold(Lifetime{}, never), hold(Lifetime{}, never));
    auto g = asyncio::gather(inner, hold(Lifetime{}, never), asyncio::sleep(10));
    EXPECT_EQ(&g.get_loop(), &loop);
    loop.run_until_complete(asyncio::sleep(1));
    EXPECT_EQ(Lifetime::live, before + 3);
    EXPECT_FALSE(g.done());
    loop.close();
    EXPECT_FALSE(g.done());
  }
  EXPECT_EQ(Lifetime::live, before);
  {
    // Same, with the gather handles dropped before close().
    EventLoop loop({.virtual_time = true});
    CurrentLoop current(loop);
    auto never = loop.create_future();
    {
      auto g = asyncio::gather(asyncio::return_exceptions, hold(Lifetime{}, never),
                               hold(Lifetime{}, never));
      loop.run_until_complete(asyncio::sleep(1));
    }
    EXPECT_EQ(Lifetime::live, before + 2);
    loop.close();
    EXPECT_EQ(Lifetime::live, before);
  }
}

}  // namespace
