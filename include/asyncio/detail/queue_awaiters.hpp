#pragma once
// The awaiters behind `Queue::get()`, `put()` and `join()` (queues.hpp). CPython:
// queues.py — `get`'s `while self.empty(): getter = self._get_loop().create_future();
// self._getters.append(getter); try: await getter except: ...`, `put`'s same loop over
// `self.full()` and `_putters`, and `join`'s `await self._finished.wait()`.
//
// Ownership and lifetime: an awaiter lives in the awaiting coroutine's frame and owns its
// waiter node (detail/waiter_list.hpp), linked in the queue's getters or putters while
// the task waits; `put`'s awaiter also owns the item until it is stored. The queue owns
// nothing of the awaiter. An awaiter destroyed while its task is still parked (the loop
// closing) unregisters its wake-up.

#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <string>
#include <utility>

#include "asyncio/detail/waiter_list.hpp"
#include "asyncio/locks.hpp"

namespace asyncio {
template <class T>
class Queue;  // queues.hpp
}  // namespace asyncio

namespace asyncio::detail {

/// CPython `Queue.__repr__` minus the items: "<Queue at 0x... maxsize=1 _getters[1]>".
inline std::string queue_repr(const char* cls, const void* self, std::ptrdiff_t maxsize,
                              std::size_t getters, std::size_t putters, std::size_t unfinished,
                              bool shutdown) {
  char addr[32];
  std::snprintf(addr, sizeof addr, "%#zx", reinterpret_cast<std::size_t>(self));
  std::string out = std::string("<") + cls + " at " + addr + " maxsize=" + std::to_string(maxsize);
  if (getters) out += " _getters[" + std::to_string(getters) + "]";
  if (putters) out += " _putters[" + std::to_string(putters) + "]";
  if (unfinished) out += " tasks=" + std::to_string(unfinished);
  if (shutdown) out += " shutdown";
  return out + ">";
}

/// The one shape of `get` and `put`: CPython's `while <blocked>: <park on a fresh waiter at
/// the end of the FIFO>` loop, re-parking without a coroutine round trip (retry_wakeup)
/// while the queue stays blocked. `Derived` provides `bool blocked() const` (empty / full)
/// and `WaiterList& waiters() const` (getters / putters). A shut-down queue never blocks:
/// the operation then throws QueueShutDown.
template <class Derived, class T>
class QueueWaitAwaiter {
 public:
  QueueWaitAwaiter(const QueueWaitAwaiter&) = delete;
  QueueWaitAwaiter& operator=(const QueueWaitAwaiter&) = delete;
  ~QueueWaitAwaiter() {
    if (WaiterNode* n = node_.get()) unpark_ctx(n, task_, self());
  }

  bool await_ready() const { return !derived().blocked() || q_->is_shutdown_; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    PromiseBase* t = h.promise().task();
    bind_loop(q_->loop_, t->loop_, *q_);
    task_ = t;
    park(h);
  }
  /// The woken task finds the queue still blocked (and not shut down): park again, on a
  /// fresh waiter at the end of the FIFO (no step ran: the task resumes where it was).
  bool retry() {
    if (!derived().blocked() || q_->is_shutdown_) return false;
    park(task_->resume_);
    return true;
  }

  PromiseBase* task_ = nullptr;  ///< set once the task waits (read by retry_wakeup)

 protected:
  explicit QueueWaitAwaiter(Queue<T>* q) : q_(q) {}
  /// The start of `await_resume`. Cancelled while waiting — CPython: `except:
  /// waiter.cancel(); waiters.remove(waiter); if not <blocked> and not waiter.cancelled():
  /// self._wakeup_next(waiters); raise` (the waiter is always done here: the task resumes
  /// only through it).
  void rethrow_if_cancelled() {
    if (task_ && task_->has_injected()) {
      WaiterList& w = derived().waiters();
      w.remove(node_.get());
      if (!derived().blocked() && !node_->cancelled()) Queue<T>::wakeup_next(w);
      task_->rethrow_injected();
    }
  }

  Queue<T>* q_;

 private:
  const Derived& derived() const { return static_cast<const Derived&>(*this); }
  void* self() { return static_cast<Derived*>(this); }  // the wake-up's ctx
  void park(std::coroutine_handle<> h) {
    WaiterNode& n = node_.emplace();
    n.rearm(task_->loop_);
    derived().waiters().push_back(&n);
    park_task(task_, h, &n, &retry_wakeup<Derived>, self());
  }

  LazyWaiterNode node_;
};

/// Awaiter of `Queue::get()`.
template <class T>
class QueueGetAwaiter : public QueueWaitAwaiter<QueueGetAwaiter<T>, T> {
 public:
  explicit QueueGetAwaiter(Queue<T>* q) : QueueWaitAwaiter<QueueGetAwaiter<T>, T>(q) {}
  T await_resume() {
    this->rethrow_if_cancelled();
    return this->q_->get_nowait();
  }
  bool blocked() const { return this->q_->empty(); }
  WaiterList& waiters() const { return this->q_->getters_; }
};

/// Awaiter of `Queue::put(item)`.
template <class T>
class QueuePutAwaiter : public QueueWaitAwaiter<QueuePutAwaiter<T>, T> {
 public:
  QueuePutAwaiter(Queue<T>* q, T&& item)
      : QueueWaitAwaiter<QueuePutAwaiter<T>, T>(q), item_(std::move(item)) {}
  void await_resume() {
    this->rethrow_if_cancelled();
    this->q_->put_nowait(std::move(item_));  // QueueShutDown if shut down
  }
  bool blocked() const { return this->q_->full(); }
  WaiterList& waiters() const { return this->q_->putters_; }

 private:
  T item_;
};

/// Awaiter of `Queue::join()`.
class QueueJoinAwaiter {
 public:
  QueueJoinAwaiter(const std::size_t* unfinished, Event* finished)
      : unfinished_(unfinished), wait_(finished) {}
  bool await_ready() const { return *unfinished_ == 0 || wait_.await_ready(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    wait_.await_suspend(h);
  }
  void await_resume() { wait_.await_resume(); }

 private:
  const std::size_t* unfinished_;
  EventWaitAwaiter wait_;
};

}  // namespace asyncio::detail
