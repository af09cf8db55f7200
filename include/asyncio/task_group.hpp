#pragma once
/// \file task_group.hpp
/// `TaskGroup`: structured concurrency — children that fail cancel the rest; errors
/// reported together.

#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

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
  /// group; returns its result once every child has finished.
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
  struct Child {  // one per child still in the group; intrusive list in creation order
    TaskGroup* group;
    detail::FutureBase* task;  // one reference
    Child* prev;
    Child* next;
    bool registered;
  };

  void aenter();
  Coro<void> aexit(std::exception_ptr exc);
  void check_can_create();
  void add_child(detail::FutureBase* t);
  void abort();
  void on_task_done(Child* c);
  void unlink(Child* c);
  static void on_task_done_item(void* ctx, void* fut, detail::Op op);

  EventLoop* loop_ = nullptr;
  AnyTask parent_task_;
  std::deque<Child> children_;  // stable addresses; slots are not reused
  Child* head_ = nullptr;
  Child* tail_ = nullptr;
  std::size_t ntasks_ = 0;
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

namespace detail {
template <class B, bool WithGroup = std::is_invocable_v<B&, TaskGroup&>>
struct group_body {
  using type = std::invoke_result_t<B&, TaskGroup&>;
  static type call(B& b, TaskGroup& tg) { return b(tg); }
};
template <class B>
struct group_body<B, false> {
  using type = std::invoke_result_t<B&>;
  static type call(B& b, TaskGroup&) { return b(); }
};
}  // namespace detail

template <class F>
auto TaskGroup::run(F&& body) {
  using B = std::remove_cvref_t<F>;
  using Body = detail::group_body<B>;
  using R = typename decltype(detail::as_coro(std::declval<typename Body::type>()))::value_type;
  struct Runner {
    static Coro<R> go(B b) {
      TaskGroup tg;
      tg.aenter();
      std::exception_ptr exc;
      if constexpr (std::is_void_v<R>) {
        try {
          co_await detail::as_coro(Body::call(b, tg));
        } catch (...) {
          exc = std::current_exception();
        }
        co_await tg.aexit(exc);
        if (exc) std::rethrow_exception(exc);
      } else {
        std::optional<R> result;
        try {
          result.emplace(co_await detail::as_coro(Body::call(b, tg)));
        } catch (...) {
          exc = std::current_exception();
        }
        co_await tg.aexit(exc);
        if (exc) std::rethrow_exception(exc);
        co_return std::move(*result);
      }
    }
  };
  return Runner::go(B(std::forward<F>(body)));
}

}  // namespace asyncio
