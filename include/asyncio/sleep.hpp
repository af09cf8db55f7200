#pragma once
/// \file sleep.hpp
/// `sleep(delay)` and `sleep(delay, value)`.

#include <cmath>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "asyncio/event_loop.hpp"

namespace asyncio {

namespace detail {

/// CPython `futures._set_result_unless_cancelled` and the future's done callback: the
/// timer fell due (run from the ready queue), so the task's step is queued.
inline void sleep_on_timer(void* node, void*, Op op) {
  if (op != Op::run) return;
  auto* w = static_cast<SleepWaiter*>(static_cast<TimerNode*>(node));
  if (w->state != SleepWaiter::State::armed) return;
  w->state = SleepWaiter::State::done;
  w->task->loop_->push_ready(&task_step_item, w->task, nullptr);
}

// Out of line (noinline) on purpose: the awaiter's two slow halves would otherwise be
// inlined into every coroutine that sleeps, and a larger coroutine body (its `.actor`
// function) makes every exception thrown into it dearer to unwind (W4:
// docs/benchmarks.md).

/// Arms `w` (its `when` holds the delay) and parks the task on it at `h`.
[[gnu::noinline]] inline void sleep_arm(SleepWaiter& w, std::coroutine_handle<> h) {
  TaskState* t = w.task;
  LoopCore* loop = t->loop_;
  w.state = SleepWaiter::State::armed;
  w.when = loop->time() + w.when;
  w.fire = &sleep_on_timer;
  loop->add_timer(&w);
  t->resume_ = h;
  t->fut_waiter_ = tag_sleep_waiter(&w);
}

/// The end of an armed sleep's awaiter: CPython's `finally: h.cancel()`.
[[gnu::noinline]] inline void sleep_release(SleepWaiter& w) {
  TaskState* t = w.task;
  // The frame is destroyed while parked (loop closed): the task waits on nothing now.
  if (t->fut_waiter_ == tag_sleep_waiter(&w)) t->fut_waiter_ = nullptr;
  // Still armed after a cancel; queued on the ready queue if it fell due meanwhile.
  if (w.scheduled()) t->loop_->unschedule_timer(&w);
}

template <class T>
struct SleepValue {
  T value;
  T take() { return std::move(value); }
};
template <>
struct SleepValue<void> {
  void take() {}
};

/// Awaiter of `sleep`: for delay <= 0 one bare yield (one iteration, R29); otherwise the
/// task parks on the awaiter's own timer (a `SleepWaiter`, detail/task_state.hpp, in the
/// awaiting frame: no allocation, no future) and resumes one iteration after the timer
/// fires, exactly as CPython's `call_later(delay, _set_result_unless_cancelled, fut)`
/// followed by the future's done callback.
template <class T>
class SleepAwaiter {
 public:
  SleepAwaiter(double delay, SleepValue<T>&& v) : value_(std::move(v)) {
    w_.when = delay;  // the delay, until await_suspend makes it a deadline
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (w_.state != SleepWaiter::State::idle) sleep_release(w_);
  }

  bool await_ready() const {
    check_not_nan(w_.when);
    return false;
  }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    TaskState* t = h.promise().task();
    w_.task = t;
    if (w_.when <= 0) {  // CPython's sleep(0): one bare yield; the waiter stays idle
      yield_task(t, h);
      return;
    }
    sleep_arm(w_, h);
  }
  T await_resume() {
    // A cancel while parked arrives as the injected CancelledError (cancel_sleep_waiter);
    // after a yield, as any cancel of a runnable task (task_step's must-cancel).
    w_.task->rethrow_injected();
    return value_.take();
  }

 private:
  // Invariant: w_.state is idle until a positive delay arms the timer; before
  // await_suspend, w_.when holds the delay (it is a deadline afterwards).
  SleepWaiter w_;
  [[no_unique_address]] SleepValue<T> value_;
};
}  // namespace detail

/// What `sleep` returns: awaitable once; also accepted wherever a Coro is
/// (`create_task(sleep(1))`, `gather(sleep(1), ...)`).
template <class T = void>
class [[nodiscard]] Sleep {
 public:
  using value_type = T;
  Sleep(double delay, detail::SleepValue<T> v) : delay_(delay), value_(std::move(v)) {}
  detail::SleepAwaiter<T> operator co_await() && { return {delay_, std::move(value_)}; }

 private:
  double delay_;
  detail::SleepValue<T> value_;
};

/// Suspends the current task for `delay` (seconds or a chrono duration).
///
/// `sleep(0)` (or any delay <= 0) yields exactly one loop iteration, letting callbacks
/// queued before it run first.
/// **Cancellation:** cancelling the task cancels the sleep and its timer.
/// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)").
/// **Python:** `asyncio.sleep(delay)`.
/// (Overloads for `double` and `int` make `sleep(0.5)` pick this one over POSIX
/// `::sleep(unsigned)` under `using namespace asyncio`.)
inline Sleep<void> sleep(double seconds) { return Sleep<void>(seconds, {}); }
inline Sleep<void> sleep(int seconds) { return Sleep<void>(seconds, {}); }
template <class Rep, class Period>
Sleep<void> sleep(std::chrono::duration<Rep, Period> d) {
  return Sleep<void>(Delay(d).seconds, {});
}

/// Like `sleep(delay)`, then returns `value`. **Python:** `asyncio.sleep(delay, result)`.
template <class T>
Sleep<std::decay_t<T>> sleep(Delay delay, T&& value) {
  return Sleep<std::decay_t<T>>(delay.seconds,
                                detail::SleepValue<std::decay_t<T>>{std::forward<T>(value)});
}

}  // namespace asyncio
