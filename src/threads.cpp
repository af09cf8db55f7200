// ThreadPoolExecutor, the loop's default executor, and the loop side of wrap_future.
// See threads.hpp, detail/concurrent_state.hpp, detail/loop_threads.hpp. CPython:
// concurrent/futures/thread.py (the pool), base_events.py (the default executor,
// shutdown_default_executor), futures.py (`_chain_future`'s loop half).

#include "asyncio/threads.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <iostream>
#include <thread>

#include "asyncio/timeouts.hpp"

namespace asyncio {

namespace detail {

// ---------------------------------------------------------------------------------------
// Concurrent futures.

void ConcurrentStateBase::wait_done(std::unique_lock<std::mutex>& lk,
                                    std::optional<double> timeout) {
  if (is_cancelled()) throw CancelledError();
  if (state == CfState::finished) return;
  if (timeout) {
    // Clamped so that the deadline arithmetic cannot overflow (Python accepts any float).
    const double s = std::min(std::max(0.0, *timeout), 1e9);
    cv.wait_for(lk, std::chrono::duration<double>(s), [this] { return is_done(); });
  } else {
    cv.wait(lk, [this] { return is_done(); });
  }
  if (is_cancelled()) throw CancelledError();
  if (state == CfState::finished) return;
  throw TimeoutError();
}

std::string ConcurrentStateBase::repr_unlocked() const {
  static const char* const names[] = {"pending", "running", "cancelled", "cancelled", "finished"};
  char addr[32];
  std::snprintf(addr, sizeof addr, "%#zx", reinterpret_cast<std::size_t>(this));
  std::string out = std::string("<Future at ") + addr + " state=" + names[static_cast<int>(state)];
  if (state == CfState::finished && exc) out += " raised " + describe_exception(exc);
  return out + ">";
}

std::string ConcurrentStateBase::repr() {
  std::lock_guard<std::mutex> lk(mu);
  return repr_unlocked();
}

void report_concurrent_callback_error(const std::string& future_repr,
                                      std::exception_ptr e) noexcept {
  try {
    std::cerr << "exception calling callback for " << future_repr << "\n"
              << describe_exception(e) << std::endl;
  } catch (...) {
  }
}

// ---------------------------------------------------------------------------------------
// The thread pool (CPython concurrent.futures.thread).

struct PoolCore {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<WorkItem>> queue;  // guarded by mu
  std::vector<std::thread> threads;             // guarded by mu; fixed once shut down
  std::size_t idle = 0;                         // workers waiting for work; guarded by mu
  bool shutdown = false;                        // guarded by mu
  std::size_t max_workers = 1;
  std::string prefix;
  std::mutex join_mu;  // serialises the joins of concurrent shutdown(wait=true) calls

  void worker(std::size_t n) {
    std::string name = prefix + "_" + std::to_string(n);
    if (name.size() > 15) name.resize(15);  // the kernel's limit
    pthread_setname_np(pthread_self(), name.c_str());
    std::unique_lock<std::mutex> lk(mu);
    for (;;) {
      if (!queue.empty()) {
        std::unique_ptr<WorkItem> item = std::move(queue.front());
        queue.pop_front();
        lk.unlock();
        item->run();
        item.reset();  // the call's arguments die in the worker, as in CPython
        lk.lock();
        continue;
      }
      if (shutdown) return;  // queue drained: exit (CPython: the None sentinel)
      ++idle;
      while (queue.empty() && !shutdown) cv.wait(lk);
      --idle;
    }
  }
};

}  // namespace detail

namespace {
std::atomic<unsigned> pool_counter{0};
}

ThreadPoolExecutor::ThreadPoolExecutor(std::optional<int> max_workers,
                                       std::string thread_name_prefix)
    : core_(std::make_shared<detail::PoolCore>()) {
  if (max_workers && *max_workers <= 0)
    throw std::invalid_argument("max_workers must be greater than 0");
  core_->max_workers = max_workers ? static_cast<std::size_t>(*max_workers) : default_max_workers();
  core_->prefix = thread_name_prefix.empty()
                      ? "ThreadPoolExecutor-" + std::to_string(pool_counter.fetch_add(1))
                      : std::move(thread_name_prefix);
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true); }

std::size_t ThreadPoolExecutor::default_max_workers() {
  std::size_t cpus = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = static_cast<std::size_t>(CPU_COUNT(&set));
  if (cpus == 0) cpus = std::max(1u, std::thread::hardware_concurrency());
  return std::min<std::size_t>(32, cpus + 4);
}

std::size_t ThreadPoolExecutor::max_workers() const noexcept { return core_->max_workers; }

std::size_t ThreadPoolExecutor::thread_count() const {
  std::lock_guard<std::mutex> lk(core_->mu);
  return core_->threads.size();
}

void ThreadPoolExecutor::submit_item(std::unique_ptr<detail::WorkItem> item) {
  detail::PoolCore& c = *core_;
  {
    std::lock_guard<std::mutex> lk(c.mu);
    if (c.shutdown) throw RuntimeError("cannot schedule new futures after shutdown");
    c.queue.push_back(std::move(item));
    // CPython `_adjust_thread_count`: reuse an idle worker, else start one if allowed.
    if (c.idle < c.queue.size() && c.threads.size() < c.max_workers) {
      const std::size_t n = c.threads.size();
      try {
        c.threads.emplace_back([core = core_, n] { core->worker(n); });
      } catch (...) {
        if (c.threads.empty()) {
          c.queue.pop_back();
          throw;
        }
      }
    }
  }
  c.cv.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  detail::PoolCore& c = *core_;
  std::deque<std::unique_ptr<detail::WorkItem>> dropped;
  {
    std::lock_guard<std::mutex> lk(c.mu);
    c.shutdown = true;
    if (cancel_futures) dropped.swap(c.queue);
  }
  c.cv.notify_all();
  for (auto& item : dropped) item->cancel();
  dropped.clear();
  if (!wait) return;
  // No thread starts after `shutdown` is set, so `threads` no longer changes.
  std::lock_guard<std::mutex> jl(c.join_mu);
  for (std::thread& t : c.threads) {
    if (!t.joinable()) continue;
    if (t.get_id() == std::this_thread::get_id())
      t.detach();  // a job dropped the last reference to its own pool
    else
      t.join();
  }
}

// ---------------------------------------------------------------------------------------
// The loop's side.

namespace detail {

struct LoopThreadsAccess {
  static std::shared_ptr<LoopThreads>& get(EventLoop& loop) { return loop.threads_; }
};

LoopThreads::LoopThreads(EventLoop* l) : loop(l), owner(l) {
  hook_.owner = this;
  hook_.fn = &on_close;
  if (l->is_closed())
    loop = nullptr;
  else
    detail::core_of(*l).link_close_hook(&hook_);
}

LoopThreads::~LoopThreads() { LoopCore::unlink_close_hook(&hook_); }

void LoopThreads::add(CompletionEntry* e) {
  pending_.push_front(e);
  ++detail::core_of(*owner).pending_jobs_;
}

void LoopThreads::deliver(CompletionEntry* e) {
  pending_.remove(e);
  --detail::core_of(*owner).pending_jobs_;
  try {
    e->copy_state();
  } catch (...) {
    report_callback_exception(&detail::core_of(*owner), std::current_exception(), "_set_state");
  }
  std::exchange(e->fut, nullptr)->release();
  e->release();
}

void LoopThreads::check_cancel_cb(void* ctx, void* fut, Op op) {
  CallbackRef ref(fut, op);
  auto* e = static_cast<CompletionEntry*>(ctx);
  FutureBase* f = ref.future();
  if (op == Op::run && f->cancelled()) {
    try {
      e->cancel_source();  // CPython `_call_check_cancel`: same thread, so directly
    } catch (...) {
      report_callback_exception(f->loop_, std::current_exception(), "_call_check_cancel");
    }
  }
  ref.release_now();
  e->release();
}

void LoopThreads::on_close(CloseHook* h) {
  LoopThreads* self = static_cast<Hook*>(h)->owner;
  {
    std::lock_guard<std::mutex> lk(self->mu);
    self->loop = nullptr;  // from now on, threads post nothing
  }
  // Results that can never be delivered now: drop the loop futures' references.
  while (CompletionEntry* e = self->pending_.pop_front()) {
    --detail::core_of(*self->owner).pending_jobs_;
    FutureBase* f = std::exchange(e->fut, nullptr);
    f->release();
    e->release();
  }
  // CPython BaseEventLoop.close(): `executor.shutdown(wait=False)`, returning at once even
  // while a job runs. When the loop held the last reference, the workers are detached
  // instead of joined: each keeps only the pool's core (never the loop: a result that
  // arrives later finds `loop` null and is dropped) and exits once the queue is drained.
  // CPython joins such threads at interpreter exit; here the process may exit while they
  // run (docs/threads.md). An executor the user still holds keeps its threads joinable.
  if (std::shared_ptr<ThreadPoolExecutor> ex = std::move(self->default_executor)) {
    ex->shutdown(false);
    if (ex.use_count() == 1) {
      std::lock_guard<std::mutex> lk(ex->core_->mu);
      for (std::thread& t : ex->core_->threads)
        if (t.joinable()) t.detach();
    }
  }
}

const std::shared_ptr<LoopThreads>& loop_threads(EventLoop& loop) {
  std::shared_ptr<LoopThreads>& p = LoopThreadsAccess::get(loop);
  if (!p) p = std::make_shared<LoopThreads>(&loop);
  return p;
}

Executor* default_executor(EventLoop& loop) {
  LoopThreads& lt = *loop_threads(loop);
  if (lt.executor_shutdown_called) throw RuntimeError("Executor shutdown has been called");
  if (!lt.default_executor)
    lt.default_executor = std::make_shared<ThreadPoolExecutor>(std::nullopt, "asyncio");
  return lt.default_executor.get();
}

}  // namespace detail

void EventLoop::set_default_executor(std::shared_ptr<ThreadPoolExecutor> executor) {
  if (!executor) throw std::invalid_argument("executor must be ThreadPoolExecutor instance");
  detail::loop_threads(*this)->default_executor = std::move(executor);
}

// CPython: the executor is shut down by a helper thread (shutdown(wait=True) blocks), whose
// completion reaches the loop through call_soon_threadsafe; then the helper is joined.
Coro<void> EventLoop::shutdown_default_executor(std::optional<Delay> timeout_delay) {
  detail::LoopThreads& lt = *detail::loop_threads(*this);
  lt.executor_shutdown_called = true;
  std::shared_ptr<ThreadPoolExecutor> ex = lt.default_executor;
  if (!ex) co_return;
  auto done = ConcurrentFuture<void>::create();
  std::thread helper([ex, done] {
    std::exception_ptr err;
    try {
      ex->shutdown(true);
    } catch (...) {
      err = std::current_exception();
    }
    // A timeout or a cancel of the awaiting task cancels `done` meanwhile; then the
    // outcome is dropped (CPython: `if not future.cancelled(): ... set_result`), instead of
    // set_result throwing InvalidStateError out of the thread (std::terminate).
    if (!done.set_running_or_notify_cancel()) return;
    if (err)
      done.set_exception(err);
    else
      done.set_result();
  });
  struct DetachUnlessJoined {
    std::thread& t;
    ~DetachUnlessJoined() {
      if (t.joinable()) t.detach();
    }
  } guard{helper};
  Future<void> fut = detail::wrap_concurrent(done, *this, true);
  try {
    co_await timeout(timeout_delay, fut);
  } catch (const TimeoutError&) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%g", timeout_delay ? timeout_delay->seconds : 0.0);
    std::cerr << "RuntimeWarning: The executor did not finishing joining its threads within "
              << secs << " seconds." << std::endl;
    ex->shutdown(false);
    co_return;
  }
  helper.join();
}

}  // namespace asyncio
