#pragma once
/// \file wait.hpp
/// `wait(aws, {.timeout, .return_when})`: wait for some of many futures; `{done, pending}`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "asyncio/event_loop.hpp"

namespace asyncio {

/// When `wait` returns. **Python:** `asyncio.FIRST_COMPLETED` etc.
enum class ReturnWhen : int { FIRST_COMPLETED = 1, FIRST_EXCEPTION = 2, ALL_COMPLETED = 3 };
inline constexpr ReturnWhen FIRST_COMPLETED = ReturnWhen::FIRST_COMPLETED;
inline constexpr ReturnWhen FIRST_EXCEPTION = ReturnWhen::FIRST_EXCEPTION;
inline constexpr ReturnWhen ALL_COMPLETED = ReturnWhen::ALL_COMPLETED;

/// Options of `wait`: `timeout` (none = wait as long as needed) and `return_when`.
struct WaitOptions {
  std::optional<Delay> timeout = std::nullopt;
  ReturnWhen return_when = ALL_COMPLETED;
};

template <class H>
class WaitSet;

namespace detail {

/// The long-lived bookkeeping behind a chain of `wait` calls (the performance contract:
/// `pending` carries it to the next call, which then costs O(completions), not O(n)).
///
/// One CompletionObserver per input future stays registered from the first call until
/// the future completes; at completion it records the entry (so `done`/`pending` are
/// partitioned exactly by `done()` at resume time, as CPython does) and, if a call is in
/// progress, queues CPython's `_on_completion` at the position where that call would
/// have registered it. The current pending set is an intrusive list in input order.
/// A WaitSet view names a generation; an older view stays readable (O(n) scan).
struct WaitTracker {
  static constexpr std::uint32_t nil = ~std::uint32_t{0};
  static constexpr std::uint64_t never = ~std::uint64_t{0};

  struct Entry : CompletionObserver {
    WaitTracker* tracker = nullptr;
    FutureBase* fut = nullptr;  // one reference held
    std::uint32_t prev = nil, next = nil;
    std::uint64_t left_gen = never;  // generation at whose start it had left the set
    std::uint64_t sched_call = 0;    // the call whose _on_completion was queued for it
    bool registered = false;
    bool completed = false;
  };
  struct Call {  // the wait call in progress (CPython _wait's locals)
    FutureBase* waiter;
    TimerNode* timer;
    std::uint64_t id;
    std::int64_t counter;
    ReturnWhen mode;
  };

  explicit WaitTracker(LoopCore* loop) : loop_(loop) {}
  ~WaitTracker() {
    for (Entry& e : entries_) {
      if (e.registered && !e.fut->done()) {
        Entry* ep = &e;
        e.fut->callbacks_.remove_if([ep](const DoneCallback& cb) { return cb.ctx == ep; });
      }
      e.fut->release();
    }
  }
  WaitTracker(const WaitTracker&) = delete;
  WaitTracker& operator=(const WaitTracker&) = delete;

  void add_ref() { ++refs_; }
  void release() {
    if (--refs_ == 0) delete this;
  }

  /// Builds the tracker over `futs` (new references, duplicates already removed).
  void init(std::vector<FutureBase*>&& futs) {
    entries_.resize(futs.size());
    for (std::uint32_t i = 0; i < futs.size(); ++i) {
      Entry& e = entries_[i];
      e.tracker = this;
      e.fut = futs[i];
      e.on_complete = &on_complete;
      e.prev = i == 0 ? nil : i - 1;
      e.next = i + 1 == futs.size() ? nil : i + 1;
      if (e.fut->done()) {
        e.completed = true;
        completed_.push_back(i);
      } else {
        e.registered = true;
        e.fut->has_observer_ = true;
        e.fut->callbacks_.push(
            DoneCallback{&on_completion_item, &e, CompletionObserver::observer_seq});
      }
    }
    head_ = futs.empty() ? nil : 0;
    tail_ = futs.empty() ? nil : static_cast<std::uint32_t>(futs.size() - 1);
    size_ = futs.size();
  }

  /// Observer: the future of `o` has just completed.
  static std::uint64_t on_complete(CompletionObserver* o, FutureBase*) {
    auto* e = static_cast<Entry*>(o);
    WaitTracker* t = e->tracker;
    e->registered = false;
    e->completed = true;
    t->completed_.push_back(static_cast<std::uint32_t>(e - t->entries_.data()));
    if (!t->active_) return 0;
    e->sched_call = t->active_->id;
    t->add_ref();  // held by the queued item
    return t->call_seq_;
  }

  /// The queued `_on_completion(f)` (a = entry, b = future).
  static void on_completion_item(void* a, void* b, Op op) {
    auto* e = static_cast<Entry*>(a);
    auto* f = static_cast<FutureBase*>(b);
    if (op == Op::forget) {
      e->registered = false;
      return;
    }
    WaitTracker* t = e->tracker;
    if (op == Op::run) t->on_completion(e, f);
    f->release();
    t->release();
  }

  /// CPython `_wait`'s `_on_completion` closure.
  void on_completion(Entry* e, FutureBase* f) {
    std::int64_t* counter;
    ReturnWhen mode;
    Call* call = nullptr;
    if (active_ && e->sched_call == active_->id) {
      call = active_;
      counter = &active_->counter;
      mode = active_->mode;
    } else if (e->sched_call == last_call_id_) {
      counter = &last_counter_;  // a stale call of the previous wait: its waiter is done
      mode = last_mode_;
    } else {
      return;
    }
    --*counter;
    bool release = *counter <= 0 || mode == FIRST_COMPLETED;
    if (!release && mode == FIRST_EXCEPTION && !f->cancelled()) {
      f->log_traceback_ = false;  // f.exception() marks it retrieved
      release = f->exc_ != nullptr;
    }
    if (release && call) {
      if (call->timer && call->timer->scheduled()) loop_->unschedule_timer(call->timer);
      if (!call->waiter->done()) call->waiter->finish_with_value();
    }
  }

  /// Starts a call: queues `_on_completion` for members already done (input order).
  void begin(Call* call) {
    active_ = call;
    call_seq_ = ++loop_->callback_seq_;
    std::sort(completed_.begin(), completed_.end());
    for (std::uint32_t i : completed_) {
      Entry& e = entries_[i];
      e.sched_call = call->id;
      add_ref();
      ++e.fut->refs_;
      loop_->push_ready(&on_completion_item, &e, e.fut);
    }
  }
  /// Ends the call (CPython: `finally: timeout_handle.cancel(); remove_done_callback`).
  void end(Call* call) {
    if (active_ != call) return;
    if (call->timer && call->timer->scheduled()) loop_->unschedule_timer(call->timer);
    last_call_id_ = call->id;
    last_counter_ = call->counter;
    last_mode_ = call->mode;
    active_ = nullptr;
  }
  /// Removes the completed members from the set; returns their indices in input order.
  std::vector<std::uint32_t> partition() {
    std::sort(completed_.begin(), completed_.end());
    std::vector<std::uint32_t> done;
    done.swap(completed_);
    ++gen_;
    for (std::uint32_t i : done) {
      Entry& e = entries_[i];
      if (e.left_gen != never) continue;
      e.left_gen = gen_;
      if (e.prev != nil)
        entries_[e.prev].next = e.next;
      else
        head_ = e.next;
      if (e.next != nil)
        entries_[e.next].prev = e.prev;
      else
        tail_ = e.prev;
      --size_;
    }
    return done;
  }

  LoopCore* loop_;
  std::vector<Entry> entries_;  // input order; never reallocated after init
  std::vector<std::uint32_t> completed_;
  Call* active_ = nullptr;
  std::uint64_t call_seq_ = 0;
  std::uint64_t next_call_id_ = 0;
  std::uint64_t last_call_id_ = 0;
  std::int64_t last_counter_ = 0;
  ReturnWhen last_mode_ = ALL_COMPLETED;
  std::uint64_t gen_ = 0;
  std::uint32_t head_ = nil, tail_ = nil;
  std::size_t size_ = 0;
  std::uint32_t refs_ = 1;
};

/// Handle type `wait` reports for an input element type.
template <class E>
struct wait_handle {
  using type = std::conditional_t<future_handle<E>, E,
                                  Task<typename decltype(as_coro(std::declval<E>()))::value_type>>;
};
template <class E>
requires future_handle<E>
struct wait_handle<E> {
  using type = E;
};
template <class E>
using wait_handle_t = typename wait_handle<std::remove_cvref_t<E>>::type;

std::string return_when_repr(ReturnWhen rw);
}  // namespace detail

/// The `pending` collection returned by `wait`: sized, iterable in input order. Pass it
/// back to `wait` (ideally with std::move) and the next call costs O(completions).
/// Copies share state; a copy kept from an earlier call stays readable.
template <class H>
class WaitSet {
 public:
  using value_type = H;
  WaitSet() = default;
  WaitSet(const WaitSet& o) : t_(o.t_), gen_(o.gen_), size_(o.size_) {
    if (t_) t_->add_ref();
  }
  WaitSet(WaitSet&& o) noexcept
      : t_(std::exchange(o.t_, nullptr)), gen_(o.gen_), size_(std::exchange(o.size_, 0)) {}
  WaitSet& operator=(WaitSet o) noexcept {
    std::swap(t_, o.t_);
    std::swap(gen_, o.gen_);
    std::swap(size_, o.size_);
    return *this;
  }
  ~WaitSet() {
    if (t_) t_->release();
  }

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  class iterator {
   public:
    using value_type = H;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    H operator*() const {
      detail::FutureBase* f = set_->t_->entries_[i_].fut;
      f->add_ref();
      return H::adopt_ref(f);
    }
    iterator& operator++() {
      i_ = set_->next_index(i_);
      return *this;
    }
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& o) const { return i_ == o.i_; }

   private:
    friend class WaitSet;
    iterator(const WaitSet* s, std::uint32_t i) : set_(s), i_(i) {}
    const WaitSet* set_ = nullptr;
    std::uint32_t i_ = detail::WaitTracker::nil;
  };
  iterator begin() const { return iterator(this, first_index()); }
  iterator end() const { return iterator(this, detail::WaitTracker::nil); }

  /// The members as a vector.
  std::vector<H> to_vector() const { return std::vector<H>(begin(), end()); }

 private:
  template <class, class>
  friend class WaitAwaiter;
  friend class iterator;
  WaitSet(detail::WaitTracker* t, std::uint64_t gen, std::size_t size)
      : t_(t), gen_(gen), size_(size) {}
  bool current() const { return t_ && gen_ == t_->gen_; }
  bool member(std::uint32_t i) const { return t_->entries_[i].left_gen > gen_; }
  std::uint32_t first_index() const {
    if (!t_ || size_ == 0) return detail::WaitTracker::nil;
    if (current()) return t_->head_;
    for (std::uint32_t i = 0; i < t_->entries_.size(); ++i)
      if (member(i)) return i;
    return detail::WaitTracker::nil;
  }
  std::uint32_t next_index(std::uint32_t i) const {
    if (current()) return t_->entries_[i].next;
    for (++i; i < t_->entries_.size(); ++i)
      if (member(i)) return i;
    return detail::WaitTracker::nil;
  }
  detail::WaitTracker* t_ = nullptr;
  std::uint64_t gen_ = 0;
  std::size_t size_ = 0;
};

/// What `wait` returns: `auto [done, pending] = co_await wait(...)`.
template <class H>
struct WaitResult {
  std::vector<H> done;  ///< in input order
  WaitSet<H> pending;   ///< in input order
};

namespace detail {
/// The embedded waiter future and timeout timer of one wait call.
struct WaitWaiter final : FutureBase, TimerNode {
  WaitWaiter() : FutureBase(nullptr) {}
  static void on_timer(void* n, void*, Op op) {  // CPython `_release_waiter`
    if (op != Op::run) return;
    auto* w = static_cast<WaitWaiter*>(static_cast<TimerNode*>(n));
    if (!w->done()) w->finish_with_value();
  }
};
}  // namespace detail

/// Awaiter of `wait`: validates and registers when awaited, as CPython's coroutine does.
template <class H, class Input>
class WaitAwaiter {
 public:
  WaitAwaiter(Input&& in, WaitOptions opts) : input_(std::move(in)), opts_(opts) {}
  WaitAwaiter(const WaitAwaiter&) = delete;
  WaitAwaiter& operator=(const WaitAwaiter&) = delete;
  ~WaitAwaiter() {
    finish();
    if (t_) t_->release();  // this awaiter's reference
  }

  bool await_ready() {
    // CPython checks `not fs` before return_when (a sized input here; others below).
    if constexpr (std::ranges::sized_range<Input>) {
      if (std::ranges::size(input_) == 0)
        throw std::invalid_argument("Set of Tasks/Futures is empty.");
    }
    if (opts_.return_when != FIRST_COMPLETED && opts_.return_when != FIRST_EXCEPTION &&
        opts_.return_when != ALL_COMPLETED)
      throw std::invalid_argument("Invalid return_when value: " +
                                  detail::return_when_repr(opts_.return_when));
    if (opts_.timeout && std::isnan(opts_.timeout->seconds))
      throw std::invalid_argument("Invalid timeout: NaN");
    detail::LoopCore& loop = get_running_loop();
    acquire_tracker(loop);
    if (t_->size_ == 0) throw std::invalid_argument("Set of Tasks/Futures is empty.");
    waiter_.loop_ = &loop;
    call_ = detail::WaitTracker::Call{&waiter_, nullptr, ++t_->next_call_id_,
                                      static_cast<std::int64_t>(t_->size_), opts_.return_when};
    if (opts_.timeout) {
      waiter_.when = loop.time() + opts_.timeout->seconds;
      static_cast<detail::TimerNode&>(waiter_).fire = &detail::WaitWaiter::on_timer;
      loop.add_timer(&waiter_);
      call_.timer = &waiter_;
    }
    t_->begin(&call_);
    started_ = true;
    return false;
  }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    task_ = h.promise().task_;
    detail::park_on(&waiter_, h);
  }
  WaitResult<H> await_resume() {
    finish();
    task_->rethrow_injected();
    WaitResult<H> r;
    std::vector<std::uint32_t> done = t_->partition();
    r.done.reserve(done.size());
    for (std::uint32_t i : done) {
      detail::FutureBase* f = t_->entries_[i].fut;
      f->add_ref();
      r.done.push_back(H::adopt_ref(f));
    }
    t_->add_ref();
    r.pending = WaitSet<H>(t_, t_->gen_, t_->size_);
    return r;
  }

 private:
  void finish() {
    if (started_) {
      started_ = false;
      t_->end(&call_);
      detail::unpark(&waiter_, task_);
    }
  }

  void acquire_tracker(detail::LoopCore& loop) {
    if constexpr (std::is_same_v<Input, WaitSet<H>>) {
      if (input_.current() && !input_.t_->active_ && input_.t_->loop_ == &loop) {
        t_ = input_.t_;
        t_->add_ref();
        return;
      }
      build(loop, input_.to_vector());
    } else {
      build(loop, std::move(input_));
    }
  }
  template <class R>
  void build(detail::LoopCore& loop, R&& range) {
    std::vector<detail::FutureBase*> futs;
    std::unordered_set<detail::FutureBase*> seen;
    if constexpr (std::ranges::sized_range<R>) {
      futs.reserve(std::ranges::size(range));
      seen.reserve(std::ranges::size(range));
    }
    auto* tr = new detail::WaitTracker(&loop);
    try {
      for (auto&& a : range) {
        using E = std::remove_cvref_t<decltype(a)>;
        detail::FutureBase* f;
        if constexpr (detail::future_handle<E>) {
          f = a.state_ptr();
          if (!f) throw std::invalid_argument("wait: empty future handle");
          if (!seen.insert(f).second) continue;  // duplicates collapse (a set)
          f->add_ref();
        } else {
          // Coroutines become tasks (as Python <= 3.10, and the seed program, do).
          auto t = static_cast<EventLoop&>(loop).create_task(detail::as_coro(std::move(a)));
          f = t.state_ptr();
          f->add_ref();
        }
        futs.push_back(f);
      }
    } catch (...) {
      for (auto* f : futs) f->release();
      delete tr;
      throw;
    }
    tr->init(std::move(futs));
    t_ = tr;
  }

  Input input_;
  WaitOptions opts_;
  detail::WaitWaiter waiter_;
  detail::WaitTracker::Call call_{};
  detail::WaitTracker* t_ = nullptr;
  detail::PromiseBase* task_ = nullptr;
  bool started_ = false;
};

/// What `wait(...)` returns: awaitable once.
template <class H, class Input>
class [[nodiscard]] WaitCall {
 public:
  using value_type = WaitResult<H>;
  WaitCall(Input&& in, WaitOptions o) : in_(std::move(in)), opts_(o) {}
  WaitAwaiter<H, Input> operator co_await() && { return {std::move(in_), opts_}; }

 private:
  Input in_;
  WaitOptions opts_;
};

/// Waits for the futures/tasks of `aws` (a range; coroutines in it become tasks) until
/// `return_when` holds or `timeout` expires; returns `{done, pending}` in input order.
///
/// FIRST_COMPLETED: as soon as any completes (several may be done at once);
/// FIRST_EXCEPTION: as soon as any fails (a cancelled input is not a failure), else when
/// all are done; ALL_COMPLETED: when all are done. A timeout returns what is done and
/// cancels nothing. Duplicates collapse.
///
/// **Cancellation:** cancelling the waiting task does not cancel the inputs.
/// **Exceptions:** std::invalid_argument("Set of Tasks/Futures is empty.") and
/// ("Invalid return_when value: ...").
/// **Performance:** passing back the `pending` a call returned costs O(completions)
/// (CPython: O(n) per call, gh-74741).
/// **Python:** `asyncio.wait(aws, timeout=, return_when=)`; results come in input order
/// rather than as sets, and coroutines are still accepted (3.11 refuses them).
template <class R>
requires std::ranges::input_range<R>
auto wait(R&& aws, WaitOptions opts = {}) {
  using D = std::remove_cvref_t<R>;
  using E = std::ranges::range_value_t<D>;
  using H = detail::wait_handle_t<E>;
  if constexpr (std::is_same_v<D, WaitSet<H>>) {
    return WaitCall<H, WaitSet<H>>(D(std::forward<R>(aws)), opts);
  } else if constexpr (std::is_lvalue_reference_v<R> && detail::copy_constructible_v<D>) {
    return WaitCall<H, D>(D(aws), opts);
  } else {
    return WaitCall<H, D>(std::move(aws), opts);
  }
}

}  // namespace asyncio
