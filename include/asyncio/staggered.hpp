#pragma once
/// \file staggered.hpp
/// `staggered_race`: start coroutines one after another, `delay` apart (or as soon as the
/// previous one fails), and take the first to succeed. What happy eyeballs
/// (`create_connection(..., {.happy_eyeballs_delay = 0.25})`) is built on.
/// **Python:** `asyncio.staggered.staggered_race` (3.13).

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"

namespace asyncio {

/// What `staggered_race` returns. **Python:** its tuple `(winner_result, winner_index,
/// exceptions)`.
template <class T>
struct StaggeredResult {
  /// The winner's result; nullopt when none won (Python's None).
  std::optional<T> winner_result;
  /// The winner's index in `coro_fns`; nullopt when none won.
  std::optional<std::size_t> winner_index;
  /// One entry per coroutine started, in the order of `coro_fns`: what it raised
  /// (CancelledError for those the winner cancelled), null for the winner.
  std::vector<std::exception_ptr> exceptions;
};

/// Runs `coro_fns[0]()` at once; each next one starts when the previous one has failed
/// or `delay` seconds after it started, whichever comes first (`delay` nullopt: only on
/// failure, i.e. one after the other). The first to return wins: every other one,
/// started or waiting, is cancelled, and the race returns once they have all finished.
/// `coro_fns` are callables with no argument returning `Coro<T>` (`T` not void: use a
/// value to report success). **Cancellation:** everything started is cancelled, then
/// CancelledError propagates. **Python:** `await staggered.staggered_race(coro_fns,
/// delay)`; a coroutine returning None still wins there, here `T` must be a value.
template <class F>
auto staggered_race(std::vector<F> coro_fns, std::optional<Delay> delay)
    -> Coro<StaggeredResult<typename std::invoke_result_t<F&>::value_type>>;

}  // namespace asyncio

#include "asyncio/detail/staggered_race.hpp"  // IWYU pragma: export
