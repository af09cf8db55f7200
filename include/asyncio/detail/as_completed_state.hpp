#pragma once
// The machinery of as_completed (as_completed.hpp). CPython: tasks.py: `as_completed`,
// `_AsCompletedIterator` (3.13): `_handle_completion`, `_handle_timeout`,
// `_wait_for_one`, and the `asyncio.Queue` it feeds.
//
// Ownership and lifetime:
// * An AsCompletedState is reference counted: the AsCompleted object holds one; each done
//   callback registered on an input holds one (given back when it runs, whatever its
//   `Op`, or when `unregister` removes it: timeout, loop close); each coroutine made by
//   `next()` or by plain iteration holds one from its creation (AsCompletedRef), and
//   `as_completed_get` one more while it runs. So awaitables from plain iteration stay
//   valid after the AsCompleted object is gone, as CPython's `_wait_for_one` coroutines
//   keep the iterator alive.
// * The state holds one reference on each (unique) input future, released when it is
//   freed; a completed input handed out gets a new reference of its own.
// * The timer is embedded (the state is a TimerNode): unscheduled once nothing is left to
//   do, and at the latest when the state is freed. The close hook is linked while there
//   are inputs; on loop close it removes the registrations (breaking the cycles).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/event_loop.hpp"

namespace asyncio::detail {

/// CPython `_AsCompletedIterator`'s state: a queue of completed inputs (null: the timeout
/// sentinel) with CPython `asyncio.Queue.get` semantics for its consumers, fed by one done
/// callback per input. O(1) per completion; the timeout is one timer for the whole
/// iteration. Reference counted (see the file comment).
struct AsCompletedState final : CloseHook, TimerNode {
  struct Entry {
    AsCompletedState* state;
    FutureBase* fut;  // one reference
    bool in_todo;
    bool registered;
  };

  explicit AsCompletedState(EventLoop* loop) : loop_(loop) { CloseHook::fn = &on_loop_close; }
  ~AsCompletedState() {
    LoopCore::unlink_close_hook(this);
    if (scheduled()) core_of(*loop_).unschedule_timer(this);
    for (Entry& e : entries_) e.fut->release();
  }
  void add_ref() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

  void start(std::vector<FutureBase*>&& futs, std::optional<Delay> timeout) {
    entries_.reserve(futs.size());
    for (FutureBase* f : futs) entries_.push_back(Entry{this, f, true, true});
    todo_ = todo_left_ = entries_.size();
    for (Entry& e : entries_) {
      add_ref();
      e.fut->add_callback(&completion_item, &e);
    }
    if (!entries_.empty()) core_of(*loop_).link_close_hook(this);
    if (todo_ && timeout) {
      when = loop_->time() + timeout->seconds;
      fire = &on_timer;
      core_of(*loop_).add_timer(this);
    }
  }

  /// CPython `_handle_completion(f)`.
  static void completion_item(void* ctx, void* fut, Op op) {
    CallbackRef ref(fut, op);
    auto* e = static_cast<Entry*>(ctx);
    AsCompletedState* s = e->state;
    e->registered = false;
    if (op == Op::run && s->todo_ != 0) {
      e->in_todo = false;
      --s->todo_;
      s->put(e->fut);
      if (s->todo_ == 0 && s->scheduled()) core_of(*s->loop_).unschedule_timer(s);
    }
    ref.release_now();
    s->release();  // the registration's reference
  }
  /// CPython `_handle_timeout()`: every input still to do gets a timeout sentinel.
  static void on_timer(void* node, void*, Op op) {
    if (op != Op::run) return;
    auto* s = static_cast<AsCompletedState*>(static_cast<TimerNode*>(node));
    s->add_ref();
    for (Entry& e : s->entries_) {
      if (!e.in_todo) continue;
      e.in_todo = false;
      s->unregister(e);
      s->put(nullptr);
    }
    s->todo_ = 0;
    s->release();
  }
  static void on_loop_close(CloseHook* h) {
    auto* s = static_cast<AsCompletedState*>(h);
    s->add_ref();
    for (Entry& e : s->entries_) s->unregister(e);
    s->release();
  }
  void unregister(Entry& e) {
    if (!e.registered) return;
    Entry* ep = &e;
    std::uint32_t n = e.fut->callbacks_.remove_if(
        [ep](const DoneCallback& cb) { return cb.fn == &completion_item && cb.ctx == ep; });
    e.registered = false;
    for (std::uint32_t i = 0; i < n; ++i) release();
  }

  /// `Queue.put_nowait(f)`: append, wake the first waiting getter.
  void put(FutureBase* f) {
    done_.push_back(f);
    wakeup_next();
  }
  void wakeup_next() {
    while (!getters_.empty()) {
      Future<void> g = std::move(getters_.front());
      getters_.pop_front();
      if (!g.done()) {
        g.set_result();
        break;
      }
    }
  }

  EventLoop* loop_;
  std::vector<Entry> entries_;  // input order; never reallocated after start
  std::deque<FutureBase*> done_;
  std::deque<Future<void>> getters_;
  std::size_t todo_ = 0;
  std::size_t todo_left_ = 0;
  std::uint32_t refs_ = 1;
};

/// A counted reference to the state: every coroutine that will use it holds one from its
/// creation (as CPython's `_wait_for_one` coroutines hold the iterator), so the awaitables
/// of plain iteration stay valid after the AsCompleted object is gone.
class AsCompletedRef {
 public:
  explicit AsCompletedRef(AsCompletedState* s) : s_(s) { s_->add_ref(); }
  AsCompletedRef(AsCompletedRef&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  AsCompletedRef(const AsCompletedRef&) = delete;
  AsCompletedRef& operator=(const AsCompletedRef&) = delete;
  ~AsCompletedRef() {
    if (s_) s_->release();
  }
  AsCompletedState* get() const { return s_; }

 private:
  AsCompletedState* s_;
};

/// `Queue.get()` then `_wait_for_one`: the next completed input, as a new reference
/// (TimeoutError on timeout).
inline Coro<FutureBase*> as_completed_get(AsCompletedState* s) {
  s->add_ref();
  struct Release {
    AsCompletedState* s;
    ~Release() { s->release(); }
  } hold{s};
  while (s->done_.empty()) {
    Future<void> getter = s->loop_->create_future<void>();
    s->getters_.push_back(getter);
    std::exception_ptr exc;
    try {
      co_await getter;
    } catch (...) {
      exc = std::current_exception();
    }
    if (exc) {
      getter.cancel();
      for (auto it = s->getters_.begin(); it != s->getters_.end(); ++it)
        if (*it == getter) {
          s->getters_.erase(it);
          break;
        }
      if (!s->done_.empty() && !getter.cancelled()) s->wakeup_next();
      std::rethrow_exception(exc);
    }
  }
  FutureBase* f = s->done_.front();
  s->done_.pop_front();
  if (!f) throw TimeoutError();
  f->add_ref();  // the state's own reference may go with the state
  co_return f;
}

/// `AsCompleted::next()`: the next input to complete, or nullopt when all were handed out.
template <class H>
Coro<std::optional<H>> as_completed_next(AsCompletedRef ref) {
  AsCompletedState* s = ref.get();
  if (s->todo_left_ == 0) co_return std::nullopt;
  --s->todo_left_;
  co_return H::adopt_ref(co_await as_completed_get(s));
}

/// An element of plain iteration: the result (or exception) of the next input to complete.
template <class H>
Coro<typename H::value_type> as_completed_resolve(AsCompletedRef ref) {
  using T = typename H::value_type;
  H h = H::adopt_ref(co_await as_completed_get(ref.get()));
  FutureBase* f = h.state_ptr();
  f->throw_if_error();
  if constexpr (std::is_void_v<T>) {
    co_return;
  } else if constexpr (std::is_copy_constructible_v<T>) {
    co_return slot_of<T>(f).get();
  } else {
    co_return std::move(slot_of<T>(f).get());
  }
}

}  // namespace asyncio::detail
