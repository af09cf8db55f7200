#pragma once
// The machinery of wait_for (wait_for.hpp). CPython: tasks.py: `wait_for` (3.12+: built on
// `timeouts.timeout`), `_cancel_and_wait`, `_release_waiter`.
//
// Lifetime: everything lives in the coroutine frames (wait_for_impl's, cancel_and_wait's);
// `cancel_and_wait` removes its done callback (which holds a handle on its waiter) from
// the awaited future whatever way its wait ends.

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/event_loop.hpp"
#include "asyncio/timeouts.hpp"

namespace asyncio::detail {

/// Done callback of cancel_and_wait (CPython `functools.partial(_release_waiter, waiter)`).
struct ReleaseWaiter {
  Future<void> waiter;
  void operator()(const AnyFuture&) const {
    if (!waiter.done()) waiter.set_result();
  }
  bool operator==(const ReleaseWaiter& o) const { return waiter == o.waiter; }
};

/// CPython `_cancel_and_wait(fut)`: cancel and wait until it has really finished, through a
/// separate waiter so that this wait itself stays cancellable.
inline Coro<void> cancel_and_wait(AnyFuture fut) {
  Future<void> waiter = get_running_loop().create_future<void>();
  ReleaseWaiter cb{waiter};
  fut.add_done_callback(cb);
  std::exception_ptr exc;
  try {
    fut.cancel();
    co_await waiter;
  } catch (...) {
    exc = std::current_exception();
  }
  fut.remove_done_callback(cb);
  if (exc) std::rethrow_exception(exc);
}

template <class R, class A>
Coro<R> wait_for_impl(A aw, std::optional<Delay> timeout_delay) {
  if (timeout_delay && timeout_delay->seconds <= 0) {
    // R47: run as a future (a coroutine becomes a task that never starts); if it is not
    // done, cancel it, wait for it to finish, then its result, or TimeoutError if it
    // ended cancelled.
    auto fut = ensure_future(std::move(aw));
    auto result = [&]() -> R {
      fut.state_ptr()->throw_if_error();
      if constexpr (!std::is_void_v<R>) return GetMove<R>{}(fut.state_ptr());
    };
    // Already done: its result, exception or CancelledError, unchanged.
    if (fut.done()) co_return result();
    co_await cancel_and_wait(fut);
    // Only a cancellation this wait_for caused becomes TimeoutError.
    std::exception_ptr cancelled;
    try {
      co_return result();
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    }
    try {
      std::rethrow_exception(cancelled);
    } catch (...) {
      std::throw_with_nested(TimeoutError());  // `raise TimeoutError from exc`
    }
  }
  Timeout cm = timeout(timeout_delay);
  co_return co_await cm.run(std::move(aw));
}

}  // namespace asyncio::detail
