#pragma once
/// \file threads.hpp
/// Threads and the event loop: `ConcurrentFuture` (Python's `concurrent.futures.Future`),
/// `Executor` / `ThreadPoolExecutor`, `EventLoop::run_in_executor`, `to_thread`,
/// `wrap_future`, `run_coroutine_threadsafe`.
///
/// The loop stays single-threaded: a worker never touches a loop object. A finished job
/// reaches its loop through `call_soon_threadsafe` (the loop's only cross-thread entry
/// point), which completes the loop-side Future one iteration before the awaiting task
/// resumes — CPython's `wrap_future` chain, step for step. See docs/threads.md.
//
// CPython: concurrent/futures/_base.py (`Future`, `Executor`), concurrent/futures/thread.py
// (`ThreadPoolExecutor`), asyncio/futures.py (`wrap_future`, `_chain_future`),
// asyncio/base_events.py (`run_in_executor`), asyncio/threads.py (`to_thread`),
// asyncio/tasks.py (`run_coroutine_threadsafe`). The machinery is in
// detail/concurrent_state.hpp (the shared state of a ConcurrentFuture, work items) and
// detail/loop_threads.hpp (the loop's side; ownership and thread rules are noted there).

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/detail/concurrent_state.hpp"  // ConcurrentState, WorkItem, CallItem
#include "asyncio/detail/loop_threads.hpp"      // LoopThreads, wrap_concurrent, ThreadsafeChain
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/future.hpp"
#include "asyncio/task.hpp"

namespace asyncio {

/// The result of a call running on another thread: thread-safe, blocking.
///
/// A shared handle (copies refer to the same state); default-constructed: empty
/// (`valid()` false); `ConcurrentFuture<T>::create()` makes a new pending one. Every member
/// may be called from any thread. Done callbacks run in the thread that completes the
/// future (at once, in the caller's thread, when added to a future already done).
/// **Cancellation:** `cancel()` succeeds only while pending (not yet running).
/// **Exceptions:** `result()` rethrows the call's exception, throws CancelledError if
/// cancelled and TimeoutError() when `timeout` expires; `set_result` on a done future:
/// InvalidStateError.
/// **Python:** `concurrent.futures.Future` (whose CancelledError is a distinct class;
/// here it is `asyncio::CancelledError`).
template <class T = void>
class ConcurrentFuture {
 public:
  using value_type = T;
  ConcurrentFuture() = default;
  /// A new pending future. **Python:** `concurrent.futures.Future()`.
  static ConcurrentFuture create() {
    ConcurrentFuture f;
    f.s_ = std::make_shared<detail::ConcurrentState<T>>();
    return f;
  }
  bool valid() const noexcept { return s_ != nullptr; }

  /// Cancels unless running or done; true if cancelled (now or before).
  /// **Python:** `cancel()`.
  bool cancel() const {
    auto& s = state();
    {
      std::lock_guard<std::mutex> lk(s.mu);
      if (s.state == detail::CfState::running || s.state == detail::CfState::finished) return false;
      if (s.is_cancelled()) return true;
      s.state = detail::CfState::cancelled;
      s.cv.notify_all();
    }
    invoke_callbacks();
    return true;
  }
  bool cancelled() const {
    auto& s = state();
    std::lock_guard<std::mutex> lk(s.mu);
    return s.is_cancelled();
  }
  /// True while the call runs. **Python:** `running()`.
  bool running() const {
    auto& s = state();
    std::lock_guard<std::mutex> lk(s.mu);
    return s.state == detail::CfState::running;
  }
  /// True when cancelled or finished. **Python:** `done()`.
  bool done() const {
    auto& s = state();
    std::lock_guard<std::mutex> lk(s.mu);
    return s.is_done();
  }
  /// Waits (at most `timeout`; none: as long as needed) and returns the result (a
  /// reference into the shared state), or rethrows the exception. **Python:** `result(timeout)`.
  std::add_lvalue_reference_t<T> result(std::optional<Delay> timeout = std::nullopt) const {
    auto& s = state();
    std::unique_lock<std::mutex> lk(s.mu);
    s.wait_done(lk, timeout ? std::optional<double>(timeout->seconds) : std::nullopt);
    if (s.exc) std::rethrow_exception(s.exc);
    if constexpr (!std::is_void_v<T>) return s.value.get();
  }
  /// Waits like `result()`; the exception (null on success). **Python:** `exception(timeout)`.
  std::exception_ptr exception(std::optional<Delay> timeout = std::nullopt) const {
    auto& s = state();
    std::unique_lock<std::mutex> lk(s.mu);
    s.wait_done(lk, timeout ? std::optional<double>(timeout->seconds) : std::nullopt);
    return s.exc;
  }
  /// Registers `fn(const ConcurrentFuture<T>&)`: run by the thread that completes the
  /// future, or right now if it is done. Exceptions it throws are logged and dropped.
  /// **Python:** `add_done_callback(fn)`.
  template <class F>
  void add_done_callback(F fn) const {
    auto& s = state();
    {
      std::lock_guard<std::mutex> lk(s.mu);
      if (!s.is_done()) {
        s.callbacks.emplace_back(std::move(fn));
        return;
      }
    }
    try {
      fn(*this);
    } catch (...) {
      detail::report_concurrent_callback_error(s.repr(), std::current_exception());
    }
  }

  /// For executors: pending → running (true), or cancelled → notified (false).
  /// **Python:** `set_running_or_notify_cancel()`.
  bool set_running_or_notify_cancel() const {
    auto& s = state();
    std::lock_guard<std::mutex> lk(s.mu);
    if (s.state == detail::CfState::cancelled) {
      s.state = detail::CfState::cancelled_and_notified;
      return false;
    }
    if (s.state == detail::CfState::pending) {
      s.state = detail::CfState::running;
      return true;
    }
    throw RuntimeError("Future in unexpected state");
  }
  /// Completes with a value; wakes `result()` waiters; runs the callbacks.
  template <class... V>
  void set_result(V&&... v) const {
    auto& s = state();
    {
      std::lock_guard<std::mutex> lk(s.mu);
      check_settable(s);
      if constexpr (!std::is_void_v<T>) s.value.emplace(std::forward<V>(v)...);
      s.state = detail::CfState::finished;
      s.cv.notify_all();
    }
    invoke_callbacks();
  }
  /// Completes with an exception.
  void set_exception(std::exception_ptr e) const {
    auto& s = state();
    {
      std::lock_guard<std::mutex> lk(s.mu);
      check_settable(s);
      s.exc = std::move(e);
      s.state = detail::CfState::finished;
      s.cv.notify_all();
    }
    invoke_callbacks();
  }

  bool operator==(const ConcurrentFuture& o) const noexcept { return s_ == o.s_; }

  /// For the library: the exception, moved out (the caller is the future's only
  /// consumer). The reference then dies where the consumer drops it, not in whichever
  /// thread happens to destroy this state last.
  std::exception_ptr take_exception() const {
    std::lock_guard<std::mutex> lk(state().mu);
    return std::exchange(state().exc, nullptr);
  }
  /// For the library: the value, moved out (the caller is its only consumer).
  T take_value() const {
    if constexpr (!std::is_void_v<T>) {
      std::lock_guard<std::mutex> lk(state().mu);
      return std::move(state().value.get());
    }
  }

 private:
  detail::ConcurrentState<T>& state() const {
    if (!s_) throw InvalidStateError("empty future handle");
    return *s_;
  }
  static void check_settable(detail::ConcurrentState<T>& s) {
    if (s.is_done()) {
      static const char* const names[] = {"PENDING", "RUNNING", "CANCELLED",
                                          "CANCELLED_AND_NOTIFIED", "FINISHED"};
      throw InvalidStateError(std::string(names[static_cast<int>(s.state)]) + ": " +
                              s.repr_unlocked());
    }
  }
  /// CPython `_invoke_callbacks`: after the state is final, outside the lock.
  void invoke_callbacks() const {
    auto& s = state();
    std::vector<std::function<void(const ConcurrentFuture<T>&)>> cbs;
    {
      std::lock_guard<std::mutex> lk(s.mu);
      cbs.swap(s.callbacks);
    }
    for (auto& cb : cbs) {
      try {
        cb(*this);
      } catch (...) {
        detail::report_concurrent_callback_error(s.repr(), std::current_exception());
      }
    }
  }

  std::shared_ptr<detail::ConcurrentState<T>> s_;
};

/// Something that runs calls asynchronously. **Python:** `concurrent.futures.Executor`.
class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  virtual ~Executor() = default;

  /// Schedules `fn(args...)` (decayed copies, called as rvalues); returns its future.
  /// **Exceptions:** RuntimeError("cannot schedule new futures after shutdown").
  /// **Python:** `submit(fn, *args)`.
  template <class F, class... A>
  auto submit(F&& fn, A&&... args)
      -> ConcurrentFuture<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>> {
    using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;
    using Args = std::tuple<std::decay_t<A>...>;
    auto fut = ConcurrentFuture<R>::create();
    submit_item(std::make_unique<detail::CallItem<R, std::decay_t<F>, Args>>(
        fut, std::decay_t<F>(std::forward<F>(fn)), Args(std::forward<A>(args)...)));
    return fut;
  }
  /// Stops accepting work; `wait`: also waits for the queued and running calls and joins
  /// the threads; `cancel_futures`: cancels the calls not started yet.
  /// **Python:** `shutdown(wait=True, *, cancel_futures=False)`.
  virtual void shutdown(bool wait = true, bool cancel_futures = false) = 0;

 protected:
  /// Queues a call (throws RuntimeError once shut down).
  virtual void submit_item(std::unique_ptr<detail::WorkItem> item) = 0;
};

namespace detail {
struct PoolCore;  // src/threads.cpp
}  // namespace detail

/// A pool of worker threads, started lazily (one more per submit while none is idle, up
/// to `max_workers`). Default size: min(32, CPUs available + 4).
/// The destructor shuts down and joins the workers (Python joins them at exit).
/// **Exceptions:** `max_workers <= 0`: std::invalid_argument("max_workers must be greater
/// than 0"). **Python:** `concurrent.futures.ThreadPoolExecutor(max_workers,
/// thread_name_prefix)`; threads are named "<prefix>_<n>" (15 characters at most).
class ThreadPoolExecutor : public Executor {
 public:
  explicit ThreadPoolExecutor(std::optional<int> max_workers = std::nullopt,
                              std::string thread_name_prefix = {});
  ~ThreadPoolExecutor() override;
  void shutdown(bool wait = true, bool cancel_futures = false) override;
  /// The maximum number of threads. **Python:** `_max_workers`.
  std::size_t max_workers() const noexcept;
  /// Threads started so far.
  std::size_t thread_count() const;
  /// min(32, CPUs available to this process + 4) (Python 3.13's default).
  static std::size_t default_max_workers();

 protected:
  void submit_item(std::unique_ptr<detail::WorkItem> item) override;

 private:
  friend struct detail::LoopThreads;  // detaches the default executor's workers at loop close
  std::shared_ptr<detail::PoolCore> core_;
};

template <class F, class... A>
auto EventLoop::run_in_executor(Executor* executor, F&& fn, A&&... args)
    -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>> {
  using R = std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>;
  static_assert(!detail::is_coro<std::remove_cvref_t<R>>::value,
                "coroutines cannot be used with run_in_executor()");
  check_closed();
  if (!executor) executor = detail::default_executor(*this);
  ConcurrentFuture<R> src = executor->submit(std::forward<F>(fn), std::forward<A>(args)...);
  return detail::wrap_concurrent(std::move(src), *this, true);
}

/// A loop Future completed from `fut` (through `call_soon_threadsafe`, one iteration
/// before its awaiters resume); cancelling it cancels `fut` (if not yet running).
/// `loop` null: `get_event_loop()`. **Python:** `asyncio.wrap_future(future, loop=)`.
template <class T>
Future<T> wrap_future(const ConcurrentFuture<T>& fut, EventLoop* loop = nullptr) {
  return detail::wrap_concurrent(fut, loop ? *loop : get_event_loop(), false);
}

/// Runs `fn(args...)` on the running loop's default executor and returns its result;
/// its exception propagates to the awaiting task.
///
/// **Cancellation:** cancelling the awaiting task cancels the call if it has not started;
/// a running call runs on (threads cannot be interrupted), its result discarded.
/// **Python:** `await asyncio.to_thread(func, *args)` (no contextvars in C++).
template <class F, class... A>
Coro<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>> to_thread(F fn, A... args) {
  EventLoop& loop = get_running_loop();
  co_return co_await loop.run_in_executor(nullptr, std::move(fn), std::move(args)...);
}

/// Submits `coro` to `loop` from another thread; returns a ConcurrentFuture for its
/// result. The coroutine becomes a task at the loop's next poll.
///
/// **Cancellation:** `cancel()` on the returned future cancels the task (on the loop's
/// thread, through call_soon_threadsafe); a task cancelled on the loop cancels the future.
/// **Exceptions:** RuntimeError("Event loop is closed") if `loop` is closed.
/// **Python:** `asyncio.run_coroutine_threadsafe(coro, loop)`.
template <class T>
ConcurrentFuture<T> run_coroutine_threadsafe(Coro<T> coro, EventLoop& loop) {
  auto dest = ConcurrentFuture<T>::create();
  detail::chain_threadsafe(std::move(coro), dest, loop);
  return dest;
}

}  // namespace asyncio
