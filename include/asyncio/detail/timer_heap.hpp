#pragma once
// The loop's timer heap (CPython: BaseEventLoop._scheduled, a heapq of TimerHandles).

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "asyncio/detail/ready_queue.hpp"

namespace asyncio::detail {

/// Refuses a NaN delay or deadline where it enters the library (sleep, call_later,
/// call_at, timeout, timeout_at, Timeout::reschedule, wait_for, wait): a NaN in the timer
/// heap would break its ordering. One message everywhere, `asyncio.sleep`'s.
/// **Python:** `ValueError('Invalid delay: NaN (not a number)')` (only sleep checks; the
/// others accept NaN, and the loop later fails in `select`: docs/deviations.md).
[[noreturn]] inline void throw_nan_delay() {
  throw std::invalid_argument("Invalid delay: NaN (not a number)");
}
inline double check_not_nan(double v) {
  if (v != v) throw_nan_delay();
  return v;
}

/// A timer living inside its owner (a sleep awaiter in a coroutine frame, or a user
/// TimerHandle). The heap points at it; `index` says where, so cancelling can clear that
/// entry in O(1) without searching (lazy removal as CPython: the entry stays until it
/// reaches the top or the heap is rebuilt).
struct TimerNode {
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  static constexpr std::size_t in_ready = npos - 1;  ///< due: queued on the ready queue
  double when = 0;
  std::size_t index = npos;  ///< heap position, `in_ready`, or npos (not scheduled)
  bool scheduled() const { return index != npos; }
  /// Queued on the ready queue when due: `fire(node, nullptr, op)`.
  CallbackFn fire = nullptr;
};

/// A 4-ary min-heap of (when, seq) with FIFO order for equal deadlines (seq grows
/// monotonically) — a deliberate refinement of CPython, whose heap orders ties arbitrarily.
/// Entries cache `when` and `seq` so sifting touches only the heap array.
/// Invariant: for every live entry e, `e.node->index` is e's position; cancelled entries
/// have `node == nullptr` and are counted in `cancelled_`.
class TimerHeap {
 public:
  struct Entry {
    double when;
    std::uint64_t seq;
    TimerNode* node;
  };

  std::size_t size() const { return heap_.size(); }
  bool empty() const { return heap_.empty(); }
  std::size_t cancelled() const { return cancelled_; }
  const Entry& top() const { return heap_.front(); }

  void push(TimerNode* node) {
    assert(node->when == node->when && "NaN deadline in the timer heap");
    heap_.push_back(Entry{node->when, seq_++, node});
    sift_up(heap_.size() - 1);
    check_around(node->index);
  }

  /// Removes the top entry (live or cancelled).
  void pop() {
    if (!heap_.front().node)
      --cancelled_;
    else
      heap_.front().node->index = TimerNode::npos;
    Entry last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) {
      heap_.front() = last;
      if (last.node) last.node->index = 0;
      sift_down(0);
      check_around(0);
    }
  }

  /// Lazy removal: the entry stays, emptied. O(1).
  void cancel(TimerNode* node) {
    if (node->index >= TimerNode::in_ready) return;
    heap_[node->index].node = nullptr;
    node->index = TimerNode::npos;
    ++cancelled_;
  }

  /// Drops every cancelled entry and re-heapifies (CPython: when more than half of
  /// more than 100 timers are cancelled). Keeps (when, seq), so FIFO ties survive.
  void rebuild() {
    std::size_t j = 0;
    for (std::size_t i = 0; i < heap_.size(); ++i)
      if (heap_[i].node) heap_[j++] = heap_[i];
    heap_.resize(j);
    cancelled_ = 0;
    for (std::size_t i = 0; i < heap_.size(); ++i) heap_[i].node->index = i;
    if (heap_.size() > 1)
      for (std::size_t i = (heap_.size() - 2) / 4 + 1; i-- > 0;) sift_down(i);
  }

  /// Empties the heap; every live node learns it is no longer scheduled.
  template <class F>
  void clear(F&& on_live_node) {
    std::vector<Entry> old;
    old.swap(heap_);
    cancelled_ = 0;
    for (auto& e : old)
      if (e.node) {
        e.node->index = TimerNode::npos;
        on_live_node(e.node);
      }
  }

 private:
  /// Debug builds: the entry at `i` is ordered against its parent and its children (the
  /// heap invariant where the last push or pop moved things; O(1)).
  void check_around([[maybe_unused]] std::size_t i) const {
#ifndef NDEBUG
    if (i >= heap_.size()) return;
    assert((i == 0 || !less(heap_[i], heap_[(i - 1) / 4])) && "timer heap out of order");
    for (std::size_t c = 4 * i + 1; c < 4 * i + 5 && c < heap_.size(); ++c)
      assert(!less(heap_[c], heap_[i]) && "timer heap out of order");
#endif
  }
  static bool less(const Entry& a, const Entry& b) {
    return a.when < b.when || (a.when == b.when && a.seq < b.seq);
  }
  void place(std::size_t i, const Entry& e) {
    heap_[i] = e;
    if (e.node) e.node->index = i;
  }
  void sift_up(std::size_t i) {
    Entry e = heap_[i];
    while (i > 0) {
      std::size_t p = (i - 1) / 4;
      if (!less(e, heap_[p])) break;
      place(i, heap_[p]);
      i = p;
    }
    place(i, e);
  }
  void sift_down(std::size_t i) {
    Entry e = heap_[i];
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t c = 4 * i + 1;
      if (c >= n) break;
      std::size_t best = c;
      std::size_t end = c + 4 < n ? c + 4 : n;
      for (std::size_t k = c + 1; k < end; ++k)
        if (less(heap_[k], heap_[best])) best = k;
      if (!less(heap_[best], e)) break;
      place(i, heap_[best]);
      i = best;
    }
    place(i, e);
  }

  std::vector<Entry> heap_;
  std::uint64_t seq_ = 0;
  std::size_t cancelled_ = 0;
};

}  // namespace asyncio::detail
