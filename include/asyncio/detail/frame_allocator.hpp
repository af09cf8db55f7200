#pragma once
// Coroutine frames come from thread-local free lists of 64-byte size classes, so creating a
// task costs a pop from a list rather than a trip through malloc. Blocks freed on another
// thread simply join that thread's lists. Under AddressSanitizer frames go straight to
// operator new so use-after-free stays detectable.

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define ASYNCIO_FRAME_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNCIO_FRAME_POOL 0
#endif
#endif
#ifndef ASYNCIO_FRAME_POOL
#define ASYNCIO_FRAME_POOL 1
#endif

namespace asyncio::detail {

/// Counts frame allocations on this thread (the allocation-budget test reads it).
inline thread_local std::uint64_t frame_allocations = 0;

class FramePool {
 public:
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t classes = 16;  // frames up to 1 KiB are pooled

  static void* allocate(std::size_t n) {
    ++frame_allocations;
#if ASYNCIO_FRAME_POOL
    std::size_t c = (n + granule - 1) / granule;
    if (c < classes) {
      FramePool& p = instance();
      if (Block* b = p.free_[c]) {
        p.free_[c] = b->next;
        return b;
      }
      return ::operator new(c* granule);
    }
#endif
    return ::operator new(n);
  }
  static void deallocate(void* ptr, [[maybe_unused]] std::size_t n) noexcept {
#if ASYNCIO_FRAME_POOL
    std::size_t c = (n + granule - 1) / granule;
    if (c < classes) {
      FramePool& p = instance();
      auto* b = static_cast<Block*>(ptr);
      b->next = p.free_[c];
      p.free_[c] = b;
      return;
    }
#endif
    ::operator delete(ptr);
  }

  ~FramePool() {
    for (Block*& head : free_)
      while (head) {
        Block* next = head->next;
        ::operator delete(head);
        head = next;
      }
  }

 private:
  struct Block {
    Block* next;
  };
  static FramePool& instance() {
    thread_local FramePool pool;
    return pool;
  }
  Block* free_[classes] = {};
};

}  // namespace asyncio::detail
