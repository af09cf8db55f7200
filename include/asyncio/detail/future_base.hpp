#pragma once
// The state shared by every future: plain futures, tasks (inside their coroutine frame)
// and the futures embedded in awaiters. Future<T>, Task<T>, AnyFuture are handles to it.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/loop_core.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio::detail {

/// A done callback: scheduled as ReadyItem{fn, ctx, future} when the future completes.
/// Whoever registers one guarantees that `ctx` and the future outlive the queued item.
/// `seq` is the loop-wide registration number (FutureBase::push_callback stamps it).
struct DoneCallback {
  CallbackFn fn;  ///< called as fn(ctx, future, op)
  void* ctx;
  std::uint64_t seq = 0;
};

struct FutureBase;
/// A completion observer (wait's tracker): told synchronously when the future completes,
/// it answers with the registration number its callback should count as (0: none), so a
/// single long-lived registration behaves exactly like CPython's per-call
/// add_done_callback/remove_done_callback pair. Registered as a DoneCallback with
/// `seq == observer_seq`, `ctx` = the observer, `fn` = the item it queues.
struct CompletionObserver {
  static constexpr std::uint64_t observer_seq = ~std::uint64_t{0};
  std::uint64_t (*on_complete)(CompletionObserver*, FutureBase*) = nullptr;
};

/// Registration-ordered list with inline room for one entry (the common single awaiter):
/// no allocation until a second callback arrives.
class CallbackList {
 public:
  CallbackList() = default;
  CallbackList(const CallbackList&) = delete;
  CallbackList& operator=(const CallbackList&) = delete;
  ~CallbackList() {
    if (heap_) std::free(header());
  }
  // heap_ (if any) holds entries 1..: its capacity is stored in a header in front of them,
  // so the list itself is 36 bytes and packs with the future's 4-byte fields.

  std::uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  DoneCallback& operator[](std::uint32_t i) { return i == 0 ? first_ : heap_[i - 1]; }

  void push(DoneCallback cb) {
    if (size_ == 0) {
      first_ = cb;
    } else {
      if (size_ - 1 == capacity()) grow();
      heap_[size_ - 1] = cb;
    }
    ++size_;
  }
  /// Removes every entry for which `pred` holds, keeping order; returns how many.
  template <class Pred>
  std::uint32_t remove_if(Pred&& pred) {
    std::uint32_t j = 0, removed = 0;
    for (std::uint32_t i = 0; i < size_; ++i) {
      DoneCallback cb = (*this)[i];
      if (pred(cb)) {
        ++removed;
        continue;
      }
      (*this)[j++] = cb;
    }
    size_ = j;
    return removed;
  }
  void clear() { size_ = 0; }

 private:
  struct alignas(DoneCallback) Header {
    std::uint32_t capacity;
  };
  std::uint32_t capacity() const { return heap_ ? header()->capacity : 0; }
  Header* header() const { return reinterpret_cast<Header*>(heap_) - 1; }
  void grow() {
    std::uint32_t ncap = heap_ ? header()->capacity * 2 : 3;
    void* old = heap_ ? static_cast<void*>(header()) : nullptr;
    auto* h = static_cast<Header*>(std::realloc(old, sizeof(Header) + ncap * sizeof(DoneCallback)));
    if (!h) throw std::bad_alloc();
    h->capacity = ncap;
    heap_ = reinterpret_cast<DoneCallback*>(h + 1);
  }
  DoneCallback first_{};
  DoneCallback* heap_ = nullptr;
  std::uint32_t size_ = 0;
};

enum class FutureState : std::uint8_t { pending, finished, cancelled };

struct FutureBase;
/// What differs between kinds of future, one static table per kind (one pointer per
/// future instead of one per operation).
struct FutureOps {
  /// Frees the storage when the last reference goes; null for futures embedded in an
  /// awaiter, whose owner keeps a reference until it is destroyed.
  void (*destroy)(FutureBase*);
  /// Overrides cancel() (tasks, gathering futures); null: plain Future.cancel.
  bool (*cancel)(FutureBase*, const std::string& msg);
};
inline constexpr FutureOps embedded_future_ops{nullptr, nullptr};
/// For messages: "Future exception was never retrieved" etc.
enum class FutureKind : std::uint8_t { future, task, gathering };

/// The rare fields of a future or task, in a side record allocated on first use: a
/// cancellation (message, saved exception) or a task name given (`name=`, set_name, or a
/// task number past 2^32). Most tasks never have one.
struct CancelInfo {
  std::string message;           ///< CPython `_cancel_message` ("" = None)
  std::exception_ptr saved_exc;  ///< CPython `_cancelled_exc`: handed out once (R27)
  std::string name;              ///< a task's name, if `has_name`
  bool has_name = false;
};
/// Frees a side record (out of line: keeps ~FutureBase small enough to inline).
struct CancelInfoDelete {
  [[gnu::noinline]] void operator()(CancelInfo* c) const noexcept { delete c; }
};

/// Reference-counted future state. Not thread-safe: touched only on its loop's thread.
/// Who holds the references and who gives them back: the table in task_state.hpp.
///
/// Invariants: `state_` moves pending → finished|cancelled once; `exc_` is set iff the
/// future finished with an exception (for a task still running it may hold the body's
/// pending outcome); the value, if any, lives `slot_offset_` bytes from `this`.
struct FutureBase {
  explicit FutureBase(LoopCore* loop) : loop_(loop) {}
  FutureBase(const FutureBase&) = delete;
  FutureBase& operator=(const FutureBase&) = delete;

  LoopCore* loop_;
  const FutureOps* ops_ = &embedded_future_ops;  ///< this kind's destroy and cancel
  std::exception_ptr exc_;
  std::unique_ptr<CancelInfo, CancelInfoDelete> cancel_;
  [[no_unique_address]] CallbackList callbacks_;  // its tail padding holds refs_
  std::uint32_t refs_ = 1;
  std::uint16_t slot_offset_ = 0;
  FutureState state_ = FutureState::pending;
  FutureKind kind_ = FutureKind::future;
  bool log_traceback_ : 1 = false;  ///< failed and nobody looked yet (R12)
  bool has_observer_ : 1 = false;   ///< a CompletionObserver may be registered
  // The task's flags (TaskState), here so they use this struct's tail padding.
  bool must_cancel_ : 1 = false;         ///< CPython `_must_cancel`
  bool log_destroy_pending_ : 1 = true;  ///< CPython `_log_destroy_pending`
  bool started_ : 1 = false;             ///< the body began (CoroPromise's initial awaiter)
  bool body_done_ : 1 = false;           ///< at its final suspend point (handle.done())

  bool done() const { return state_ != FutureState::pending; }
  bool cancelled() const { return state_ == FutureState::cancelled; }
  bool is_task() const { return kind_ == FutureKind::task; }

  void add_ref() { ++refs_; }
  void release() {
    if (--refs_ == 0) last_release();
  }
  /// Logs "exception was never retrieved" if due (CPython `Future.__del__`; a pending task
  /// also logs "destroyed but pending", `Task.__del__`), forgets the registered callbacks,
  /// then destroys the storage. src/future.cpp.
  void last_release();

  CancelInfo& cancel_info() {
    if (!cancel_) cancel_.reset(new CancelInfo);
    return *cancel_;
  }
  const std::string& cancel_message() const {
    static const std::string empty;
    return cancel_ ? cancel_->message : empty;
  }

  /// CPython `_make_cancelled_error`: the saved exception once, then fresh ones.
  std::exception_ptr make_cancelled_error() {
    if (cancel_ && cancel_->saved_exc) return std::exchange(cancel_->saved_exc, nullptr);
    return std::make_exception_ptr(CancelledError(cancel_message()));
  }

  /// What `result()` would throw, or null on success; clears the "never retrieved" flag.
  std::exception_ptr result_error() {
    if (state_ == FutureState::cancelled) return make_cancelled_error();
    if (state_ == FutureState::pending) {
      return std::make_exception_ptr(InvalidStateError("Result is not set."));
    }
    log_traceback_ = false;
    return exc_;
  }
  void throw_if_error() {
    if (state_ == FutureState::finished && !exc_) return;
    std::rethrow_exception(result_error());
  }

  /// CPython `Future.exception()`.
  std::exception_ptr exception() {
    if (state_ == FutureState::cancelled) std::rethrow_exception(make_cancelled_error());
    if (state_ == FutureState::pending) throw InvalidStateError("Exception is not set.");
    log_traceback_ = false;
    return exc_;
  }

  /// Every done callback goes through the ready queue, in registration order (R10).
  /// Each queued item holds a reference on this future; its function releases it.
  void schedule_callbacks() {
    const std::uint32_t n = callbacks_.size();
    if (n == 0) return;
    if (loop_->is_closed()) loop_->check_closed();
    if (has_observer_) [[unlikely]] {
      schedule_callbacks_with_observers();
      return;
    }
    for (std::uint32_t i = 0; i < n; ++i) {
      DoneCallback cb = callbacks_[i];
      ++refs_;
      loop_->push_ready(cb.fn, cb.ctx, this);
    }
    callbacks_.clear();
  }
  void schedule_callbacks_with_observers();

  /// Appends a callback for a pending future, stamped with the next registration number.
  void push_callback(CallbackFn fn, void* ctx) {
    callbacks_.push(DoneCallback{fn, ctx, ++loop_->callback_seq_});
  }
  /// CPython `add_done_callback`: a done future queues the callback at once.
  void add_callback(CallbackFn fn, void* ctx) {
    if (done()) {
      loop_->check_closed();
      ++refs_;
      loop_->push_ready(fn, ctx, this);
    } else {
      push_callback(fn, ctx);
    }
  }

  void check_settable(const char* op) const {
    if (kind_ == FutureKind::task)
      throw RuntimeError(std::string("Task does not support ") + op + " operation");
    if (state_ != FutureState::pending) throw InvalidStateError("invalid state");
  }
  /// Marks the (already stored) value as the result and schedules callbacks.
  void finish_with_value() {
    state_ = FutureState::finished;
    schedule_callbacks();
  }
  void finish_with_exception(std::exception_ptr e) {
    exc_ = std::move(e);
    state_ = FutureState::finished;
    log_traceback_ = true;
    schedule_callbacks();
  }
  /// CPython `Future.cancel(msg)`.
  bool cancel(const std::string& msg) {
    log_traceback_ = false;
    if (state_ != FutureState::pending) return false;
    state_ = FutureState::cancelled;
    if (!msg.empty() || cancel_) cancel_info().message = msg;
    schedule_callbacks();
    return true;
  }
};

inline void FutureBase::schedule_callbacks_with_observers() {
  // Observers first (they only record), then every item in registration-number order:
  // the regular entries keep their list order and each observer's item slots in at the
  // number it answered. Usually one observer: no allocation.
  struct Pending {
    std::uint64_t seq;
    DoneCallback cb;
  };
  Pending inline_buf[2];
  std::vector<Pending> heap_buf;
  Pending* obs = inline_buf;
  std::size_t nobs = 0;
  const std::uint32_t n = callbacks_.size();
  for (std::uint32_t i = 0; i < n; ++i) {
    DoneCallback cb = callbacks_[i];
    if (cb.seq != CompletionObserver::observer_seq) continue;
    auto* o = static_cast<CompletionObserver*>(cb.ctx);
    std::uint64_t s = o->on_complete(o, this);
    if (!s) continue;
    if (obs == inline_buf && nobs == 2) {
      heap_buf.assign(inline_buf, inline_buf + 2);
      obs = nullptr;
    }
    if (obs == inline_buf)
      inline_buf[nobs] = Pending{s, cb};
    else
      heap_buf.push_back(Pending{s, cb});
    ++nobs;
  }
  if (!obs) obs = heap_buf.data();
  std::stable_sort(obs, obs + nobs,
                   [](const Pending& a, const Pending& b) { return a.seq < b.seq; });
  std::size_t j = 0;
  auto emit = [this](const DoneCallback& cb) {
    ++refs_;
    loop_->push_ready(cb.fn, cb.ctx, this);
  };
  for (std::uint32_t i = 0; i < n; ++i) {
    DoneCallback cb = callbacks_[i];
    if (cb.seq == CompletionObserver::observer_seq) continue;
    for (; j < nobs && obs[j].seq < cb.seq; ++j) emit(obs[j].cb);
    emit(cb);
  }
  for (; j < nobs; ++j) emit(obs[j].cb);
  callbacks_.clear();
}

/// The release rule of a done callback, in one place. `schedule_callbacks` (and
/// `add_callback` on a done future) takes a reference on the future for each queued item;
/// the item gives it back when it runs or is discarded (`Op::run`, `Op::discard`). A
/// callback still registered when the future is destroyed is told `Op::forget`: nothing
/// was taken, nothing is given back. Construct one at the top of every done callback.
class CallbackRef {
 public:
  CallbackRef(void* fut, Op op) noexcept
      : f_(static_cast<FutureBase*>(fut)), held_(op != Op::forget) {}
  CallbackRef(const CallbackRef&) = delete;
  CallbackRef& operator=(const CallbackRef&) = delete;
  ~CallbackRef() { release_now(); }
  FutureBase* future() const noexcept { return f_; }
  /// Gives the reference back early (a task's wake-up does, before its step: see there).
  void release_now() {
    if (held_) {
      held_ = false;
      f_->release();
    }
  }

 private:
  FutureBase* f_;
  bool held_;
};

/// CPython `Future.__repr__` ("<Future finished exception=...>"); a task's is task_repr.
/// src/future.cpp.
std::string future_repr(FutureBase* f);

/// Polymorphic cancel: `fut.cancel(msg)` whatever kind of future `f` is.
inline bool cancel_future(FutureBase* f, const std::string& msg) {
  return f->ops_->cancel ? f->ops_->cancel(f, msg) : f->cancel(msg);
}

/// Storage for a future's value. `Slot<void>` is empty.
template <class T>
struct Slot {
  Slot() {}
  ~Slot() {
    if (has_) value_.~T();
  }
  template <class... A>
  void emplace(A&&... a) {
    if (has_) value_.~T();
    ::new (static_cast<void*>(&value_)) T(std::forward<A>(a)...);
    has_ = true;
  }
  T& get() { return value_; }
  bool has() const { return has_; }
  union {
    T value_;
  };
  bool has_ = false;
};
template <>
struct Slot<void> {
  bool has() const { return true; }
};

template <class T>
Slot<T>& slot_of(FutureBase* f) {
  return *reinterpret_cast<Slot<T>*>(reinterpret_cast<char*>(f) + f->slot_offset_);
}

/// A plain heap-allocated future (CPython `loop.create_future()`).
template <class T>
struct FutureCell final : FutureBase, Slot<T> {
  explicit FutureCell(LoopCore* loop) : FutureBase(loop) {
    slot_offset_ =
        static_cast<std::uint16_t>(reinterpret_cast<char*>(static_cast<Slot<T>*>(this)) -
                                   reinterpret_cast<char*>(static_cast<FutureBase*>(this)));
    ops_ = &ops;
  }
  static void destroy(FutureBase* f) { delete static_cast<FutureCell*>(f); }
  static constexpr FutureOps ops{&destroy, nullptr};
};

}  // namespace asyncio::detail
