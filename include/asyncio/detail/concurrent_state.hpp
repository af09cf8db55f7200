#pragma once
// The state behind a ConcurrentFuture and the work items of executors (threads.hpp).
// CPython: concurrent/futures/_base.py (`Future`: `_state`, `_condition`, `_invoke_callbacks`),
// concurrent/futures/thread.py (`_WorkItem`).
//
// Ownership and threads: a ConcurrentState is shared by every handle to it
// (std::shared_ptr) and may be touched from any thread; each of its fields is guarded by
// its `mu`, and callbacks run outside the lock. A WorkItem is owned by the executor's
// queue (std::unique_ptr) until a worker runs it, or until shutdown drops it; it holds a
// handle to the future it completes.

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/detail/future_base.hpp"

namespace asyncio {
template <class T>
class ConcurrentFuture;  // threads.hpp
}  // namespace asyncio

namespace asyncio::detail {

/// CPython concurrent.futures states (`_base.PENDING` ...).
enum class CfState : std::uint8_t { pending, running, cancelled, cancelled_and_notified, finished };

/// Non-template part of a concurrent future's state. Every field is guarded by `mu`.
/// Shared (std::shared_ptr) by every ConcurrentFuture handle to it, from any thread.
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

/// The WorkItem of `Executor::submit(fn, args...)` (CPython `_WorkItem(future, fn, args)`):
/// owns the call and its arguments, and a handle to the future it completes.
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

}  // namespace asyncio::detail
