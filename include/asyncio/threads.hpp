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

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <cstddef>
#include <cstdint>
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
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/future.hpp"
#include "asyncio/task.hpp"

namespace asyncio {

template <class T = void>
class ConcurrentFuture;

namespace detail {

/// CPython concurrent.futures states (`_base.PENDING` ...).
enum class CfState : std::uint8_t { pending, running, cancelled, cancelled_and_notified, finished };

/// Non-template part of a concurrent future's state. Every field is guarded by `mu`.
struct ConcurrentStateBase {
  std::mutex mu;
  std::condition_variable cv;
  CfState state = CfState::pending;
  std::exception_ptr exc;

  bool is_done() const {
    return state == CfState::cancelled || state == CfState::cancelled_and_notified ||
           state == CfState::finished;
  }
  bool is_cancelled() const {
    return state == CfState::cancelled || state == CfState::cancelled_and_notified;
  }
  /// Waits (at most `timeout` seconds) until done; throws CancelledError if cancelled,
  /// TimeoutError if still not done (CPython `Future.result(timeout)`'s waiting part).
  void wait_done(std::unique_lock<std::mutex>& lk, std::optional<double> timeout);
  /// "<Future at 0x... state=finished>" (locks `mu`).
  std::string repr();
  /// The same, `mu` already held.
  std::string repr_unlocked() const;
};

/// Reports an exception thrown by a concurrent future's done callback (CPython logs
/// "exception calling callback for <Future ...>" and carries on).
void report_concurrent_callback_error(const std::string& future_repr,
                                      std::exception_ptr e) noexcept;

template <class T>
struct ConcurrentState : ConcurrentStateBase {
  Slot<T> value;
  std::vector<std::function<void(const ConcurrentFuture<T>&)>> callbacks;
};

/// A unit of work queued on an executor (CPython `thread._WorkItem`).
struct WorkItem {
  virtual ~WorkItem() = default;
  /// Runs the call in a worker, unless its future was cancelled meanwhile.
  virtual void run() = 0;
  /// Cancels its future (`shutdown(cancel_futures=True)`).
  virtual void cancel() = 0;
};

template <class T>
using call_result_t = std::remove_cvref_t<T>;

}  // namespace detail

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
template <class T>
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

namespace detail {
template <class R, class F, class Args>
class CallItem final : public WorkItem {
 public:
  CallItem(ConcurrentFuture<R> f, F&& fn, Args&& args)
      : fut_(std::move(f)), fn_(std::move(fn)), args_(std::move(args)) {}
  void run() override {
    if (!fut_.set_running_or_notify_cancel()) return;
    // The future is completed outside the catch block, with the only reference to the
    // exception: nothing of it stays in this thread once the loop may have consumed it.
    std::exception_ptr e;
    if constexpr (std::is_void_v<R>) {
      try {
        std::apply(std::move(fn_), std::move(args_));
      } catch (...) {
        e = std::current_exception();
      }
      if (!e) return fut_.set_result();
    } else {
      std::optional<R> r;
      try {
        r.emplace(std::apply(std::move(fn_), std::move(args_)));
      } catch (...) {
        e = std::current_exception();
      }
      if (!e) return fut_.set_result(std::move(*r));
    }
    fut_.set_exception(std::move(e));
  }
  void cancel() override { fut_.cancel(); }

 private:
  ConcurrentFuture<R> fut_;
  F fn_;
  Args args_;
};
}  // namespace detail

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
struct PoolCore;
}

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
  std::shared_ptr<detail::PoolCore> core_;
};

namespace detail {

/// One wrapped concurrent future waiting to be delivered to its loop (loop thread only).
/// References: the loop's pending list, and the loop future's check-cancel callback.
struct CompletionEntry {
  CompletionEntry* prev = nullptr;
  CompletionEntry* next = nullptr;
  FutureBase* fut = nullptr;  ///< the loop-side future (one reference) until delivered
  std::uint32_t refs = 2;
  CompletionEntry() = default;
  CompletionEntry(const CompletionEntry&) = delete;
  CompletionEntry& operator=(const CompletionEntry&) = delete;
  virtual ~CompletionEntry() = default;
  /// CPython `_copy_future_state(source, fut)`.
  virtual void copy_state() = 0;
  /// CPython `source.cancel()`.
  virtual void cancel_source() = 0;
  void release() {
    if (--refs == 0) delete this;
  }
};

/// Per-loop state of threads.hpp, shared (std::shared_ptr) with whatever another thread
/// holds to reach the loop. `loop` is cleared, under `mu`, when the loop closes; a
/// thread posts only under `mu` with `loop` set, so it never touches a dead loop.
/// Every other field belongs to the loop's thread.
struct LoopThreads {
  explicit LoopThreads(EventLoop* l);
  LoopThreads(const LoopThreads&) = delete;
  LoopThreads& operator=(const LoopThreads&) = delete;
  ~LoopThreads();

  std::mutex mu;
  EventLoop* loop;         ///< guarded by mu (written only by the loop's thread); null once closed
  EventLoop* const owner;  ///< the loop, for its own thread

  std::shared_ptr<ThreadPoolExecutor> default_executor;
  bool executor_shutdown_called = false;

  /// Queues `fn()` on the loop from any thread (call_soon_threadsafe); false, with `fn`
  /// dropped, once the loop is closed.
  template <class F>
  bool post(F&& fn) {
    std::lock_guard<std::mutex> lk(mu);
    if (!loop) return false;
    try {
      loop->call_soon_threadsafe(std::forward<F>(fn));
      return true;
    } catch (const RuntimeError&) {  // closing: "Event loop is closed"
      return false;
    }
  }

  /// Registers `e` as awaiting delivery (the loop's virtual clock holds still meanwhile).
  void add(CompletionEntry* e);
  /// On the loop: completes `e`'s future from its source (CPython `_set_state`).
  void deliver(CompletionEntry* e);
  /// Done callback on the loop future (CPython `_call_check_cancel`); ctx = the entry.
  static void check_cancel_cb(void* ctx, void* fut, Op op);

 private:
  struct Hook : CloseHook {
    LoopThreads* owner;
  };
  static void on_close(CloseHook* h);
  CompletionEntry* head_ = nullptr;
  Hook hook_;
};

/// The loop's LoopThreads, made on first use.
const std::shared_ptr<LoopThreads>& loop_threads(EventLoop& loop);
/// CPython `run_in_executor(None, ...)`'s executor: the default one, made on first use.
/// **Exceptions:** RuntimeError("Executor shutdown has been called").
Executor* default_executor(EventLoop& loop);

template <class T>
struct WrapEntry final : CompletionEntry {
  WrapEntry(ConcurrentFuture<T> s, bool move) : src(std::move(s)), move_result(move) {}
  void copy_state() override {
    FutureBase* f = fut;
    if (f->done()) return;  // cancelled meanwhile: `if dest.cancelled(): return`
    if (src.cancelled()) {
      f->cancel({});
      return;
    }
    if (std::exception_ptr e = move_result ? src.take_exception() : src.exception()) {
      f->finish_with_exception(std::move(e));
      return;
    }
    if constexpr (!std::is_void_v<T>) {
      if constexpr (copy_constructible_v<T>) {
        if (!move_result) {
          slot_of<T>(f).emplace(src.result());
          f->finish_with_value();
          return;
        }
      }
      slot_of<T>(f).emplace(src.take_value());
    }
    f->finish_with_value();
  }
  void cancel_source() override { src.cancel(); }
  ConcurrentFuture<T> src;
  bool move_result;
};

/// CPython `wrap_future(src, loop=loop)` (= `_chain_future(src, new_future)`).
/// `move_result`: the caller is the only consumer of `src` (run_in_executor).
template <class T>
Future<T> wrap_concurrent(ConcurrentFuture<T> src, EventLoop& loop, bool move_result) {
  const std::shared_ptr<LoopThreads>& lt = loop_threads(loop);
  Future<T> fut = loop.create_future<T>();
  auto* e = new WrapEntry<T>(std::move(src), move_result);
  e->fut = fut.state_ptr();
  e->fut->add_ref();
  lt->add(e);
  // destination.add_done_callback(_call_check_cancel), then
  // source.add_done_callback(_call_set_state): from the completing thread, post _set_state.
  e->fut->push_callback(&LoopThreads::check_cancel_cb, e);
  e->src.add_done_callback([link = lt, e](const ConcurrentFuture<T>&) {
    link->post([link, e] { link->deliver(e); });
  });
  return fut;
}

/// run_coroutine_threadsafe's chain task → concurrent future (CPython `_chain_future`).
/// Kept alive by itself (`self`) until the task's done callback has run or been dropped
/// (loop closed), and by the concurrent future's callback.
template <class T>
struct ThreadsafeChain {
  ConcurrentFuture<T> dest;
  Task<T> task;  ///< loop thread only; cleared when the task is done or the loop closes
  std::shared_ptr<LoopThreads> link;
  std::shared_ptr<ThreadsafeChain> self;

  /// Done callback on the task (CPython `_call_set_state` → `_set_concurrent_future_state`).
  static void on_task_done(void* ctx, void* fut, Op op) {
    auto* c = static_cast<ThreadsafeChain*>(ctx);
    auto* f = static_cast<FutureBase*>(fut);
    std::shared_ptr<ThreadsafeChain> keep = std::move(c->self);
    if (op != Op::run) {  // the loop is closing: `dest` stays pending, as in CPython
      c->task = Task<T>();
      if (op != Op::forget) f->release();
      return;
    }
    LoopCore* loop = f->loop_;
    const bool cancelled = f->cancelled();
    std::exception_ptr e;
    std::optional<std::conditional_t<std::is_void_v<T>, char, T>> value;
    if (!cancelled) {
      e = f->exception();
      if constexpr (!std::is_void_v<T>) {
        if (!e) value.emplace(std::move(slot_of<T>(f).get()));  // the task is internal
      }
    }
    // Drop the chain's references before another thread can see the outcome: the task
    // (and its reference to the exception) is destroyed here, on the loop's thread, not
    // while the other thread may still be reading the exception.
    c->task = Task<T>();
    f->release();
    try {
      if (cancelled) c->dest.cancel();
      if (c->dest.set_running_or_notify_cancel()) {
        if (e) {
          c->dest.set_exception(std::move(e));
        } else if constexpr (std::is_void_v<T>) {
          c->dest.set_result();
        } else {
          c->dest.set_result(std::move(*value));
        }
      }
    } catch (...) {
      report_callback_exception(loop, std::current_exception(), "_call_set_state");
    }
  }
};

}  // namespace detail

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
  // On the loop's thread (CPython's `callback`): make the task, chain it to `dest`. A
  // cancel of `dest` before then reaches the task as soon as it exists, as in CPython.
  loop.call_soon_threadsafe([c = std::move(coro), dest, &loop]() mutable {
    try {
      Task<T> task = loop.create_task(std::move(c));  // ensure_future(coro, loop=loop)
      std::shared_ptr<detail::LoopThreads> link = detail::loop_threads(loop);
      auto chain = std::make_shared<detail::ThreadsafeChain<T>>();
      chain->dest = dest;
      chain->task = task;
      chain->link = link;
      chain->self = chain;
      std::weak_ptr<detail::ThreadsafeChain<T>> weak = chain;
      // destination.add_done_callback(_call_check_cancel): task.cancel on the loop thread.
      dest.add_done_callback([weak, link](const ConcurrentFuture<T>& d) {
        if (!d.cancelled()) return;
        link->post([weak] {
          if (auto c = weak.lock())
            if (c->task.valid()) c->task.cancel();
        });
      });
      // source.add_done_callback(_call_set_state)
      task.state_ptr()->add_callback(&detail::ThreadsafeChain<T>::on_task_done, chain.get());
    } catch (...) {
      if (dest.set_running_or_notify_cancel()) dest.set_exception(std::current_exception());
      throw;
    }
  });
  return dest;
}

}  // namespace asyncio
