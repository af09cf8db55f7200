// Unit tests for asyncio/wait.hpp: return_when modes (R41), the done/pending partition
// (R42), timeouts (R43), cancelling the waiting task (R44), and the pending-set chain that
// makes `while pending: wait(pending, FIRST_COMPLETED)` cheap (R45).
// Every expected value was checked against CPython 3.13 (the same scenario run on
// tests/conformance/vtloop.py); ported CPython tests are named in a comment. CPython
// returns sets: where the C++ order is asserted, it is the input order (API.md).

#include "asyncio/wait.hpp"  // first: the header under test stands alone

// Then GoogleTest, the standard library and the rest of asyncio.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/future.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/task.hpp"
#include "support.hpp"

namespace {

using asyncio::ALL_COMPLETED;
using asyncio::AnyFuture;
using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::FIRST_COMPLETED;
using asyncio::FIRST_EXCEPTION;
using asyncio::Future;
using asyncio::Task;
using asyncio::WaitSet;
using asyncio_test::nothing;
using asyncio_test::run_briefly;
using asyncio_test::Ticker;

/// A vector of the arguments. (GCC 12 miscompiles braced lists held across a co_await:
/// "array used as initializer".)
template <class T, class... U>
std::vector<T> vec(T first, U... rest) {
  return std::vector<T>{std::move(first), std::move(rest)...};
}

template <class H>
std::vector<H> members(const WaitSet<H>& s) {
  return std::vector<H>(s.begin(), s.end());
}

template <class E, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "<no exception>";
}

Coro<std::string> named_sleep(std::string name, double delay) {
  co_await asyncio::sleep(delay);
  co_return name;
}

Coro<int> value(int x) { co_return x; }

Coro<void> raise_zero_division() {
  throw std::domain_error("err");
  co_return;
}

// ---- ported from test_tasks.py ----------------------------------------------------------

Coro<int> wait_both(std::vector<Task<void>> tasks) {
  auto [done, pending] = co_await asyncio::wait(tasks);
  EXPECT_EQ(done, tasks);  // input order: b, a
  EXPECT_TRUE(pending.empty());
  co_return 42;
}

TEST(Wait, AllCompletedReportsEveryInput) {
  // CPython: test_wait
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(0.1));
  Task<void> b = loop.create_task(asyncio::sleep(0.15));
  EXPECT_EQ(loop.run_until_complete(wait_both({b, a})), 42);
  EXPECT_NEAR(loop.time(), 0.15, 1e-9);
  // Doing it again should take no time and exercise a different path.
  EXPECT_EQ(loop.run_until_complete(wait_both({b, a})), 42);
  EXPECT_NEAR(loop.time(), 0.15, 1e-9);
}

TEST(Wait, DuplicatesCollapse) {
  // CPython: test_wait_duplicate_coroutines
  EventLoop loop({.virtual_time = true});
  Task<std::string> c = loop.create_task(named_sleep("test", 0));
  Task<std::string> spam = loop.create_task(named_sleep("spam", 0));
  auto [done, pending] = loop.run_until_complete(asyncio::wait(vec(c, c, spam, c)));
  EXPECT_TRUE(pending.empty());
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].result(), "test");
  EXPECT_EQ(done[1].result(), "spam");
}

template <class A>
concept waitable = requires(A&& a) {
  asyncio::wait(std::forward<A>(a));
};

TEST(Wait, InvalidArgumentsAreRefused) {
  // CPython: test_wait_errors, test_wait_invalid_args. A single future or coroutine is a
  // TypeError in Python and does not compile here.
  static_assert(!waitable<Future<int>&>);
  static_assert(!waitable<Coro<int>>);
  static_assert(waitable<std::vector<Future<int>>&>);
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(error_of<std::invalid_argument>(
                [&] { loop.run_until_complete(asyncio::wait(std::vector<Task<void>>{})); }),
            "Set of Tasks/Futures is empty.");
  auto f = loop.create_future<int>();
  EXPECT_EQ(error_of<std::invalid_argument>([&] {
              loop.run_until_complete(
                  asyncio::wait(vec(f), {.return_when = static_cast<asyncio::ReturnWhen>(-1)}));
            }),
            "Invalid return_when value: -1");
  EXPECT_FALSE(f.done());
  // CPython tests emptiness first.
  EXPECT_EQ(
      error_of<std::invalid_argument>([&] {
        loop.run_until_complete(asyncio::wait(
            std::vector<Task<void>>{}, {.return_when = static_cast<asyncio::ReturnWhen>(-1)}));
      }),
      "Set of Tasks/Futures is empty.");
}

TEST(Wait, FirstCompletedReturnsWhenOneIsDone) {
  // CPython: test_wait_first_completed
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(10.0));
  Task<void> b = loop.create_task(asyncio::sleep(0.1));
  auto [done, pending] =
      loop.run_until_complete(asyncio::wait(vec(b, a), {.return_when = FIRST_COMPLETED}));
  EXPECT_EQ(done, vec(b));
  EXPECT_EQ(members(pending), vec(a));
  EXPECT_FALSE(a.done());
  EXPECT_TRUE(b.done());
  EXPECT_NO_THROW(b.result());
  EXPECT_NEAR(loop.time(), 0.1, 1e-9);
  loop.run_until_complete(asyncio::wait(vec(a, b)));
  EXPECT_NEAR(loop.time(), 10.0, 1e-9);
}

Coro<void> one_yield() { co_await asyncio::sleep(0); }
Coro<void> two_yields() {
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
}

TEST(Wait, EverythingDoneWhenTheWaiterResumesIsInDone) {
  // CPython: test_wait_really_done (R42, gh-83852)
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(one_yield());
  Task<void> b = loop.create_task(two_yields());
  auto [done, pending] =
      loop.run_until_complete(asyncio::wait(vec(b, a), {.return_when = FIRST_COMPLETED}));
  EXPECT_EQ(done, (vec(b, a)));
  EXPECT_TRUE(pending.empty());
  EXPECT_TRUE(a.done());
  EXPECT_TRUE(b.done());
}

TEST(Wait, FirstExceptionReturnsAtOnceForAnAlreadyFailedInput) {
  // CPython: test_wait_first_exception
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(10.0));
  Task<void> b = loop.create_task(raise_zero_division());
  auto [done, pending] =
      loop.run_until_complete(asyncio::wait(vec(b, a), {.return_when = FIRST_EXCEPTION}));
  EXPECT_EQ(done, vec(b));
  EXPECT_EQ(members(pending), vec(a));
  EXPECT_EQ(loop.time(), 0.0);
  loop.run_until_complete(asyncio::wait(vec(a, b)));
}

Coro<void> raise_later() {
  co_await asyncio::sleep(0.01);
  throw std::domain_error("err");
}

TEST(Wait, FirstExceptionReturnsWhenAnInputFails) {
  // CPython: test_wait_first_exception_in_wait
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(10.0));
  Task<void> b = loop.create_task(raise_later());
  auto [done, pending] =
      loop.run_until_complete(asyncio::wait(vec(b, a), {.return_when = FIRST_EXCEPTION}));
  EXPECT_EQ(done, vec(b));
  EXPECT_EQ(members(pending), vec(a));
  EXPECT_NEAR(loop.time(), 0.01, 1e-9);
  loop.run_until_complete(asyncio::wait(vec(a, b)));
}

Coro<void> sleep_then_raise() {
  co_await asyncio::sleep(0.15);
  throw std::domain_error("really");
}

Coro<void> count_errors(std::vector<Task<void>> tasks) {
  auto [done, pending] = co_await asyncio::wait(tasks);
  EXPECT_EQ(done.size(), 2u);
  EXPECT_TRUE(pending.empty());
  int errors = 0;
  for (auto& f : done)
    if (f.exception()) ++errors;
  EXPECT_EQ(errors, 1);
}

TEST(Wait, ExceptionsAreReportedNotRaised) {
  // CPython: test_wait_with_exception
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(0.1));
  Task<void> b = loop.create_task(sleep_then_raise());
  loop.run_until_complete(count_errors({b, a}));
  EXPECT_NEAR(loop.time(), 0.15, 1e-9);
  loop.run_until_complete(count_errors({b, a}));
  EXPECT_NEAR(loop.time(), 0.15, 1e-9);
}

Coro<void> wait_with_timeout(Task<void> a, Task<void> b) {
  auto [done, pending] = co_await asyncio::wait(vec(b, a), {.timeout = 0.11});
  EXPECT_EQ(done, vec(a));
  EXPECT_EQ(members(pending), vec(b));
}

TEST(Wait, TimeoutReturnsWhatIsDoneAndCancelsNothing) {
  // CPython: test_wait_with_timeout (R43)
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(0.1));
  Task<void> b = loop.create_task(asyncio::sleep(0.15));
  loop.run_until_complete(wait_with_timeout(a, b));
  EXPECT_NEAR(loop.time(), 0.11, 1e-9);
  EXPECT_FALSE(b.done());
  EXPECT_FALSE(b.cancelled());
  loop.run_until_complete(asyncio::wait(vec(a, b)));
  EXPECT_NEAR(loop.time(), 0.15, 1e-9);
  EXPECT_FALSE(b.cancelled());
}

TEST(Wait, InputCompletingAtTheTimeoutIsDone) {
  // CPython: test_wait_concurrent_complete
  EventLoop loop({.virtual_time = true});
  Task<void> a = loop.create_task(asyncio::sleep(0.1));
  Task<void> b = loop.create_task(asyncio::sleep(0.15));
  auto [done, pending] = loop.run_until_complete(asyncio::wait(vec(b, a), {.timeout = 0.1}));
  EXPECT_EQ(done, vec(a));
  EXPECT_EQ(members(pending), vec(b));
  EXPECT_NEAR(loop.time(), 0.1, 1e-9);
  loop.run_until_complete(asyncio::wait(vec(a, b)));
}

struct ShieldState {
  int proof = 0;
  Future<void> waiter;
};

Coro<void> shield_inner(ShieldState& s) {
  co_await s.waiter;
  s.proof += 1;
}

Coro<void> shield_outer(ShieldState& s) {
  auto [d, p] = co_await asyncio::wait(vec(asyncio::create_task(shield_inner(s))));
  s.proof += 100;
}

TEST(Wait, CancellingTheWaitingTaskLeavesTheInputsRunning) {
  // CPython: test_yield_wait_does_not_shield_cancel (R44)
  EventLoop loop({.virtual_time = true});
  ShieldState s;
  s.waiter = loop.create_future();
  Task<void> f = loop.create_task(shield_outer(s));
  run_briefly(loop);
  f.cancel();
  EXPECT_THROW(loop.run_until_complete(f), CancelledError);
  s.waiter.set_result();
  run_briefly(loop);
  EXPECT_EQ(s.proof, 1);
}

// ---- docs/semantics.md e05 and the C++ contract --------------------------------------------------

Coro<std::vector<std::string>> wait_modes() {
  std::vector<std::string> log;
  auto results = [](const auto& c) {
    std::string out;
    for (const auto& t : c) out += (out.empty() ? "" : ",") + t.result();
    return "[" + out + "]";
  };
  auto mk = [](std::string n, double d) { return asyncio::create_task(named_sleep(n, d)); };
  {  // timeout: no exception, nothing cancelled
    auto ts = vec(mk("a", 0.01), mk("b", 0.2));
    auto [d, p] = co_await asyncio::wait(ts, {.timeout = 0.05});
    log.push_back("timeout: done=" + results(d) + " pending=" + std::to_string(p.size()) +
                  " b.cancelled()=" + (ts[1].cancelled() ? "True" : "False"));
    co_await ts[1];
  }
  {  // FIRST_COMPLETED can report several
    auto ts = vec(mk("c", 0.01), mk("d", 0.01), mk("e", 0.1));
    auto [d, p] = co_await asyncio::wait(ts, {.return_when = FIRST_COMPLETED});
    log.push_back("FIRST_COMPLETED: done=" + results(d) + " pending=" + std::to_string(p.size()));
    co_await asyncio::wait(std::move(p));
  }
  {  // FIRST_EXCEPTION with an exception
    auto fail = [](double dl) -> Coro<std::string> {
      co_await asyncio::sleep(dl);
      throw std::invalid_argument("g");
    };
    auto ts = vec(mk("f", 0.01), asyncio::create_task(fail(0.02)), mk("h", 0.1));
    auto [d, p] = co_await asyncio::wait(ts, {.return_when = FIRST_EXCEPTION});
    log.push_back("FIRST_EXCEPTION: done=" + std::to_string(d.size()) + " first=" + d[0].result() +
                  " second failed=" + (d[1].exception() ? "True" : "False") +
                  " pending=" + std::to_string(p.size()));
    co_await asyncio::wait(std::move(p));
  }
  {  // FIRST_EXCEPTION without exception == ALL_COMPLETED
    auto ts = vec(mk("i", 0.01), mk("j", 0.03));
    auto [d, p] = co_await asyncio::wait(ts, {.return_when = FIRST_EXCEPTION});
    log.push_back("FIRST_EXCEPTION no-exc: done=" + results(d) +
                  " pending=" + std::to_string(p.size()));
  }
  {  // FIRST_EXCEPTION: a cancelled input is not an exception
    auto ts = vec(mk("k", 0.5), mk("l", 0.03));
    Task<std::string> k = ts[0];
    asyncio::get_running_loop().call_later(0.01, [k] { k.cancel(); });
    auto [d, p] = co_await asyncio::wait(ts, {.return_when = FIRST_EXCEPTION});
    log.push_back("FIRST_EXCEPTION cancelled child: done=" + std::to_string(d.size()) +
                  " k.cancelled()=" + (k.cancelled() ? "True" : "False") +
                  " pending=" + std::to_string(p.size()));
  }
  {  // the returned handles are the inputs
    auto f1 = asyncio::get_running_loop().create_future<int>();
    f1.set_result(1);
    auto [d, p] = co_await asyncio::wait(vec(f1));
    log.push_back(std::string("same object returned: ") + (d.at(0) == f1 ? "True" : "False"));
  }
  co_return log;
}

TEST(Wait, ReturnWhenModesAndTimeoutSplitDoneAndPendingAsCPython) {
  // docs/semantics.md e05 (R41-R43)
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(wait_modes()),
            (std::vector<std::string>{
                "timeout: done=[a] pending=1 b.cancelled()=False",
                "FIRST_COMPLETED: done=[c,d] pending=1",
                "FIRST_EXCEPTION: done=2 first=f second failed=True pending=1",
                "FIRST_EXCEPTION no-exc: done=[i,j] pending=0",
                "FIRST_EXCEPTION cancelled child: done=2 k.cancelled()=True pending=0",
                "same object returned: True",
            }));
}

Coro<void> input_order() {
  std::vector<double> delays{0.5, 0.1, 0.4, 0.2, 0.3};
  std::vector<Task<std::string>> ts;
  for (std::size_t i = 0; i < delays.size(); ++i)
    ts.push_back(asyncio::create_task(named_sleep("t" + std::to_string(i), delays[i])));
  auto [d1, p1] = co_await asyncio::wait(ts, {.timeout = 0.35});
  EXPECT_EQ(d1, (vec(ts[1], ts[3], ts[4])));
  EXPECT_EQ(members(p1), (vec(ts[0], ts[2])));
  auto [d2, p2] = co_await asyncio::wait(std::move(p1));
  EXPECT_EQ(d2, (vec(ts[0], ts[2])));
  EXPECT_TRUE(p2.empty());
}

TEST(Wait, DoneAndPendingComeInInputOrder) {
  EventLoop loop({.virtual_time = true});
  loop.run_until_complete(input_order());
  EXPECT_NEAR(loop.time(), 0.5, 1e-9);
}

Coro<std::string> wait_coroutines() {
  std::vector<Coro<std::string>> coros;
  coros.push_back(named_sleep("x", 0.2));
  coros.push_back(named_sleep("y", 0.1));
  auto [done, pending] = co_await asyncio::wait(std::move(coros), {.return_when = FIRST_COMPLETED});
  static_assert(std::is_same_v<decltype(done), std::vector<Task<std::string>>>);
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(pending.size(), 1u);
  auto [rest, none] = co_await asyncio::wait(pending);
  co_return done.at(0).result() + rest.at(0).result() + std::to_string(none.size());
}

TEST(Wait, CoroutinesAreWrappedIntoTasks) {
  // Python <= 3.10 and the seed program pass coroutines (3.11+ refuses them, R40).
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(wait_coroutines()), "yx0");
}

Coro<std::vector<int>> count_wait_iterations(Ticker& t) {
  EventLoop& loop = asyncio::get_running_loop();
  std::vector<int> out;
  auto ts = vec(asyncio::create_task(value(0)), asyncio::create_task(value(1)));
  int s = t.n;
  co_await asyncio::wait(ts);
  out.push_back(t.n - s);  // fresh immediate tasks
  auto f1 = loop.create_future<int>(), f2 = loop.create_future<int>();
  f1.set_result(1);
  f2.set_result(2);
  s = t.n;
  co_await asyncio::wait(vec(f1, f2));
  out.push_back(t.n - s);  // done futures
  auto p = loop.create_future<int>();
  s = t.n;
  auto [d3, p3] = co_await asyncio::wait(vec(p), {.timeout = 0});
  out.push_back(t.n - s);  // timeout=0, input pending
  EXPECT_TRUE(d3.empty());
  EXPECT_EQ(p3.size(), 1u);
  s = t.n;
  auto [d4, p4] = co_await asyncio::wait(vec(f1), {.timeout = 0});
  out.push_back(t.n - s);  // timeout=0, input done
  EXPECT_EQ(d4.size(), 1u);
  s = t.n;
  auto [d5, p5] = co_await asyncio::wait(vec(p, f1), {.return_when = FIRST_COMPLETED});
  out.push_back(t.n - s);
  EXPECT_EQ(d5, vec(f1));
  EXPECT_EQ(members(p5), vec(p));
  s = t.n;
  auto [d6, p6] =
      co_await asyncio::wait(vec(p, f1), {.timeout = 0, .return_when = FIRST_EXCEPTION});
  out.push_back(t.n - s);
  EXPECT_EQ(d6, vec(f1));
  p.set_result(0);
  t.stop();
  co_return out;
}

TEST(Wait, IterationCountsMatchCPython) {
  // docs/semantics.md e02 (R39) and R43: timeout=0 still takes two iterations (timer, wake-up).
  EventLoop loop({.virtual_time = true});
  Ticker t(loop);
  EXPECT_EQ(loop.run_until_complete(count_wait_iterations(t)),
            (std::vector<int>{3, 2, 2, 2, 2, 2}));
}

Coro<std::vector<std::size_t>> drain(std::size_t n, std::vector<int>& reported,
                                     std::vector<double>& finish) {
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937 rng(12345);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Task<std::size_t>> tasks;
  tasks.reserve(n);
  auto job = [](std::size_t i, double delay) -> Coro<std::size_t> {
    co_await asyncio::sleep(delay);
    co_return i;
  };
  // Task i finishes at slot order[i]; groups of 8 slots share a deadline.
  for (std::size_t i = 0; i < n; ++i) {
    finish[i] = static_cast<double>(order[i] / 8 + 1) / 1024;  // NOLINT(bugprone-integer-division)
    tasks.push_back(asyncio::create_task(job(i, finish[i])));
  }
  std::vector<std::size_t> batch_sizes;
  EventLoop& loop = asyncio::get_running_loop();
  WaitSet<Task<std::size_t>> pending;
  {
    auto [d, p] = co_await asyncio::wait(tasks, {.return_when = FIRST_COMPLETED});
    pending = std::move(p);
    for (auto& t : d) ++reported[t.result()];
    batch_sizes.push_back(d.size());
  }
  while (!pending.empty()) {
    auto [d, p] = co_await asyncio::wait(std::move(pending), {.return_when = FIRST_COMPLETED});
    pending = std::move(p);
    std::size_t prev = 0;
    for (std::size_t k = 0; k < d.size(); ++k) {
      const std::size_t i = d[k].result();
      ++reported[i];
      EXPECT_TRUE(k == 0 || i > prev) << "done not in input order";
      EXPECT_LE(finish[i], loop.time());
      prev = i;
    }
    batch_sizes.push_back(d.size());
  }
  co_return batch_sizes;
}

TEST(Wait, DrainLoopReportsEveryTaskExactlyOnce) {
  // The seed's `while pending: done, pending = await wait(pending, FIRST_COMPLETED)`:
  // a correctness test over 20k tasks finishing in a shuffled order (R45's loop).
  constexpr std::size_t n = 20000;
  EventLoop loop({.virtual_time = true});
  std::vector<int> reported(n, 0);
  std::vector<double> finish(n, 0);
  auto batches = loop.run_until_complete(drain(n, reported, finish));
  EXPECT_TRUE(std::all_of(reported.begin(), reported.end(), [](int c) { return c == 1; }));
  EXPECT_EQ(std::accumulate(batches.begin(), batches.end(), std::size_t{0}), n);
  EXPECT_EQ(batches.size(), n / 8);  // one batch per deadline
  EXPECT_TRUE(std::all_of(batches.begin(), batches.end(), [](std::size_t b) { return b == 8; }));
}

Coro<void> old_copies(EventLoop& loop) {
  std::vector<double> delays{0.5, 0.1, 0.4, 0.2, 0.3};
  std::vector<Task<std::string>> ts;
  for (std::size_t i = 0; i < delays.size(); ++i)
    ts.push_back(asyncio::create_task(named_sleep("t" + std::to_string(i), delays[i])));
  auto r1 = co_await asyncio::wait(ts, {.return_when = FIRST_COMPLETED});
  EXPECT_EQ(r1.done, vec(ts[1]));
  EXPECT_NEAR(loop.time(), 0.1, 1e-9);
  WaitSet<Task<std::string>> old = r1.pending;  // a copy kept from an earlier call
  auto r2 = co_await asyncio::wait(std::move(r1.pending), {.return_when = FIRST_COMPLETED});
  EXPECT_EQ(r2.done, vec(ts[3]));
  EXPECT_NEAR(loop.time(), 0.2, 1e-9);
  WaitSet<Task<std::string>> p2 = r2.pending;
  auto r3 = co_await asyncio::wait(r2.pending, {.timeout = 0.15});
  EXPECT_EQ(r3.done, vec(ts[4]));
  EXPECT_NEAR(loop.time(), 0.35, 1e-9);
  EXPECT_EQ(old.size(), 4u);
  EXPECT_EQ(members(old), (vec(ts[0], ts[2], ts[3], ts[4])));
  EXPECT_EQ(members(p2), (vec(ts[0], ts[2], ts[4])));
  EXPECT_EQ(members(r2.pending), (vec(ts[0], ts[2], ts[4])));
  EXPECT_EQ(members(r3.pending), (vec(ts[0], ts[2])));
  // An old set can be waited on again: its members, whatever happened since.
  auto r4 = co_await asyncio::wait(old);
  EXPECT_EQ(r4.done, (vec(ts[0], ts[2], ts[3], ts[4])));
  EXPECT_TRUE(r4.pending.empty());
  EXPECT_NEAR(loop.time(), 0.5, 1e-9);
  EXPECT_EQ(members(old), (vec(ts[0], ts[2], ts[3], ts[4])));
  EXPECT_EQ(old.to_vector(), members(old));
}

TEST(Wait, OldCopiesOfAPendingSetStayIterable) {
  EventLoop loop({.virtual_time = true});
  loop.run_until_complete(old_copies(loop));
}

Coro<std::vector<std::string>> two_waits_on_one_set(EventLoop& loop) {
  std::vector<double> delays{0.3, 0.1, 0.2};
  std::vector<Task<std::string>> ts;
  for (std::size_t i = 0; i < delays.size(); ++i)
    ts.push_back(asyncio::create_task(named_sleep("t" + std::to_string(i), delays[i])));
  auto [d, p] = co_await asyncio::wait(ts, {.return_when = FIRST_COMPLETED});
  std::vector<std::string> out;
  auto w = [&out, &loop](std::string tag, WaitSet<Task<std::string>> set,
                         asyncio::ReturnWhen rw) -> Coro<void> {
    auto [dd, pp] = co_await asyncio::wait(std::move(set), {.return_when = rw});
    std::string names;
    for (auto& t : dd) names += t.result();
    out.push_back(tag + " " + names + " " + std::to_string(pp.size()) + " " +
                  std::to_string(static_cast<int>(std::lround(loop.time() * 10))));
  };
  Task<void> a = asyncio::create_task(w("A", p, FIRST_COMPLETED));
  Task<void> b = asyncio::create_task(w("B", p, ALL_COMPLETED));
  co_await a;
  co_await b;
  co_return out;
}

TEST(Wait, TwoConcurrentWaitsOnOnePendingSet) {
  // CPython: two tasks each `await asyncio.wait(pending)` on the same set.
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(two_waits_on_one_set(loop)),
            (std::vector<std::string>{"A t2 1 2", "B t0t2 0 3"}));
}

Coro<std::string> wait_any_futures() {
  EventLoop& loop = asyncio::get_running_loop();
  Task<int> t = asyncio::create_task(value(7));
  Future<std::string> f = loop.create_future<std::string>();
  loop.call_later(0.1, [f] { f.set_result("late"); });
  std::vector<AnyFuture> all{t, f};
  auto [d, p] = co_await asyncio::wait(all, {.return_when = FIRST_COMPLETED});
  EXPECT_EQ(d.size(), 1u);
  EXPECT_TRUE(d.at(0) == t);
  auto [d2, p2] = co_await asyncio::wait(std::move(p));
  EXPECT_TRUE(d2.at(0) == f);
  co_return std::to_string(t.result()) + f.result();
}

TEST(Wait, WaitsOnMixedResultTypesThroughAnyFuture) {
  EventLoop loop({.virtual_time = true});
  EXPECT_EQ(loop.run_until_complete(wait_any_futures()), "7late");
}

}  // namespace
