#pragma once
// The one `async with` of the library: a body run inside a scope whose exit always runs.
// CPython: the `async with` statement (PEP 492) — `__aenter__`, the block, then
// `__aexit__(exc)`, which may replace the exception. Used by `Timeout::run`
// (timeouts.hpp) and `TaskGroup::run` (task_group.hpp).
//
// A scope is a small class that `run_scope` builds, from its trailing arguments, in its own
// coroutine frame (so it lives exactly as long as the `async with` statement):
//
//   Scope(args...)                  built when the runner starts (first awaited)
//   void enter()                    `__aenter__`; if it throws, neither body nor exit runs
//   Target& target()                what a callable body receives (`as cm:`)
//   exit(const std::exception_ptr&) `__aexit__`: returns void, or an awaitable that the
//                                   runner awaits; it may throw (that replaces the body's
//                                   exception, as `__aexit__` raising does)
//
// The body is one of: a callable taking `Target&`, a callable taking nothing (each
// returning an awaitable, or void: a body that only spawns needs no coroutine), or an
// awaitable itself (`scope_body` is the one dispatcher).
// The runner owns the body (moved into its frame) and, for a callable, calls it once.
// After the exit, the body's exception (if the exit did not throw) is rethrown, else its
// result returned.

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/event_loop.hpp"

namespace asyncio::detail {

/// The block of an `async with`: `body(target)`, else `body()`, else `body` itself.
template <class B, class Target>
decltype(auto) scope_body(B&& body, Target& target) {
  if constexpr (std::is_invocable_v<B&, Target&>) {
    return body(target);
  } else if constexpr (std::is_invocable_v<B&>) {
    return body();
  } else {
    return std::forward<B>(body);
  }
}

/// What `scope_body` returns for a body of type B: an awaitable, or void.
template <class B, class Target>
using scope_call_t = decltype(scope_body(std::declval<B>(), std::declval<Target&>()));

template <class C>
auto scope_value_of() {
  if constexpr (std::is_void_v<C>) {
    return std::type_identity<void>{};
  } else {
    return std::type_identity<typename decltype(as_coro(std::declval<C>()))::value_type>{};
  }
}

/// The value type of the block's awaitable (what the `async with` statement yields); void
/// for a callable body returning void.
template <class B, class Target>
using scope_result_t = typename decltype(scope_value_of<scope_call_t<B, Target>>())::type;

/// Runs `body` inside `Scope(args...)` (see the file comment): enter, await the body,
/// exit with its exception (or none), then rethrow it or return the body's result.
template <class R, class Scope, class B, class... A>
Coro<R> run_scope(B body, A... args) {
  Scope scope(std::move(args)...);
  scope.enter();
  std::exception_ptr exc;
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;
  try {
    using Target = std::remove_reference_t<decltype(scope.target())>;
    if constexpr (std::is_void_v<scope_call_t<B, Target>>) {
      scope_body(std::move(body), scope.target());  // a plain callable: runs synchronously
    } else if constexpr (std::is_void_v<R>) {
      co_await as_coro(scope_body(std::move(body), scope.target()));
    } else {
      result.emplace(co_await as_coro(scope_body(std::move(body), scope.target())));
    }
  } catch (...) {
    exc = std::current_exception();
  }
  if constexpr (std::is_void_v<decltype(scope.exit(exc))>) {
    scope.exit(exc);
  } else {
    co_await scope.exit(exc);
  }
  if (exc) std::rethrow_exception(exc);
  if constexpr (!std::is_void_v<R>) co_return std::move(*result);
}

}  // namespace asyncio::detail
