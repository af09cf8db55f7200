#pragma once
/// \file gather.hpp
/// `gather(aws...)` and `gather(range)`: run awaitables concurrently, results in order.
//
// CPython: tasks.py: `gather`, `_GatheringFuture`. The machinery (the gathering future's
// state, who holds references on it and on the children) is in detail/gather_state.hpp.

#include <utility>

#include "asyncio/detail/gather_state.hpp"  // GatherState, gather_variadic, gather_range
#include "asyncio/result.hpp"

namespace asyncio {

/// Tag selecting `return_exceptions=True`.
/// **Python:** the `return_exceptions=True` argument of `asyncio.gather`.
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
/// `gather(return_exceptions, a, b)`.
/// **Python:** `gather(a, b, return_exceptions=True)`.
inline constexpr ReturnExceptions return_exceptions{};

/// Runs awaitables concurrently; their results, in argument order, as a `std::tuple`.
///
/// Arguments: any mix of `Coro<T>`, `Task<T>`, `Future<T>` (other gathers included) and
/// other awaitables such as `sleep(...)`. Coroutines are wrapped in tasks in argument
/// order, on the loop of the first future argument, else on `get_event_loop()` — so a
/// gather may be built before the loop runs. `void` results are `std::monostate`.
/// The first exception (a cancelled child counts as CancelledError) completes the gather;
/// the other children keep running. The same Task/Future twice is awaited once.
///
/// **Cancellation:** `cancel(msg)` on the returned future cancels every child not yet
/// done (nested gathers too); when they have finished, the gather holds a CancelledError
/// (bpo-32684) and `cancelled()` stays false. Cancelling the task awaiting the gather
/// does the same. `cancel()` on a finished gather returns false.
/// **Exceptions:** std::invalid_argument if futures belong to different loops.
/// **Python:** `asyncio.gather(*aws)`.
template <class... A>
requires(sizeof...(A) != 1 || !(detail::gather_range_arg<A> && ...)) auto gather(A&&... aws) {
  return detail::gather_variadic<false>(std::forward<A>(aws)...);
}

/// As `gather(aws...)` but exceptions and cancellations are returned as `Result<T>`
/// elements instead of failing the gather. **Python:** `gather(*aws, return_exceptions=True)`.
template <class... A>
requires(sizeof...(A) != 1 || !(detail::gather_range_arg<A> && ...)) auto gather(ReturnExceptions,
                                                                                 A&&... aws) {
  return detail::gather_variadic<true>(std::forward<A>(aws)...);
}

/// Gathers every element of a range (a vector, or a lazy view such as
/// `std::views::iota(1, 6) | std::views::transform(coro)`), results as a `std::vector`.
/// **Python:** `asyncio.gather(*iterable)` — "generators work too".
template <detail::gather_range_arg R>
auto gather(R&& range) {
  return detail::gather_range<false>(std::forward<R>(range));
}

/// Range form with `return_exceptions=True`: a `std::vector<Result<T>>`.
/// **Python:** `asyncio.gather(*iterable, return_exceptions=True)`.
template <detail::gather_range_arg R>
auto gather(ReturnExceptions, R&& range) {
  return detail::gather_range<true>(std::forward<R>(range));
}

}  // namespace asyncio
