#pragma once
// The two done callbacks of shield (shield.hpp). CPython: tasks.py: `shield`'s
// `_inner_done_callback` and `_outer_done_callback`.
//
// Ownership: each callback holds a handle (one reference) on the other future: the inner
// one's callback keeps the outer future alive until the inner completes, the outer one's
// keeps the inner alive until the outer completes. The outer's callback removes the
// inner's when the outer finishes first (cancelled), breaking that link; the callbacks
// compare equal by the future they hold, which is what `remove_done_callback` matches.

#include <type_traits>
#include <utility>

#include "asyncio/event_loop.hpp"

namespace asyncio::detail {

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

}  // namespace asyncio::detail
