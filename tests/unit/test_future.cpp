// Unit tests for asyncio/future.hpp: the Future state machine (R9), done callbacks (R10),
// "exception was never retrieved" (R12), cancel messages (R13), awaiting (R14, R19).
// Every expected value was checked against CPython 3.13 (tests/conformance/vtloop.py for the loop).

#include "asyncio/future.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "support.hpp"

namespace {

using asyncio::AnyFuture;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::InvalidStateError;
using asyncio_test::HandlerLog;
using asyncio_test::Ticker;

/// Runs exactly one loop iteration (CPython: test_utils.run_briefly is close to this).
void run_one_iteration(EventLoop& loop) {
  loop.call_soon([&loop] { loop.stop(); });
  loop.run_forever();
}

template <class E>
std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const E& x) {
    return x.what();
  }
}

TEST(Future, InitialStateIsPendingAndCancelMakesItCancelled) {
  // CPython: test_futures.py::test_initial_state
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  EXPECT_TRUE(f.valid());
  EXPECT_FALSE(f.cancelled());
  EXPECT_FALSE(f.done());
  f.cancel();
  EXPECT_TRUE(f.cancelled());
}

TEST(Future, CancelledFutureRaisesCancelledErrorAndRefusesResults) {
  // CPython: test_futures.py::test_cancel
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(f.cancelled());
  EXPECT_TRUE(f.done());
  EXPECT_THROW(f.result(), CancelledError);
  EXPECT_THROW(f.exception(), CancelledError);
  EXPECT_THROW(f.set_result(1), InvalidStateError);
  EXPECT_THROW(f.set_exception(std::runtime_error("x")), InvalidStateError);
  EXPECT_FALSE(f.cancel());
}

TEST(Future, ResultIsRefusedUntilSetAndSetResultWorksOnce) {
  // CPython: test_futures.py::test_result; messages of the C Future (3.13).
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  try {
    f.result();
    FAIL() << "expected InvalidStateError";
  } catch (const InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Result is not set.");
  }
  f.set_result(42);
  EXPECT_FALSE(f.cancelled());
  EXPECT_TRUE(f.done());
  EXPECT_EQ(f.result(), 42);
  EXPECT_EQ(f.exception(), nullptr);
  try {
    f.set_result(1);
    FAIL() << "expected InvalidStateError";
  } catch (const InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "invalid state");
  }
  EXPECT_THROW(f.set_exception(std::runtime_error("x")), InvalidStateError);
  EXPECT_FALSE(f.cancel());
  EXPECT_EQ(f.result(), 42);
}

TEST(Future, ExceptionIsRefusedUntilSetAndSetExceptionWorksOnce) {
  // CPython: test_futures.py::test_exception
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  try {
    f.exception();
    FAIL() << "expected InvalidStateError";
  } catch (const InvalidStateError& e) {
    EXPECT_STREQ(e.what(), "Exception is not set.");
  }
  auto exc = std::make_exception_ptr(std::runtime_error("boom"));
  f.set_exception(exc);
  EXPECT_FALSE(f.cancelled());
  EXPECT_TRUE(f.done());
  EXPECT_THROW(f.result(), std::runtime_error);
  EXPECT_EQ(f.exception(), exc);
  EXPECT_THROW(f.set_result(1), InvalidStateError);
  EXPECT_THROW(f.set_exception(exc), InvalidStateError);
  EXPECT_FALSE(f.cancel());
}

TEST(Future, SetExceptionAcceptsAnExceptionObject) {
  // CPython: test_futures.py::test_exception_class (the C++ form: an object, not a ptr).
  EventLoop loop({.virtual_time = true});
  Future<void> f = loop.create_future();
  f.set_exception(std::out_of_range("range"));
  EXPECT_EQ(what_of<std::out_of_range>(f.exception()), "range");
}

TEST(Future, CancelMessageIsCarriedByEveryCancelledError) {
  // CPython: test_futures.py::test_future_cancel_message_getter. For a plain future the
  // message stays: result() twice and exception() all give CancelledError('msg').
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  EXPECT_TRUE(f.cancel("msg"));
  EXPECT_FALSE(f.cancel("other"));
  for (int i = 0; i < 2; ++i) {
    try {
      f.result();
      FAIL();
    } catch (const CancelledError& e) {
      EXPECT_STREQ(e.what(), "msg");
    }
  }
  EXPECT_EQ(what_of<CancelledError>([&] {
              try {
                f.exception();
              } catch (...) {
                return std::current_exception();
              }
              return std::exception_ptr();
            }()),
            "msg");
  try {
    loop.run_until_complete(f);
    FAIL();
  } catch (const CancelledError& e) {
    EXPECT_STREQ(e.what(), "msg");
  }
}

TEST(Future, CopiesShareOneState) {
  EventLoop loop({.virtual_time = true});
  Future<int> a = loop.create_future<int>();
  Future<int> b = a;  // NOLINT(performance-unnecessary-copy-initialization): under test
  b.set_result(3);
  EXPECT_TRUE(a.done());
  EXPECT_EQ(a.result(), 3);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(&a.get_loop(), &loop);
}

TEST(Future, DefaultConstructedHandleIsEmpty) {
  Future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_THROW(f.done(), InvalidStateError);
}

TEST(Future, CallbacksRunOnlyAfterAnIterationInRegistrationOrder) {
  // CPython: test_futures.py::test_callbacks_invoked_on_set_result
  EventLoop loop({.virtual_time = true});
  std::vector<int> bag;
  Future<std::string> f = loop.create_future<std::string>();
  f.add_done_callback([&](const Future<std::string>&) { bag.push_back(42); });
  f.add_done_callback([&](const Future<std::string>&) { bag.push_back(17); });
  EXPECT_TRUE(bag.empty());
  f.set_result("foo");
  EXPECT_TRUE(bag.empty());  // never called synchronously (R10)
  run_one_iteration(loop);
  EXPECT_EQ(bag, (std::vector<int>{42, 17}));
  EXPECT_EQ(f.result(), "foo");
}

TEST(Future, CallbacksRunAfterSetException) {
  // CPython: test_futures.py::test_callbacks_invoked_on_set_exception
  EventLoop loop({.virtual_time = true});
  std::vector<int> bag;
  Future<int> f = loop.create_future<int>();
  f.add_done_callback([&](const Future<int>&) { bag.push_back(100); });
  EXPECT_TRUE(bag.empty());
  auto exc = std::make_exception_ptr(std::runtime_error("x"));
  f.set_exception(exc);
  EXPECT_TRUE(bag.empty());
  run_one_iteration(loop);
  EXPECT_EQ(bag, std::vector<int>{100});
  EXPECT_EQ(f.exception(), exc);
}

TEST(Future, CallbackReceivesTheCompletedFuture) {
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  int seen = 0;
  f.add_done_callback([&](const Future<int>& g) {
    EXPECT_TRUE(g == f);
    seen = g.result();
  });
  f.set_result(5);
  run_one_iteration(loop);
  EXPECT_EQ(seen, 5);
}

TEST(Future, CallbackAddedToADoneFutureIsScheduledNotCalled) {
  // CPython (docs/semantics.md e14 B): add_done_callback on a done future goes through call_soon.
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  f.set_result(1);
  bool ran = false;
  f.add_done_callback([&](const Future<int>&) { ran = true; });
  EXPECT_FALSE(ran);
  run_one_iteration(loop);
  EXPECT_TRUE(ran);
}

struct AppendTo {
  std::vector<int>* bag;
  int value;
  void operator()(const Future<std::string>&) const { bag->push_back(value); }
  bool operator==(const AppendTo& o) const { return bag == o.bag && value == o.value; }
};

TEST(Future, RemoveDoneCallbackRemovesEveryEqualEntryAndCountsThem) {
  // CPython: test_futures.py::test_remove_done_callback
  EventLoop loop({.virtual_time = true});
  std::vector<int> bag;
  Future<std::string> f = loop.create_future<std::string>();
  AppendTo cb1{&bag, 1}, cb2{&bag, 2}, cb3{&bag, 3};
  f.add_done_callback(cb1);
  f.add_done_callback(cb2);
  EXPECT_EQ(f.remove_done_callback(cb2), 1u);
  EXPECT_EQ(f.remove_done_callback(cb3), 0u);
  f.add_done_callback(cb2);
  for (int i = 0; i < 5; ++i) f.add_done_callback(cb1);
  EXPECT_EQ(f.remove_done_callback(cb1), 6u);
  EXPECT_TRUE(bag.empty());
  f.set_result("foo");
  run_one_iteration(loop);
  EXPECT_EQ(bag, std::vector<int>{2});
  EXPECT_EQ(f.result(), "foo");
}

TEST(Future, RemovingCallbacksFromACallbackAfterCompletionRemovesNothing) {
  // CPython: test_futures.py::test_schedule_callbacks_list_mutation_1 (bpo-28963): once
  // the future is done its callbacks are already scheduled; removing them is a no-op.
  EventLoop loop({.virtual_time = true});
  std::vector<int> bag;
  std::size_t removed = 99;
  Future<std::string> f = loop.create_future<std::string>();
  AppendTo s{&bag, 7};
  f.add_done_callback([&](const Future<std::string>& g) { removed = g.remove_done_callback(s); });
  f.add_done_callback(s);
  f.add_done_callback(s);
  f.set_result("x");
  run_one_iteration(loop);
  EXPECT_EQ(removed, 0u);
  EXPECT_EQ(bag, (std::vector<int>{7, 7}));
}

TEST(Future, ExceptionEscapingADoneCallbackGoesToTheHandlerAndTheLoopContinues) {
  // CPython (docs/semantics.md e14 F): message "Exception in callback ...", next callback runs.
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  bool next_ran = false;
  Future<void> f = loop.create_future();
  f.add_done_callback([](const Future<void>&) { throw std::domain_error("division by zero"); });
  f.add_done_callback([&](const Future<void>&) { next_ran = true; });
  f.set_result();
  loop.run_until_complete(asyncio::sleep(0));
  EXPECT_TRUE(next_ran);
  ASSERT_EQ(log.contexts.size(), 1u);
  EXPECT_EQ(log.contexts[0].message.rfind("Exception in callback", 0), 0u)
      << log.contexts[0].message;
  EXPECT_EQ(what_of<std::domain_error>(log.contexts[0].exception), "division by zero");
}

TEST(Future, UnretrievedExceptionIsLoggedWhenTheLastHandleGoes) {
  // CPython: test_futures.py::test_tb_logger_exception_unretrieved (R12).
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> f = loop.create_future<int>();
    f.set_exception(std::runtime_error("boom"));
  }
  ASSERT_EQ(log.contexts.size(), 1u);
  EXPECT_EQ(log.contexts[0].message, "Future exception was never retrieved");
  EXPECT_EQ(what_of<std::runtime_error>(log.contexts[0].exception), "boom");
}

TEST(Future, ExceptionRetrievedThroughExceptionIsNotLogged) {
  // CPython: test_futures.py::test_tb_logger_exception_retrieved
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> f = loop.create_future<int>();
    f.set_exception(std::runtime_error("boom"));
    EXPECT_NE(f.exception(), nullptr);
  }
  EXPECT_TRUE(log.contexts.empty());
}

TEST(Future, ExceptionRetrievedThroughResultIsNotLogged) {
  // CPython: test_futures.py::test_tb_logger_exception_result_retrieved
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> f = loop.create_future<int>();
    f.set_exception(std::runtime_error("boom"));
    EXPECT_THROW(f.result(), std::runtime_error);
  }
  EXPECT_TRUE(log.contexts.empty());
}

TEST(Future, CancelAfterFailureSilencesTheNeverRetrievedLog) {
  // CPython Future.cancel() clears __log_traceback before checking the state (R12).
  EventLoop loop({.virtual_time = true});
  HandlerLog log(loop);
  {
    Future<int> f = loop.create_future<int>();
    f.set_exception(std::runtime_error("boom"));
    EXPECT_FALSE(f.cancel());
  }
  EXPECT_TRUE(log.contexts.empty());
}

TEST(Future, AwaitingADoneFutureDoesNotSuspend) {
  // CPython: test_futures.py::test_yield_from_twice and R14 (0 iterations, twice).
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::string> {
    Ticker t(loop);
    Future<int> f = loop.create_future<int>();
    f.set_result(42);
    int x = co_await f;
    int y = co_await f;
    t.stop();
    co_return std::to_string(x) + "," + std::to_string(y) + " @" + std::to_string(t.n);
  };
  EXPECT_EQ(loop.run_until_complete(main()), "42,42 @0");
}

TEST(Future, TaskAwaitingAPendingFutureResumesOneIterationAfterItCompletes) {
  // CPython (docs/semantics.md e01, R14/R18): set in iteration 1 → resumed @2.
  EventLoop loop({.virtual_time = true});
  auto main = [&]() -> Coro<std::string> {
    Ticker t(loop);
    Future<int> g = loop.create_future<int>();
    loop.call_soon([g] { g.set_result(7); });
    int v = co_await g;
    t.stop();
    co_return std::to_string(v) + " @" + std::to_string(t.n);
  };
  EXPECT_EQ(loop.run_until_complete(main()), "7 @2");
}

TEST(Future, WaitersResumeInRegistrationOrderInterleavedWithCallbacks) {
  // CPython (docs/semantics.md e14 A, R19); checked with CPython 3.13:
  // ['cb-before-park', 'waiter 3', 'waiter 1', 'waiter 2', 'cb-after'].
  EventLoop loop({.virtual_time = true});
  std::vector<std::string> log;
  auto waiter = [&](Future<void> f, int n) -> Coro<void> {
    co_await f;
    log.push_back("waiter " + std::to_string(n));
  };
  auto main = [&]() -> Coro<void> {
    Future<void> f = loop.create_future();
    std::vector<asyncio::Task<void>> ts;
    for (int n : {3, 1, 2}) ts.push_back(loop.create_task(waiter(f, n)));
    f.add_done_callback([&](const Future<void>&) { log.push_back("cb-before-park"); });
    co_await asyncio::sleep(0);
    f.add_done_callback([&](const Future<void>&) { log.push_back("cb-after"); });
    f.set_result();
    for (auto& t : ts) co_await t;
  };
  loop.run_until_complete(main());
  EXPECT_EQ(log, (std::vector<std::string>{"cb-before-park", "waiter 3", "waiter 1", "waiter 2",
                                           "cb-after"}));
}

TEST(Future, AwaitingAFailedFutureRethrowsItsException) {
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  auto main = [&]() -> Coro<std::string> {
    try {
      co_await f;
    } catch (const std::logic_error& e) {
      co_return e.what();
    }
    co_return "no error";
  };
  loop.call_soon([&] { f.set_exception(std::logic_error("bad")); });
  EXPECT_EQ(loop.run_until_complete(main()), "bad");
}

TEST(Future, VoidFutureCompletesWithoutValue) {
  EventLoop loop({.virtual_time = true});
  Future<void> f = loop.create_future();
  loop.call_soon([&] { f.set_result(); });
  auto main = [&]() -> Coro<int> {
    co_await f;
    co_return 1;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 1);
  EXPECT_NO_THROW(f.result());
}

TEST(Future, MoveOnlyResultCanBeAwaitedByReference) {
  EventLoop loop({.virtual_time = true});
  Future<std::unique_ptr<int>> f = loop.create_future<std::unique_ptr<int>>();
  loop.call_soon([&] { f.set_result(std::make_unique<int>(11)); });
  auto main = [&]() -> Coro<int> {
    std::unique_ptr<int>& p = co_await f;
    co_return *p;
  };
  EXPECT_EQ(loop.run_until_complete(main()), 11);
  ASSERT_TRUE(f.result());
  EXPECT_EQ(*f.result(), 11);
}

TEST(Future, RunUntilCompleteOfADoneFutureReturnsItsResult) {
  // CPython (docs/semantics.md e16): "done future -> 3".
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  f.set_result(3);
  EXPECT_EQ(loop.run_until_complete(f), 3);
}

TEST(Future, RunUntilCompleteOfAFailedFutureRethrows) {
  EventLoop loop({.virtual_time = true});
  Future<int> f = loop.create_future<int>();
  loop.call_later(1.0, [&] { f.set_exception(std::runtime_error("late")); });
  EXPECT_THROW(loop.run_until_complete(f), std::runtime_error);
  EXPECT_DOUBLE_EQ(loop.time(), 1.0);
}

TEST(AnyFuture, ErasesTheResultTypeButKeepsStateAndCallbacks) {
  EventLoop loop({.virtual_time = true});
  Future<std::string> f = loop.create_future<std::string>();
  AnyFuture any = f;  // NOLINT(performance-unnecessary-copy-initialization): under test
  EXPECT_FALSE(any.done());
  int calls = 0;
  any.add_done_callback([&](const AnyFuture& g) {
    ++calls;
    EXPECT_TRUE(g.cancelled());
  });
  EXPECT_TRUE(any.cancel("why"));
  EXPECT_TRUE(f.cancelled());
  EXPECT_THROW(any.check(), CancelledError);
  run_one_iteration(loop);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(&any.get_loop(), &loop);
  EXPECT_TRUE(any == AnyFuture(f));
  EXPECT_EQ(std::hash<AnyFuture>{}(any), std::hash<AnyFuture>{}(AnyFuture(f)));
}

}  // namespace
