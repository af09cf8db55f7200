#pragma once
// The task (CPython: the Task class, tasks.py / task_step_impl in _asynciomodule.c): its
// fields, its creation, its step, its wake-up, the two ways it suspends, and its cancel.
//
// A Task is not a separate object: `create_task(coro)` turns the Coro's own frame into the
// task. Its state (FutureBase + TaskState) lives in the coroutine's promise
// (detail/promise.hpp: PromiseBase derives from TaskState), so a task costs one allocation,
// the frame. An inline `co_await coro()` uses the same promise with the task fields idle.
// What runs out of line (task_finish, task_repr, current_task, all_tasks, the "never
// awaited" and "destroyed but pending" diagnostics) is in src/task.cpp.
//
// A task's life, in the order the functions run (docs/design.md walks it in full):
//   spawn (task.hpp) → task_init, task_start → [ready queue] task_step_item → task_step
//   → the coroutine suspends: park_task (on a future) | yield_task (bare yield)
//   → the future completes: schedule_callbacks queues task_wakeup → task_step → ...
//   → the coroutine returns: task_step calls task_finish → unlink_task, release.
//
// Who holds a reference (`refs_`) on a task, and who gives it back:
//
//   holder                                taken by                       given back by
//   ------------------------------------  -----------------------------  ------------------
//   the loop's task list (`tasks_`)       task_init (refs_ starts at 2)  task_finish, or
//                                                                         EventLoop::close
//   each Task / AnyTask / AnyFuture       task_init (spawn's handle),    the handle's
//   handle                                copies, current_task,          destructor
//                                         all_tasks, loop_tasks
//   a queued step (task_step_item,        nothing: a task with a queued step is unfinished, so
//   task_step_inject_item)                the list's reference covers it; close() discards the
//                                         ready queue before it drops the list
//   its wake-up registered on a future    nothing (ctx is the task): same reason
//   `loop->current_task_`                 nothing: the step runs under the list's reference
//
// And on a future (any FutureBase, tasks included):
//
//   each handle (Future, AnyFuture, ...)  create_future, adopt_ref,      the handle's
//                                         copies                         destructor
//   each queued done-callback item        schedule_callbacks,            the callback, through
//                                         add_callback (done future)     CallbackRef (run or
//                                                                         discard)
//   a registered done callback            nothing (told Op::forget if the future dies first)
//   a task's `fut_waiter_`                nothing: the awaiting expression keeps it alive
//   an embedded future (waiter node,      its awaiter owns the one reference; it never
//   I/O wait; sleep has none)             reaches zero (ops_->destroy is null)

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include "asyncio/detail/future_base.hpp"
#include "asyncio/detail/intrusive_list.hpp"

namespace asyncio::detail {

/// Global task-name counter (CPython: `_task_name_counter`, process-wide).
inline std::atomic<std::uint64_t> task_name_counter{0};

/// The fields of a task (CPython: the attributes of a Task object), held by every
/// coroutine promise and meaningful once `spawn` made that promise a task.
///
/// CPython's `_fut_waiter` invariant. While the task is not done it is in exactly one of
/// two states:
///  * runnable: `fut_waiter_` is null and exactly one step is queued (task_step_item, or
///    task_step_inject_item with the exception to throw in `exc_` (inject_slot)), or the step is
///    running right now (`loop_->current_task_ == this`);
///  * parked: `fut_waiter_` is the future f the task awaits and no step is queued; while f
///    is pending its done callbacks hold the task's wake-up (task_wakeup with ctx = the
///    task, or an awaiter's own, such as waiter_list.hpp's retry_wakeup); once f completes
///    that wake-up is queued (holding a reference on f) and runs the step.
/// Only these move a task between the states: task_start (spawn: → runnable, or straight
/// into an eager first step), task_step (→ running; clears `fut_waiter_`), park_task
/// (running → parked; park_on checks its preconditions, then calls it), yield_task and
/// park_on's error path (running → runnable), task_wakeup (parked → running), unpark
/// (parked → neither: the awaiting frame is being destroyed on a closed loop), task_finish
/// (running → done). (The queue awaiters of queues.hpp still spell park_task's stores out.)
/// Layout (docs/design.md, guarded by tests/unit/test_frame_budget.cpp): the flags live in
/// FutureBase's padding; the name, cancel message and saved CancelledError in the side
/// record (`cancel_`); the injected exception in `exc_`; a root's `resume_` and
/// `fut_waiter_` share storage with an inline frame's `continuation_` and `inline_task_`
/// (a task root has neither; an inline frame never becomes a task).
struct PromiseBase;

struct TaskState : FutureBase, ListHook<LoopTasksTag> {
  TaskState() : FutureBase(nullptr) {}

  union {
    /// Task root: the innermost suspended coroutine of the task, where the next step
    /// resumes. Set by whichever awaiter suspends (park_task, yield_task); CPython's `_coro`
    /// (whose `send` reaches the innermost frame through the `await` chain).
    std::coroutine_handle<> resume_{};
    /// Inline frame (never a task): the awaiter to resume when done (PromiseBase).
    std::coroutine_handle<> continuation_;
  };
  union {
    /// Task root: CPython `_fut_waiter`, the future this task is parked on (see the
    /// invariant above). A task parked in `sleep` waits on the sleep's timer, not on a
    /// future: its `fut_waiter_` is then the sleep's `SleepWaiter` with the low bit set
    /// (never equal to a real future, never dereferenced as one: `cancel_fut_waiter`
    /// dispatches on the tag).
    FutureBase* fut_waiter_ = nullptr;
    /// Inline frame (never a task): the root promise of the task running it
    /// (PromiseBase::task()).
    PromiseBase* inline_task_;
  };
  const char* coro_name_ = "";  ///< the coroutine function's name (repr, "never awaited")
  /// "Task-<task_id_>", formatted on demand; 0: the name is in the side record.
  std::uint32_t task_id_ = 0;
  std::uint32_t num_cancels_requested_ = 0;  ///< CPython `_num_cancels_requested`

  std::string task_name() const {
    return cancel_ && cancel_->has_name ? cancel_->name : "Task-" + std::to_string(task_id_);
  }
  void set_name(std::string name) {
    CancelInfo& r = cancel_info();
    r.name = std::move(name);
    r.has_name = true;
  }

  /// Thrown by the next await_resume (CPython: `coro.throw(exc)`); task_step stores it. It
  /// lives in `exc_`, which is free while the body runs: the body's outcome lands there
  /// only when the body ends, and task_finish runs at once.
  std::exception_ptr& inject_slot() { return exc_; }
  bool has_injected() const { return exc_ != nullptr; }
  /// Throws the injected exception, if any (every task suspension point calls this).
  void rethrow_injected() {
    if (exc_) [[unlikely]]
      std::rethrow_exception(std::exchange(exc_, nullptr));
  }
};

/// What a task parked in `sleep` waits on instead of a future (sleep.hpp: the awaiter is
/// one, in the awaiting frame). CPython's sleep parks on a future resolved by
/// `call_later(delay, _set_result_unless_cancelled, fut)`; the only things that future
/// does are to wake its one task when the timer fires, one iteration later, and to be
/// cancelled by `Task.cancel` (it then wakes the task with CancelledError(msg), one
/// iteration later, and the timer stays armed until the task resumes: `finally:
/// h.cancel()`). A timer node, the task and a state do the same in 40 bytes instead of a
/// 104-byte future plus timer (docs/design.md).
struct SleepWaiter : TimerNode {
  /// idle: not armed (before await_suspend, or a `sleep(0)` yield); armed: the task is
  /// parked on it; done: fired or cancelled (its step is queued), nothing more to do.
  enum class State : std::uint8_t { idle, armed, done };
  TaskState* task = nullptr;
  State state = State::idle;
};

/// `fut_waiter_` tagging (see TaskState::fut_waiter_).
inline FutureBase* tag_sleep_waiter(SleepWaiter* w) {
  return reinterpret_cast<FutureBase*>(reinterpret_cast<std::uintptr_t>(w) | 1u);
}
inline SleepWaiter* as_sleep_waiter(FutureBase* f) {
  const auto bits = reinterpret_cast<std::uintptr_t>(f);
  return bits & 1u ? reinterpret_cast<SleepWaiter*>(bits & ~std::uintptr_t{1}) : nullptr;
}

/// CPython `Task.__repr__` ("<Task pending name='Task-1' coro=<main()>>"). src/task.cpp.
std::string task_repr(TaskState* t);
/// CPython `Task.__del__`: a task destroyed while pending logs "Task was destroyed but it
/// is pending!" in debug mode (FutureBase::last_release calls it). src/task.cpp.
void task_log_destroy_pending(TaskState* t);

// ---------------------------------------------------------------------------------------
// The loop's list of unfinished tasks (CPython: `_scheduled_tasks`), in creation order.
// These two alone link and unlink it (EventLoop::close empties it at once).

inline void link_task(LoopCore* loop, TaskState* t) { loop->tasks_.push_back(t); }
inline void unlink_task(TaskState* t) { IntrusiveList<TaskState, LoopTasksTag>::remove(t); }

// ---------------------------------------------------------------------------------------
// Creation (CPython: Task.__init__), split around the handle spawn (task.hpp) returns.

/// Binds `t` (whose coroutine is `h`) to `loop` as a task: name, the loop's strong
/// reference plus the returned handle's (refs_ = 2), and a place in the loop's list.
inline void task_init(TaskState* t, LoopCore* loop, std::coroutine_handle<> h, std::string&& name) {
  t->loop_ = loop;
  t->kind_ = FutureKind::task;
  t->resume_ = h;
  // CPython 3.13 numbers only the unnamed tasks ("Task-<N>"; a given name takes no number).
  if (name.empty()) {
    const std::uint64_t id = task_name_counter.fetch_add(1, std::memory_order_relaxed) + 1;
    if (id <= UINT32_MAX) [[likely]]
      t->task_id_ = static_cast<std::uint32_t>(id);
    else
      t->set_name("Task-" + std::to_string(id));  // past 2^32: the side record holds it
  } else {
    t->set_name(std::move(name));
  }
  t->refs_ = 2;
  link_task(loop, t);
}

void task_finish(TaskState* t);  // src/task.cpp: publishes the outcome, drops the list's ref

// ---------------------------------------------------------------------------------------
// The step (CPython: Task.__step / task_step_impl).

/// Ready-queue entry: the step of a task with an exception to throw in (ctx = the task;
/// whoever queued it stored the exception in inject_slot(), CPython `call_soon(step, exc)`).
inline void task_step_inject_item(void* ctx, void*, Op op);

/// CPython `fut.cancel(msg)` on the sleep's future (`_fut_waiter.cancel(msg)` in
/// Task.cancel): pending → cancelled, the task woken at the next iteration with
/// CancelledError(msg) (queued now, as the future's done callback would be); false once the
/// timer has fired (the future is done: Task.cancel then sets `_must_cancel`).
inline bool cancel_sleep_waiter(SleepWaiter* w, const std::string& msg);

/// Cancels whatever task `t` is parked on (CPython `self._fut_waiter.cancel(msg)`).
inline bool cancel_fut_waiter(TaskState* t, const std::string& msg) {
  if (SleepWaiter* w = as_sleep_waiter(t->fut_waiter_)) return cancel_sleep_waiter(w, msg);
  return cancel_future(t->fut_waiter_, msg);
}

/// Runs one step of task `t`, delivering `exc` (null: send None) at its suspension point.
inline void task_step(TaskState* t, std::exception_ptr exc) {
  if (t->done()) [[unlikely]]
    return;
  if (t->must_cancel_) {
    // An exception other than CancelledError is replaced by CancelledError(msg).
    if (!exc || !is_cancelled_error(exc))
      exc = std::make_exception_ptr(CancelledError(t->cancel_message()));
    t->must_cancel_ = false;
  }
  t->fut_waiter_ = nullptr;
  if (!t->started_) {  // the first step
    t->started_ = true;
    if (exc) {
      // CPython: `coro.throw(exc)` on a coroutine that never ran ends it at once (R22): the
      // body's outcome is `exc`, as if its first line had raised it.
      t->exc_ = std::move(exc);
      t->body_done_ = true;
      task_finish(t);
      return;
    }
  }
  t->inject_slot() = std::move(exc);
  LoopCore* loop = t->loop_;
  TaskState* prev = loop->current_task_;  // non-null only for an eager first step
  loop->current_task_ = t;
  t->resume_.resume();
  loop->current_task_ = prev;
  if (t->body_done_) {
    task_finish(t);
  } else if (t->must_cancel_ && t->fut_waiter_) {
    // Self-cancellation, then an await on a pending future: cancel that future (R23).
    if (cancel_fut_waiter(t, t->cancel_message())) t->must_cancel_ = false;
  }
}

/// Ready-queue entry: the step of a task (ctx = the task; CPython `call_soon(self.__step)`).
inline void task_step_item(void* ctx, void*, Op op) {
  if (op == Op::run) task_step(static_cast<TaskState*>(ctx), nullptr);
}
inline void task_step_inject_item(void* ctx, void*, Op op) {
  if (op != Op::run) return;
  auto* t = static_cast<TaskState*>(ctx);
  task_step(t, std::exchange(t->inject_slot(), nullptr));
}

inline bool cancel_sleep_waiter(SleepWaiter* w, const std::string& msg) {
  if (w->state != SleepWaiter::State::armed) return false;
  w->state = SleepWaiter::State::done;
  TaskState* t = w->task;
  t->inject_slot() = std::make_exception_ptr(CancelledError(msg));
  t->loop_->push_ready(&task_step_inject_item, t, nullptr);
  return true;
}

/// Schedules the first step of a task set up by task_init: queued (CPython
/// `call_soon(self.__step)`), or, for an eager start (3.12+, R66), run now, inside the
/// creator's step, with the new task as current task; a coroutine that never suspends is
/// then done when this returns.
inline void task_start(TaskState* t, bool eager) {
  if (eager) {
    task_step(t, nullptr);
  } else {
    t->loop_->push_ready(&task_step_item, t, nullptr);
  }
}

/// Done callback waking a task parked on a future (CPython: Task.__wakeup).
/// ctx = the task, fut = the future it awaited (kept alive by the awaiting expression).
inline void task_wakeup(void* ctx, void* fut, Op op) {
  CallbackRef ref(fut, op);
  if (op != Op::run) return;
  auto* t = static_cast<TaskState*>(ctx);
  FutureBase* f = ref.future();
  std::exception_ptr exc;
  if (f->state_ != FutureState::finished || f->exc_) exc = f->result_error();
  // Released before the step, not after: the step ends the awaiting expression, which may
  // own `f` (a waiter node lives in its awaiter) and whose storage the task's next
  // co_await may reuse. The awaiting expression's own reference keeps `f` alive meanwhile.
  ref.release_now();
  task_step(t, std::move(exc));
}

// ---------------------------------------------------------------------------------------
// Suspending: the two ways a task gives control back to its step.

/// The one way a task parks on a future (CPython's step: "the result is a future:
/// `fut.add_done_callback(self.__wakeup)`, `self._fut_waiter = fut`"): `h` (the innermost
/// suspended coroutine) is where the next step resumes, `wake(ctx, f, op)` joins `f`'s
/// done callbacks and `f` becomes the task's `_fut_waiter`. No step is queued: `wake` does
/// that when `f` completes. Precondition: `f` is pending, on the task's loop, and not the
/// task itself (`park_on` checks those for arbitrary futures).
inline void park_task(TaskState* t, std::coroutine_handle<> h, FutureBase* f, CallbackFn wake,
                      void* ctx) {
  t->resume_ = h;
  f->push_callback(wake, ctx);
  t->fut_waiter_ = f;
}

/// The other way a task suspends: parked on nothing, its next step queued at once
/// (CPython: a bare `yield`, as in `sleep(0)`; `call_soon(self.__step)`).
inline void yield_task(TaskState* t, std::coroutine_handle<> h) {
  t->resume_ = h;
  t->loop_->push_ready(&task_step_item, t, nullptr);
}

/// Parks the task running `h` on the pending future `f`: the awaiting half of CPython's
/// step ("result is a future: add_done_callback(wakeup)"), with its two checks (the task
/// itself, another loop), which throw a RuntimeError into the task at its next step.
/// park_on's refusal (out of line, as every error path an awaiter inlines into a coroutine
/// body: a larger `.actor` function makes every exception thrown into it dearer to
/// unwind, docs/benchmarks.md "W4 against its floor").
[[gnu::noinline, gnu::cold]] inline void park_refused(TaskState* t, FutureBase* f) {
  if (f == t) {
    t->inject_slot() =
        std::make_exception_ptr(RuntimeError("Task cannot await on itself: " + task_repr(t)));
  } else {
    t->inject_slot() =
        std::make_exception_ptr(RuntimeError("Task " + task_repr(t) + " got Future " +
                                             future_repr(f) + " attached to a different loop"));
  }
  t->loop_->push_ready(&task_step_inject_item, t, nullptr);
}

template <class P>
void park_on(FutureBase* f, std::coroutine_handle<P> h) {
  TaskState* t = h.promise().task();
  t->resume_ = h;
  if (f == t || f->loop_ != t->loop_) [[unlikely]] {
    park_refused(t, f);
    return;
  }
  park_task(t, h, f, &task_wakeup, t);
}

/// Undoes park_on when the awaiting frame is destroyed while parked (loop closed).
inline void unpark(FutureBase* f, TaskState* t) {
  if (t && t->fut_waiter_ == f && !f->done()) {
    f->callbacks_.remove_if(
        [t](const DoneCallback& cb) { return cb.fn == &task_wakeup && cb.ctx == t; });
    t->fut_waiter_ = nullptr;
  }
}

// ---------------------------------------------------------------------------------------
// Cancellation.

/// CPython `Task.cancel(msg)` (R20, R21): forwarded to the future the task is parked on,
/// else remembered for the next step (`_must_cancel`). The task's `ops_->cancel`.
inline bool task_cancel(FutureBase* f, const std::string& msg) {
  auto* t = static_cast<TaskState*>(f);
  t->log_traceback_ = false;
  if (t->done()) return false;
  ++t->num_cancels_requested_;
  if (t->fut_waiter_ && cancel_fut_waiter(t, msg)) return true;
  t->must_cancel_ = true;
  t->cancel_info().message = msg;
  return true;
}

/// CPython 3.13 `Task.uncancel()`: at zero it also clears a pending must-cancel (R25).
inline std::uint32_t task_uncancel(TaskState* t) {
  if (t->num_cancels_requested_ > 0) {
    if (--t->num_cancels_requested_ == 0) t->must_cancel_ = false;
  }
  return t->num_cancels_requested_;
}

}  // namespace asyncio::detail
