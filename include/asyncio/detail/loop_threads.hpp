#pragma once
// The loop's side of threads.hpp: the per-loop LoopThreads (the default executor, the
// link worker threads post through, the completions on their way to the loop), and the
// chains between concurrent futures and loop futures/tasks. CPython: futures.py
// (`wrap_future`, `_chain_future`, `_copy_future_state`, `_set_concurrent_future_state`),
// base_events.py (`run_in_executor`, the default executor), tasks.py
// (`run_coroutine_threadsafe`).
//
// Ownership, lifetime and threads:
// * LoopThreads is shared (std::shared_ptr) by the loop and by whatever another thread
//   holds to reach it (a concurrent future's done callback). Its `loop` is cleared, under
//   `mu`, when the loop closes; a thread posts only under `mu` with `loop` set, so it never
//   touches a dead loop. Every other field belongs to the loop's thread.
// * A CompletionEntry (one per wrapped concurrent future) has two references: the pending
//   list's (given back by `deliver` or at loop close, after unlinking: an entry is never
//   freed while linked) and the loop future's check-cancel callback's. It holds one
//   reference on the loop future until it delivers (or the loop closes).
// * A ThreadsafeChain keeps itself alive (`self`) until the task's done callback has run
//   or been dropped (loop closed); the concurrent future's callback holds it weakly.

#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>
#include <utility>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/event_loop.hpp"

namespace asyncio {
template <class T>
class ConcurrentFuture;    // threads.hpp
class Executor;            // threads.hpp
class ThreadPoolExecutor;  // threads.hpp
}  // namespace asyncio

namespace asyncio::detail {

/// One wrapped concurrent future waiting to be delivered to its loop (loop thread only).
/// References (`refs`): the loop's pending list (given back when delivered, or dropped at
/// loop close, once unlinked), and the loop future's check-cancel callback.
struct CompletionEntry : ListHook<CompletionEntry> {
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
  IntrusiveList<CompletionEntry, CompletionEntry> pending_;  ///< awaiting delivery (newest first)
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
  e->src.add_done_callback(
      [link = lt, e](const ConcurrentFuture<T>&) { link->post([link, e] { link->deliver(e); }); });
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
    CallbackRef ref(fut, op);
    auto* c = static_cast<ThreadsafeChain*>(ctx);
    FutureBase* f = ref.future();
    std::shared_ptr<ThreadsafeChain> keep = std::move(c->self);
    if (op != Op::run) {  // the loop is closing: `dest` stays pending, as in CPython
      c->task = Task<T>();
      ref.release_now();
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
    ref.release_now();
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

/// run_coroutine_threadsafe's work (CPython: its `callback`, posted to the loop): on the
/// loop's thread, make the task for `coro` and chain it to `dest` both ways.
template <class T>
void chain_threadsafe(Coro<T>&& coro, ConcurrentFuture<T> dest, EventLoop& loop) {
  // On the loop's thread (CPython's `callback`): make the task, chain it to `dest`. A
  // cancel of `dest` before then reaches the task as soon as it exists, as in CPython.
  loop.call_soon_threadsafe([c = std::move(coro), dest = std::move(dest), &loop]() mutable {
    try {
      Task<T> task = loop.create_task(std::move(c));  // ensure_future(coro, loop=loop)
      std::shared_ptr<LoopThreads> link = loop_threads(loop);
      auto chain = std::make_shared<ThreadsafeChain<T>>();
      chain->dest = dest;
      chain->task = task;
      chain->link = link;
      chain->self = chain;
      std::weak_ptr<ThreadsafeChain<T>> weak = chain;
      // destination.add_done_callback(_call_check_cancel): task.cancel on the loop thread.
      dest.add_done_callback([weak, link](const ConcurrentFuture<T>& d) {
        if (!d.cancelled()) return;
        link->post([weak] {
          if (auto c = weak.lock())
            if (c->task.valid()) c->task.cancel();
        });
      });
      // source.add_done_callback(_call_set_state)
      task.state_ptr()->add_callback(&ThreadsafeChain<T>::on_task_done, chain.get());
    } catch (...) {
      if (dest.set_running_or_notify_cancel()) dest.set_exception(std::current_exception());
      throw;
    }
  });
}

}  // namespace asyncio::detail
