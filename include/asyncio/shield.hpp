#pragma once
/// \file shield.hpp
/// `shield(aw)`: protect an awaitable from the cancellation of whoever awaits it.

#include <type_traits>
#include <utility>

#include "asyncio/event_loop.hpp"

namespace asyncio {

namespace detail {
template <class T>
struct ShieldInnerDone {  // CPython shield's `_inner_done_callback`
  Future<T> outer;
  template <class F>
  void operator()(const F& inner) const {
    if (outer.cancelled()) {
      if (!inner.cancelled()) (void)inner.exception();  // mark retrieved
      return;
    }
    if (inner.cancelled()) {
      outer.cancel();
    } else if (auto exc = inner.exception()) {
      outer.set_exception(exc);
    } else if constexpr (std::is_void_v<T>) {
      outer.set_result();
    } else if constexpr (std::is_copy_constructible_v<T>) {
      outer.set_result(inner.result());
    } else {
      outer.set_result(std::move(inner.result()));
    }
  }
  bool operator==(const ShieldInnerDone& o) const { return outer == o.outer; }
};
template <class T>
struct ShieldOuterDone {  // CPython shield's `_outer_done_callback`
  Future<T> inner;
  void operator()(const Future<T>& outer) const {
    if (!inner.done()) inner.remove_done_callback(ShieldInnerDone<T>{outer});
  }
  bool operator==(const ShieldOuterDone& o) const { return inner == o.inner; }
};
}  // namespace detail

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
