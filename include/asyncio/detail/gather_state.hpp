#pragma once
// The machinery of gather (gather.hpp): the gathering future's state, the children it
// makes, the builders of its result. CPython: tasks.py: `gather`, `_GatheringFuture`.
//
// Ownership and lifetime:
// * A gather's state (GatherState<Out>, one allocation) is a future: the Future<Out>
//   handles the caller holds count as references, and so does each done-callback
//   registration on a pending child (given back by `on_child_done` whatever its `Op`,
//   or by `on_loop_close` when it removes the registration). Freed with the last one.
// * The state holds one reference per occurrence on each child (`children_`), released
//   when it is freed: a child outlives every callback that names it.
// * The reference cycle gather → child → (registration) → gather lasts only while the
//   child is pending; if the loop closes first, the close hook breaks it.
// * A child's value is moved into the result only when the gather is its sole owner
//   (`sole_owner`); otherwise it is copied.

#include <cstddef>
#include <cstdint>
#include <exception>
#include <ranges>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/detail/input_set.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/result.hpp"

namespace asyncio::detail {

/// A `void` child's slot in gather's result: `std::monostate` (Python: None).
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// The result type of a gather child: Coro<T>, Task<T>, Future<T>, or any awaitable.
template <class A, class = void>
struct child_value;
template <class A>
struct child_value<A, std::enable_if_t<future_handle<A>>> {
  using type = typename A::value_type;
};
template <class A>
struct child_value<A, std::enable_if_t<!future_handle<A>>> {
  using type = typename decltype(as_coro(std::declval<A>()))::value_type;
};
template <class A>
using child_value_t = typename child_value<std::remove_cvref_t<A>>::type;

/// CPython `ensure_future` inside gather: a future is used as is (it must be on the same
/// loop as the previous children); anything else becomes a task on that loop (or on
/// `get_event_loop()` for the first child). Returns a new reference.
template <class A>
FutureBase* gather_child(A&& a, LoopCore*& loop, std::size_t& caller_futures) {
  using D = std::remove_cvref_t<A>;
  if constexpr (future_handle<D>) {
    ++caller_futures;  // only these can repeat (a fresh task cannot)
    FutureBase* f = a.state_ptr();
    if (!f) throw std::invalid_argument("gather: empty future handle");
    if (loop && f->loop_ != loop)
      throw std::invalid_argument(
          "The future belongs to a different loop than the one specified as the loop argument");
    loop = f->loop_;
    f->add_ref();
    return f;
  } else {
    if (!loop) loop = &core_of(get_event_loop());
    auto coro = as_coro(std::forward<A>(a));
    using T = typename decltype(coro)::value_type;
    Task<T> t = detail::spawn<T>(loop, coro.release(), {});
    auto* p = static_cast<PromiseBase*>(t.state_ptr());
    p->log_destroy_pending_ = false;  // the caller cannot control it (CPython)
    p->add_ref();
    return p;
  }
}

/// The state of a gathering future (CPython `_GatheringFuture` plus gather's closure).
/// Invariants: `children_` holds one reference per occurrence and never changes after
/// `start`; while the gather is pending it is registered (one reference each) on every
/// unique child not yet done, and is in its loop's close-hook list.
struct GatherBase : FutureBase, CloseHook {
  explicit GatherBase(LoopCore* loop) : FutureBase(loop) {
    kind_ = FutureKind::gathering;
    CloseHook::fn = &on_loop_close;
  }
  ~GatherBase() {
    LoopCore::unlink_close_hook(this);
    for (FutureBase* c : children_) c->release();
  }

  std::vector<FutureBase*> children_;
  std::size_t nfuts_ = 0;
  std::size_t nfinished_ = 0;
  FutureBase* finishing_child_ = nullptr;  // whose callback is running (holds one more ref)
  bool return_exceptions_ = false;
  bool cancel_requested_ = false;
  bool has_duplicates_ = false;
  void (*build_)(GatherBase*) = nullptr;  // sets the result from the children

  /// May the value of child `c` be moved out rather than copied?
  bool sole_owner(FutureBase* c) const {
    return !has_duplicates_ && c->refs_ == 1u + (c == finishing_child_ ? 1u : 0u);
  }

  /// Registers on the pending children and processes the done ones now (3.12+: a gather
  /// of done children is done when returned, R39). `caller_futures`: how many children
  /// the caller passed as futures (only those can repeat).
  void start(std::size_t caller_futures) {
    std::vector<FutureBase*> done_futs;
    RepeatFilter repeats(children_, caller_futures);
    has_duplicates_ = repeats.any();
    for (FutureBase* c : children_) {
      if (repeats.repeat(c)) continue;  // CPython: arg_to_fut — the same future is awaited once
      ++nfuts_;
      if (c->done()) {
        done_futs.push_back(c);
      } else {
        add_ref();
        c->push_callback(&on_child_done, this);
      }
    }
    if (done_futs.size() < nfuts_) loop_->link_close_hook(static_cast<CloseHook*>(this));
    for (FutureBase* c : done_futs) child_done(c);
  }

  /// CPython gather's `_done_callback(fut)`.
  void child_done(FutureBase* fut) {
    ++nfinished_;
    if (done()) {
      if (!fut->cancelled()) fut->log_traceback_ = false;  // mark retrieved
      return;
    }
    if (!return_exceptions_) {
      if (fut->cancelled()) {
        finish(fut->make_cancelled_error());
        return;
      }
      if (fut->exc_) {
        fut->log_traceback_ = false;
        finish(fut->exc_);
        return;
      }
    }
    if (nfinished_ == nfuts_) {
      for (FutureBase* c : children_)
        if (!c->cancelled()) c->log_traceback_ = false;
      if (cancel_requested_) {
        // bpo-32684: propagate the cancellation whatever return_exceptions says; CPython
        // takes the error from the last child of the list.
        finish(children_.back()->make_cancelled_error());
      } else {
        finishing_child_ = fut;
        build_(this);
        finishing_child_ = nullptr;
        LoopCore::unlink_close_hook(static_cast<CloseHook*>(this));
        finish_with_value();
      }
    }
  }
  void finish(std::exception_ptr e) {
    LoopCore::unlink_close_hook(static_cast<CloseHook*>(this));
    finish_with_exception(std::move(e));
  }

  static void on_child_done(void* ctx, void* fut, Op op) {
    CallbackRef ref(fut, op);
    auto* g = static_cast<GatherBase*>(ctx);
    if (op == Op::run) {
      FutureBase* f = ref.future();
      g->finishing_child_ = f;
      g->child_done(f);
      g->finishing_child_ = nullptr;
    }
    ref.release_now();  // the queued item's reference on the child, then
    g->release();       // the registration's reference on the gather
  }

  /// CPython `_GatheringFuture.cancel(msg)`: cancel every child (duplicates included).
  static bool cancel(FutureBase* self, const std::string& msg) {
    auto* g = static_cast<GatherBase*>(self);
    if (g->done()) return false;
    bool ret = false;
    g->add_ref();  // children_ never changes after creation; only `g` must stay alive
    for (FutureBase* c : g->children_)
      if (cancel_future(c, msg)) ret = true;
    if (ret) g->cancel_requested_ = true;
    g->release();
    return ret;
  }

  static void on_loop_close(CloseHook* h) {
    auto* g = static_cast<GatherBase*>(h);
    g->add_ref();
    for (FutureBase* c : g->children_) {
      std::uint32_t n = c->callbacks_.remove_if(
          [g](const DoneCallback& cb) { return cb.fn == &on_child_done && cb.ctx == g; });
      for (std::uint32_t i = 0; i < n; ++i) g->release();
    }
    g->release();
  }
};

template <class Out>
struct GatherState final : GatherBase, Slot<Out> {
  explicit GatherState(LoopCore* loop) : GatherBase(loop) {
    slot_offset_ =
        static_cast<std::uint16_t>(reinterpret_cast<char*>(static_cast<Slot<Out>*>(this)) -
                                   reinterpret_cast<char*>(static_cast<FutureBase*>(this)));
    ops_ = &ops;
  }
  static void destroy(FutureBase* f) { delete static_cast<GatherState*>(f); }
  static constexpr FutureOps ops{&destroy, &GatherBase::cancel};
};

/// Child i's outcome as the gather stores it.
template <class T, bool ReturnExc>
auto child_result(GatherBase* g, FutureBase* c) {
  if constexpr (ReturnExc) {
    using R = Result<T>;
    if (c->cancelled()) {
      // CPython: a *new* CancelledError from the child's message field (R35).
      return R(std::make_exception_ptr(CancelledError(c->cancel_message())));
    }
    if (c->exc_) return R(c->exc_);
    if constexpr (std::is_void_v<T>) {
      return R();
    } else {
      if constexpr (copy_constructible_v<T>) {
        if (!g->sole_owner(c)) return R(slot_of<T>(c).get());
      }
      return R(std::move(slot_of<T>(c).get()));
    }
  } else {
    if constexpr (std::is_void_v<T>) {
      return std::monostate{};
    } else {
      if constexpr (copy_constructible_v<T>) {
        if (!g->sole_owner(c)) return T(slot_of<T>(c).get());
      }
      return T(std::move(slot_of<T>(c).get()));
    }
  }
}

template <class T, bool ReturnExc>
using gather_elem_t = std::conditional_t<ReturnExc, Result<T>, stored_t<T>>;

template <bool ReturnExc, class... T>
struct TupleBuilder {
  using Out = std::tuple<gather_elem_t<T, ReturnExc>...>;
  static void build(GatherBase* g) { build_impl(g, std::index_sequence_for<T...>{}); }
  template <std::size_t... I>
  static void build_impl(GatherBase* g, std::index_sequence<I...>) {
    slot_of<Out>(g).emplace(child_result<T, ReturnExc>(g, g->children_[I])...);
  }
};

template <bool ReturnExc, class T>
struct VectorBuilder {
  using Out = std::vector<gather_elem_t<T, ReturnExc>>;
  static void build(GatherBase* g) {
    Out out;
    out.reserve(g->children_.size());
    for (FutureBase* c : g->children_) out.push_back(child_result<T, ReturnExc>(g, c));
    slot_of<Out>(g).emplace(std::move(out));
  }
};

template <class Builder>
Future<typename Builder::Out> make_gather(LoopCore* loop, std::vector<FutureBase*>&& children,
                                          bool return_exc, std::size_t caller_futures) {
  using Out = typename Builder::Out;
  auto* g = new GatherState<Out>(loop);
  g->children_ = std::move(children);
  g->return_exceptions_ = return_exc;
  g->build_ = &Builder::build;
  Future<Out> outer = Future<Out>::adopt_ref(g);
  g->start(caller_futures);
  return outer;
}

template <bool ReturnExc, class... A>
auto gather_variadic(A&&... aws) {
  using Builder = TupleBuilder<ReturnExc, child_value_t<A>...>;
  using Out = typename Builder::Out;
  if constexpr (sizeof...(A) == 0) {
    EventLoop& loop = get_event_loop();
    Future<Out> outer = loop.create_future<Out>();
    outer.set_result(Out{});
    return outer;
  } else {
    LoopCore* loop = nullptr;
    std::size_t caller_futures = 0;
    std::vector<FutureBase*> children;
    children.reserve(sizeof...(A));
    try {
      (children.push_back(gather_child(std::forward<A>(aws), loop, caller_futures)), ...);
    } catch (...) {
      for (FutureBase* c : children) c->release();
      throw;
    }
    return make_gather<Builder>(loop, std::move(children), ReturnExc, caller_futures);
  }
}

template <bool ReturnExc, class R>
auto gather_range(R&& range) {
  using Elem = std::ranges::range_reference_t<R>;
  using T = child_value_t<Elem>;
  using Builder = VectorBuilder<ReturnExc, T>;
  using Out = typename Builder::Out;
  LoopCore* loop = nullptr;
  std::size_t caller_futures = 0;
  std::vector<FutureBase*> children;
  if constexpr (std::ranges::sized_range<R>) {
    const auto n = static_cast<std::size_t>(std::ranges::size(range));
    children.reserve(n);
    // Coroutines become tasks, each queueing its first step: room for all of them at once.
    if constexpr (is_coro<std::remove_cvref_t<Elem>>::value)
      if (n > 0) core_of(get_event_loop()).reserve_ready(n);
  }
  try {
    for (auto&& a : range)
      children.push_back(gather_child(std::forward<decltype(a)>(a), loop, caller_futures));
  } catch (...) {
    for (FutureBase* c : children) c->release();
    throw;
  }
  if (children.empty()) {
    EventLoop& l = get_event_loop();
    Future<Out> outer = l.create_future<Out>();
    outer.set_result(Out{});
    return outer;
  }
  return make_gather<Builder>(loop, std::move(children), ReturnExc, caller_futures);
}

template <class R>
concept gather_range_arg = std::ranges::input_range<R> && !future_handle<std::remove_cvref_t<R>> &&
                           !awaitable_object<R> && !is_coro<std::remove_cvref_t<R>>::value;
}  // namespace asyncio::detail
