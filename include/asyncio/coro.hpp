#pragma once
/// \file coro.hpp
/// `Coro<T>`: what an `async def` returns.

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "asyncio/detail/promise.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

template <class T = void>
class Coro;

namespace detail {

/// Debug diagnostic of an unstarted coroutine destroyed (CPython: "RuntimeWarning:
/// coroutine '...' was never awaited"). src/task.cpp.
void log_never_awaited(PromiseBase* p);

template <class T>
struct CoroPromise;

template <class T>
struct CoroReturn {
  template <class V = T>
  void return_value(V&& v) {
    static_cast<CoroPromise<T>*>(this)->Slot<T>::emplace(std::forward<V>(v));
  }
};
template <>
struct CoroReturn<void> {
  void return_void() {}
};

/// The coroutine function's name, captured when its frame is created (for diagnostics).
/// A distinct type so a coroutine's own parameters never select this constructor.
struct CoroName {
  explicit CoroName(const char* n) : name(n) {}
  const char* name;
};

template <class T>
struct CoroPromise final : PromiseBase, Slot<T>, CoroReturn<T> {
  explicit CoroPromise(CoroName n = CoroName(__builtin_FUNCTION())) {
    coro_name_ = n.name;
    slot_offset_ =
        static_cast<std::uint16_t>(reinterpret_cast<char*>(static_cast<Slot<T>*>(this)) -
                                   reinterpret_cast<char*>(static_cast<FutureBase*>(this)));
    ops_ = &coro_ops;
  }
  static void destroy_frame(FutureBase* f) {
    std::coroutine_handle<CoroPromise>::from_promise(*static_cast<CoroPromise*>(f)).destroy();
  }
  /// An inline coroutine's future state, and the same once create_task made it a task.
  static constexpr FutureOps coro_ops{&destroy_frame, nullptr};
  static constexpr FutureOps task_ops{&destroy_frame, &task_cancel};

  Coro<T> get_return_object() noexcept;

  /// Lazy start. Empty, so it takes no room in the frame: whoever resumes the frame first
  /// sets `started_` (task_step, Coro::Awaiter), and a cancel requested before a task's
  /// first step ends the task without resuming it, so none of the body runs (R22).
  std::suspend_always initial_suspend() noexcept { return {}; }

  /// Hands control straight to the inline awaiter (symmetric transfer); a task root
  /// returns to its step, which publishes the outcome.
  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<CoroPromise> h) noexcept {
      auto& p = h.promise();
      p.body_done_ = true;
      if (p.is_task()) return std::noop_coroutine();  // a root: back to its step
      return p.continuation_;
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }

  void unhandled_exception() noexcept { exc_ = std::current_exception(); }
};

}  // namespace detail

/// The coroutine type of asyncio code: `Coro<int> f()` is `async def f() -> int`.
///
/// Lazy: calling `f()` runs nothing. `co_await f()` runs it inline in the awaiting task
/// with no trip through the loop, and resumes the awaiter by symmetric transfer, so deep
/// chains do not grow the native stack. `create_task(f())` schedules it as a Task.
/// Move-only. A Coro can be awaited once; awaiting a moved-from or already-awaited Coro
/// throws RuntimeError("cannot reuse already awaited coroutine").
///
/// **Cancellation:** a cancel of the awaiting task reaches the innermost future awaited
/// anywhere down the inline chain.
/// **Python:** a coroutine object. An unstarted Coro destroyed in debug mode logs
/// "coroutine ... was never awaited" (Python warns always).
template <class T>
class [[nodiscard]] Coro {
 public:
  using promise_type = detail::CoroPromise<T>;
  using value_type = T;
  using handle_type = std::coroutine_handle<promise_type>;

  Coro() = default;
  Coro(Coro&& o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
  Coro& operator=(Coro&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, nullptr);
    }
    return *this;
  }
  ~Coro() { reset(); }

  /// False for a moved-from Coro.
  bool valid() const noexcept { return static_cast<bool>(h_); }

  struct Awaiter {
    handle_type h;
    bool await_ready() const {
      if (!h || h.promise().started_) throw RuntimeError("cannot reuse already awaited coroutine");
      return false;
    }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> parent) noexcept {
      auto& p = h.promise();
      p.started_ = true;
      p.inline_task_ = parent.promise().task();
      p.loop_ = p.inline_task_->loop_;
      p.continuation_ = parent;
      return h;
    }
    T await_resume() {
      auto& p = h.promise();
      if (p.exc_) std::rethrow_exception(p.exc_);
      if constexpr (!std::is_void_v<T>) return std::move(p.get());
    }
  };
  /// Runs the coroutine inline (CPython: `await coro`).
  Awaiter operator co_await() && noexcept { return Awaiter{h_}; }
  Awaiter operator co_await() & noexcept { return Awaiter{h_}; }

  /// Destroys an unstarted coroutine without the "never awaited" diagnostic.
  /// **Python:** `coro.close()`.
  void close() noexcept {
    if (h_) {
      h_.destroy();
      h_ = nullptr;
    }
  }

  /// Releases ownership of the frame (used by create_task).
  handle_type release() noexcept { return std::exchange(h_, nullptr); }

 private:
  friend struct detail::CoroPromise<T>;
  explicit Coro(handle_type h) noexcept : h_(h) {}
  void reset() {
    if (h_) {
      if (!h_.promise().started_) detail::log_never_awaited(&h_.promise());
      h_.destroy();
      h_ = nullptr;
    }
  }
  handle_type h_;
};

namespace detail {
template <class T>
Coro<T> CoroPromise<T>::get_return_object() noexcept {
  return Coro<T>(std::coroutine_handle<CoroPromise>::from_promise(*this));
}

template <class A>
struct is_coro : std::false_type {};
template <class T>
struct is_coro<Coro<T>> : std::true_type {};
}  // namespace detail

}  // namespace asyncio
