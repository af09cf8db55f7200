#pragma once
/// \file wait_for.hpp
/// `wait_for(aw, timeout)`: await with a deadline; on expiry cancel, wait, TimeoutError.
//
// CPython: tasks.py: `wait_for` (3.12+), `_cancel_and_wait`. The coroutines doing the work
// are in detail/wait_for_impl.hpp.

#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/detail/wait_for_impl.hpp"  // wait_for_impl, cancel_and_wait
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// Awaits `aw` (a Coro runs inline in the calling task, as 3.12+ does), but at most
/// `timeout` (nullopt: no limit).
///
/// On expiry the awaited work is cancelled and *waited for* (its cleanup may take longer
/// than the timeout), then TimeoutError is thrown (with the CancelledError nested). If the
/// work swallows the cancellation and returns a value, that value is returned; an
/// exception raised during its cancellation propagates instead. `timeout <= 0`: a
/// coroutine is not even started; a done future returns its result.
/// **Cancellation:** cancelling the caller cancels `aw` and is never lost, even when `aw`
/// completes in the same iteration (gh-86296).
/// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for a NaN
/// timeout, when awaited (CPython accepts it: docs/deviations.md S2).
/// **Python:** `asyncio.wait_for(aw, timeout)` (3.12+ semantics, built on `timeout()`).
template <class A>
auto wait_for(A&& aw, std::optional<Delay> timeout_delay) {
  using R = typename decltype(detail::as_coro(std::declval<A>()))::value_type;
  using D = std::remove_cvref_t<A>;
  return detail::wait_for_impl<R, D>(D(std::forward<A>(aw)), timeout_delay);
}

}  // namespace asyncio
