#pragma once
// A growable FIFO ring buffer (power-of-two capacity): once it has grown to its working
// size, pushing and popping allocate nothing (std::deque allocates and frees blocks as it
// cycles). The store of Queue (queues.hpp; CPython: the `collections.deque` of
// `Queue._queue`).
//
// Invariants: `size_ <= cap_`; `cap_` is 0 or a power of two (at least `MinCapacity`);
// the live elements are the `size_` slots from `head_` on, modulo `cap_`; every other slot
// is raw storage. The buffer owns its elements. Not thread-safe.

#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace asyncio::detail {

template <class T, std::size_t MinCapacity = 8>
class RingBuffer {
  static_assert(MinCapacity != 0 && (MinCapacity & (MinCapacity - 1)) == 0,
                "MinCapacity must be a power of two");

 public:
  RingBuffer() = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer() {
    clear();
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  /// Appends `v`; grows (out of line) when full.
  void push_back(T&& v) { emplace_back(std::move(v)); }
  void push_back(const T& v) { emplace_back(v); }
  template <class... A>
  void emplace_back(A&&... a) {
    if (size_ == cap_) [[unlikely]]
      grow();
    ::new (static_cast<void*>(buf_ + ((head_ + size_) & (cap_ - 1)))) T(std::forward<A>(a)...);
    ++size_;
  }
  /// Removes and returns the oldest element (the buffer must not be empty).
  T pop_front() {
    T& slot = buf_[head_];
    T out(std::move(slot));
    slot.~T();
    head_ = (head_ + 1) & (cap_ - 1);
    --size_;
    return out;
  }
  /// Destroys every element (the storage stays).
  void clear() {
    while (size_) {
      buf_[head_].~T();
      head_ = (head_ + 1) & (cap_ - 1);
      --size_;
    }
  }
  /// Calls `f(T&)` on each element, oldest first; `f` must not push or pop.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < size_; ++i) f(buf_[(head_ + i) & (cap_ - 1)]);
  }

 private:
  [[gnu::noinline]] void grow() {
    const std::size_t ncap = cap_ ? cap_ * 2 : MinCapacity;
    T* nbuf = std::allocator<T>().allocate(ncap);
    for (std::size_t i = 0; i < size_; ++i) {
      T& slot = buf_[(head_ + i) & (cap_ - 1)];
      ::new (static_cast<void*>(nbuf + i)) T(std::move(slot));
      slot.~T();
    }
    if (buf_) std::allocator<T>().deallocate(buf_, cap_);
    buf_ = nbuf;
    cap_ = ncap;
    head_ = 0;
  }

  T* buf_ = nullptr;
  std::size_t cap_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace asyncio::detail
