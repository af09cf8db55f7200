#pragma once
// The machinery of wait (wait.hpp): the long-lived WaitTracker behind a chain of `wait`
// calls, and the awaiter of one call. CPython: tasks.py: `_wait` (its `_on_completion`
// closure, `counter`, `waiter`, `timeout_handle`) and `_release_waiter`.
//
// The performance contract: `pending` carries the tracker to the next call, which then
// costs O(completions), not O(n). One CompletionObserver per input future stays
// registered from the first call until the future completes; at completion it records
// the entry (so `done`/`pending` are partitioned exactly by `done()` at resume time, as
// CPython does) and, if a call is in progress, queues CPython's `_on_completion` at the
// position where that call would have registered it. The current pending set is an
// intrusive list in input order; a WaitSet view names a generation, and an older view
// stays readable (an O(n) scan).
//
// Ownership and lifetime:
// * A tracker is reference counted: every WaitSet view holds one, the awaiter of the call
//   using it holds one, and each queued `_on_completion` item holds one (taken when it is
//   queued, given back when it runs or is discarded). A registered observer holds none: the
//   tracker's destructor removes the observers of the futures still pending.
// * The tracker holds one reference on each input future (`WaitEntry::fut`) until it is
//   destroyed, so a WaitSet can hand out handles to them at any time.
// * The waiter future and the timeout timer of a call live in its awaiter (WaitWaiter,
//   in the awaiting coroutine's frame); `end()` unschedules the timer before the awaiter
//   goes, and `Call` records are never reached after `end()` (`active_` is cleared).

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/detail/input_set.hpp"
#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/wait.hpp"

namespace asyncio::detail {

std::string return_when_repr(ReturnWhen rw);

/// One input future of a tracker, in the tracker's array (input order, never moved).
/// Linked in the tracker's pending list while it belongs to the current set.
struct WaitEntry : CompletionObserver, ListHook<WaitEntry> {
  static constexpr std::uint64_t never = ~std::uint64_t{0};
  WaitTracker* tracker = nullptr;
  FutureBase* fut = nullptr;       ///< one reference held
  std::uint64_t left_gen = never;  ///< the generation at whose start it had left the set
  std::uint64_t sched_call = 0;    ///< the call whose _on_completion was queued for it
  bool registered = false;         ///< its observer is on `fut`
};

/// The bookkeeping behind a chain of `wait` calls (see the file comment).
struct WaitTracker {
  struct Call {  // the wait call in progress (CPython _wait's locals)
    FutureBase* waiter;
    TimerNode* timer;
    std::uint64_t id;
    std::int64_t counter;
    ReturnWhen mode;
  };

  explicit WaitTracker(LoopCore* loop) : loop_(loop) {}
  ~WaitTracker() {
    if (handles_) drop_handles_(handles_);
    for (WaitEntry& e : entries_) {
      if (e.registered && !e.fut->done()) {
        WaitEntry* ep = &e;
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
    entries_.resize(futs.size());  // never resized again: the list links into it
    for (std::size_t i = 0; i < futs.size(); ++i) {
      WaitEntry& e = entries_[i];
      e.tracker = this;
      e.fut = futs[i];
      e.on_complete = &on_complete;
      pending_.push_back(&e);
      if (e.fut->done()) {
        completed_.push_back(&e);
      } else {
        e.registered = true;
        e.fut->has_observer_ = true;
        e.fut->callbacks_.push(
            DoneCallback{&on_completion_item, &e, CompletionObserver::observer_seq});
      }
    }
    size_ = futs.size();
  }

  /// Observer: the future of `o` has just completed.
  static std::uint64_t on_complete(CompletionObserver* o, FutureBase*) {
    auto* e = static_cast<WaitEntry*>(o);
    WaitTracker* t = e->tracker;
    e->registered = false;
    t->completed_.push_back(e);
    if (!t->active_) return 0;
    e->sched_call = t->active_->id;
    t->add_ref();  // held by the queued item
    return t->call_seq_;
  }

  /// The queued `_on_completion(f)` (ctx = entry, fut = its future).
  static void on_completion_item(void* ctx, void* fut, Op op) {
    CallbackRef ref(fut, op);
    auto* e = static_cast<WaitEntry*>(ctx);
    if (op == Op::forget) {
      e->registered = false;
      return;
    }
    WaitTracker* t = e->tracker;
    if (op == Op::run) t->on_completion(e, ref.future());
    ref.release_now();
    t->release();
  }

  /// CPython `_wait`'s `_on_completion` closure.
  void on_completion(WaitEntry* e, FutureBase* f) {
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
    std::sort(completed_.begin(), completed_.end());  // array order is input order
    for (WaitEntry* e : completed_) {
      e->sched_call = call->id;
      add_ref();
      ++e->fut->refs_;
      loop_->push_ready(&on_completion_item, e, e->fut);
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
  /// Removes the completed members from the set; returns them in input order.
  std::vector<WaitEntry*> partition() {
    std::sort(completed_.begin(), completed_.end());
    std::vector<WaitEntry*> done;
    done.swap(completed_);
    ++gen_;
    for (WaitEntry* e : done) {
      if (e->left_gen != WaitEntry::never) continue;
      e->left_gen = gen_;
      pending_.remove(e);
      --size_;
    }
    return done;
  }

  /// The handle of each entry (input order), built on the first iteration of a WaitSet so
  /// that its iterator can yield references; each holds one more reference on its future.
  template <class H>
  const H* handles() {
    if (!handles_) {
      auto* v = new std::vector<H>;
      v->reserve(entries_.size());
      for (WaitEntry& e : entries_) {
        e.fut->add_ref();
        v->push_back(H::adopt_ref(e.fut));
      }
      handles_ = v;
      drop_handles_ = [](void* p) { delete static_cast<std::vector<H>*>(p); };
    }
    return static_cast<const std::vector<H>*>(handles_)->data();
  }

  /// The first member of the view of generation `gen` (null: none).
  const WaitEntry* first(std::uint64_t gen) const {
    if (gen == gen_) return pending_.front();
    return scan(entries_.data(), gen);
  }
  /// The member after `e` in the view of generation `gen` (null: none).
  const WaitEntry* next(const WaitEntry* e, std::uint64_t gen) const {
    if (gen == gen_) {
      if (e == pending_.back()) return nullptr;
      return static_cast<const WaitEntry*>(static_cast<const ListHook<WaitEntry>*>(e)->next_);
    }
    return scan(e + 1, gen);
  }

  LoopCore* loop_;
  std::vector<WaitEntry> entries_;               // input order; never reallocated after init
  IntrusiveList<WaitEntry, WaitEntry> pending_;  // the current set (after entries_: unlinks first)
  std::vector<WaitEntry*> completed_;            // completed, not yet partitioned out
  Call* active_ = nullptr;
  std::uint64_t call_seq_ = 0;
  std::uint64_t next_call_id_ = 0;
  std::uint64_t last_call_id_ = 0;
  std::int64_t last_counter_ = 0;
  ReturnWhen last_mode_ = ALL_COMPLETED;
  std::uint64_t gen_ = 0;
  std::size_t size_ = 0;  ///< the length of pending_
  std::uint32_t refs_ = 1;
  void* handles_ = nullptr;  ///< a std::vector<H> (see handles()), or null
  void (*drop_handles_)(void*) = nullptr;

 private:
  /// The first entry from `from` on that was a member in generation `gen`.
  const WaitEntry* scan(const WaitEntry* from, std::uint64_t gen) const {
    for (const WaitEntry* end = entries_.data() + entries_.size(); from != end; ++from)
      if (from->left_gen > gen) return from;
    return nullptr;
  }
};

/// The embedded waiter future and timeout timer of one wait call.
struct WaitWaiter final : FutureBase, TimerNode {
  WaitWaiter() : FutureBase(nullptr) {}
  static void on_timer(void* n, void*, Op op) {  // CPython `_release_waiter`
    if (op != Op::run) return;
    auto* w = static_cast<WaitWaiter*>(static_cast<TimerNode*>(n));
    if (!w->done()) w->finish_with_value();
  }
};

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
                                  return_when_repr(opts_.return_when));
    if (opts_.timeout) check_not_nan(opts_.timeout->seconds);
    LoopCore& loop = core_of(get_running_loop());
    acquire_tracker(loop);
    if (t_->size_ == 0) throw std::invalid_argument("Set of Tasks/Futures is empty.");
    waiter_.loop_ = &loop;
    call_ = WaitTracker::Call{&waiter_, nullptr, ++t_->next_call_id_,
                              static_cast<std::int64_t>(t_->size_), opts_.return_when};
    if (opts_.timeout) {
      waiter_.when = loop.time() + opts_.timeout->seconds;
      static_cast<TimerNode&>(waiter_).fire = &WaitWaiter::on_timer;
      loop.add_timer(&waiter_);
      call_.timer = &waiter_;
    }
    t_->begin(&call_);
    started_ = true;
    return false;
  }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    task_ = h.promise().task();
    park_on(&waiter_, h);
  }
  WaitResult<H> await_resume() {
    finish();
    task_->rethrow_injected();
    WaitResult<H> r;
    std::vector<WaitEntry*> done = t_->partition();
    r.done.reserve(done.size());
    for (WaitEntry* e : done) {
      e->fut->add_ref();
      r.done.push_back(H::adopt_ref(e->fut));
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
      unpark(&waiter_, task_);
    }
  }

  void acquire_tracker(LoopCore& loop) {
    if constexpr (std::is_same_v<Input, WaitSet<H>>) {
      if (input_.t_ && input_.gen_ == input_.t_->gen_ && !input_.t_->active_ &&
          input_.t_->loop_ == &loop) {
        t_ = input_.t_;  // the current view of an idle tracker: reuse it
        t_->add_ref();
        return;
      }
      build(loop, input_.to_vector());
    } else {
      build(loop, std::move(input_));
    }
  }
  template <class R>
  void build(LoopCore& loop, R&& range) {
    std::vector<FutureBase*> futs;
    if constexpr (std::ranges::sized_range<R>) futs.reserve(std::ranges::size(range));
    auto* tr = new WaitTracker(&loop);
    try {
      for (auto&& a : range) {
        using E = std::remove_cvref_t<decltype(a)>;
        FutureBase* f;
        if constexpr (future_handle<E>) {
          f = a.state_ptr();
          if (!f) throw std::invalid_argument("wait: empty future handle");
        } else {
          // Coroutines become tasks (as Python <= 3.10, and the seed program, do).
          auto t = LoopAccess::loop(loop).create_task(as_coro(std::move(a)));
          f = t.state_ptr();
        }
        f->add_ref();
        futs.push_back(f);
      }
    } catch (...) {
      for (auto* f : futs) f->release();
      delete tr;
      throw;
    }
    drop_repeats(futs);  // duplicates collapse (a set)
    tr->init(std::move(futs));
    t_ = tr;
  }

  Input input_;
  WaitOptions opts_;
  WaitWaiter waiter_;
  WaitTracker::Call call_{};
  WaitTracker* t_ = nullptr;
  PromiseBase* task_ = nullptr;
  bool started_ = false;
};

}  // namespace asyncio::detail

namespace asyncio {

template <class H>
WaitSet<H>::WaitSet(const WaitSet& o) : t_(o.t_), gen_(o.gen_), size_(o.size_) {
  if (t_) t_->add_ref();
}
template <class H>
WaitSet<H>::~WaitSet() {
  if (t_) t_->release();
}
template <class H>
const H& WaitSet<H>::iterator::operator*() const {
  detail::WaitTracker* t = set_->t_;
  return t->template handles<H>()[e_ - t->entries_.data()];
}
template <class H>
auto WaitSet<H>::iterator::operator++() -> iterator& {
  e_ = set_->t_->next(e_, set_->gen_);
  return *this;
}
template <class H>
auto WaitSet<H>::begin() const -> iterator {
  return iterator(this, t_ && size_ != 0 ? t_->first(gen_) : nullptr);
}

}  // namespace asyncio
