// Twin of tk_timeout_reschedule.py: Timeout.reschedule / when / expired and the guards.
#include <optional>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Timeout;
using asyncio::TimeoutError;
using twin::say;

std::string when_of(const Timeout& cm) {
  return cm.when() ? twin::py_float(*cm.when()) : std::string("None");
}

template <class F>
void guard(const std::string& label, F f) {
  try {
    f();
    say(label, ": ok");
  } catch (const asyncio::RuntimeError& e) {
    say(label, ": RuntimeError(", e.what(), ")");
  }
}

Coro<void> f(Timeout& cm, asyncio::Future<void> entered) {
  co_await cm.run([&]() -> Coro<void> {
    entered.set_result();
    co_await asyncio::sleep(50);
  });
}

Coro<void> nothing() { co_return; }

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();

  // A
  {
    const double deadline1 = loop.time() + 10;
    const double deadline2 = deadline1 + 20;
    Timeout cm = asyncio::timeout_at(deadline1);
    say("A: created when=", when_of(cm), " expired=", cm.expired());
    guard("A: reschedule before entry", [&] { cm.reschedule(1); });
    auto entered = loop.create_future<void>();
    auto task = asyncio::create_task(f(cm, entered));
    co_await entered;
    cm.reschedule(deadline2);
    say("A: rescheduled when=", when_of(cm));
    cm.reschedule(std::nullopt);
    say("A: disabled when=", when_of(cm));
    co_await asyncio::sleep(40);
    task.cancel();
    try {
      co_await task;
    } catch (const CancelledError&) {
      say("A: CancelledError at ", loop.time(), " expired=", cm.expired());
    }
    guard("A: reschedule after exit", [&] { cm.reschedule(1); });
  }

  // B
  {
    Timeout cm = asyncio::timeout(10);
    try {
      co_await cm.run([&](Timeout& self) -> Coro<void> {
        self.reschedule(loop.time() + 0.5);
        say("B: moved to ", when_of(self));
        co_await asyncio::sleep(0.25);
        self.reschedule(*self.when() + 0.5);
        say("B: pushed to ", when_of(self));
        co_await asyncio::sleep(10);
      });
    } catch (const TimeoutError&) {
      say("B: TimeoutError at ", loop.time(), " when=", when_of(cm));
    }
    guard("B: reschedule after expiry", [&] { cm.reschedule(std::nullopt); });
  }

  // C
  {
    Timeout cm = asyncio::timeout(5);
    try {
      co_await cm.run([&](Timeout& self) -> Coro<void> {
        co_await asyncio::sleep(0.125);
        self.reschedule(loop.time() - 100);
        say("C: rescheduled into the past: ", when_of(self));
        co_await asyncio::sleep(0);
        say("C: not reached");
      });
    } catch (const TimeoutError&) {
      say("C: TimeoutError at ", loop.time());
    }
  }

  // D
  {
    Timeout cm = asyncio::timeout(0.25);
    co_await cm.run([&](Timeout& self) -> Coro<void> {
      try {
        co_await asyncio::sleep(1);
      } catch (const CancelledError&) {
        say("D: body caught the cancel at ", loop.time(), " expired=", self.expired());
      }
      guard("D: reschedule while expiring", [&] { self.reschedule(loop.time() + 1); });
    });
    say("D: exited normally expired=", cm.expired(),
        " cancelling=", asyncio::current_task().cancelling());
  }

  // E
  {
    Timeout cm = asyncio::timeout(1);
    co_await cm.run([&](Timeout& self) -> Coro<void> {
      try {
        co_await self.run(nothing());
      } catch (const asyncio::RuntimeError& e) {
        say("E: RuntimeError(", e.what(), ")");
      }
    });
    try {
      co_await cm.run(nothing());
    } catch (const asyncio::RuntimeError& e) {
      say("E: RuntimeError(", e.what(), ")");
    }
  }

  // F
  {
    Timeout cm = asyncio::timeout(std::nullopt);
    co_await cm.run(asyncio::sleep(100));
    say("F: when=", when_of(cm), " expired=", cm.expired(), " at ", loop.time());
    Timeout cm2 = asyncio::timeout_at(loop.time() + 1000);
    co_await cm2.run(asyncio::sleep(1));
    co_await asyncio::sleep(2000);
    say("F: far deadline expired=", cm2.expired(), " at ", loop.time());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
