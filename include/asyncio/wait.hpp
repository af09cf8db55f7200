#pragma once
/// \file wait.hpp
/// `wait(aws, {.timeout, .return_when})`: wait for some of many futures; `{done, pending}`.
//
// CPython: tasks.py: `wait`, `_wait`, `_release_waiter`. The machinery (the long-lived
// WaitTracker behind a chain of calls, the awaiter of one call) is in
// detail/wait_tracker.hpp, included at the end of this file.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ranges>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/event_loop.hpp"

namespace asyncio {

/// When `wait` returns. **Python:** `asyncio.FIRST_COMPLETED` etc.
enum class ReturnWhen : int { FIRST_COMPLETED = 1, FIRST_EXCEPTION = 2, ALL_COMPLETED = 3 };
/// **Python:** `asyncio.FIRST_COMPLETED`.
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
/// **Python:** `asyncio.FIRST_EXCEPTION`.
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
/// **Python:** `asyncio.ALL_COMPLETED`.
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

/// Options of `wait`: `timeout` (none = wait as long as needed) and `return_when`.
/// **Python:** the `timeout=` and `return_when=` arguments of `asyncio.wait`.
struct WaitOptions {
  std::optional<Delay> timeout = std::nullopt;
  ReturnWhen return_when = ALL_COMPLETED;
};

namespace detail {
struct WaitTracker;  // detail/wait_tracker.hpp
struct WaitEntry;
template <class H, class Input>
class WaitAwaiter;
}  // namespace detail

/// The `pending` collection returned by `wait`: sized, iterable in input order. Pass it
/// back to `wait` (ideally with std::move) and the next call costs O(completions).
/// Copies share state; a copy kept from an earlier call stays readable.
/// **Python:** the `pending` set of `done, pending = await asyncio.wait(...)`.
template <class H>
class WaitSet {
 public:
  using value_type = H;
  WaitSet() = default;
  WaitSet(const WaitSet& o);
  WaitSet(WaitSet&& o) noexcept
      : t_(std::exchange(o.t_, nullptr)), gen_(o.gen_), size_(std::exchange(o.size_, 0)) {}
  WaitSet& operator=(WaitSet o) noexcept {
    std::swap(t_, o.t_);
    std::swap(gen_, o.gen_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~WaitSet();

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Forward iterator over the members, in input order. It yields a reference to a handle
  /// the set stores, so `for (auto& t : pending)`, `const auto&` and `auto` all work, and
  /// the set is a `std::ranges::forward_range` (handles are built on the first iteration).
  class iterator {
   public:
    using iterator_concept = std::forward_iterator_tag;
    using iterator_category = std::forward_iterator_tag;
    using value_type = H;
    using difference_type = std::ptrdiff_t;
    using reference = const H&;
    using pointer = const H*;
    iterator() = default;
    const H& operator*() const;
    const H* operator->() const { return &**this; }
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return e_ == o.e_; }

   private:
    friend class WaitSet;
    iterator(const WaitSet* s, const detail::WaitEntry* e) : set_(s), e_(e) {}
    const WaitSet* set_ = nullptr;
    const detail::WaitEntry* e_ = nullptr;  ///< null: the end
  };
  iterator begin() const;
  iterator end() const { return iterator(this, nullptr); }

  /// The members as a vector.
  std::vector<H> to_vector() const { return std::vector<H>(begin(), end()); }

 private:
  template <class, class>
  friend class detail::WaitAwaiter;
  WaitSet(detail::WaitTracker* t, std::uint64_t gen, std::size_t size)
      : t_(t), gen_(gen), size_(size) {}
  detail::WaitTracker* t_ = nullptr;  ///< one reference held
  std::uint64_t gen_ = 0;             ///< the tracker generation this view shows
  std::size_t size_ = 0;
};

/// What `wait` returns: `auto [done, pending] = co_await wait(...)`.
/// **Python:** the `(done, pending)` pair of sets.
template <class H>
struct WaitResult {
  std::vector<H> done;  ///< in input order
  WaitSet<H> pending;   ///< in input order
};

/// What `wait(...)` returns: awaitable once; `co_await` yields a `WaitResult<H>`.
/// **Python:** the coroutine object `asyncio.wait(...)` returns.
template <class H, class Input>
class [[nodiscard]] WaitCall {
 public:
  using value_type = WaitResult<H>;
  WaitCall(Input&& in, WaitOptions o) : in_(std::move(in)), opts_(o) {}
  detail::WaitAwaiter<H, Input> operator co_await() && { return {std::move(in_), opts_}; }

 private:
  Input in_;
  WaitOptions opts_;
};

/// Waits for the futures/tasks of `aws` (a range; coroutines in it become tasks) until
/// `return_when` holds or `timeout` expires; returns `{done, pending}` in input order.
///
/// FIRST_COMPLETED: as soon as any completes (several may be done at once);
/// FIRST_EXCEPTION: as soon as any fails (a cancelled input is not a failure), else when
/// all are done; ALL_COMPLETED: when all are done. A timeout returns what is done and
/// cancels nothing. Duplicates collapse.
///
/// **Cancellation:** cancelling the waiting task does not cancel the inputs.
/// **Exceptions:** std::invalid_argument("Set of Tasks/Futures is empty.") and
/// ("Invalid return_when value: ..."), ("Invalid delay: NaN (not a number)") for a NaN
/// timeout (CPython accepts it: docs/deviations.md S2).
/// **Performance:** passing back the `pending` a call returned costs O(completions)
/// (CPython: O(n) per call, gh-74741).
/// **Python:** `asyncio.wait(aws, timeout=, return_when=)`; results come in input order
/// rather than as sets, and coroutines are still accepted (3.11 refuses them).
template <class R>
requires std::ranges::input_range<R>
auto wait(R&& aws, WaitOptions opts = {}) {
  using D = std::remove_cvref_t<R>;
  using H = detail::ensure_future_t<std::ranges::range_value_t<D>>;
  if constexpr (std::is_same_v<D, WaitSet<H>>) {
    return WaitCall<H, WaitSet<H>>(D(std::forward<R>(aws)), opts);
  } else if constexpr (std::is_lvalue_reference_v<R> && detail::copy_constructible_v<D>) {
    return WaitCall<H, D>(D(aws), opts);
  } else {
    return WaitCall<H, D>(std::move(aws), opts);
  }
}

}  // namespace asyncio

#include "asyncio/detail/wait_tracker.hpp"  // IWYU pragma: export
