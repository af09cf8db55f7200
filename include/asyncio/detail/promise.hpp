#pragma once
// The part of every Coro<T> frame's promise that is not a future or a task: the links of
// an inline `co_await` chain and the frame allocator (CoroPromise<T>, coro.hpp, adds the
// result slot and the initial/final suspend points).
//
// The promise derives from TaskState (detail/task_state.hpp), so any frame can become a
// task in place: `create_task(coro)` costs no allocation beyond the frame. Inline
// `co_await coro()` uses the same promise with the task fields idle, and hands control
// over by symmetric transfer (no native stack growth).

#include <coroutine>
#include <cstddef>

#include "asyncio/detail/frame_allocator.hpp"
#include "asyncio/detail/task_state.hpp"

namespace asyncio::detail {

/// The promise fields shared by every coroutine type: the chain of inline awaits (CPython's
/// interpreter links awaiting frames itself; here each frame records its awaiter).
struct PromiseBase : TaskState {
  void* operator new(std::size_t n) { return FramePool::allocate(n); }
  void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }

  /// The root promise of the task running this coroutine: itself once spawn made it a
  /// task, else (inline) the awaiter's (`inline_task_`, which shares storage with a root's
  /// `fut_waiter_`, as `continuation_` does with `resume_`: TaskState). Set before the
  /// frame first runs.
  [[gnu::always_inline]] PromiseBase* task() { return is_task() ? this : inline_task_; }
};

}  // namespace asyncio::detail
