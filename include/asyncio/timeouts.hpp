#pragma once
/// \file timeouts.hpp
/// `timeout(delay)` / `timeout_at(when)`: a scope that cancels the current task at a
/// deadline and turns that cancellation into TimeoutError.
//
// CPython: timeouts.py: `Timeout`, `timeout`, `timeout_at`. The `async with` runner is
// detail/scope.hpp's. Lifetime: an entered Timeout is pinned (moving it terminates): its
// timer node is embedded and the runner frame points to it. Its destructor unschedules the
// timer and cancels the `call_soon` handle, so nothing fires into a destroyed scope.

#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/detail/scope.hpp"
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// A timeout scope (CPython `asyncio.Timeout`).
///
/// C++ has no `async with`; the scope is `run`, which cannot forget its exit step:
/// ```
/// async with asyncio.timeout(10) as cm:        auto cm = asyncio::timeout(10);
///     await work()                             co_await cm.run(work());
/// if cm.expired(): ...                         if (cm.expired()) ...
/// ```
/// `run` also takes a callable `body(Timeout&)` (or `body()`) returning an awaitable, for
/// blocks that call `reschedule()`; `co_await asyncio::timeout(10, work())` is the
/// one-line form. States: created → active → (expiring → expired) | finished.
///
/// **Cancellation:** at the deadline the current task is cancelled; at the exit of the
/// scope that fired, a CancelledError becomes TimeoutError (carrying it as nested
/// exception, C++'s `raise ... from`), but only if no other cancellation is pending
/// (`uncancel()` brings the count back to what it was on entry). Nested scopes: only the
/// one that expired converts. An outside cancel stays a CancelledError.
/// **Exceptions:** RuntimeError("Timeout has already been entered" | "Timeout should be
/// used inside a task" | "Timeout has not been entered" | "Cannot change state of
/// <state> Timeout").
/// **Python:** `asyncio.timeout` / `asyncio.timeout_at` / `asyncio.Timeout` (3.11+, 3.13
/// semantics; the 3.13 splicing of TimeoutError into another exception's `__context__`
/// chain has no C++ equivalent and is not done).
class Timeout {
 public:
  /// A scope with absolute deadline `when` on the loop's clock; nullopt: never.
  /// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)").
  explicit Timeout(std::optional<double> when) : when_(when) {
    if (when) detail::check_not_nan(*when);
  }
  Timeout(Timeout&& o) noexcept : when_(o.when_), state_(o.state_) {
    if (o.state_ != State::created) std::terminate();  // entered scopes are pinned
  }
  Timeout(const Timeout&) = delete;
  Timeout& operator=(const Timeout&) = delete;
  ~Timeout() { cancel_handler(); }

  /// The current deadline (nullopt: none).
  std::optional<double> when() const { return when_; }
  /// Moves the deadline (nullopt disables it). Only while the scope is active.
  /// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for NaN.
  void reschedule(std::optional<double> when);
  /// True once the deadline has fired (expiring or expired).
  bool expired() const { return state_ == State::expiring || state_ == State::expired; }
  /// "created", "active", "expiring", "expired" or "finished".
  const char* state() const;

  /// Runs `body` inside the scope and returns its result. `body` is an awaitable (a Coro,
  /// Task, Future, sleep...) or a callable returning one (or void), called with this
  /// Timeout if it accepts it.
  template <class B>
  auto run(B&& body);

 private:
  enum class State { created, entered, expiring, expired, exited };
  void enter();
  /// CPython `__aexit__`: may replace `exc` by TimeoutError (throws it).
  void exit(const std::exception_ptr& exc);
  void on_timeout();
  void cancel_handler();
  static void on_timer(void* node, void*, detail::Op op);

  struct Node : detail::TimerNode {
    Timeout* self = nullptr;
  };
  /// The `async with` of `run` (detail/scope.hpp): enter, exit, and `as cm`.
  struct Scope {
    explicit Scope(Timeout* t) : t(t) {}
    void enter() { t->enter(); }
    Timeout& target() { return *t; }
    void exit(const std::exception_ptr& exc) { t->exit(exc); }
    Timeout* t;
  };
  std::optional<double> when_;
  State state_ = State::created;
  AnyTask task_;
  std::uint32_t cancelling_ = 0;
  detail::LoopCore* loop_ = nullptr;
  Node node_;    // the call_at handler, embedded
  Handle soon_;  // the call_soon handler (deadline already past)
};

/// A timeout scope `delay` from now (nullopt: never). Needs a running loop.
/// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for NaN
/// (here and in `timeout_at`; CPython accepts it: docs/deviations.md S2).
/// **Python:** `asyncio.timeout(delay)`.
Timeout timeout(std::optional<Delay> delay);
/// A timeout scope with an absolute deadline. **Python:** `asyncio.timeout_at(when)`.
inline Timeout timeout_at(std::optional<double> when) { return Timeout(when); }

template <class B>
auto Timeout::run(B&& body) {
  return detail::run_scope<detail::scope_result_t<std::decay_t<B>, Timeout>, Scope>(
      std::forward<B>(body), this);
}

/// `co_await timeout(delay, aw)`: the one-line form of `async with timeout(delay): await aw`.
/// **Python:** `async with asyncio.timeout(delay): return await aw`.
template <class A>
auto timeout(std::optional<Delay> delay, A&& aw) {
  using R = detail::scope_result_t<std::decay_t<A>, Timeout>;
  struct Runner {
    static Coro<R> go(std::optional<Delay> d, std::remove_cvref_t<A> a) {
      Timeout cm = timeout(d);
      co_return co_await cm.run(std::move(a));
    }
  };
  return Runner::go(delay, std::forward<A>(aw));
}

}  // namespace asyncio
