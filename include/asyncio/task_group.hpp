#pragma once
/// \file task_group.hpp
/// `TaskGroup`: structured concurrency — children that fail cancel the rest; errors
/// reported together.
//
// CPython: taskgroups.py: `TaskGroup`. The `async with` runner is detail/scope.hpp's.
// Ownership and lifetime: a TaskGroup lives in `run`'s coroutine frame; it holds one
// reference on every child task it made (`children_`) until it is destroyed. A child's
// done callback holds no reference on the group: the exit waits until every child has
// finished (and its callback has run), and on abnormal paths (frames destroyed by
// loop.close()) the destructor unregisters the callbacks still on the children.

#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/scope.hpp"
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// A group of tasks whose exit waits for every child (CPython `asyncio.TaskGroup`).
///
/// C++ has no `async with`; `TaskGroup::run` is the scope and always runs the exit step:
/// ```
/// async with asyncio.TaskGroup() as tg:         co_await asyncio::TaskGroup::run(
///     t1 = tg.create_task(a())                      [&](asyncio::TaskGroup& tg) -> Coro<void> {
///     t2 = tg.create_task(b())                        auto t1 = tg.create_task(a());
///                                                     auto t2 = tg.create_task(b());
///                                                     co_return; });
/// ```
/// The first child to fail (with anything but CancelledError) cancels the other children
/// and the body; the exit waits for all of them, then throws `ExceptionGroup("unhandled
/// errors in a TaskGroup", errors)` — child errors in completion order, then the body's.
/// Errors win over an outside cancellation; without errors an outside cancellation is
/// rethrown after the children have finished (they are cancelled first). Cancel counts are
/// restored as in 3.13 (gh-116720). Children are cancelled in creation order (CPython:
/// set order).
/// **Exceptions:** RuntimeError("TaskGroup <...> has not been entered" | "... is finished" |
/// "... is shutting down" | "... has already been entered" | "... cannot determine the
/// parent task").
/// **Python:** `asyncio.TaskGroup` (3.13.0 semantics).
class TaskGroup {
 public:
  TaskGroup() = default;
  TaskGroup(const TaskGroup&) = delete;
  TaskGroup& operator=(const TaskGroup&) = delete;
  ~TaskGroup();

  /// Runs `body(TaskGroup&)` (or `body()`), a callable returning an awaitable, inside a new
  /// group; returns its result once every child has finished. A body that only creates
  /// tasks may be a plain callable returning void: `[&](TaskGroup& tg) { tg.create_task(a()); }`
  /// (a lambda declared `-> Coro<void>` without co_await/co_return is not a coroutine).
  template <class F>
  static auto run(F&& body);

  /// Creates a child task. **Python:** `TaskGroup.create_task(coro, name=)`.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {});
  /// Any other awaitable is wrapped in a coroutine first.
  template <class A>
  requires(!detail::is_coro<std::remove_cvref_t<A>>::value) auto create_task(
      A&& aw, std::string name = {}) {
    return create_task(detail::as_coro(std::forward<A>(aw)), std::move(name));
  }

  /// "<TaskGroup tasks=2 errors=1 cancelling>" as CPython's repr.
  std::string repr() const;

 private:
  struct ChildTag {};
  /// One per child task (in `children_`, never reused); linked in `pending_`, in creation
  /// order, while the task runs. Holds one reference on the task.
  struct Child : detail::ListHook<ChildTag> {
    Child(TaskGroup* g, detail::FutureBase* t) : group(g), task(t) {}
    TaskGroup* group;
    detail::FutureBase* task;
    bool registered = false;  ///< its done callback is on the task
  };
  struct Scope;  // the `async with` of `run`

  void aenter();
  Coro<void> aexit(std::exception_ptr exc);
  void check_can_create();
  void add_child(detail::FutureBase* t);
  void abort();
  void on_task_done(Child* c);
  static void on_task_done_item(void* ctx, void* fut, detail::Op op);

  EventLoop* loop_ = nullptr;
  AnyTask parent_task_;
  std::deque<Child> children_;                      // stable addresses; slots are not reused
  detail::IntrusiveList<Child, ChildTag> pending_;  // after children_: unlinks before they go
  std::size_t ntasks_ = 0;                          // the length of pending_
  std::vector<std::exception_ptr> errors_;
  Future<void> on_completed_fut_;
  bool entered_ = false;
  bool exiting_ = false;
  bool aborting_ = false;
  bool parent_cancel_requested_ = false;
};

template <class T>
Task<T> TaskGroup::create_task(Coro<T> coro, std::string name) {
  try {
    check_can_create();
  } catch (...) {
    coro.close();  // 3.13: the rejected coroutine is closed, not left "never awaited"
    throw;
  }
  Task<T> task = loop_->create_task(std::move(coro), std::move(name));
  add_child(task.state_ptr());
  return task;
}

/// The `async with` of `run` (detail/scope.hpp): the group lives in the runner's frame.
struct TaskGroup::Scope {
  void enter() { tg.aenter(); }
  TaskGroup& target() { return tg; }
  Coro<void> exit(const std::exception_ptr& exc) { return tg.aexit(exc); }
  TaskGroup tg;
};

template <class F>
auto TaskGroup::run(F&& body) {
  return detail::run_scope<detail::scope_result_t<std::decay_t<F>, TaskGroup>, Scope>(
      std::forward<F>(body));
}

}  // namespace asyncio
