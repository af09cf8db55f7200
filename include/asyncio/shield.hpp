#pragma once
/// \file shield.hpp
/// `shield(aw)`: protect an awaitable from the cancellation of whoever awaits it.
//
// CPython: tasks.py: `shield`. Its two done callbacks are in detail/shield_callbacks.hpp.

#include <utility>

#include "asyncio/detail/shield_callbacks.hpp"  // ShieldInnerDone, ShieldOuterDone
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// Returns a future that follows `aw` but whose cancellation does not reach `aw`.
///
/// `aw` (a coroutine becomes a task) keeps running when the task awaiting the shield is
/// cancelled; that task still gets CancelledError. If `aw` is cancelled by someone else,
/// the shield is cancelled too. An already-done `aw` is returned as is.
/// **Python:** `asyncio.shield(aw)`. One extra iteration of latency versus awaiting `aw`.
template <class A>
auto shield(A&& aw) {
  auto inner = ensure_future(std::forward<A>(aw));
  using T = typename decltype(inner)::value_type;
  Future<T> inner_f = inner;
  if (inner_f.done()) return inner_f;
  Future<T> outer = inner_f.get_loop().template create_future<T>();
  inner_f.add_done_callback(detail::ShieldInnerDone<T>{outer});
  outer.add_done_callback(detail::ShieldOuterDone<T>{inner_f});
  return outer;
}

}  // namespace asyncio
