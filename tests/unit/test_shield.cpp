// Unit tests for asyncio/shield.hpp: `shield(aw)` (R54): the returned future follows `aw`
// but cancelling it (typically by cancelling the task awaiting it) does not reach `aw`;
// `aw` cancelled by someone else cancels the shield; a done `aw` is returned as is.
// Every expected value was checked against CPython 3.13.0 (same scenario on
// tests/conformance/vtloop.py); ported CPython tests (test_tasks.py) are named in a comment.

#include "asyncio/shield.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <exception>
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
#include "support.hpp"

namespace {

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Task;
using asyncio_test::HandlerLog;
using asyncio_test::run_briefly;
using asyncio_test::Ticker;

// ---- ported from test_tasks.py --------------------------------------------------------

TEST(Shield, FollowsTheResult) {
  // CPython: test_shield_result
  EventLoop loop({.virtual_time = true});
  Future<int> inner = loop.create_future<int>();
  Future<int> outer = asyncio::shield(inner);
  inner.set_result(42);
  EXPECT_EQ(loop.run_until_complete(outer), 42);
}

TEST(Shield, FollowsTheException) {
  // CPython: test_shield_exception (the same exception object)
  EventLoop loop({.virtual_time = true});
  Future<int> inner = loop.create_future<int>();
  Future<int> outer = asyncio::shield(inner);
  run_briefly(loop);
  auto exc = std::make_exception_ptr(std::runtime_error("expected"));
  inner.set_exception(exc);
  run_briefly(loop);
  EXPECT_EQ(outer.exception(), exc);
}

TEST(Shield, CancellingTheInnerCancelsTheOuter) {
  // CPython: test_shield_cancel_inner
  EventLoop loop({.virtual_time = true});
  Future<int> inner = loop.create_future<int>();
  Future<int> outer = asyncio::shield(inner);
  run_briefly(loop);
  inner.cancel();
  run_briefly(loop);
  EXPECT_TRUE(outer.cancelled());
}

TEST(Shield, CancellingTheOuterLeavesTheInnerAlone) {
  // CPython: test_shield_cancel_outer (no callbacks left on outer; inner's callback gone)
  EventLoop loop({.virtual_time = true});
  Future<int> inner = loop.create_future<int>();
  Future<int> outer = asyncio::shield(inner);
  run_briefly(loop);
  outer.cancel();
  run_briefly(loop);
  EXPECT_TRUE(outer.cancelled());
  EXPECT_FALSE(inner.cancelled());
  EXPECT_EQ(outer.state_ptr()->callbacks_.size(), 0u);
  EXPECT_EQ(inner.state_ptr()->callbacks_.size(), 0u);
  inner.set_result(1);
  run_briefly(loop);
  EXPECT_EQ(inner.result(), 1);
}

TEST(Shield, ADoneInputIsReturnedAsIs) {
  // CPython: test_shield_shortcut (and R54: the same object)
  EventLoop loop({.virtual_time = true});
  Future<int> fut = loop.create_future<int>();
  fut.set_result(42);
  Future<int> s = asyncio::shield(fut);
  EXPECT_EQ(s.state_ptr(), fut.state_ptr());
  EXPECT_EQ(loop.run_until_complete(s), 42);
}

TEST(Shield, CancellingTheAwaitingTaskDoesNotCancelTheShieldedCoroutine) {
  // CPython: test_shield_effect
  EventLoop loop({.virtual_time = true});
  int proof = 0;
  Future<void> waiter = loop.create_future<void>();
  auto inner = [&]() -> Coro<void> {
    co_await waiter;
    proof += 1;
  };
  auto outer = [&]() -> Coro<void> {
    co_await asyncio::shield(inner());
    proof += 100;
  };
  Task<void> f = loop.create_task(outer());
  run_briefly(loop);
  f.cancel();
  EXPECT_THROW(loop.run_until_complete(f), CancelledError);
  EXPECT_TRUE(f.cancelled());
  waiter.set_result();
  run_briefly(loop);
  EXPECT_EQ(proof, 1);
}

TEST(Shield, CancellingAShieldedGatherLeavesTheGatherRunning) {
  // CPython: test_shield_gather
  EventLoop loop({.virtual_time = true});
  Future<int> child1 = loop.create_future<int>();
  Future<int> child2 = loop.create_future<int>();
  auto parent = asyncio::gather(child1, child2);
  auto outer = asyncio::shield(parent);
  run_briefly(loop);
  outer.cancel();
  run_briefly(loop);
  EXPECT_TRUE(outer.cancelled());
  child1.set_result(1);
  child2.set_result(2);
  run_briefly(loop);
  EXPECT_EQ(parent.result(), std::make_tuple(1, 2));
}

TEST(Shield, CancellingAGatherOfShieldsCancelsTheShieldsOnly) {
  // CPython: test_gather_shield
  EventLoop loop({.virtual_time = true});
  Future<int> child1 = loop.create_future<int>();
  Future<int> child2 = loop.create_future<int>();
  Future<int> inner1 = asyncio::shield(child1);
  Future<int> inner2 = asyncio::shield(child2);
  auto parent = asyncio::gather(inner1, inner2);
  run_briefly(loop);
  parent.cancel();
  // This should cancel inner1 and inner2 but not child1 and child2.
  run_briefly(loop);
  EXPECT_TRUE(asyncio::detail::is_cancelled_error(parent.exception()));
  EXPECT_TRUE(inner1.cancelled());
  EXPECT_TRUE(inner2.cancelled());
  EXPECT_FALSE(child1.cancelled());
  EXPECT_FALSE(child2.cancelled());
  child1.set_result(1);
  child2.set_result(2);
  run_briefly(loop);
}

Coro<int> forty_two() { co_return 42; }

TEST(Shield, ACoroutineBecomesATaskOnTheRunningLoop) {
  // CPython: test_shield_coroutine_use_running_loop
  EventLoop loop({.virtual_time = true});
  auto test = []() -> Coro<Future<int>> { co_return asyncio::shield(forty_two()); };
  Future<int> outer = loop.run_until_complete(test());
  EXPECT_EQ(&outer.get_loop(), &loop);
  EXPECT_EQ(loop.run_until_complete(outer), 42);
}

TEST(Shield, ACoroutineUsesTheCurrentLoopOutsideARunningOne) {
  // CPython: test_shield_coroutine_use_global_loop
  EventLoop loop({.virtual_time = true});
  asyncio::set_event_loop(&loop);
  Future<int> outer = asyncio::shield(forty_two());
  asyncio::set_event_loop(nullptr);
  EXPECT_EQ(&outer.get_loop(), &loop);
  EXPECT_EQ(loop.run_until_complete(outer), 42);
}

// ---- R54 and beyond -------------------------------------------------------------------

TEST(Shield, AnImmediateCoroutineTakesThreeIterations) {
  // R39: `await shield(coro)` of an immediate coroutine: task step, inner callback, outer
  // wake-up (one more than awaiting a task directly).
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<int> {
    Ticker ticker(loop);
    int r = co_await asyncio::shield(forty_two());
    EXPECT_EQ(ticker.n, 3);
    ticker.stop();
    co_return r;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 42);
}

TEST(Shield, InnerCancelledByItsOwnerRaisesCancelledErrorInTheAwaitingTask) {
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Ticker ticker(loop);
    Future<int> inner = loop.create_future<int>();
    loop.call_soon([inner] { inner.cancel(); });
    EXPECT_THROW(co_await asyncio::shield(inner), CancelledError);
    EXPECT_EQ(ticker.n, 3);
    EXPECT_FALSE(asyncio::current_task().cancelling());
    ticker.stop();
  };
  loop.run_until_complete(main());
}

Coro<std::string> work() {
  co_await asyncio::sleep(1);
  co_return "w";
}

TEST(Shield, TheAwaitingTaskIsCancelledTheWorkCompletesLater) {
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<void> {
    Task<std::string> t = asyncio::create_task(work());
    auto waiter = [&]() -> Coro<std::string> { co_return co_await asyncio::shield(t); };
    Task<std::string> wt = asyncio::create_task(waiter());
    co_await asyncio::sleep(0.5);
    wt.cancel();
    EXPECT_THROW(co_await wt, CancelledError);
    EXPECT_DOUBLE_EQ(loop.time(), 0.5);
    EXPECT_FALSE(t.done());
    EXPECT_TRUE(wt.cancelled());
    EXPECT_EQ(co_await t, "w");
  };
  loop.run_until_complete(main());
  EXPECT_DOUBLE_EQ(loop.time(), 1.0);
}

TEST(Shield, AnExceptionOfTheInnerAfterTheOuterWasCancelledIsTheInnersToReport) {
  // 3.13 (before 3.14's "exception in shielded future" log): once the outer's callback
  // has detached from the inner, the inner is an ordinary failed future, and it logs
  // "Future exception was never retrieved" when nobody looked (checked on 3.13.0).
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> inner = loop.create_future<int>();
    Future<int> outer = asyncio::shield(inner);
    run_briefly(loop);
    outer.cancel();
    run_briefly(loop);
    inner.set_exception(std::make_exception_ptr(std::invalid_argument("x")));
    run_briefly(loop);
  }
  EXPECT_EQ(log.messages(), std::vector<std::string>{"Future exception was never retrieved"});
}

TEST(Shield, AnInnerFailingBeforeTheOuterCallbackRanIsMarkedRetrieved) {
  // CPython `_inner_done_callback`: outer already cancelled -> inner.exception() marks it.
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> inner = loop.create_future<int>();
    Future<int> outer = asyncio::shield(inner);
    outer.cancel();  // _outer_done_callback queued
    inner.set_exception(std::make_exception_ptr(std::invalid_argument("x")));
    // _outer_done_callback runs first (inner already done: keeps the callback), then
    // _inner_done_callback sees outer cancelled and retrieves the exception.
    run_briefly(loop);
  }
  EXPECT_TRUE(log.messages().empty());
}

TEST(Shield, RepeatedShieldAndCancelLeavesNoCallbacksBehind) {
  // gh-79306 (bpo-35125): shielding the same future many times, each cancelled.
  EventLoop loop({.virtual_time = true});
  Future<int> inner = loop.create_future<int>();
  for (int i = 0; i < 100; ++i) {
    Future<int> outer = asyncio::shield(inner);
    outer.cancel();
  }
  run_briefly(loop);
  EXPECT_EQ(inner.state_ptr()->callbacks_.size(), 0u);
  inner.set_result(5);
  run_briefly(loop);
}

TEST(Shield, PassesVoidAndMoveOnlyResults) {
  EventLoop loop({.virtual_time = true});
  auto main = []() -> Coro<int> {
    co_await asyncio::shield(asyncio::sleep(0.1));
    auto mk = []() -> Coro<std::unique_ptr<int>> { co_return std::make_unique<int>(9); };
    Future<std::unique_ptr<int>> f = asyncio::shield(mk());
    std::unique_ptr<int> p = co_await std::move(f);
    co_return *p;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 9);
}

}  // namespace
