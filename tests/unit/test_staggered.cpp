// Unit tests for asyncio/staggered.hpp: staggered_race on the virtual clock. Expected
// results are CPython 3.13's (Lib/test/test_asyncio/test_staggered.py and the same races
// run under CPython 3.13: start times, winners, the exceptions list).

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/staggered.hpp"

namespace {

using asyncio::Coro;
using asyncio::EventLoop;
using Fn = std::function<Coro<int>()>;

std::string what(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const asyncio::CancelledError&) {
    return "CancelledError";
  } catch (const std::exception& x) {
    return x.what();
  }
}

// "fail 0, None": the exceptions list, joined (no initializer lists in coroutines: GCC 12).
std::string whats(const std::vector<std::exception_ptr>& es) {
  std::string out;
  for (auto& e : es) out += (out.empty() ? "" : ", ") + what(e);
  return out;
}

// A coroutine that logs its start time, sleeps `d`, then returns `v` or fails.
Fn attempt(EventLoop& loop, std::vector<double>* starts, double d, int v, bool fail = false) {
  return [&loop, starts, d, v, fail]() -> Coro<int> {
    starts->push_back(loop.time());
    co_await asyncio::sleep(d);
    if (fail) throw std::runtime_error("fail " + std::to_string(v));
    co_return v;
  };
}

TEST(Staggered, EmptyRace) {
  EventLoop loop({.virtual_time = true});
  auto r = loop.run_until_complete(asyncio::staggered_race(std::vector<Fn>{}, 0.1));
  EXPECT_FALSE(r.winner_result);
  EXPECT_FALSE(r.winner_index);
  EXPECT_TRUE(r.exceptions.empty());
}

TEST(Staggered, OneSuccessful) {
  EventLoop loop({.virtual_time = true});
  std::vector<double> starts;
  auto main = [&]() -> Coro<void> {
    std::vector<Fn> fns;
    fns.push_back(attempt(loop, &starts, 0, 0));
    fns.push_back(attempt(loop, &starts, 0, 1));
    auto racing = asyncio::staggered_race(std::move(fns), std::nullopt);
    auto r = co_await std::move(racing);
    EXPECT_EQ(r.winner_result, 0);
    EXPECT_EQ(r.winner_index, 0u);
    EXPECT_EQ(whats(r.exceptions), "None");
    EXPECT_EQ(starts.size(), 1u);
  };
  loop.run_until_complete(main());
}

TEST(Staggered, FirstFailsSecondStartsAtOnceAndWins) {
  EventLoop loop({.virtual_time = true});
  std::vector<double> starts;
  auto main = [&]() -> Coro<void> {
    const double t0 = loop.time();
    std::vector<Fn> fns;
    fns.push_back(attempt(loop, &starts, 0.01, 0, true));
    fns.push_back(attempt(loop, &starts, 0.01, 1));
    auto racing = asyncio::staggered_race(std::move(fns), 10.0);
    auto r = co_await std::move(racing);
    EXPECT_EQ(r.winner_result, 1);
    EXPECT_EQ(r.winner_index, 1u);
    EXPECT_EQ(whats(r.exceptions), "fail 0, None");
    if (starts.size() != 2u) {
      ADD_FAILURE() << starts.size();
      co_return;
    }
    EXPECT_NEAR(starts[0] - t0, 0, 1e-9);
    EXPECT_NEAR(starts[1] - t0, 0.01, 1e-6);  // on the failure, not after the delay
  };
  loop.run_until_complete(main());
}

TEST(Staggered, DelayStartsTheNextAndTheWinnerCancelsTheOthers) {
  EventLoop loop({.virtual_time = true});
  std::vector<double> starts;
  auto main = [&]() -> Coro<void> {
    const double t0 = loop.time();
    // 0 is slow (10 s), 1 starts at 1 s and wins at 1.5 s; 2 starts at 2 s: never.
    std::vector<Fn> fns;
    fns.push_back(attempt(loop, &starts, 10, 0));
    fns.push_back(attempt(loop, &starts, 0.5, 1));
    fns.push_back(attempt(loop, &starts, 0.1, 2));
    auto racing = asyncio::staggered_race(std::move(fns), 1.0);
    auto r = co_await std::move(racing);
    EXPECT_EQ(r.winner_result, 1);
    EXPECT_EQ(r.winner_index, 1u);
    EXPECT_EQ(whats(r.exceptions), "CancelledError, None");
    if (starts.size() != 2u) {
      ADD_FAILURE() << starts.size();
      co_return;
    }
    EXPECT_NEAR(starts[1] - t0, 1.0, 1e-6);
    EXPECT_NEAR(loop.time() - t0, 1.5, 1e-6);
  };
  loop.run_until_complete(main());
}

TEST(Staggered, AllFail) {
  EventLoop loop({.virtual_time = true});
  std::vector<double> starts;
  auto main = [&]() -> Coro<void> {
    std::vector<Fn> fns;
    fns.push_back(attempt(loop, &starts, 0, 0, true));
    fns.push_back(attempt(loop, &starts, 0, 1, true));
    auto racing = asyncio::staggered_race(std::move(fns), std::nullopt);
    auto r = co_await std::move(racing);
    EXPECT_FALSE(r.winner_result);
    EXPECT_FALSE(r.winner_index);
    EXPECT_EQ(whats(r.exceptions), "fail 0, fail 1");
  };
  loop.run_until_complete(main());
}

TEST(Staggered, CancellingTheRaceCancelsTheAttempts) {
  EventLoop loop({.virtual_time = true});
  std::vector<double> starts;
  int finished = 0;
  auto slow = [&]() -> Coro<int> {
    starts.push_back(loop.time());
    co_await asyncio::sleep(100);
    ++finished;
    co_return 0;
  };
  auto main = [&]() -> Coro<void> {
    std::vector<Fn> fns;
    fns.push_back(slow);
    fns.push_back(slow);
    auto racing = asyncio::staggered_race(std::move(fns), 1.0);
    auto race = asyncio::create_task(std::move(racing));
    co_await asyncio::sleep(1.5);
    EXPECT_EQ(starts.size(), 2u);
    race.cancel();
    EXPECT_THROW(co_await race, asyncio::CancelledError);
    co_await asyncio::sleep(200);
    EXPECT_EQ(finished, 0);
  };
  loop.run_until_complete(main());
}

}  // namespace
