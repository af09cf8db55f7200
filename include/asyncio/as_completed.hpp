#pragma once
/// \file as_completed.hpp
/// `as_completed(aws, timeout)`: the inputs in completion order.

#include <cstdint>
#include <deque>
#include <optional>
#include <ranges>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "asyncio/event_loop.hpp"
#include "asyncio/wait.hpp"

namespace asyncio {

namespace detail {

/// CPython `_AsCompletedIterator`'s state: a queue of completed inputs (null: the timeout
/// sentinel) with CPython `asyncio.Queue.get` semantics for its consumers, fed by one done
/// callback per input. O(1) per completion; the timeout is one timer for the whole
/// iteration. Reference counted: the iterator and every registered callback hold one.
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
    if (scheduled()) loop_->unschedule_timer(this);
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
    if (!entries_.empty()) loop_->link_close_hook(this);
    if (todo_ && timeout) {
      when = loop_->time() + timeout->seconds;
      fire = &on_timer;
      loop_->add_timer(this);
    }
  }

  /// CPython `_handle_completion(f)`.
  static void completion_item(void* ctx, void* fut, Op op) {
    auto* e = static_cast<Entry*>(ctx);
    AsCompletedState* s = e->state;
    e->registered = false;
    if (op == Op::run && s->todo_ != 0) {
      e->in_todo = false;
      --s->todo_;
      s->put(e->fut);
      if (s->todo_ == 0 && s->scheduled()) s->loop_->unschedule_timer(s);
    }
    if (op != Op::forget) static_cast<FutureBase*>(fut)->release();
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
}  // namespace detail

/// What `as_completed` returns: iterate it either way, and resume after a `break`.
template <class H>
class AsCompleted {
 public:
  using value_type = typename H::value_type;
  AsCompleted(const AsCompleted&) = delete;
  AsCompleted& operator=(const AsCompleted&) = delete;
  AsCompleted(AsCompleted&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  ~AsCompleted() {
    if (s_) s_->release();
  }

  /// The 3.13 `async for`: the next input (the original Task/Future, or the task made for a
  /// coroutine) to complete, or nullopt when all have been yielded:
  /// `while (auto t = co_await it.next()) { ... }`.
  /// **Exceptions:** TimeoutError once the timeout has passed (nothing is cancelled).
  Coro<std::optional<H>> next() { return next_impl(detail::AsCompletedRef(s_)); }

  /// Plain iteration: each element is an awaitable resolving to the result (or exception)
  /// of the next input to complete — `for (auto next : as_completed(aws)) co_await next;`.
  class iterator {
   public:
    using difference_type = std::ptrdiff_t;
    using value_type = Coro<typename H::value_type>;
    iterator() = default;
    Coro<typename H::value_type> operator*() const {
      --s_->todo_left_;
      return resolve(detail::AsCompletedRef(s_));
    }
    iterator& operator++() { return *this; }
    void operator++(int) {}
    bool operator==(std::default_sentinel_t) const { return !s_ || s_->todo_left_ == 0; }

   private:
    friend class AsCompleted;
    explicit iterator(detail::AsCompletedState* s) : s_(s) {}
    detail::AsCompletedState* s_ = nullptr;
  };
  iterator begin() const { return iterator(s_); }
  std::default_sentinel_t end() const { return {}; }

  /// Inputs not yet handed out.
  std::size_t remaining() const { return s_->todo_left_; }

  explicit AsCompleted(detail::AsCompletedState* s) : s_(s) {}

 private:
  static Coro<std::optional<H>> next_impl(detail::AsCompletedRef ref) {
    detail::AsCompletedState* s = ref.get();
    if (s->todo_left_ == 0) co_return std::nullopt;
    --s->todo_left_;
    co_return H::adopt_ref(co_await detail::as_completed_get(s));
  }
  static Coro<typename H::value_type> resolve(detail::AsCompletedRef ref) {
    using T = typename H::value_type;
    H h = H::adopt_ref(co_await detail::as_completed_get(ref.get()));
    detail::FutureBase* f = h.state_ptr();
    f->throw_if_error();
    if constexpr (std::is_void_v<T>) {
      co_return;
    } else if constexpr (std::is_copy_constructible_v<T>) {
      co_return detail::slot_of<T>(f).get();
    } else {
      co_return std::move(detail::slot_of<T>(f).get());
    }
  }
  detail::AsCompletedState* s_;
};

/// Runs the awaitables of `aws` concurrently (coroutines become tasks at once, as 3.13
/// does) and yields them in completion order — see `AsCompleted`. Duplicates collapse.
/// O(1) per completion; one timer for the whole iteration; a timeout cancels nothing.
/// **Python:** `asyncio.as_completed(aws, timeout=)` (3.13: `async for` yields the original
/// futures; plain iteration yields awaitables of the results). Inputs are registered in
/// input order (CPython: set order).
template <class R>
requires std::ranges::input_range<R>
auto as_completed(R&& aws, std::optional<Delay> timeout = std::nullopt) {
  using E = std::ranges::range_value_t<std::remove_cvref_t<R>>;
  using H = detail::ensure_future_t<E>;
  EventLoop& loop = get_event_loop();
  std::vector<detail::FutureBase*> futs;
  std::unordered_set<detail::FutureBase*> seen;
  try {
    for (auto&& a : aws) {
      auto f = ensure_future(std::forward<decltype(a)>(a));
      detail::FutureBase* p = f.state_ptr();
      if (!seen.insert(p).second) continue;
      p->add_ref();
      futs.push_back(p);
    }
  } catch (...) {
    for (auto* p : futs) p->release();
    throw;
  }
  auto* s = new detail::AsCompletedState(&loop);
  s->start(std::move(futs), timeout);
  return AsCompleted<H>(s);
}

}  // namespace asyncio
