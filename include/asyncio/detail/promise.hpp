#pragma once
// The promise every Coro<T> frame carries, and the task step that drives a chain of them.
//
// A Task is not a separate object: `create_task(coro)` turns the Coro's own frame into the
// task, whose state (FutureBase + task fields below) lives in the promise. One allocation
// per task: the frame. Inline `co_await coro()` uses the same promise type with the task
// fields idle, and hands control over by symmetric transfer (no native stack growth).

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "asyncio/detail/frame_allocator.hpp"
#include "asyncio/detail/future_base.hpp"

namespace asyncio::detail {

/// Global task-name counter (CPython: `_task_name_counter`, process-wide).
inline std::atomic<std::uint64_t> task_name_counter{0};

struct PromiseBase : FutureBase {
  PromiseBase() : FutureBase(nullptr) {}

  void* operator new(std::size_t n) { return FramePool::allocate(n); }
  void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }

  PromiseBase* task_ = nullptr;           ///< root promise of the task running this coroutine
  std::coroutine_handle<> continuation_;  ///< inline awaiter to resume when done; null for a root

  // ---- task fields (meaningful only when task_ == this) ----
  std::coroutine_handle<> resume_;    ///< innermost suspended coroutine: where the next step goes
  FutureBase* fut_waiter_ = nullptr;  ///< CPython `_fut_waiter`: the future this task is parked on
  std::exception_ptr inject_;  ///< thrown by the next await_resume (CPython: `coro.throw(exc)`)
  PromiseBase* prev_task_ = nullptr;  ///< loop's list of unfinished tasks
  PromiseBase* next_task_ = nullptr;
  std::unique_ptr<std::string> name_;  ///< null: "Task-<task_id_>", formatted on demand
  std::uint64_t task_id_ = 0;
  const char* coro_name_ = "";  ///< the coroutine function's name (diagnostics)
  std::uint32_t num_cancels_requested_ = 0;
  // One byte of flags (bit-fields keep the promise, hence every task, 8 bytes smaller).
  bool must_cancel_ : 1 = false;
  bool started_ : 1 = false;
  bool log_destroy_pending_ : 1 = true;
  bool has_result_ : 1 = false;  ///< root body returned (outcome waiting to be published)
  bool body_done_ : 1 = false;   ///< suspended at its final suspend point (handle.done())

  std::string task_name() const { return name_ ? *name_ : "Task-" + std::to_string(task_id_); }

  /// Throws the injected exception, if any (every task suspension point calls this).
  void rethrow_injected() {
    if (inject_) [[unlikely]]
      std::rethrow_exception(std::exchange(inject_, nullptr));
  }
};

std::string task_repr(PromiseBase* t);
std::string future_repr(FutureBase* f);

// ---------------------------------------------------------------------------------------
// The task step (CPython: Task.__step / task_step_impl in _asynciomodule.c).

void task_finish(PromiseBase* t);

/// Runs one step of task `t`, delivering `exc` (null: send None) at its suspension point.
inline void task_step(PromiseBase* t, std::exception_ptr exc) {
  if (t->done()) [[unlikely]]
    return;
  if (t->must_cancel_) {
    // An exception other than CancelledError is replaced by CancelledError(msg).
    if (!exc || !is_cancelled_error(exc))
      exc = std::make_exception_ptr(CancelledError(t->cancel_message()));
    t->must_cancel_ = false;
  }
  t->fut_waiter_ = nullptr;
  t->inject_ = std::move(exc);
  LoopCore* loop = t->loop_;
  PromiseBase* prev = loop->current_task_;  // non-null only for an eager first step
  loop->current_task_ = t;
  t->resume_.resume();
  loop->current_task_ = prev;
  if (t->body_done_) {
    task_finish(t);
  } else if (t->must_cancel_ && t->fut_waiter_) {
    // Self-cancellation, then an await on a pending future: cancel that future (R23).
    if (cancel_future(t->fut_waiter_, t->cancel_message())) t->must_cancel_ = false;
  }
}

/// CPython `Task.cancel(msg)` (R20, R21).
inline bool task_cancel(FutureBase* f, const std::string& msg) {
  auto* t = static_cast<PromiseBase*>(f);
  t->log_traceback_ = false;
  if (t->done()) return false;
  ++t->num_cancels_requested_;
  if (t->fut_waiter_ && cancel_future(t->fut_waiter_, msg)) return true;
  t->must_cancel_ = true;
  t->cancel_info().message = msg;
  return true;
}

/// CPython 3.13 `Task.uncancel()`: at zero it also clears a pending must-cancel (R25).
inline std::uint32_t task_uncancel(PromiseBase* t) {
  if (t->num_cancels_requested_ > 0) {
    if (--t->num_cancels_requested_ == 0) t->must_cancel_ = false;
  }
  return t->num_cancels_requested_;
}

/// Ready-queue entry: the step of a task (a = PromiseBase*).
inline void task_step_item(void* a, void*, Op op) {
  if (op == Op::run) task_step(static_cast<PromiseBase*>(a), nullptr);
}
/// Ready-queue entry: the step of a task with an exception to throw in (a = task; the
/// exception was stored in inject_ by whoever queued it, CPython `call_soon(step, exc)`).
inline void task_step_inject_item(void* a, void*, Op op) {
  if (op != Op::run) return;
  auto* t = static_cast<PromiseBase*>(a);
  task_step(t, std::exchange(t->inject_, nullptr));
}

/// Done callback waking a task parked on a future (CPython: Task.__wakeup).
/// ctx = the task, fut = the future it awaited (kept alive by the awaiting expression).
inline void task_wakeup(void* ctx, void* fut, Op op) {
  auto* f = static_cast<FutureBase*>(fut);
  if (op != Op::run) {
    if (op != Op::forget) f->release();  // the reference taken by schedule_callbacks
    return;
  }
  auto* t = static_cast<PromiseBase*>(ctx);
  std::exception_ptr exc;
  if (f->state_ != FutureState::finished || f->exc_) exc = f->result_error();
  // Released before the step, not after: the step ends the awaiting expression, which may
  // own `f` (sleep's future lives in its awaiter) and whose storage the task's next
  // co_await may reuse. The awaiting expression's own reference keeps `f` alive meanwhile.
  f->release();
  task_step(t, std::move(exc));
}

/// The one way a task parks on a future (CPython's step: "the result is a future:
/// `fut.add_done_callback(self.__wakeup)`, `self._fut_waiter = fut`"): `h` (the innermost
/// suspended coroutine) is where the next step resumes, `wake(ctx, f, op)` joins `f`'s
/// done callbacks and `f` becomes the task's `_fut_waiter`. No step is queued: `wake` does
/// that when `f` completes. Precondition: `f` is pending, on the task's loop, and not the
/// task itself (`park_on` checks those for arbitrary futures).
inline void park_task(PromiseBase* t, std::coroutine_handle<> h, FutureBase* f, CallbackFn wake,
                      void* ctx) {
  t->resume_ = h;
  f->push_callback(wake, ctx);
  t->fut_waiter_ = f;
}

/// The other way a task suspends: parked on nothing, its next step queued at once
/// (CPython: a bare `yield`, as in `sleep(0)`; `call_soon(self.__step)`).
inline void yield_task(PromiseBase* t, std::coroutine_handle<> h) {
  t->resume_ = h;
  t->loop_->push_ready(&task_step_item, t, nullptr);
}

/// Parks the task running `h` on the pending future `f`: the awaiting half of
/// CPython's step ("result is a future: add_done_callback(wakeup)").
template <class P>
void park_on(FutureBase* f, std::coroutine_handle<P> h) {
  PromiseBase* t = h.promise().task_;
  t->resume_ = h;
  if (f == t) [[unlikely]] {
    t->inject_ =
        std::make_exception_ptr(RuntimeError("Task cannot await on itself: " + task_repr(t)));
    t->loop_->push_ready(&task_step_inject_item, t, nullptr);
    return;
  }
  if (f->loop_ != t->loop_) [[unlikely]] {
    t->inject_ =
        std::make_exception_ptr(RuntimeError("Task " + task_repr(t) + " got Future " +
                                             future_repr(f) + " attached to a different loop"));
    t->loop_->push_ready(&task_step_inject_item, t, nullptr);
    return;
  }
  park_task(t, h, f, &task_wakeup, t);
}

/// Undoes park_on when the awaiting frame is destroyed while parked (loop closed).
inline void unpark(FutureBase* f, PromiseBase* t) {
  if (t && t->fut_waiter_ == f && !f->done()) {
    f->callbacks_.remove_if(
        [t](const DoneCallback& cb) { return cb.fn == &task_wakeup && cb.ctx == t; });
    t->fut_waiter_ = nullptr;
  }
}

/// Awaiter for a future: no suspension when already done (R14).
template <class Result, class Get>
struct FutureAwaiter {
  FutureBase* f;
  PromiseBase* t = nullptr;
  bool await_ready() const noexcept { return f->done(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    t = h.promise().task_;
    park_on(f, h);
  }
  Result await_resume() {
    if (t) t->rethrow_injected();
    f->throw_if_error();
    return Get{}(f);
  }
  ~FutureAwaiter() { unpark(f, t); }
};

/// Awaiter for a bare yield (CPython: `yield` in `__sleep0`): one loop iteration.
struct YieldAwaiter {
  PromiseBase* t = nullptr;
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    t = h.promise().task_;
    t->resume_ = h;
    t->loop_->push_ready(&task_step_item, t, nullptr);
  }
  void await_resume() { t->rethrow_injected(); }
};

}  // namespace asyncio::detail
