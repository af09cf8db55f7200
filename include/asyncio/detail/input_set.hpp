#pragma once
// The one deduplication of the combinators' inputs. CPython turns the inputs of `wait` and
// `as_completed` into a set (tasks.py: `fs = set(fs)`), and gather awaits a repeated
// future once (tasks.py: gather's `arg_to_fut`). Here inputs keep their order: the first
// occurrence of a future counts, later ones are repeats.
//
// Cost: nothing for fewer than two candidates; otherwise one sorted copy of the pointers
// (O(n log n), one allocation), and a hash set only when something does repeat — so the
// common case (no repeats) allocates nothing per element.

#include <algorithm>
#include <cstddef>
#include <unordered_set>
#include <vector>

#include "asyncio/detail/future_base.hpp"

namespace asyncio::detail {

/// Tells the repeated occurrences of futures in an input, in input order.
class RepeatFilter {
 public:
  /// Looks at `futs` (the input's futures, in order). `candidates`: how many of them may
  /// repeat another (a task made for a coroutine cannot); below two, nothing repeats.
  explicit RepeatFilter(const std::vector<FutureBase*>& futs,
                        std::size_t candidates = static_cast<std::size_t>(-1)) {
    if (candidates < 2 || futs.size() < 2) return;
    std::vector<FutureBase*> sorted(futs);
    std::sort(sorted.begin(), sorted.end());
    any_ = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
    if (any_) seen_.reserve(futs.size());
  }
  /// Some future occurs more than once.
  bool any() const { return any_; }
  /// Call once per element, in input order: true if `f` occurred before.
  bool repeat(FutureBase* f) { return any_ && !seen_.insert(f).second; }

 private:
  std::unordered_set<FutureBase*> seen_;
  bool any_ = false;
};

/// Removes the repeated occurrences from `futs` (first occurrences stay, in order) and
/// releases the reference each of them held.
inline void drop_repeats(std::vector<FutureBase*>& futs) {
  RepeatFilter repeats(futs);
  if (!repeats.any()) return;
  std::size_t j = 0;
  for (FutureBase* f : futs) {
    if (repeats.repeat(f))
      f->release();
    else
      futs[j++] = f;
  }
  futs.resize(j);
}

}  // namespace asyncio::detail
