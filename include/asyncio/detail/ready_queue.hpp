#pragma once
// The loop's ready queue (CPython: BaseEventLoop._ready, a deque of Handles).

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

namespace asyncio::detail {

/// What to do with a queued item or registered callback: `run` it; `discard` it unrun
/// from the ready queue (loop.close(); releases what the queued item holds); `forget` a
/// done callback still registered on a future that is being destroyed.
enum class Op : unsigned char { run, discard, forget };

/// The one signature of everything the loop calls back: a ready-queue item and a done
/// callback alike are `fn(ctx, arg, op)`. For a done callback `ctx` is what the registrar
/// passed and `arg` the future that completed; for other items each says what they are.
using CallbackFn = void (*)(void* ctx, void* arg, Op op);

/// One entry of the ready queue: `fn(ctx, arg, op)`. Task steps, future wake-ups, timer
/// firings and user handles all travel as ReadyItems, so pushing never allocates (beyond
/// the ring's amortised growth) and running costs one indirect call.
struct ReadyItem {
  CallbackFn fn;
  void* ctx;  ///< the registrant's context: a task, an awaiter, a handle, a timer node
  void* arg;  ///< a done callback's future (holding a reference on it); else usually null
};

/// FIFO ring buffer of ReadyItems with power-of-two capacity.
/// Invariant: `tail_ - head_ <= capacity`; indices grow monotonically and are masked.
class ReadyQueue {
 public:
  ReadyQueue() = default;
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;
  ~ReadyQueue() { std::free(buf_); }

  // Always inlined, with the growth out of line: pushing is on every hot path, and GCC
  // stops inlining it into a large caller (run_once) once growth is part of it.
  [[gnu::always_inline]] void push(const ReadyItem& item) {
    if (tail_ - head_ == cap_) [[unlikely]]
      grow();
    buf_[tail_++ & (cap_ - 1)] = item;
  }
  ReadyItem pop() { return buf_[head_++ & (cap_ - 1)]; }
  std::size_t size() const { return tail_ - head_; }
  /// Turns every queued item {fn, ctx, *} into a no-op. O(size): for rare cancellations.
  void neutralize(CallbackFn fn, void* ctx) {
    for (std::size_t i = head_; i != tail_; ++i) {
      ReadyItem& it = buf_[i & (cap_ - 1)];
      if (it.fn == fn && it.ctx == ctx) it.fn = &noop;
    }
  }
  static void noop(void*, void*, Op) {}
  bool empty() const { return tail_ == head_; }
  /// Makes room for `n` more items at once (gather of N coroutines queues N first steps):
  /// one allocation of the final size instead of doublings that copy the ring each time.
  void reserve(std::size_t n) {
    const std::size_t need = size() + n;
    if (need <= cap_) return;
    std::size_t ncap = cap_ ? cap_ : 64;
    while (ncap < need) ncap *= 2;
    grow_to(ncap);
  }

 private:
  [[gnu::noinline, gnu::cold]] void grow() { grow_to(cap_ ? cap_ * 2 : 64); }
  void grow_to(std::size_t ncap) {
    auto* nbuf = static_cast<ReadyItem*>(std::malloc(ncap * sizeof(ReadyItem)));
    if (!nbuf) throw std::bad_alloc();
    for (std::size_t i = head_; i != tail_; ++i) nbuf[i - head_] = buf_[i & (cap_ - 1)];
    std::free(buf_);
    tail_ -= head_;
    head_ = 0;
    buf_ = nbuf;
    cap_ = ncap;
  }

  ReadyItem* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t tail_ = 0;
};

}  // namespace asyncio::detail
