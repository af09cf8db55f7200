#pragma once
/// \file queues.hpp
/// `Queue`, `PriorityQueue`, `LifoQueue` for producer/consumer tasks of one loop, and
/// their exceptions `QueueEmpty`, `QueueFull`, `QueueShutDown` (CPython `asyncio.queues`).
//
// CPython: queues.py. The awaiters of `get`, `put` and `join` are in
// detail/queue_awaiters.hpp, the FIFO store in detail/ring_buffer.hpp. A queue owns its
// items and no awaiter; a blocked `put` owns its item until it is stored.

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/queue_awaiters.hpp"  // QueueGetAwaiter, QueuePutAwaiter, QueueJoinAwaiter
#include "asyncio/detail/ring_buffer.hpp"
#include "asyncio/detail/waiter_list.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/locks.hpp"

namespace asyncio {

/// `get_nowait()` on an empty queue. **Python:** `asyncio.QueueEmpty` (an `Exception`).
class QueueEmpty : public std::runtime_error {
 public:
  QueueEmpty() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// `put_nowait()` on a full queue. **Python:** `asyncio.QueueFull`.
class QueueFull : public std::runtime_error {
 public:
  QueueFull() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// Putting to, or getting from, a shut-down queue. **Python:** `asyncio.QueueShutDown` (3.13).
class QueueShutDown : public std::runtime_error {
 public:
  QueueShutDown() : std::runtime_error("") {}
  using std::runtime_error::runtime_error;
};

/// A FIFO queue for coordinating producer and consumer tasks.
///
/// `maxsize <= 0`: unbounded. `put()` waits while the queue is full, `get()` while it is
/// empty; waiters are served in FIFO order, each woken one iteration before it resumes,
/// as in CPython. `task_done()`/`join()` count unfinished items. `shutdown()` (3.13) makes
/// puts and, once empty (or at once with `immediate`), gets throw QueueShutDown.
///
/// Subclasses change the order by overriding `put_item`, `get_item`, `item_count`
/// (CPython's `_put`, `_get`, `qsize`): see PriorityQueue and LifoQueue.
/// **Cancellation:** a cancelled `get()` takes no item and, if it had been woken for an
/// item, wakes the next getter; a cancelled `put()` adds nothing and passes a free slot
/// on to the next putter.
/// **Exceptions:** QueueEmpty, QueueFull, QueueShutDown; `task_done()` too often:
/// std::invalid_argument("task_done() called too many times").
/// Not thread-safe. Waiting allocates nothing. **Python:** `asyncio.Queue`.
template <class T>
class Queue {
 public:
  explicit Queue(std::ptrdiff_t maxsize = 0) : maxsize_(maxsize) { finished_.set(); }
  Queue(const Queue&) = delete;
  Queue& operator=(const Queue&) = delete;
  virtual ~Queue() = default;

  /// Number of items in the queue. **Python:** `qsize()`.
  std::size_t qsize() const { return item_count(); }
  /// **Python:** `maxsize`.
  std::ptrdiff_t maxsize() const noexcept { return maxsize_; }
  /// **Python:** `empty()`.
  bool empty() const { return item_count() == 0; }
  /// True when there are `maxsize` items (never for an unbounded queue). **Python:** `full()`.
  bool full() const { return maxsize_ > 0 && item_count() >= static_cast<std::size_t>(maxsize_); }

  /// Puts `item`, waiting for a free slot while full. **Python:** `await q.put(item)`.
  detail::AwaitableCall<detail::QueuePutAwaiter<T>, Queue*, T> put(T item) {
    return detail::AwaitableCall<detail::QueuePutAwaiter<T>, Queue*, T>(this, std::move(item));
  }
  /// Puts `item` at once or throws QueueFull (QueueShutDown after `shutdown()`).
  /// **Python:** `put_nowait(item)`.
  void put_nowait(T item) {
    if (is_shutdown_) throw QueueShutDown();
    if (full()) throw QueueFull();
    put_item(std::move(item));
    ++unfinished_;
    finished_.clear();
    wakeup_next(getters_);
  }
  /// Removes and returns an item, waiting while empty. **Python:** `await q.get()`.
  detail::AwaitableCall<detail::QueueGetAwaiter<T>, Queue*> get() {
    return detail::AwaitableCall<detail::QueueGetAwaiter<T>, Queue*>(this);
  }
  /// Removes and returns an item at once, or throws QueueEmpty (QueueShutDown when shut
  /// down and empty). **Python:** `get_nowait()`.
  T get_nowait() {
    if (empty()) {
      if (is_shutdown_) throw QueueShutDown();
      throw QueueEmpty();
    }
    T item = get_item();
    wakeup_next(putters_);
    return item;
  }

  /// Marks one item taken by `get()` as processed. **Python:** `task_done()`.
  void task_done() {
    if (unfinished_ == 0) throw std::invalid_argument("task_done() called too many times");
    if (--unfinished_ == 0) finished_.set();
  }
  /// Waits until every item put has been marked done. **Python:** `await q.join()`.
  detail::AwaitableCall<detail::QueueJoinAwaiter, const std::size_t*, Event*> join() {
    return detail::AwaitableCall<detail::QueueJoinAwaiter, const std::size_t*, Event*>(&unfinished_,
                                                                                       &finished_);
  }
  /// Shuts the queue down: `put` throws QueueShutDown from now on, `get` once the queue
  /// is empty; blocked putters and getters wake up (and throw). `immediate`: the items
  /// left are dropped (each counted done, which may release `join()`), so gets throw at
  /// once. **Python:** `shutdown(immediate=False)` (3.13).
  void shutdown(bool immediate = false) {
    is_shutdown_ = true;
    if (immediate) {
      while (!empty()) {
        (void)get_item();
        if (unfinished_ > 0) --unfinished_;
      }
      if (unfinished_ == 0) finished_.set();
    }
    while (detail::WaiterNode* g = getters_.pop_front())
      if (!g->done()) detail::wake_waiter(g);
    while (detail::WaiterNode* p = putters_.pop_front())
      if (!p->done()) detail::wake_waiter(p);
  }

  /// "<Queue at 0x... maxsize=1 _getters[1] tasks=2>" (CPython's repr without the items).
  std::string repr() const {
    return detail::queue_repr(class_name(), this, maxsize_, getters_.size(), putters_.size(),
                              unfinished_, is_shutdown_);
  }

 protected:
  /// CPython `_put`: stores an item.
  virtual void put_item(T&& item) { fifo_.push_back(std::move(item)); }
  /// CPython `_get`: takes the next item (never called on an empty queue).
  virtual T get_item() { return fifo_.pop_front(); }
  /// CPython `len(self._queue)`.
  virtual std::size_t item_count() const { return fifo_.size(); }
  virtual const char* class_name() const { return "Queue"; }

 private:
  template <class, class>
  friend class detail::QueueWaitAwaiter;
  friend class detail::QueueGetAwaiter<T>;
  friend class detail::QueuePutAwaiter<T>;

  /// CPython `_wakeup_next`: pops waiters until one not yet done, and wakes it.
  static void wakeup_next(detail::WaiterList& waiters) {
    while (detail::WaiterNode* w = waiters.pop_front()) {
      if (!w->done()) {
        detail::wake_waiter(w);
        return;
      }
    }
  }

  std::ptrdiff_t maxsize_;
  detail::RingBuffer<T> fifo_;
  detail::WaiterList getters_;
  detail::WaiterList putters_;
  std::size_t unfinished_ = 0;
  Event finished_;
  detail::LoopCore* loop_ = nullptr;
  bool is_shutdown_ = false;
};

/// A Queue that returns the smallest item first (a binary heap, with exactly the sift
/// order of Python's `heapq`, so items that compare equal come out in the same order).
/// `Compare(a, b)` is `a < b`. **Python:** `asyncio.PriorityQueue`.
template <class T, class Compare = std::less<T>>
class PriorityQueue : public Queue<T> {
 public:
  explicit PriorityQueue(std::ptrdiff_t maxsize = 0, Compare less = Compare())
      : Queue<T>(maxsize), less_(std::move(less)) {}

 protected:
  void put_item(T&& item) override {
    heap_.push_back(std::move(item));
    sift_down(0, heap_.size() - 1);
  }
  T get_item() override {
    T last = std::move(heap_.back());
    heap_.pop_back();
    if (heap_.empty()) return last;
    T top = std::move(heap_.front());
    heap_.front() = std::move(last);
    sift_up(0);
    return top;
  }
  std::size_t item_count() const override { return heap_.size(); }
  const char* class_name() const override { return "PriorityQueue"; }

 private:
  // heapq's `_siftdown`: moves the item at `pos` up towards `start` while smaller.
  void sift_down(std::size_t start, std::size_t pos) {
    T item = std::move(heap_[pos]);
    while (pos > start) {
      std::size_t parent = (pos - 1) >> 1;
      if (!less_(item, heap_[parent])) break;
      heap_[pos] = std::move(heap_[parent]);
      pos = parent;
    }
    heap_[pos] = std::move(item);
  }
  // heapq's `_siftup`: sinks the hole at `pos` to a leaf along the smaller children, puts
  // the item there, then sifts it back up (fewer comparisons, Knuth 5.2.3 ex. 18).
  void sift_up(std::size_t pos) {
    const std::size_t end = heap_.size();
    const std::size_t start = pos;
    T item = std::move(heap_[pos]);
    std::size_t child = 2 * pos + 1;
    while (child < end) {
      std::size_t right = child + 1;
      if (right < end && !less_(heap_[child], heap_[right])) child = right;
      heap_[pos] = std::move(heap_[child]);
      pos = child;
      child = 2 * pos + 1;
    }
    heap_[pos] = std::move(item);
    sift_down(start, pos);
  }

  std::vector<T> heap_;
  Compare less_;
};

/// A Queue that returns the most recently added item first. **Python:** `asyncio.LifoQueue`.
template <class T>
class LifoQueue : public Queue<T> {
 public:
  using Queue<T>::Queue;

 protected:
  void put_item(T&& item) override { stack_.push_back(std::move(item)); }
  T get_item() override {
    T out = std::move(stack_.back());
    stack_.pop_back();
    return out;
  }
  std::size_t item_count() const override { return stack_.size(); }
  const char* class_name() const override { return "LifoQueue"; }

 private:
  std::vector<T> stack_;
};

}  // namespace asyncio
