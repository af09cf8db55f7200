// The natural C++ spellings, compiled and run on the virtual clock (issue 12): every
// collection the library returns iterated with `auto&`, `const auto&` and `auto`, used
// with std::ranges algorithms, unpacked with structured bindings; ranges of handles
// (vector, list, span, WaitSet) given to gather/wait; handles awaited twice or through a
// const reference; the void bodies of TaskGroup/Timeout/Server::run; `run_main`.
// CPython equivalents are in the comments; results were checked against CPython 3.13.

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <list>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "asyncio/as_completed.hpp"
#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/gather.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/streams.hpp"
#include "asyncio/task.hpp"
#include "asyncio/task_group.hpp"
#include "asyncio/timeouts.hpp"
#include "asyncio/wait.hpp"
#include "asyncio/wait_for.hpp"

namespace {

using asyncio::Coro;
using asyncio::FIRST_COMPLETED;
using asyncio::Task;
using asyncio::TaskGroup;
using asyncio::WaitSet;

constexpr asyncio::EventLoop::Options kVirtual{.virtual_time = true};

Coro<int> after(double d, int v) {
  co_await asyncio::sleep(d);
  co_return v;
}

/// Three tasks finishing at t=0.1, 0.2, 0.3 with results 1, 2, 3.
std::vector<Task<int>> three() {
  std::vector<Task<int>> ts;
  for (int i = 1; i <= 3; ++i) ts.push_back(asyncio::create_task(after(0.1 * i, i)));
  return ts;
}

static_assert(std::ranges::forward_range<WaitSet<Task<int>>>);
static_assert(std::ranges::sized_range<WaitSet<Task<int>>>);
static_assert(std::same_as<std::ranges::range_reference_t<WaitSet<Task<int>>>, const Task<int>&>);
static_assert(std::ranges::input_range<asyncio::AsCompleted<Task<int>>>);

// done, pending = await asyncio.wait(ts, return_when=FIRST_COMPLETED)
// for t in pending: ...
TEST(Idioms, WaitSetEveryLoopForm) {
  asyncio::run(
      []() -> Coro<void> {
        auto ts = three();
        auto [done, pending] = co_await asyncio::wait(ts, {.return_when = FIRST_COMPLETED});
        EXPECT_EQ(done.size(), 1u);
        EXPECT_EQ(pending.size(), 2u);
        int n = 0;
        for (auto& t : pending) n += t.done() ? 100 : 1;
        for (const auto& t : pending) n += t.done() ? 100 : 1;
        for (auto t : pending) n += t.done() ? 100 : 1;
        for (auto&& t : pending) n += t.done() ? 100 : 1;
        EXPECT_EQ(n, 8);
        std::vector<std::string> names;
        for (auto& t : pending) names.push_back(t.get_name());
        EXPECT_EQ(names[0], ts[1].get_name());
        EXPECT_EQ(names[1], ts[2].get_name());
        for (auto& t : pending) t.cancel();  // cancel what is left, as CPython code does
        co_await asyncio::sleep(0);
        EXPECT_TRUE(ts[1].cancelled());
        EXPECT_TRUE(ts[2].cancelled());
      }(),
      kVirtual);
}

// sum(1 for t in pending if ...), next(t for t in pending if ...), len(pending)
TEST(Idioms, WaitSetRangesAlgorithms) {
  asyncio::run(
      []() -> Coro<void> {
        auto ts = three();
        auto [done, pending] = co_await asyncio::wait(ts, {.return_when = FIRST_COMPLETED});
        EXPECT_EQ(std::ranges::distance(pending), 2);
        EXPECT_EQ(std::ranges::count_if(pending, [](const Task<int>& t) { return !t.done(); }), 2);
        auto it = std::ranges::find_if(pending, [&](auto& t) { return t == ts[2]; });
        EXPECT_NE(it, pending.end());
        EXPECT_EQ(it->get_name(), ts[2].get_name());
        EXPECT_EQ(std::ranges::count_if(done, [](auto& t) { return t.result() == 1; }), 1);
        std::vector<Task<int>> copy(pending.begin(), pending.end());
        EXPECT_EQ(copy.size(), 2u);
#ifndef __clang__  // clang 14 cannot compile libstdc++ 12's range adaptors (docs/deviations.md)
        auto names = pending | std::views::transform([](auto& t) { return t.get_name(); });
        EXPECT_EQ(*names.begin(), ts[1].get_name());
#endif
        // while pending: done, pending = await asyncio.wait(pending, ...)
        int finished = 1;
        while (!pending.empty()) {
          auto r = co_await asyncio::wait(std::move(pending), {.return_when = FIRST_COMPLETED});
          finished += static_cast<int>(r.done.size());
          for (const auto& t : r.done) EXPECT_TRUE(t.done());
          pending = std::move(r.pending);
        }
        EXPECT_EQ(finished, 3);
        co_await asyncio::gather(ts);
      }(),
      kVirtual);
}

// for t in done: t.result()
TEST(Idioms, WaitDoneEveryLoopForm) {
  asyncio::run(
      []() -> Coro<void> {
        auto ts = three();
        auto [done, pending] = co_await asyncio::wait(ts);
        EXPECT_TRUE(pending.empty());
        int sum = 0;
        for (auto& t : done) sum += t.result();
        for (const auto& t : done) sum += t.result();
        for (auto t : done) sum += t.result();
        EXPECT_EQ(sum, 18);
        EXPECT_EQ(std::ranges::count_if(done, [](const auto& t) { return t.result() > 1; }), 2);
      }(),
      kVirtual);
}

// a, b = await asyncio.gather(x(), y()); results = await asyncio.gather(*ts)
TEST(Idioms, GatherResults) {
  asyncio::run(
      []() -> Coro<void> {
        auto [a, b] = co_await asyncio::gather(after(0.2, 1), after(0.1, 2));
        EXPECT_EQ(a, 1);
        EXPECT_EQ(b, 2);
        auto tup = co_await asyncio::gather(after(0, 3), after(0, 4));
        EXPECT_EQ(std::get<0>(tup) + std::get<1>(tup), 7);
        auto ts = three();
        std::vector<int> rs = co_await asyncio::gather(ts);
        int sum = 0;
        for (auto& x : rs) sum += x;
        for (const auto& x : rs) sum += x;
        for (auto x : rs) sum += x;
        EXPECT_EQ(sum, 18);
        EXPECT_EQ(std::ranges::count_if(rs, [](int x) { return x > 1; }), 2);
        auto rr = co_await asyncio::gather(asyncio::return_exceptions, ts);
        for (const auto& r : rr) EXPECT_TRUE(r.has_value());
      }(),
      kVirtual);
}

// gather/wait over any range of handles: a vector (lvalue or moved), a list, a span
TEST(Idioms, RangesOfHandlesAsInput) {
  asyncio::run(
      []() -> Coro<void> {
        auto vec = three();
        std::list<Task<int>> lst(vec.begin(), vec.end());
        std::span<Task<int>> sp(vec);
        const std::vector<Task<int>>& cvec = vec;
        auto r1 = co_await asyncio::gather(lst);
        auto r2 = co_await asyncio::gather(sp);
        auto r3 = co_await asyncio::gather(cvec);
        EXPECT_EQ(r1, r2);
        EXPECT_EQ(r2, r3);
        auto w1 = co_await asyncio::wait(lst);
        auto w2 = co_await asyncio::wait(sp);
        auto w3 = co_await asyncio::wait(cvec);
        EXPECT_EQ(w1.done.size() + w2.done.size() + w3.done.size(), 9u);
        std::vector<Coro<int>> coros;
        coros.push_back(after(0.1, 5));
        coros.push_back(after(0.1, 6));
        auto r4 = co_await asyncio::gather(std::move(coros));
        EXPECT_EQ(r4[0] + r4[1], 11);
#ifndef __clang__
        auto r5 = co_await asyncio::gather(
            std::views::iota(1, 4) | std::views::transform([](int i) { return after(0, i); }));
        EXPECT_EQ(r5.size(), 3u);
#endif
      }(),
      kVirtual);
}

// for aw in asyncio.as_completed(ts): await aw; async for t in asyncio.as_completed(ts)
TEST(Idioms, AsCompletedForms) {
  asyncio::run(
      []() -> Coro<void> {
        auto ts = three();
        std::vector<int> order;
        for (auto next : asyncio::as_completed(ts)) order.push_back(co_await next);
        for (auto&& next : asyncio::as_completed(ts)) order.push_back(co_await next);
        auto ac = asyncio::as_completed(ts);
        while (auto t = co_await ac.next()) order.push_back(t->result());
        std::vector<int> want;
        for (int k = 0; k < 3; ++k)
          for (int i = 1; i <= 3; ++i) want.push_back(i);
        EXPECT_EQ(order, want);
      }(),
      kVirtual);
}

// An lvalue Task awaited twice, through a const reference, a copy; a Future likewise.
TEST(Idioms, HandlesAwaitedTwiceAndConst) {
  asyncio::run(
      []() -> Coro<void> {
        Task<int> t = asyncio::create_task(after(0.1, 9));
        const Task<int>& ct = t;
        int a = co_await t;
        int b = co_await t;
        int c = co_await ct;
        Task<int> copy = t;
        int d = co_await copy;
        EXPECT_EQ(a + b + c + d, 36);
        auto f = asyncio::get_running_loop().create_future<std::string>();
        f.set_result("x");
        const auto& cf = f;
        EXPECT_EQ(co_await cf, "x");
        EXPECT_EQ(co_await f, "x");
        EXPECT_EQ(co_await asyncio::wait_for(ct, 1), 9);
      }(),
      kVirtual);
}

// async with asyncio.TaskGroup() as tg: tg.create_task(...)  — no await in the body
TEST(Idioms, VoidBodies) {
  asyncio::run(
      []() -> Coro<void> {
        std::vector<Task<int>> ts;
        co_await TaskGroup::run([&](TaskGroup& tg) {
          ts.push_back(tg.create_task(after(0.1, 1)));
          ts.push_back(tg.create_task(after(0.2, 2)));
        });
        EXPECT_TRUE(ts[0].done() && ts[1].done());
        EXPECT_EQ(asyncio::get_running_loop().time(), 0.2);
        bool ran = false;
        co_await TaskGroup::run([&] { ran = true; });
        EXPECT_TRUE(ran);
        auto cm = asyncio::timeout(1);
        co_await cm.run([&](asyncio::Timeout& t) { t.reschedule(std::nullopt); });
        EXPECT_FALSE(cm.expired());
        // An exception of a void body goes through the exit like any other.
        bool caught = false;
        try {
          co_await TaskGroup::run([](TaskGroup&) { throw std::runtime_error("body"); });
        } catch (const asyncio::ExceptionGroup&) {
          caught = true;
        }
        EXPECT_TRUE(caught);
      }(),
      kVirtual);
}

// Compiled only: Server::run with void bodies (async with server: pass).
[[maybe_unused]] Coro<void> server_void_bodies(asyncio::Server s) {
  co_await s.run([](asyncio::Server&) {});
  co_await s.run([] {});
}

Coro<int> status(int v) { co_return v; }
Coro<void> boom() {
  co_await asyncio::sleep(0);
  throw std::runtime_error("boom");
}

// sys.exit(asyncio.run(main()))
TEST(Idioms, RunMain) {
  EXPECT_EQ(asyncio::run_main(status(3), kVirtual), 3);
  EXPECT_EQ(asyncio::run_main([]() -> Coro<void> { co_return; }(), kVirtual), 0);
  testing::internal::CaptureStderr();
  int rc = asyncio::run_main(boom(), kVirtual);
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("asyncio.run(): main task 'Task-"), std::string::npos) << err;
  EXPECT_NE(err.find("raised std::runtime_error('boom')"), std::string::npos) << err;
  // run itself reports, then rethrows.
  testing::internal::CaptureStderr();
  EXPECT_THROW(asyncio::run(boom(), kVirtual), std::runtime_error);
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("std::runtime_error('boom')"), std::string::npos) << err;
}

}  // namespace
