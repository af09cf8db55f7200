// Condition.wait, Barrier, and the reprs of the primitives. See locks.hpp.
// CPython: locks.py (`Condition.wait`, `Barrier`, the `__repr__`s).

#include "asyncio/locks.hpp"

#include <cstdio>
#include <iostream>

#include "asyncio/event_loop.hpp"

namespace asyncio {

namespace detail {

std::string primitive_repr(const char* cls, const void* self, const std::string& extra) {
  char addr[32];
  std::snprintf(addr, sizeof addr, "%#zx", reinterpret_cast<std::size_t>(self));
  return std::string("<asyncio.locks.") + cls + " object at " + addr + " [" + extra + "]>";
}

void report_guard_release_error(std::exception_ptr e) noexcept {
  try {
    ExceptionContext ctx{"Exception in LockGuard release (async with exit)", e, {}};
    EventLoop* loop = nullptr;
    try {
      loop = &get_running_loop();
    } catch (const RuntimeError&) {
    }
    if (loop) {
      loop->call_exception_handler(ctx);
    } else {
      std::cerr << ctx.message << "\nexception: " << describe_exception(e) << std::endl;
    }
  } catch (...) {
  }
}

namespace {
std::string with_waiters(std::string extra, std::size_t n) {
  if (n) extra += ", waiters:" + std::to_string(n);
  return extra;
}
}  // namespace

}  // namespace detail

std::string Event::repr() const {
  return detail::primitive_repr("Event", this,
                                detail::with_waiters(value_ ? "set" : "unset", waiters_.size()));
}

std::string Lock::repr() const {
  return detail::primitive_repr(
      "Lock", this, detail::with_waiters(locked_ ? "locked" : "unlocked", waiters_.size()));
}

std::string Semaphore::repr() const {
  std::string extra = locked() ? "locked" : "unlocked, value:" + std::to_string(value_);
  return detail::primitive_repr(class_name(), this,
                                detail::with_waiters(std::move(extra), waiters_.size()));
}

std::string Condition::repr() const {
  return detail::primitive_repr(
      "Condition", this, detail::with_waiters(locked() ? "locked" : "unlocked", waiters_.size()));
}

std::string Barrier::repr() const {
  static const char* const names[] = {"filling", "draining", "resetting", "broken"};
  std::string extra = names[static_cast<int>(state_)];
  if (!broken())
    extra += ", waiters:" + std::to_string(n_waiting()) + "/" + std::to_string(parties_);
  return detail::primitive_repr("Barrier", this, extra);
}

// CPython Condition.wait, step by step: the lock is released, the task waits to be
// notified, then re-acquires the lock whatever happened (retrying while cancelled); any
// error passes the notification on to another waiter (a possible spurious wake-up).
Coro<bool> Condition::wait() {
  if (!locked()) throw RuntimeError("cannot wait on un-acquired lock");
  detail::bind_loop(loop_, &detail::core_of(get_running_loop()),
                    *this);  // `self._get_loop().create_future()`
  release();
  std::exception_ptr exc;
  try {
    co_await detail::ConditionWaitAwaiter(this);
  } catch (...) {
    exc = std::current_exception();
  }
  // Must re-acquire the lock even if the wait was cancelled. Only CancelledError is
  // retried: any other error would spin.
  std::exception_ptr err;
  for (;;) {
    try {
      co_await lock_->acquire();
      break;
    } catch (const CancelledError&) {
      err = std::current_exception();
    }
  }
  if (err) exc = err;  // re-raise the most recent cancellation
  if (exc) {
    notify_waiters(1);
    std::rethrow_exception(exc);
  }
  co_return true;
}

Coro<int> Barrier::wait() {
  auto held = co_await cond_.acquire_guard();
  co_await block();  // wait while the barrier drains or resets
  const int index = count_++;
  std::exception_ptr exc;
  try {
    if (index + 1 == parties_) {
      // The last one in releases the barrier: draining until every task has left.
      state_ = State::draining;
      cond_.notify_all();
    } else {
      co_await wait_released();
    }
  } catch (...) {
    exc = std::current_exception();
  }
  --count_;
  exit_barrier();
  if (exc) std::rethrow_exception(exc);
  co_return index;
}

Coro<void> Barrier::block() {
  co_await cond_.wait_for(
      [this] { return state_ != State::draining && state_ != State::resetting; });
  if (state_ == State::broken) throw BrokenBarrierError("Barrier aborted");
}

Coro<void> Barrier::wait_released() {
  co_await cond_.wait_for([this] { return state_ != State::filling; });
  if (state_ == State::broken || state_ == State::resetting)
    throw BrokenBarrierError("Abort or reset of barrier");
}

void Barrier::exit_barrier() {
  // The last task out lets tasks blocked by the draining or resetting in.
  if (count_ == 0) {
    if (state_ == State::resetting || state_ == State::draining) state_ = State::filling;
    cond_.notify_all();
  }
}

Coro<void> Barrier::reset() {
  auto held = co_await cond_.acquire_guard();
  if (count_ > 0) {
    if (state_ != State::resetting) state_ = State::resetting;  // waiting tasks break
  } else {
    state_ = State::filling;
  }
  cond_.notify_all();
}

Coro<void> Barrier::abort() {
  auto held = co_await cond_.acquire_guard();
  state_ = State::broken;
  cond_.notify_all();
}

}  // namespace asyncio
