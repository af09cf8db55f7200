#pragma once
/// \file locks.hpp
/// Synchronization primitives for tasks of one loop: Event, Lock, Semaphore,
/// BoundedSemaphore, Condition, Barrier — and LockGuard, the C++ form of `async with lock:`.
///
/// Same semantics as CPython's `asyncio.locks`, down to the loop iteration at which each
/// waiter resumes: a release wakes the first waiter through its future's `set_result`, so
/// the waiter resumes one iteration later; an acquire that need not wait does not suspend.
/// None of these is thread-safe (use `EventLoop::call_soon_threadsafe` to reach them from
/// another thread). Waiting costs no allocation: the waiter's future lives in the awaiter.
/// `async with` mapping: docs/async-with-locks.md.
//
// CPython: locks.py (Event, Lock, Semaphore, BoundedSemaphore, Condition, Barrier) and
// mixins.py (`_LoopBoundMixin`). The awaiters of the waiting methods and their support
// are in detail/lock_awaiters.hpp, included at the end of this file; the waiter nodes and
// FIFOs in detail/waiter_list.hpp. A primitive owns no awaiter and an awaiter owns its
// waiter node: see waiter_list.hpp for why either may be destroyed first.

#include <cstddef>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/coro.hpp"
#include "asyncio/detail/waiter_list.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

/// A Barrier was aborted or reset while a task waited on it, or is broken.
/// **Python:** `asyncio.BrokenBarrierError` (a `RuntimeError`).
class BrokenBarrierError : public RuntimeError {
 public:
  using RuntimeError::RuntimeError;
};

class Event;
class Lock;
class Semaphore;
class Condition;

namespace detail {
// The awaiters behind the waiting methods: detail/lock_awaiters.hpp (end of this file).
template <class Prim>
class ParkingAwaiter;
class EventWaitAwaiter;
class LockAcquireAwaiter;
class SemaphoreAcquireAwaiter;
class ConditionWaitAwaiter;
template <class L, class Inner>
class GuardAwaiter;
/// A LockGuard could not release in its destructor: reported to the running loop's
/// exception handler (stderr without one) instead of terminating.
void report_guard_release_error(std::exception_ptr e) noexcept;
}  // namespace detail

/// Owns one acquisition of a Lock, Semaphore, BoundedSemaphore or Condition and releases
/// it when destroyed — also when an exception (CancelledError included) leaves the scope.
///
/// ```
/// async with lock:                     {
///     await work()                       auto held = co_await lock.acquire_guard();
///                                        co_await work();
///                                      }  // released here
/// ```
/// Move-only. `release()` releases early (and may throw as the primitive's `release()`
/// does); `owns_lock()` says whether it still holds. A release failing in the destructor
/// (the lock was released by hand meanwhile) is reported to the loop's exception handler.
/// **Python:** `async with primitive:` (`__aexit__` is a plain `release()`).
template <class L>
class [[nodiscard]] LockGuard {
 public:
  LockGuard() = default;
  /// Adopts an acquisition already made.
  explicit LockGuard(L& primitive) noexcept : p_(&primitive) {}
  LockGuard(LockGuard&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  LockGuard& operator=(LockGuard&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  LockGuard(const LockGuard&) = delete;
  LockGuard& operator=(const LockGuard&) = delete;
  ~LockGuard() { reset(); }

  bool owns_lock() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return owns_lock(); }
  /// Releases now (the `async with` block's end, early).
  void release() {
    if (p_) std::exchange(p_, nullptr)->release();
  }

 private:
  void reset() noexcept {
    if (!p_) return;
    try {
      std::exchange(p_, nullptr)->release();
    } catch (...) {
      detail::report_guard_release_error(std::current_exception());
    }
  }
  L* p_ = nullptr;
};

/// An event flag tasks can wait for.
///
/// `set()` wakes every waiting task (each resumes one iteration later); `wait()` returns
/// `true` at once while the flag is set, without suspending.
/// **Cancellation:** a cancelled `wait()` leaves the waiters; nothing else changes.
/// **Python:** `asyncio.Event`.
class Event {
 public:
  Event() = default;
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  /// True when the flag is set. **Python:** `is_set()`.
  bool is_set() const noexcept { return value_; }
  /// Sets the flag and wakes every task waiting (not those that will wait afterwards:
  /// the flag is up, they do not block). **Python:** `set()`.
  void set() {
    if (value_) return;
    value_ = true;
    for (detail::WaiterNode& n : waiters_)
      if (!n.done()) detail::wake_waiter(&n);
  }
  /// Clears the flag. **Python:** `clear()`.
  void clear() noexcept { value_ = false; }
  /// Waits until the flag is set; returns true. **Python:** `await event.wait()`.
  detail::AwaitableCall<detail::EventWaitAwaiter, Event*> wait() {
    return detail::AwaitableCall<detail::EventWaitAwaiter, Event*>(this);
  }

  /// "<asyncio.locks.Event object at 0x... [unset, waiters:1]>".
  std::string repr() const;
  /// How many tasks wait (CPython: `len(event._waiters)`), for tests and diagnostics.
  std::size_t waiter_count() const noexcept { return waiters_.size(); }

 private:
  friend class detail::ParkingAwaiter<Event>;
  friend class detail::EventWaitAwaiter;
  detail::WaiterList waiters_;
  detail::LoopCore* loop_ = nullptr;
  bool value_ = false;
};

/// A mutual-exclusion lock for tasks, fair (FIFO).
///
/// `acquire()` on an unlocked lock nobody waits for succeeds at once (no suspension);
/// otherwise the task queues up. `release()` wakes the first waiter, which resumes one
/// iteration later and takes the lock then; until it does, the lock is unlocked but
/// reserved (a newcomer queues behind it). If every waiter is cancelled, a newcomer may
/// take the lock at once.
/// **Cancellation:** a waiter cancelled after being woken passes the wake-up on to the
/// next waiter (CPython bpo-32734), so no wake-up is ever lost.
/// **Exceptions:** `release()` of an unlocked lock: RuntimeError("Lock is not acquired.").
/// **Python:** `asyncio.Lock`; `async with lock:` is `co_await lock.acquire_guard()`.
class Lock {
 public:
  Lock() = default;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  /// True while held. **Python:** `locked()`.
  bool locked() const noexcept { return locked_; }
  /// Acquires the lock; returns true. **Python:** `await lock.acquire()`.
  detail::AwaitableCall<detail::LockAcquireAwaiter, Lock*> acquire() {
    return detail::AwaitableCall<detail::LockAcquireAwaiter, Lock*>(this);
  }
  /// Releases the lock and wakes the first waiter. **Python:** `release()`.
  void release() {
    if (!locked_) throw RuntimeError("Lock is not acquired.");
    locked_ = false;
    wake_up_first();
  }
  /// Acquires and returns a LockGuard that releases on scope exit.
  /// **Python:** `async with lock:`.
  detail::AwaitableCall<detail::GuardAwaiter<Lock, detail::LockAcquireAwaiter>, Lock*, Lock*>
  acquire_guard() {
    return detail::AwaitableCall<detail::GuardAwaiter<Lock, detail::LockAcquireAwaiter>, Lock*,
                                 Lock*>(this, this);
  }

  /// "<asyncio.locks.Lock object at 0x... [locked, waiters:2]>".
  std::string repr() const;
  /// How many tasks wait (CPython: `len(lock._waiters)`), for tests and diagnostics.
  std::size_t waiter_count() const noexcept { return waiters_.size(); }

 private:
  friend class detail::ParkingAwaiter<Lock>;
  friend class detail::LockAcquireAwaiter;
  /// CPython `_wake_up_first`: the first waiter, unless already woken, is set to wake up.
  void wake_up_first() {
    detail::WaiterNode* n = waiters_.front();
    if (n && !n->done()) detail::wake_waiter(n);
  }
  bool all_waiters_cancelled() const {
    for (const detail::WaiterNode& n : waiters_)
      if (!n.cancelled()) return false;
    return true;
  }

  detail::WaiterList waiters_;
  detail::LoopCore* loop_ = nullptr;
  bool locked_ = false;
};

/// A counter of available slots; `acquire()` takes one, waiting (FIFO) while none is
/// free or earlier waiters are still queued; `release()` gives one back.
///
/// **Cancellation:** a waiter cancelled after being granted a slot gives the slot back and
/// wakes the next waiter (3.13 semantics, gh-90155).
/// **Exceptions:** a negative initial value: std::invalid_argument("Semaphore initial
/// value must be >= 0").
/// **Python:** `asyncio.Semaphore`; `async with sem:` is `co_await sem.acquire_guard()`.
class Semaphore {
 public:
  explicit Semaphore(int value = 1) : value_(value) {
    if (value < 0) throw std::invalid_argument("Semaphore initial value must be >= 0");
  }
  Semaphore(const Semaphore&) = delete;
  Semaphore& operator=(const Semaphore&) = delete;
  virtual ~Semaphore() = default;

  /// True when `acquire()` would wait: no slot, or live waiters ahead. **Python:** `locked()`.
  bool locked() const {
    if (value_ == 0) return true;
    for (const detail::WaiterNode& n : waiters_)
      if (!n.cancelled()) return true;
    return false;
  }
  /// Takes a slot; returns true. **Python:** `await sem.acquire()`.
  detail::AwaitableCall<detail::SemaphoreAcquireAwaiter, Semaphore*> acquire() {
    return detail::AwaitableCall<detail::SemaphoreAcquireAwaiter, Semaphore*>(this);
  }
  /// Gives a slot back and wakes the first waiter not yet woken. **Python:** `release()`.
  virtual void release() {
    ++value_;
    wake_up_next();
  }
  /// Acquires and returns a LockGuard that releases on scope exit.
  /// **Python:** `async with sem:`.
  detail::AwaitableCall<detail::GuardAwaiter<Semaphore, detail::SemaphoreAcquireAwaiter>,
                        Semaphore*, Semaphore*>
  acquire_guard() {
    return detail::AwaitableCall<detail::GuardAwaiter<Semaphore, detail::SemaphoreAcquireAwaiter>,
                                 Semaphore*, Semaphore*>(this, this);
  }

  /// "<asyncio.locks.Semaphore object at 0x... [unlocked, value:2]>".
  std::string repr() const;
  /// The counter (CPython: `sem._value`), for tests and diagnostics.
  int value() const noexcept { return value_; }
  /// How many tasks wait (CPython: `len(sem._waiters)`).
  std::size_t waiter_count() const noexcept { return waiters_.size(); }

 protected:
  virtual const char* class_name() const { return "Semaphore"; }
  /// CPython `_wake_up_next`: grants a slot to the first waiter not yet woken.
  bool wake_up_next() {
    for (detail::WaiterNode& n : waiters_) {
      if (n.done()) continue;
      --value_;
      detail::wake_waiter(&n);
      return true;
    }
    return false;
  }

  int value_;

 private:
  friend class detail::ParkingAwaiter<Semaphore>;
  friend class detail::SemaphoreAcquireAwaiter;
  detail::WaiterList waiters_;
  detail::LoopCore* loop_ = nullptr;
};

/// A Semaphore that refuses to be released above its initial value.
/// **Exceptions:** `release()` beyond the initial value:
/// std::invalid_argument("BoundedSemaphore released too many times").
/// **Python:** `asyncio.BoundedSemaphore`.
class BoundedSemaphore : public Semaphore {
 public:
  explicit BoundedSemaphore(int value = 1) : Semaphore(value), bound_value_(value) {}
  void release() override {
    if (value_ >= bound_value_)
      throw std::invalid_argument("BoundedSemaphore released too many times");
    Semaphore::release();
  }

 protected:
  const char* class_name() const override { return "BoundedSemaphore"; }

 private:
  int bound_value_;
};

/// A condition variable for tasks: wait until notified, holding a Lock around the check.
///
/// `Condition()` makes its own Lock; `Condition(lock)` shares one (several conditions on
/// one lock). `wait()` releases the lock, waits for `notify`, and re-acquires the lock
/// before returning — even when cancelled (then it re-raises the CancelledError once the
/// lock is held again, and passes the notification on to another waiter).
/// **Exceptions:** RuntimeError("cannot wait on un-acquired lock") / ("cannot notify on
/// un-acquired lock") when the lock is not held.
/// **Python:** `asyncio.Condition`; `async with cond:` is `co_await cond.acquire_guard()`.
class Condition {
 public:
  Condition() : lock_(&own_lock_) {}
  /// Shares `lock` (which must outlive the condition).
  explicit Condition(Lock& lock) : lock_(&lock) {}
  Condition(const Condition&) = delete;
  Condition& operator=(const Condition&) = delete;

  /// The lock's `locked()`, `acquire()`, `release()` (CPython exports them as attributes).
  bool locked() const noexcept { return lock_->locked(); }
  detail::AwaitableCall<detail::LockAcquireAwaiter, Lock*> acquire() { return lock_->acquire(); }
  void release() { lock_->release(); }
  /// Acquires the lock and returns a LockGuard that releases it on scope exit.
  detail::AwaitableCall<detail::GuardAwaiter<Condition, detail::LockAcquireAwaiter>, Condition*,
                        Lock*>
  acquire_guard() {
    return detail::AwaitableCall<detail::GuardAwaiter<Condition, detail::LockAcquireAwaiter>,
                                 Condition*, Lock*>(this, lock_);
  }

  /// Releases the lock, waits to be notified, re-acquires the lock; returns true.
  /// May wake spuriously: re-check the state (or use `wait_for`).
  /// **Python:** `await cond.wait()`.
  Coro<bool> wait();
  /// Waits until `predicate()` is truthy, checking it first; returns its last value.
  /// **Python:** `await cond.wait_for(predicate)`.
  template <class Pred>
  Coro<std::invoke_result_t<Pred&>> wait_for(Pred predicate) {
    auto result = predicate();
    while (!result) {
      co_await wait();
      result = predicate();
    }
    co_return result;
  }
  /// Wakes up to `n` waiters (not already woken). The woken tasks return from `wait()`
  /// only once they re-acquire the lock, which the caller still holds.
  /// **Python:** `notify(n=1)`.
  void notify(std::size_t n = 1) {
    if (!locked()) throw RuntimeError("cannot notify on un-acquired lock");
    notify_waiters(n);
  }
  /// Wakes every waiter. **Python:** `notify_all()`.
  void notify_all() { notify(waiters_.size()); }

  /// "<asyncio.locks.Condition object at 0x... [locked, waiters:1]>".
  std::string repr() const;
  /// How many tasks wait to be notified (CPython: `len(cond._waiters)`).
  std::size_t waiter_count() const noexcept { return waiters_.size(); }

 private:
  friend class detail::ParkingAwaiter<Condition>;
  friend class detail::ConditionWaitAwaiter;
  /// CPython `_notify(n)`.
  void notify_waiters(std::size_t n) {
    std::size_t idx = 0;
    for (detail::WaiterNode& w : waiters_) {
      if (idx >= n) return;
      if (!w.done()) {
        ++idx;
        detail::wake_waiter(&w);
      }
    }
  }

  Lock own_lock_;
  Lock* lock_;
  detail::WaiterList waiters_;
  detail::LoopCore* loop_ = nullptr;
};

/// Lets a fixed number of tasks (`parties`) wait for each other: each `wait()` blocks
/// until `parties` tasks are waiting, then all proceed; it returns a distinct index in
/// [0, parties). The barrier then drains and can be used again.
///
/// `reset()` sends the waiting tasks BrokenBarrierError and refills; `abort()` breaks the
/// barrier for good (every `wait()` throws BrokenBarrierError).
/// **Cancellation:** a task cancelled while waiting leaves the count as it was before it
/// arrived.
/// **Exceptions:** `parties < 1`: std::invalid_argument("parties must be > 0");
/// BrokenBarrierError("Barrier aborted") / ("Abort or reset of barrier").
/// **Python:** `asyncio.Barrier` (3.11+); `async with barrier as i:` is
/// `int i = co_await barrier.wait();`.
class Barrier {
 public:
  explicit Barrier(int parties) : parties_(parties) {
    if (parties < 1) throw std::invalid_argument("parties must be > 0");
  }
  Barrier(const Barrier&) = delete;
  Barrier& operator=(const Barrier&) = delete;

  /// Waits for the barrier to fill; returns this task's index. **Python:** `await wait()`.
  Coro<int> wait();
  /// Back to the empty state; waiting tasks get BrokenBarrierError. **Python:** `reset()`.
  Coro<void> reset();
  /// Breaks the barrier. **Python:** `abort()`.
  Coro<void> abort();

  /// **Python:** `parties`.
  int parties() const noexcept { return parties_; }
  /// Tasks waiting for the barrier to fill (0 while draining). **Python:** `n_waiting`.
  int n_waiting() const noexcept { return state_ == State::filling ? count_ : 0; }
  /// **Python:** `broken`.
  bool broken() const noexcept { return state_ == State::broken; }

  /// "<asyncio.locks.Barrier object at 0x... [filling, waiters:1/3]>".
  std::string repr() const;

 private:
  enum class State { filling, draining, resetting, broken };
  Coro<void> block();
  Coro<void> wait_released();
  void exit_barrier();

  Condition cond_;
  int parties_;
  int count_ = 0;
  State state_ = State::filling;
};

}  // namespace asyncio

#include "asyncio/detail/lock_awaiters.hpp"  // IWYU pragma: export
