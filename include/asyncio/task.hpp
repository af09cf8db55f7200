#pragma once
/// \file task.hpp
/// `Task<T>`: a coroutine scheduled on a loop; `AnyTask`; `create_task`, `current_task`,
/// `all_tasks`.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/future.hpp"

namespace asyncio {

/// A task of any result type. **Python:** any `asyncio.Task`.
class AnyTask : public AnyFuture {
 public:
  AnyTask() = default;
  /// The task's name: "Task-<N>" unless one was given. **Python:** `Task.get_name()`.
  std::string get_name() const { return task_state().task_name(); }
  void set_name(std::string name) const { task_state().set_name(std::move(name)); }
  /// Pending cancellation requests. **Python:** `Task.cancelling()`.
  std::uint32_t cancelling() const { return task_state().num_cancels_requested_; }
  /// Decrements the cancellation requests; at 0 a pending must-cancel is dropped
  /// (3.13 semantics). **Python:** `Task.uncancel()`.
  std::uint32_t uncancel() const { return detail::task_uncancel(&task_state()); }
  /// Tasks cannot be completed from outside. Always throws RuntimeError (R28).
  [[noreturn]] void set_result() const {
    throw RuntimeError("Task does not support set_result operation");
  }
  [[noreturn]] void set_exception(std::exception_ptr) const {
    throw RuntimeError("Task does not support set_exception operation");
  }

  static AnyTask adopt_ref(detail::FutureBase* s) noexcept { return AnyTask(s); }

 protected:
  explicit AnyTask(detail::FutureBase* s) noexcept : AnyFuture(s) {}
  detail::TaskState& task_state() const { return static_cast<detail::TaskState&>(state()); }
};

/// A coroutine scheduled to run on a loop; a `Task<T>` is a `Future<T>`.
///
/// Created by `create_task(coro)`; its first step runs at the loop's next iteration, in
/// `call_soon` order. The loop keeps every unfinished task alive: dropping the handle does
/// not lose the task (a deliberate fix of Python's gh-91887).
///
/// **Cancellation:** `cancel(msg)` forwards to the future the task is parked on (down
/// any chain of awaited tasks); the coroutine sees CancelledError(msg) at its current
/// `co_await`; if it lets it escape, the task ends cancelled. `cancelling()` counts
/// requests; `uncancel()` undoes one.
/// **Exceptions:** `set_result`/`set_exception` throw RuntimeError (R28).
/// **Python:** `asyncio.Task`.
template <class T = void>
class Task : public Future<T> {
 public:
  Task() = default;
  std::string get_name() const { return task_state().task_name(); }
  void set_name(std::string name) const { task_state().set_name(std::move(name)); }
  std::uint32_t cancelling() const { return task_state().num_cancels_requested_; }
  std::uint32_t uncancel() const { return detail::task_uncancel(&task_state()); }
  template <class... V>
  [[noreturn]] void set_result(V&&...) const {
    throw RuntimeError("Task does not support set_result operation");
  }
  template <class E>
  [[noreturn]] void set_exception(E&&) const {
    throw RuntimeError("Task does not support set_exception operation");
  }
  operator AnyTask() const& {
    this->s_->add_ref();
    return AnyTask::adopt_ref(this->s_);
  }

  static Task adopt_ref(detail::FutureBase* s) noexcept { return Task(s); }

 private:
  explicit Task(detail::FutureBase* s) noexcept : Future<T>(s) {}
  detail::TaskState& task_state() const { return static_cast<detail::TaskState&>(this->state()); }
};

namespace detail {
LoopCore& running_loop_core();  // throws RuntimeError("no running event loop")

/// Turns the frame of `h` into a task on `loop` and schedules its first step (CPython:
/// Task.__init__ → call_soon(self.__step); the task itself: detail/task_state.hpp).
/// Cost: no allocation. Takes ownership of the frame, freeing it if it cannot be a task.
template <class T>
Task<T> spawn(LoopCore* loop, std::coroutine_handle<CoroPromise<T>> h, std::string&& name,
              std::optional<bool> eager_start = std::nullopt) {
  if (loop->is_closed()) {
    if (h) h.destroy();  // the caller released the frame to us: free it, not leak it
    loop->check_closed();
  }
  if (!h || h.promise().started_) {
    if (h) h.destroy();
    throw RuntimeError("cannot reuse already awaited coroutine");
  }
  CoroPromise<T>& p = h.promise();
  p.ops_ = &CoroPromise<T>::task_ops;
  task_init(&p, loop, h, std::move(name));
  Task<T> task = Task<T>::adopt_ref(&p);
  task_start(&p, eager_start.value_or(loop->eager_tasks_) && loop->running_here());
  return task;
}
}  // namespace detail

/// Options of `create_task`: a name, and `eager_start` to run the first step at once
/// (Python 3.12+ `Task(coro, eager_start=True)`; unset: the loop's task factory decides).
struct TaskOptions {
  std::string name = {};
  std::optional<bool> eager_start = std::nullopt;
};

/// Wraps `coro` in a Task on the running loop. **Exceptions:** RuntimeError("no running
/// event loop") outside a running loop. **Python:** `asyncio.create_task(coro, name=)`.
template <class T>
Task<T> create_task(Coro<T> coro, std::string name = {}) {
  // The loop first: if there is none, `coro` still owns its frame and frees it.
  detail::LoopCore* loop = &detail::running_loop_core();
  return detail::spawn<T>(loop, coro.release(), std::move(name));
}
/// `create_task` with options (`{.name = "x", .eager_start = true}`).
template <class T>
Task<T> create_task(Coro<T> coro, TaskOptions opts) {
  detail::LoopCore* loop = &detail::running_loop_core();
  return detail::spawn<T>(loop, coro.release(), std::move(opts.name), opts.eager_start);
}

/// The task whose step is running (empty handle if none). Defined in src/task.cpp.
/// **Exceptions:** RuntimeError("no running event loop"). **Python:** `asyncio.current_task()`.
AnyTask current_task();

/// Every unfinished task of the running loop, oldest first. Defined in src/task.cpp.
/// **Python:** `asyncio.all_tasks()`.
std::vector<AnyTask> all_tasks();

namespace detail {
/// Every unfinished task of `loop`, oldest first (CPython `all_tasks(loop)`).
std::vector<AnyTask> loop_tasks(LoopCore& loop);
}  // namespace detail

}  // namespace asyncio
