#pragma once
/// \file runners.hpp
/// `Runner`: a loop that runs several top-level coroutines, closed at the end of its scope
/// — CPython 3.11+ `asyncio.Runner` (`asyncio::run` in event_loop.hpp is one Runner run).
/// See docs/subprocess.md ("SIGINT and the runner").

#include <memory>
#include <optional>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/task.hpp"

namespace asyncio {

/// Creates its loop on first use (and makes it the thread's current loop), runs
/// coroutines on it one at a time, and on `close()` — or when it goes out of scope, the
/// C++ form of `with asyncio.Runner() as runner:` — cancels the tasks left over, waits for
/// them, shuts the default executor down and closes the loop.
/// **Python:** `asyncio.Runner(*, debug=None)` (no `loop_factory`, no `context=`).
class Runner {
 public:
  struct Options {
    std::optional<bool> debug = std::nullopt;  ///< `debug=`: None keeps the loop's default
  };
  Runner() = default;
  explicit Runner(Options opts) : opts_(opts) {}
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  /// `__exit__`: close(). **Python:** leaving `with Runner() as runner:`.
  ~Runner() { close(); }

  /// Runs `coro` as the main task until it is done and returns its result (rethrows its
  /// exception). SIGINT, on the main thread when it has its default action: the first
  /// cancels the main task — if it ends cancelled, run throws KeyboardInterrupt — the
  /// second throws KeyboardInterrupt out of the loop as soon as it polls, and then SIGINT
  /// has its default action again until run returns. **Exceptions:**
  /// RuntimeError("Runner.run() cannot be called from a running event loop" | "Runner is
  /// closed"), KeyboardInterrupt, what `coro` raises. **Python:** `runner.run(coro)`.
  template <class T>
  T run(Coro<T> coro);
  /// Cancels the leftover tasks, shuts down the default executor, closes the loop; a
  /// no-op unless the loop was made (CPython: a Runner never used can still be used
  /// after close()). **Python:** `runner.close()`.
  void close();
  /// The loop (made on first use). **Exceptions:** RuntimeError("Runner is closed").
  /// **Python:** `runner.get_loop()`.
  EventLoop& get_loop();

 private:
  void lazy_init();
  enum class State { created, initialized, closed };
  State state_ = State::created;
  Options opts_;
  std::unique_ptr<EventLoop> loop_;
  bool set_event_loop_ = false;
};

inline void Runner::lazy_init() {
  if (state_ == State::closed) throw RuntimeError("Runner is closed");
  if (state_ == State::initialized) return;
  loop_ = new_event_loop();
  if (!set_event_loop_) {
    set_event_loop(loop_.get());
    set_event_loop_ = true;
  }
  if (opts_.debug) loop_->set_debug(*opts_.debug);
  state_ = State::initialized;
}

inline EventLoop& Runner::get_loop() {
  lazy_init();
  return *loop_;
}

inline void Runner::close() {
  if (state_ != State::initialized) return;
  struct Finally {
    Runner* r;
    ~Finally() {
      if (r->set_event_loop_) set_event_loop(nullptr);
      r->loop_->close();
      r->loop_.reset();
      r->state_ = State::closed;
    }
  } fin{this};
  detail::run_shutdown(*loop_);
}

template <class T>
T Runner::run(Coro<T> coro) {
  if (detail::get_running_loop_or_null())
    throw RuntimeError("Runner.run() cannot be called from a running event loop");
  lazy_init();
  Task<T> task = loop_->create_task(std::move(coro));
  static_cast<detail::TaskState*>(task.state_ptr())->log_destroy_pending_ = false;
  detail::SigintScope sigint(*loop_, task);
  try {
    return loop_->run_until_complete(task);
  } catch (const CancelledError&) {
    if (sigint.interrupts() > 0 && task.uncancel() == 0) throw KeyboardInterrupt();
    throw;
  }
}

}  // namespace asyncio
