#pragma once
// Waiters of the synchronization primitives and queues (locks.hpp, queues.hpp).
// CPython: locks.py and queues.py keep a `collections.deque` of futures made by
// `loop.create_future()` (`_waiters`, `_getters`, `_putters`) and park the task on one.
//
// Here that future is a WaiterNode embedded in the awaiter, so in the awaiting
// coroutine's frame: blocking costs no allocation. The primitive links the node into an
// intrusive FIFO (WaiterList, the library's IntrusiveList) while the task waits;
// completing the node (`set_result`) queues the task's wake-up exactly as CPython's
// future would.
//
// Ownership and lifetime: a node is owned by its awaiter and pinned (its reference count
// never drops to zero: the scheduled wake-ups' references come and go around the
// awaiter's own); a list owns nothing. A node unlinks itself when destroyed and a list
// unlinks every node when destroyed, so a primitive and the frames waiting on it may go
// away in either order (the loop closing destroys pending frames in its own order).

#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <tuple>
#include <utility>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/promise.hpp"

namespace asyncio::detail {

/// A pinned future owned by an awaiter (its reference count never drops to zero), plus
/// its links in a primitive's FIFO of waiters.
struct WaiterNode final : FutureBase, ListHook<WaiterNode> {
  WaiterNode() : FutureBase(nullptr) {}
  WaiterNode(const WaiterNode&) = delete;
  WaiterNode& operator=(const WaiterNode&) = delete;
  ~WaiterNode() { unlink(); }

  /// Back to a fresh pending future bound to `loop` (a new `loop.create_future()`).
  void rearm(LoopCore* loop) {
    loop_ = loop;
    state_ = FutureState::pending;
    exc_ = nullptr;
    cancel_.reset();
    log_traceback_ = false;
  }
};

/// Intrusive FIFO of WaiterNodes (CPython: the `_waiters` / `_getters` / `_putters` deque).
/// `remove(node)` is CPython's `deque.remove(fut)` minus the ValueError (a no-op for a
/// node no longer linked). Not thread-safe.
using WaiterList = IntrusiveList<WaiterNode, WaiterNode>;

/// Storage for a WaiterNode built only when the awaiter really waits: the fast paths
/// (a free lock, a set event, a non-empty queue) then cost no constructor or destructor.
class LazyWaiterNode {
 public:
  LazyWaiterNode() noexcept {}
  LazyWaiterNode(const LazyWaiterNode&) = delete;
  LazyWaiterNode& operator=(const LazyWaiterNode&) = delete;
  ~LazyWaiterNode() {
    if (live_) node_.~WaiterNode();
  }
  /// The node, built on first use.
  WaiterNode& emplace() {
    if (!live_) {
      ::new (static_cast<void*>(&node_)) WaiterNode();
      live_ = true;
    }
    return node_;
  }
  /// The node, or null if never built.
  WaiterNode* get() noexcept { return live_ ? &node_ : nullptr; }
  WaiterNode* operator->() noexcept { return &node_; }  // only once built

 private:
  union {
    WaiterNode node_;
  };
  bool live_ = false;
};

/// Completes a waiter with a value (CPython `fut.set_result(...)`; the value is unused).
inline void wake_waiter(WaiterNode* n) { n->finish_with_value(); }

/// Undoes a park made with a custom wake-up callback (`ctx` = the awaiter) when the
/// awaiting frame is destroyed while parked (loop closed).
inline void unpark_ctx(FutureBase* f, PromiseBase* t, void* ctx) {
  if (t && t->fut_waiter_ == f && !f->done()) {
    f->callbacks_.remove_if([ctx](const DoneCallback& cb) { return cb.ctx == ctx; });
    t->fut_waiter_ = nullptr;
  }
}

/// Done callback of an awaiter written after CPython's `while cond: fut = ...; await fut`
/// (Queue.get / Queue.put). CPython's wake-up runs one task step; when that step would
/// only find the condition still true and park on a fresh future again, this callback
/// does exactly that (`a->retry()` re-arms and returns true) without resuming the
/// coroutine — the same observable effect (same iteration, same place at the end of the
/// waiter FIFO, same registration order), no coroutine round trip. Otherwise (the
/// condition changed, an exception or a pending cancellation is due) it runs the real step.
///
/// `A` has `PromiseBase* task_` and `bool retry()`; ctx = the awaiter, fut = its node.
template <class A>
void retry_wakeup(void* ctx, void* fut, Op op) {
  CallbackRef ref(fut, op);
  if (op != Op::run) return;
  auto* a = static_cast<A*>(ctx);
  PromiseBase* t = a->task_;
  FutureBase* f = ref.future();
  ref.release_now();  // the node is pinned by its awaiter: never the last reference
  if (f->state_ == FutureState::finished && !f->exc_ && !t->must_cancel_ && !t->done() &&
      a->retry())
    return;
  std::exception_ptr exc;
  if (f->state_ != FutureState::finished || f->exc_) exc = f->result_error();
  task_step(t, std::move(exc));
}

/// What a primitive's waiting method returns (`lock.acquire()`, `event.wait()`,
/// `queue.get()`...): an awaitable that builds its awaiter, in place, in the awaiting
/// frame (awaiters are pinned: they hold the waiter node). Awaitable once; also accepted
/// wherever an awaitable is (`create_task(lock.acquire())`, `wait_for(q.get(), 1s)`).
template <class Awaiter, class... Args>
class [[nodiscard]] AwaitableCall {
 public:
  explicit AwaitableCall(Args... a) : args_(std::move(a)...) {}
  Awaiter operator co_await() && { return std::make_from_tuple<Awaiter>(std::move(args_)); }

 private:
  std::tuple<Args...> args_;
};

}  // namespace asyncio::detail
