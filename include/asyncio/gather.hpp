#pragma once
/// \file gather.hpp
/// `gather(aws...)` and `gather(range)`: run awaitables concurrently, results in order.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/event_loop.hpp"
#include "asyncio/result.hpp"

namespace asyncio {

/// Tag selecting `return_exceptions=True`.
struct ReturnExceptions {
  explicit ReturnExceptions() = default;
};
/// `gather(return_exceptions, a, b)` is Python's `gather(a, b, return_exceptions=True)`.
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

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
    if (!loop) loop = &get_event_loop();
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
/// Invariants: `children_` holds one reference per occurrence; while the gather is
/// pending it is registered (one reference each) on every unique child not yet done, and
/// is in its loop's close-hook list.
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
  /// of done children is done when returned, R39).
  void start(bool may_have_duplicates) {
    std::vector<FutureBase*> done_futs;
    std::unordered_set<FutureBase*> seen;
    if (may_have_duplicates) seen.reserve(children_.size());
    for (FutureBase* c : children_) {
      if (may_have_duplicates && !seen.insert(c).second) {
        has_duplicates_ = true;  // CPython: arg_to_fut — the same future is awaited once
        continue;
      }
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
    auto* g = static_cast<GatherBase*>(ctx);
    auto* f = static_cast<FutureBase*>(fut);
    if (op == Op::run) {
      g->finishing_child_ = f;
      g->child_done(f);
      g->finishing_child_ = nullptr;
    }
    if (op != Op::forget) f->release();  // the queued item's reference
    g->release();                        // the registration's reference
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

/// True when some future occurs twice among `children` (checked only if the caller passed
/// at least two futures of their own; O(n log n) on those).
inline bool has_repeats(const std::vector<FutureBase*>& children, std::size_t caller_futures) {
  if (caller_futures < 2) return false;
  std::vector<FutureBase*> v(children);
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) != v.end();
}

template <class Builder>
Future<typename Builder::Out> make_gather(LoopCore* loop, std::vector<FutureBase*>&& children,
                                          bool return_exc, std::size_t caller_futures) {
  using Out = typename Builder::Out;
  auto* g = new GatherState<Out>(loop);
  g->children_ = std::move(children);
  g->return_exceptions_ = return_exc;
  g->build_ = &Builder::build;
  Future<Out> outer = Future<Out>::adopt_ref(g);
  g->start(has_repeats(g->children_, caller_futures));
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
  if constexpr (std::ranges::sized_range<R>) children.reserve(std::ranges::size(range));
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
}  // namespace detail

/// Runs awaitables concurrently; their results, in argument order, as a `std::tuple`.
///
/// Arguments: any mix of `Coro<T>`, `Task<T>`, `Future<T>` (other gathers included) and
/// other awaitables such as `sleep(...)`. Coroutines are wrapped in tasks in argument
/// order, on the loop of the first future argument, else on `get_event_loop()` — so a
/// gather may be built before the loop runs. `void` results are `std::monostate`.
/// The first exception (a cancelled child counts as CancelledError) completes the gather;
/// the other children keep running. The same Task/Future twice is awaited once.
///
/// **Cancellation:** `cancel(msg)` on the returned future cancels every child not yet
/// done (nested gathers too); when they have finished, the gather holds a CancelledError
/// (bpo-32684) and `cancelled()` stays false. Cancelling the task awaiting the gather
/// does the same. `cancel()` on a finished gather returns false.
/// **Exceptions:** std::invalid_argument if futures belong to different loops.
/// **Python:** `asyncio.gather(*aws)`.
template <class... A>
requires(sizeof...(A) != 1 || !(detail::gather_range_arg<A> && ...)) auto gather(A&&... aws) {
  return detail::gather_variadic<false>(std::forward<A>(aws)...);
}

/// As `gather(aws...)` but exceptions and cancellations are returned as `Result<T>`
/// elements instead of failing the gather. **Python:** `gather(*aws, return_exceptions=True)`.
template <class... A>
requires(sizeof...(A) != 1 || !(detail::gather_range_arg<A> && ...)) auto gather(ReturnExceptions,
                                                                                 A&&... aws) {
  return detail::gather_variadic<true>(std::forward<A>(aws)...);
}

/// Gathers every element of a range (a vector, or a lazy view such as
/// `std::views::iota(1, 6) | std::views::transform(coro)`), results as a `std::vector`.
/// **Python:** `asyncio.gather(*iterable)` — "generators work too".
template <detail::gather_range_arg R>
auto gather(R&& range) {
  return detail::gather_range<false>(std::forward<R>(range));
}

/// Range form with `return_exceptions=True`: a `std::vector<Result<T>>`.
template <detail::gather_range_arg R>
auto gather(ReturnExceptions, R&& range) {
  return detail::gather_range<true>(std::forward<R>(range));
}

}  // namespace asyncio
