#pragma once
/// \file future.hpp
/// `Future<T>`: a low-level awaitable result slot; `AnyFuture`: any future, type-erased.

#include <coroutine>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

#include "asyncio/detail/task_state.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

class EventLoop;
class AnyFuture;
template <class T = void>
class Future;

namespace detail {
EventLoop& loop_of(LoopCore* core);
void report_callback_exception(LoopCore* loop, std::exception_ptr e, const char* what);
/// The demangled name of a callable's type, for "Exception in callback <name>()"
/// (CPython names the function; C++ has only the type: "main()::{lambda(...)#1}").
std::string callable_name(const std::type_info& t);

/// A user's done callback, boxed. Compared by remove_done_callback (needs operator==).
template <class Handle, class F>
struct UserCallback {
  F fn;
  static void run(void* ctx, void* fut, Op op) {
    CallbackRef ref(fut, op);  // given back last, after the box is deleted
    auto* box = static_cast<UserCallback*>(ctx);
    FutureBase* f = ref.future();
    if (op == Op::run) {
      try {
        Handle h = Handle::adopt_ref(f);
        f->add_ref();
        box->fn(h);
      } catch (...) {
        report_callback_exception(f->loop_, std::current_exception(),
                                  (callable_name(typeid(F)) + "()").c_str());
      }
    }
    delete box;
  }
};
}  // namespace detail

/// A future of any result type: enough to wait on, cancel and inspect it
/// (`wait`, `all_tasks` and heterogeneous collections use it).
///
/// A shared handle: copies refer to the same state. Default-constructed: empty
/// (`valid()` false). **Python:** any `asyncio.Future`.
class AnyFuture {
 public:
  using value_type = void;  ///< the result is not known to the type (awaiting yields nothing)
  AnyFuture() = default;
  AnyFuture(const AnyFuture& o) noexcept : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  AnyFuture(AnyFuture&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  AnyFuture& operator=(AnyFuture o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~AnyFuture() {
    if (s_) s_->release();
  }

  bool valid() const noexcept { return s_ != nullptr; }
  /// True when finished with a result or exception, or cancelled.
  bool done() const { return state().done(); }
  bool cancelled() const { return state().cancelled(); }
  /// The stored exception (null on success). Throws CancelledError if cancelled,
  /// InvalidStateError("Exception is not set.") if pending. **Python:** `exception()`.
  std::exception_ptr exception() const { return state().exception(); }
  /// Rethrows the stored exception if any (result of a void future). **Python:** `result()`
  /// for callers that only care about success.
  void check() const { state().throw_if_error(); }
  /// Requests cancellation; false if already done. **Python:** `Future.cancel(msg)`;
  /// on a task, `Task.cancel(msg)`.
  bool cancel(const std::string& msg = {}) const;
  /// The loop the future is bound to.
  EventLoop& get_loop() const { return detail::loop_of(state().loop_); }

  /// Registers `fn(AnyFuture)`, always called through the loop's `call_soon` (R10).
  template <class F>
  void add_done_callback(F fn) const {
    using Box = detail::UserCallback<AnyFuture, F>;
    state().add_callback(&Box::run, new Box{std::move(fn)});
  }
  /// Removes every registration of a callback equal to `fn`; returns how many.
  template <class F>
  std::size_t remove_done_callback(const F& fn) const {
    return remove_boxes<detail::UserCallback<AnyFuture, F>>(fn);
  }

  /// Waits until done; rethrows its exception; the value (of unknown type) is ignored.
  auto operator co_await() const noexcept;

  bool operator==(const AnyFuture& o) const noexcept { return s_ == o.s_; }
  /// The shared state (identity), for hashing and the library's internals.
  detail::FutureBase* state_ptr() const noexcept { return s_; }
  static AnyFuture adopt_ref(detail::FutureBase* s) noexcept { return AnyFuture(s); }

 protected:
  explicit AnyFuture(detail::FutureBase* s) noexcept : s_(s) {}
  detail::FutureBase& state() const {
    if (!s_) throw InvalidStateError("empty future handle");
    return *s_;
  }
  template <class Box, class F>
  std::size_t remove_boxes(const F& fn) const {
    static_assert(std::equality_comparable<F>,
                  "remove_done_callback needs a callback type with operator==");
    return state().callbacks_.remove_if([&](const detail::DoneCallback& cb) {
      if (cb.fn != &Box::run) return false;
      auto* box = static_cast<Box*>(cb.ctx);
      if (!(box->fn == fn)) return false;
      delete box;
      return true;
    });
  }
  detail::FutureBase* s_ = nullptr;
};

namespace detail {
/// std::is_copy_constructible, except that a standard container (it has value_type and
/// allocator_type) of a move-only type is not copyable: std::vector<std::unique_ptr<int>>
/// claims a copy constructor that fails to instantiate.
template <class T, class = void>
struct copy_constructible : std::is_copy_constructible<T> {};
template <class T>
struct copy_constructible<T, std::void_t<typename T::value_type, typename T::allocator_type>>
    : std::bool_constant<std::is_copy_constructible_v<T> &&
                         copy_constructible<typename T::value_type>::value> {};
template <class T>
inline constexpr bool copy_constructible_v = copy_constructible<T>::value;

template <class T>
struct GetRef {
  T& operator()(FutureBase* f) const { return slot_of<T>(f).get(); }
};
template <class T>
struct GetMove {
  T operator()(FutureBase* f) const {
    if constexpr (copy_constructible_v<T>) {
      if (f->refs_ > 1) return slot_of<T>(f).get();
    }
    return std::move(slot_of<T>(f).get());
  }
};
template <>
struct GetRef<void> {
  void operator()(FutureBase*) const {}
};
template <>
struct GetMove<void> {
  void operator()(FutureBase*) const {}
};

/// Awaiter for a future: no suspension when already done (R14); otherwise the task parks
/// on it (park_on). CPython `Future.__await__`.
template <class Result, class Get>
struct FutureAwaiter {
  FutureBase* f;
  TaskState* t = nullptr;
  bool await_ready() const noexcept { return f->done(); }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    t = h.promise().task();
    park_on(f, h);
  }
  Result await_resume() {
    if (t) t->rethrow_injected();
    f->throw_if_error();
    return Get{}(f);
  }
  ~FutureAwaiter() { unpark(f, t); }
};
}  // namespace detail

inline bool AnyFuture::cancel(const std::string& msg) const {
  return detail::cancel_future(&state(), msg);
}

inline auto AnyFuture::operator co_await() const noexcept {
  return detail::FutureAwaiter<void, detail::GetRef<void>>{s_};
}

/// A low-level awaitable result slot bound to a loop (CPython `asyncio.Future`).
///
/// Created by `loop.create_future<T>()`. Shared handle; `co_await fut` suspends the task
/// until the future is done (not at all if it already is) and yields the result, or
/// throws the exception / CancelledError. Any number of tasks may await one future; they
/// resume in registration order. `T` may be move-only; `void` is allowed.
///
/// **Cancellation:** cancelling a task parked on this future cancels the future.
/// **Exceptions:** `result()` of a pending future throws InvalidStateError("Result is not
/// set."); `set_result` on a done future throws InvalidStateError("invalid state").
/// **Python:** `asyncio.Future`. A failed future destroyed without anyone looking at its
/// exception logs "Future exception was never retrieved".
template <class T>
class Future : public AnyFuture {
 public:
  using value_type = T;
  Future() = default;

  /// The result (a reference into the shared state). Rethrows the stored exception;
  /// throws CancelledError if cancelled, InvalidStateError if pending.
  std::add_lvalue_reference_t<T> result() const {
    state().throw_if_error();
    return detail::GetRef<T>{}(s_);
  }
  /// Completes the future with a value and schedules its callbacks.
  template <class... V>
  void set_result(V&&... v) const {
    auto& s = state();
    s.check_settable("set_result");
    if constexpr (!std::is_void_v<T>) detail::slot_of<T>(s_).emplace(std::forward<V>(v)...);
    s.finish_with_value();
  }
  /// Completes the future with an exception and schedules its callbacks.
  void set_exception(std::exception_ptr e) const {
    auto& s = state();
    s.check_settable("set_exception");
    if (!e) throw std::invalid_argument("set_exception: null exception_ptr");
    s.finish_with_exception(std::move(e));
  }
  template <class E>
  requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>) void set_exception(E&& e) const {
    set_exception(std::make_exception_ptr(std::forward<E>(e)));
  }

  /// Registers `fn(Future<T>)`, called through the loop's `call_soon` (R10).
  template <class F>
  void add_done_callback(F fn) const {
    using Box = detail::UserCallback<Future, F>;
    state().add_callback(&Box::run, new Box{std::move(fn)});
  }
  template <class F>
  std::size_t remove_done_callback(const F& fn) const {
    return remove_boxes<detail::UserCallback<Future, F>>(fn);
  }

  auto operator co_await() const& noexcept {
    return detail::FutureAwaiter<std::add_lvalue_reference_t<T>, detail::GetRef<T>>{s_};
  }
  auto operator co_await() && noexcept { return detail::FutureAwaiter<T, detail::GetMove<T>>{s_}; }

  static Future adopt_ref(detail::FutureBase* s) noexcept { return Future(s); }

 protected:
  explicit Future(detail::FutureBase* s) noexcept : AnyFuture(s) {}
};

}  // namespace asyncio

template <>
struct std::hash<asyncio::AnyFuture> {
  std::size_t operator()(const asyncio::AnyFuture& f) const noexcept {
    return std::hash<const void*>{}(f.state_ptr());
  }
};
