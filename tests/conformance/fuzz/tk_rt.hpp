#pragma once
// Runtime of the toolkit fuzz nodes (gen_tk.py) on top of fuzz_rt.hpp; tk_rt.py is its
// CPython twin.

#include <exception>
#include <optional>
#include <string>
#include <utility>

#include "asyncio/asyncio.hpp"
#include "fuzz_rt.hpp"

namespace tk {

/// The errors of an ExceptionGroup: [ValueError('L3'), EG[...]].
inline std::string eg(const asyncio::ExceptionGroup& g) {
  std::string out = "[";
  bool first = true;
  for (const auto& e : g.exceptions()) {
    if (!first) out += ", ";
    first = false;
    try {
      std::rethrow_exception(e);
    } catch (const asyncio::ExceptionGroup& inner) {
      out += "EG" + eg(inner);
    } catch (...) {
      out += fuzz::erepr(e);
    }
  }
  return out + "]";
}

/// Registers a TaskGroup child as a cancel target.
template <class T>
asyncio::Task<T> track(const std::string& name, asyncio::Task<T> t) {
  fuzz::R.h[name] = t;
  return t;
}

/// `async with cm: [cm.reschedule(loop.time() + resched)]; return await <make()>`: the
/// awaitable is made inside the scope, after the entry armed the deadline (Python
/// evaluates the expression after `__aenter__`; a task created first would be scheduled
/// before the expiry handler).
template <class F>
auto scoped(asyncio::Timeout& cm, F make, std::optional<double> resched) {
  using V = typename decltype(asyncio::detail::as_coro(std::declval<F&>()()))::value_type;
  return cm.run([make = std::move(make), resched](asyncio::Timeout& self) -> asyncio::Coro<V> {
    if (resched) self.reschedule(asyncio::get_running_loop().time() + *resched);
    co_return co_await make();
  });
}

}  // namespace tk
