// Google Benchmark micro-benchmarks for the hot paths. Every benchmark runs on an
// EventLoop with the virtual clock, so timers never sleep for real. The three figures
// that bench/python/core.py mirrors for CPython (run.py puts them in its table) are
// BM_TaskCreateRunAwait, BM_Sleep0RoundTrip and BM_TimerScheduleFire.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "asyncio/asyncio.hpp"

namespace {

using asyncio::Coro;

asyncio::EventLoop::Options virtual_clock() {
  asyncio::EventLoop::Options o;
  o.virtual_time = true;
  return o;
}

/// Runs `body(state)` as the main task of a fresh virtual-clock loop.
template <class Body>
void run_body(benchmark::State& state, Body body) {
  asyncio::EventLoop loop(virtual_clock());
  loop.run_until_complete(body(state));
}

Coro<int> trivial(int i) { co_return i; }

// --- task create + run + await: create_task, one step, the awaiter's wake-up ----------
Coro<void> task_create_run_await(benchmark::State& state) {
  for (auto _ : state) {
    int v = co_await asyncio::create_task(trivial(1));
    benchmark::DoNotOptimize(v);
  }
}
void BM_TaskCreateRunAwait(benchmark::State& state) { run_body(state, task_create_run_await); }
BENCHMARK(BM_TaskCreateRunAwait);

// --- sleep(0) round trip: one loop iteration for the running task ---------------------
Coro<void> sleep0_round_trip(benchmark::State& state) {
  for (auto _ : state) co_await asyncio::sleep(0);
}
void BM_Sleep0RoundTrip(benchmark::State& state) { run_body(state, sleep0_round_trip); }
BENCHMARK(BM_Sleep0RoundTrip);

// --- timer schedule + fire: each firing schedules the next (call_later, one iteration) -
struct TimerChain {
  asyncio::EventLoop* loop;
  benchmark::State* state;
  void operator()() const {
    if (state->KeepRunning()) {
      loop->call_later(1e-3, *this);
    } else {
      loop->stop();
    }
  }
};
void BM_TimerScheduleFire(benchmark::State& state) {
  asyncio::EventLoop loop(virtual_clock());
  loop.call_soon(TimerChain{&loop, &state});
  loop.run_forever();
}
BENCHMARK(BM_TimerScheduleFire);

// --- the same, one call_later then one run_forever per iteration ----------------------
void BM_TimerScheduleFireRunForever(benchmark::State& state) {
  asyncio::EventLoop loop(virtual_clock());
  for (auto _ : state) {
    loop.call_later(1e-3, [&loop] { loop.stop(); });
    loop.run_forever();
  }
}
BENCHMARK(BM_TimerScheduleFireRunForever);

// --- sleep(1 ms) on the virtual clock: timer + embedded future + task wake-up ---------
Coro<void> sleep_timer_round_trip(benchmark::State& state) {
  for (auto _ : state) co_await asyncio::sleep(1e-3);
}
void BM_SleepTimerRoundTrip(benchmark::State& state) { run_body(state, sleep_timer_round_trip); }
BENCHMARK(BM_SleepTimerRoundTrip);

// --- timer schedule + cancel, including the loop's lazy clean-up of cancelled entries -
Coro<void> timer_schedule_cancel(benchmark::State& state) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  std::uint32_t k = 0;
  for (auto _ : state) {
    asyncio::TimerHandle h = loop.call_later(1.0, [] {});
    h.cancel();
    if (++k % 256 == 0) co_await asyncio::sleep(0);  // lets run_once drop the entries
  }
}
void BM_TimerScheduleCancel(benchmark::State& state) { run_body(state, timer_schedule_cancel); }
BENCHMARK(BM_TimerScheduleCancel);

// --- future completion with K awaiters ------------------------------------------------
// K tasks stay parked on `cur`. Per iteration: a new future, set_result on the old one,
// K wake-ups (each re-parks on the new future) and the driver's sleep(0) (measured alone
// by BM_Sleep0RoundTrip).
struct Relay {
  asyncio::Future<int> cur;
};
Coro<void> relay_waiter(Relay& r) {
  for (;;) {
    asyncio::Future<int> f = r.cur;
    if (co_await f < 0) co_return;
  }
}
Coro<void> future_complete(benchmark::State& state) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  const auto k = static_cast<std::size_t>(state.range(0));
  Relay r{loop.create_future<int>()};
  std::vector<asyncio::Task<void>> waiters;
  for (std::size_t i = 0; i < k; ++i) waiters.push_back(asyncio::create_task(relay_waiter(r)));
  co_await asyncio::sleep(0);  // every waiter is parked on r.cur
  for (auto _ : state) {
    asyncio::Future<int> done = r.cur;
    r.cur = loop.create_future<int>();
    done.set_result(1);
    co_await asyncio::sleep(0);  // the wake-ups were queued first: they run, then us
  }
  r.cur.set_result(-1);
  co_await asyncio::gather(waiters);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
}
void BM_FutureCompleteAwaiters(benchmark::State& state) { run_body(state, future_complete); }
BENCHMARK(BM_FutureCompleteAwaiters)->Arg(1)->Arg(100);

// --- call_soon + run: each callback queues the next (one iteration each) --------------
struct SoonChain {
  asyncio::EventLoop* loop;
  benchmark::State* state;
  void operator()() const {
    if (state->KeepRunning()) {
      loop->call_soon(*this);
    } else {
      loop->stop();
    }
  }
};
void BM_CallSoonRun(benchmark::State& state) {
  asyncio::EventLoop loop(virtual_clock());
  loop.call_soon(SoonChain{&loop, &state});
  loop.run_forever();
}
BENCHMARK(BM_CallSoonRun);

// --- call_soon x 1000, then one run_forever that runs them all in one iteration -------
void BM_CallSoonBatch(benchmark::State& state) {
  asyncio::EventLoop loop(virtual_clock());
  const auto batch = state.range(0);
  std::int64_t ran = 0;
  for (auto _ : state) {
    for (std::int64_t i = 0; i < batch; ++i) loop.call_soon([&ran] { ++ran; });
    loop.call_soon([&loop] { loop.stop(); });
    loop.run_forever();
  }
  if (ran != batch * static_cast<std::int64_t>(state.iterations()))
    state.SkipWithError("lost callbacks");
  state.SetItemsProcessed(ran);
}
BENCHMARK(BM_CallSoonBatch)->Arg(1000);

// --- gather of K trivial coroutines (K tasks + the gathering future) ------------------
Coro<void> gather_children(benchmark::State& state) {
  const auto k = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::vector<Coro<int>> coros;
    coros.reserve(k);
    for (std::size_t i = 0; i < k; ++i) coros.push_back(trivial(static_cast<int>(i)));
    std::vector<int> res = co_await asyncio::gather(std::move(coros));
    benchmark::DoNotOptimize(res.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * k));
}
void BM_Gather(benchmark::State& state) { run_body(state, gather_children); }
BENCHMARK(BM_Gather)->Arg(1)->Arg(10)->Arg(1000);

}  // namespace

// --- the floor of W4: one C++ throw/catch through one frame (no loop, no task) ---------
[[gnu::noinline]] void throw_cancelled(benchmark::State& state) {
  if (state.iterations() != ~benchmark::IterationCount{0}) throw asyncio::CancelledError("");
}
void BM_ThrowCatchOneFrame(benchmark::State& state) {
  for (auto _ : state) {
    try {
      throw_cancelled(state);
    } catch (const asyncio::CancelledError& e) {
      benchmark::DoNotOptimize(&e);
    }
  }
}
BENCHMARK(BM_ThrowCatchOneFrame);

BENCHMARK_MAIN();
