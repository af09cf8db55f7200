#pragma once
// Coroutine frames come from thread-local free lists of 16-byte size classes, so creating a
// task costs a pop from a list rather than a trip through malloc. An empty list is refilled
// by carving the next block out of a large chunk (a pointer bump), so even N frames alive at
// once cost N bumps and N / (chunk / frame) mallocs, not N mallocs.
//
// Invariants:
// * A block, once carved, is never returned to malloc: it is on some free list or in use.
//   Chunks live until the process ends (they are listed in a global registry, so leak
//   checkers see them as reachable). This is what makes cross-thread frees safe: a frame
//   freed on another thread joins that thread's lists, and its memory stays valid.
// * When a thread ends, its free lists move to a global orphan store, which threads that
//   run dry adopt before carving new chunks: memory is bounded by the peak number of live
//   frames, not by the number of threads ever started.
// * The per-thread state is trivially destructible, so a frame freed during thread or
//   process teardown (after the thread's pool was handed over) still has somewhere to go:
//   it goes to the orphan store under its mutex (slow, rare).
// Under AddressSanitizer frames go straight to operator new so use-after-free stays
// detectable.

#include <sys/mman.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <new>
#include <utility>

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
/// The size the compiler asked for in this thread's last frame allocation (the frame-budget
/// test reads it: it is the real coroutine frame size, promise included).
inline thread_local std::size_t last_frame_bytes = 0;

class FramePool {
 public:
  static constexpr std::size_t granule = 16;
  static constexpr std::size_t classes = 64;  // frames up to 1008 bytes are pooled
  /// The first chunks are small (from operator new), so a program with a few tasks stays
  /// small; later ones are 2 MiB mapped with MAP_POPULATE: when many tasks are created at
  /// once, page faults are most of their cost, and one populating mmap is far cheaper.
  static constexpr std::size_t small_chunk_bytes = 256 * 1024;
  static constexpr std::size_t small_chunks = 4;
  static constexpr std::size_t big_chunk_bytes = 2 * 1024 * 1024;

  static void* allocate(std::size_t n) {
    ++frame_allocations;
    last_frame_bytes = n;
#if ASYNCIO_FRAME_POOL
    std::size_t c = (n + granule - 1) / granule;
    if (c < classes) {
      Local& p = local;
      if (Block* b = p.free[c]) [[likely]] {
        p.free[c] = b->next;
        return b;
      }
      if (static_cast<std::size_t>(p.bump_end - p.bump) >= c * granule) {
        void* b = p.bump;  // carve from the current chunk
        p.bump += c * granule;
        return b;
      }
      return refill(c);
    }
#endif
    return ::operator new(n);
  }

  static void deallocate(void* ptr, [[maybe_unused]] std::size_t n) noexcept {
#if ASYNCIO_FRAME_POOL
    std::size_t c = (n + granule - 1) / granule;
    if (c < classes) {
      auto* b = static_cast<Block*>(ptr);
      Local& p = local;
      if (p.retired) [[unlikely]] {
        Global& g = global();
        std::lock_guard lock(g.mu);
        b->next = g.orphans[c];
        g.orphans[c] = b;
        g.any_orphans.store(true, std::memory_order_relaxed);
        return;
      }
      b->next = p.free[c];
      p.free[c] = b;
      return;
    }
#endif
    ::operator delete(ptr);
  }

 private:
  struct Block {
    Block* next;
  };
  struct Chunk {
    Chunk* next;
  };
  /// Per-thread state: plain data, valid for the thread's whole life (see invariants).
  struct Local {
    Block* free[classes];
    char* bump;
    char* bump_end;
    std::size_t chunks;  // chunks this thread has carved
    bool retired;        // this thread's lists were handed to the orphan store
    bool guarded;        // the Retirer of this thread is constructed
  };
  struct Global {
    std::mutex mu;
    Block* orphans[classes] = {};
    std::atomic<bool> any_orphans{false};  // a hint: false means no list to adopt
    Chunk* chunks = nullptr;
  };
  /// Hands the thread's free lists to the orphan store when the thread ends.
  struct Retirer {
    ~Retirer() {
      Local& p = local;
      Global& g = global();
      std::lock_guard lock(g.mu);
      for (std::size_t c = 0; c < classes; ++c) {
        Block* list = std::exchange(p.free[c], nullptr);
        if (!list) continue;
        Block* tail = list;
        if (g.orphans[c])  // splice; usually the store is empty and this is O(1)
          while (tail->next) tail = tail->next;
        tail->next = g.orphans[c];
        g.orphans[c] = list;
      }
      p.retired = true;
      g.any_orphans.store(true, std::memory_order_relaxed);
    }
  };

  static inline thread_local Local local{};

  static char* new_chunk(std::size_t bytes) {
    if (bytes < big_chunk_bytes) return static_cast<char*>(::operator new(bytes));
    // MAP_POPULATE: the kernel maps and zeroes the 512 pages in one call instead of taking
    // 512 page faults. (Huge pages were tried: faster when free huge pages exist, but a
    // fault that must compact memory first stalls for milliseconds; see docs/benchmarks.md.)
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return static_cast<char*>(p);
  }

  static Global& global() {
    static Global* g = new Global;  // never destroyed: frames may be freed during exit
    return *g;
  }

  /// Slow path (the current chunk is used up): adopt orphans of this class, else carve a
  /// block from a new chunk.
  [[gnu::noinline]] static void* refill(std::size_t c) {
    Local& p = local;
    if (!p.guarded) {
      p.guarded = true;
      thread_local Retirer retirer;
      (void)retirer;
    }
    const std::size_t size = c * granule;
    Global& g = global();
    if (g.any_orphans.load(std::memory_order_relaxed)) {
      std::lock_guard lock(g.mu);
      if (Block* b = g.orphans[c]) {
        g.orphans[c] = nullptr;
        p.free[c] = b->next;  // adopt the whole list
        return b;
      }
    }
    if (static_cast<std::size_t>(p.bump_end - p.bump) < size) {
      const std::size_t bytes = p.chunks < small_chunks ? small_chunk_bytes : big_chunk_bytes;
      char* chunk = new_chunk(bytes);
      ++p.chunks;
      {
        std::lock_guard lock(g.mu);
        auto* head = reinterpret_cast<Chunk*>(chunk);
        head->next = g.chunks;
        g.chunks = head;
      }
      p.bump = chunk + granule;  // the first granule holds the registry link
      p.bump_end = chunk + bytes;
    }
    void* b = p.bump;
    p.bump += size;
    return b;
  }
};

}  // namespace asyncio::detail
