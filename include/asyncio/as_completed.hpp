#pragma once
/// \file as_completed.hpp
/// `as_completed(aws, timeout)`: the inputs in completion order.
//
// CPython: tasks.py: `as_completed`, `_AsCompletedIterator` (3.13). The machinery (the
// shared state, who holds references on it) is in detail/as_completed_state.hpp.

#include <cstddef>
#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/detail/as_completed_state.hpp"  // AsCompletedState, as_completed_next/_resolve
#include "asyncio/detail/input_set.hpp"
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// What `as_completed` returns: iterate it either way, and resume after a `break`.
/// **Python:** the iterator `asyncio.as_completed()` returns (3.13 `_AsCompletedIterator`:
/// `async for` and plain `for`).
template <class H>
class AsCompleted {
 public:
  using value_type = typename H::value_type;
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;
  AsCompleted(AsCompleted&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  ~AsCompleted() {
    if (s_) s_->release();
  }

  /// The 3.13 `async for`: the next input (the original Task/Future, or the task made for a
  /// coroutine) to complete, or nullopt when all have been yielded:
  /// `while (auto t = co_await it.next()) { ... }`.
  /// **Exceptions:** TimeoutError once the timeout has passed (nothing is cancelled).
  Coro<std::optional<H>> next() { return detail::as_completed_next<H>(detail::AsCompletedRef(s_)); }

  /// Plain iteration: each element is an awaitable resolving to the result (or exception)
  /// of the next input to complete — `for (auto next : as_completed(aws)) co_await next;`.
  class iterator {
   public:
    using difference_type = std::ptrdiff_t;
    using value_type = Coro<typename H::value_type>;
    iterator() = default;
    Coro<typename H::value_type> operator*() const {
      --s_->todo_left_;
      return detail::as_completed_resolve<H>(detail::AsCompletedRef(s_));
    }
    iterator& operator++() { return *this; }
    void operator++(int) {}
    bool operator==(std::default_sentinel_t) const { return !s_ || s_->todo_left_ == 0; }

   private:
    friend class AsCompleted;
    explicit iterator(detail::AsCompletedState* s) : s_(s) {}
    detail::AsCompletedState* s_ = nullptr;
  };
  iterator begin() const { return iterator(s_); }
  std::default_sentinel_t end() const { return {}; }

  /// Inputs not yet handed out.
  std::size_t remaining() const { return s_->todo_left_; }

  explicit AsCompleted(detail::AsCompletedState* s) : s_(s) {}

 private:
  detail::AsCompletedState* s_;
};

/// Runs the awaitables of `aws` concurrently (coroutines become tasks at once, as 3.13
/// does) and yields them in completion order — see `AsCompleted`. Duplicates collapse.
/// O(1) per completion; one timer for the whole iteration; a timeout cancels nothing.
/// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for a NaN
/// timeout, before any input is scheduled (CPython accepts it: docs/deviations.md S2).
/// **Python:** `asyncio.as_completed(aws, timeout=)` (3.13: `async for` yields the original
/// futures; plain iteration yields awaitables of the results). Inputs are registered in
/// input order (CPython: set order).
template <class R>
requires std::ranges::input_range<R>
auto as_completed(R&& aws, std::optional<Delay> timeout = std::nullopt) {
  using E = std::ranges::range_value_t<std::remove_cvref_t<R>>;
  using H = detail::ensure_future_t<E>;
  if (timeout) detail::check_not_nan(timeout->seconds);  // before any input is scheduled
  EventLoop& loop = get_event_loop();
  std::vector<detail::FutureBase*> futs;
  try {
    for (auto&& a : aws) {
      auto f = ensure_future(std::forward<decltype(a)>(a));
      detail::FutureBase* p = f.state_ptr();
      p->add_ref();
      futs.push_back(p);
    }
  } catch (...) {
    for (auto* p : futs) p->release();
    throw;
  }
  detail::drop_repeats(futs);  // duplicates collapse (a set)
  auto* s = new detail::AsCompletedState(&loop);
  s->start(std::move(futs), timeout);
  return AsCompleted<H>(s);
}

}  // namespace asyncio
