#pragma once
// Helpers shared by the unit tests (tests/unit/test_*.cpp), one copy each: a test file
// includes this after its own header, GoogleTest and the rest of asyncio, and names what
// it uses with `using asyncio_test::...;`. Each helper is what the files used to copy.

#include <exception>
#include <string>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio_test {

/// Counts loop iterations: a self-rescheduling call_soon callback (docs/semantics.md notation).
/// `n` is the number of iterations that ran since construction; stop() before it goes.
struct Ticker {
  explicit Ticker(asyncio::EventLoop& l) : loop(l) {
    h = loop.call_soon([this] { tick(); });
  }
  void tick() {
    ++n;
    h = loop.call_soon([this] { tick(); });
  }
  void stop() { h.cancel(); }
  asyncio::EventLoop& loop;
  int n = 0;
  asyncio::Handle h;
};

/// `async def nothing(): pass`.
inline asyncio::Coro<void> nothing() { co_return; }

/// CPython 3.13 test_utils.run_briefly: run_until_complete of an empty coroutine (two
/// iterations: its step, then the stop callback).
inline void run_briefly(asyncio::EventLoop& loop) { loop.run_until_complete(nothing()); }

/// Collects what the loop's exception handler receives (it replaces the handler).
struct HandlerLog {
  explicit HandlerLog(asyncio::EventLoop& loop) {
    loop.set_exception_handler([this](asyncio::EventLoop&, const asyncio::ExceptionContext& ctx) {
      contexts.push_back(ctx);
    });
  }
  /// The messages of `contexts`, in order.
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (const auto& c : contexts) out.push_back(c.message);
    return out;
  }
  std::vector<asyncio::ExceptionContext> contexts;
};

/// Counts live instances, to prove that coroutine frames and callbacks (which own them)
/// are destroyed: `Lifetime::live` is 0 once every owner is gone.
struct Lifetime {
  static inline int live = 0;
  Lifetime() { ++live; }
  Lifetime(const Lifetime&) { ++live; }
  Lifetime(Lifetime&&) noexcept { ++live; }
  ~Lifetime() { --live; }
};

/// CPython `raise TimeoutError from exc`: the CancelledError is the nested exception.
inline bool caused_by_cancel(const asyncio::TimeoutError& e) {
  const auto* nested = dynamic_cast<const std::nested_exception*>(&e);
  return nested && asyncio::detail::is_cancelled_error(nested->nested_ptr());
}

}  // namespace asyncio_test
