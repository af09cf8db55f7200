#pragma once
// The awaiters behind the waiting methods of locks.hpp (included at its end), and their
// support. CPython: locks.py — the `fut = self._get_loop().create_future();
// self._waiters.append(fut); try: await fut ... finally: self._waiters.remove(fut)` that
// `Event.wait`, `Lock.acquire`, `Semaphore.acquire` and `Condition.wait` each spell out,
// and mixins.py (`_LoopBoundMixin._get_loop`).
//
// Ownership and lifetime: an awaiter lives in the awaiting coroutine's frame and owns its
// waiter node (detail/waiter_list.hpp), which the primitive links into its FIFO while the
// task waits. The primitive owns nothing of the awaiter; whichever of the two goes first,
// the node is unlinked (see waiter_list.hpp). An awaiter destroyed while its task is still
// parked on the node (the loop closing) unregisters the task's wake-up.

#include <coroutine>
#include <cstddef>
#include <string>

#include "asyncio/detail/waiter_list.hpp"
#include "asyncio/locks.hpp"

namespace asyncio::detail {

/// "<asyncio.locks.Lock object at 0x... [extra]>" (CPython's repr of the primitives).
std::string primitive_repr(const char* cls, const void* self, const std::string& extra);

/// CPython `mixins._LoopBoundMixin._get_loop`: a primitive is bound to the loop of the
/// first task that has to wait on it; waiting from another loop is an error.
template <class Self>
void bind_loop(LoopCore*& bound, LoopCore* loop, const Self& self) {
  if (!bound) {
    bound = loop;
  } else if (bound != loop) {
    throw RuntimeError(self.repr() + " is bound to a different event loop");
  }
}

/// What every awaiter of a primitive `Prim` (Event, Lock, Semaphore, Condition) keeps and
/// does: the waiter node (built only if the task really waits), the task parked on it, and
/// the one way to wait — bind the primitive to the task's loop, append a fresh waiter to
/// its FIFO, park the task on it. Leaving while parked unregisters the waiter.
template <class Prim>
class ParkingAwaiter {
 public:
  ParkingAwaiter(const ParkingAwaiter&) = delete;
  ParkingAwaiter& operator=(const ParkingAwaiter&) = delete;
  ~ParkingAwaiter() {
    if (WaiterNode* n = node_.get()) unpark(n, task_);
  }

  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    PromiseBase* t = h.promise().task();
    bind_loop(prim_->loop_, t->loop_, *prim_);
    task_ = t;
    WaiterNode& n = node_.emplace();
    n.rearm(t->loop_);
    prim_->waiters_.push_back(&n);
    park_on(&n, h);
  }

 protected:
  explicit ParkingAwaiter(Prim* p) : prim_(p) {}
  /// CPython `finally: self._waiters.remove(fut)`.
  void leave() { prim_->waiters_.remove(node_.get()); }

  Prim* prim_;
  LazyWaiterNode node_;
  PromiseBase* task_ = nullptr;  ///< set once the task waits
};

/// Awaiter of `Event::wait()`.
class EventWaitAwaiter : public ParkingAwaiter<Event> {
 public:
  explicit EventWaitAwaiter(Event* e) : ParkingAwaiter(e) {}
  bool await_ready() const noexcept { return prim_->value_; }
  bool await_resume() {
    if (task_) {
      leave();
      task_->rethrow_injected();
    }
    return true;
  }
};

/// Awaiter of `Lock::acquire()`.
class LockAcquireAwaiter : public ParkingAwaiter<Lock> {
 public:
  explicit LockAcquireAwaiter(Lock* l) : ParkingAwaiter(l) {}
  bool await_ready() {
    // Fair: jump the queue only if every waiter is cancelled.
    if (!prim_->locked_ && prim_->all_waiters_cancelled()) {
      prim_->locked_ = true;
      return true;
    }
    return false;
  }
  bool await_resume() {
    if (task_) {
      leave();
      if (task_->has_injected()) {
        // Cancelled (possibly after being woken): if the lock is free, make sure the
        // first waiter will run (CPython: `if not self._locked: self._wake_up_first()`).
        if (!prim_->locked_) prim_->wake_up_first();
        task_->rethrow_injected();
      }
    }
    prim_->locked_ = true;
    return true;
  }
};

/// Awaiter of `Semaphore::acquire()`.
class SemaphoreAcquireAwaiter : public ParkingAwaiter<Semaphore> {
 public:
  explicit SemaphoreAcquireAwaiter(Semaphore* s) : ParkingAwaiter(s) {}
  bool await_ready() {
    if (!prim_->locked()) {
      --prim_->value_;
      return true;
    }
    return false;
  }
  bool await_resume() {
    if (!task_) return true;
    leave();
    const bool cancelled = task_->has_injected();
    // Granted a slot (set_result) but cancelled before resuming: give the slot back.
    if (cancelled && node_->done() && !node_->cancelled()) ++prim_->value_;
    // New waiters may have queued behind us under FIFO: wake as many as the count allows.
    while (prim_->value_ > 0)
      if (!prim_->wake_up_next()) break;
    task_->rethrow_injected();
    return true;
  }
};

/// The wait of `Condition::wait()` proper (after the lock is released; the loop is bound
/// already): always waits.
class ConditionWaitAwaiter : public ParkingAwaiter<Condition> {
 public:
  explicit ConditionWaitAwaiter(Condition* c) : ParkingAwaiter(c) {}
  bool await_ready() const noexcept { return false; }
  void await_resume() {
    leave();
    task_->rethrow_injected();
  }
};

/// `acquire_guard()`: the primitive's acquire awaiter, yielding a LockGuard.
template <class L, class Inner>
class GuardAwaiter {
 public:
  template <class A>
  GuardAwaiter(L* p, A a) : inner_(a), p_(p) {}
  GuardAwaiter(const GuardAwaiter&) = delete;
  GuardAwaiter& operator=(const GuardAwaiter&) = delete;
  bool await_ready() { return inner_.await_ready(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    inner_.await_suspend(h);
  }
  LockGuard<L> await_resume() {
    inner_.await_resume();
    return LockGuard<L>(*p_);
  }

 private:
  Inner inner_;
  L* p_;
};

}  // namespace asyncio::detail
