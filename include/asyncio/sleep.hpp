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
/// The future a sleep waits on, embedded in the awaiter (so in the awaiting coroutine's
/// frame: no allocation), with the timer that resolves it. Pinned: never moves once
/// awaited; its reference count never drops to zero (the awaiter owns it).
struct SleepFuture final : FutureBase, TimerNode {
  SleepFuture() : FutureBase(nullptr) {}
  TimerNode& node() { return *this; }
  /// CPython `futures._set_result_unless_cancelled`, run from the ready queue.
  static void on_timer(void* node, void*, Op op) {
    if (op != Op::run) return;
    auto* self = static_cast<SleepFuture*>(static_cast<TimerNode*>(node));
    if (!self->done()) self->finish_with_value();
  }
};

template <class T>
struct SleepValue {
  T value;
  T take() { return std::move(value); }
};
template <>
struct SleepValue<void> {
  void take() {}
};

/// Awaiter of `sleep`: for delay <= 0 one bare yield (one iteration, R29); otherwise a
/// future resolved by a timer — the task resumes one iteration after the timer fires,
/// exactly as CPython's `call_later(delay, _set_result_unless_cancelled, fut)`.
template <class T>
class SleepAwaiter {
 public:
  SleepAwaiter(double delay, SleepValue<T>&& v) : value_(std::move(v)) {
    fut_.node().when = delay;  // the delay, until await_suspend makes it a deadline
  }
  SleepAwaiter(const SleepAwaiter&) = delete;
  SleepAwaiter& operator=(const SleepAwaiter&) = delete;
  ~SleepAwaiter() {
    if (task_) {
      unpark(&fut_, task_);
      // CPython: `finally: h.cancel()`.
      if (fut_.node().scheduled()) task_->loop_->unschedule_timer(&fut_.node());
    }
  }

  bool await_ready() const {
    check_not_nan(fut_.when);
    return false;
  }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    task_ = h.promise().task();
    LoopCore* loop = task_->loop_;
    const double delay = fut_.node().when;
    if (delay <= 0) {  // CPython's sleep(0): one bare yield; fut_ stays unbound (loop_ null)
      yield_task(task_, h);
      return;
    }
    fut_.loop_ = loop;
    fut_.node().when = loop->time() + delay;
    fut_.node().fire = &SleepFuture::on_timer;
    loop->add_timer(&fut_.node());
    park_on(&fut_, h);
  }
  T await_resume() {
    task_->rethrow_injected();
    if (fut_.loop_) fut_.throw_if_error();  // not after a sleep(0) yield
    return value_.take();
  }

 private:
  // Invariant: fut_.loop_ is null until a positive delay binds fut_ to the loop; before
  // await_suspend, fut_.node().when holds the delay (it is a deadline afterwards).
  SleepFuture fut_;
  TaskState* task_ = nullptr;
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
