// Twin of tk_timeout_nested.py: nested timeout scopes (R59-R61).
#include <exception>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Timeout;
using asyncio::TimeoutError;
using twin::say;

Coro<void> victim() {
  auto& loop = asyncio::get_running_loop();
  Timeout cm = asyncio::timeout(1);
  try {
    co_await cm.run(asyncio::sleep(10));
  } catch (const CancelledError&) {
    say("E: CancelledError at ", loop.time(), " expired=", cm.expired());
    throw;
  }
}

Coro<void> victim2() {
  auto& loop = asyncio::get_running_loop();
  Timeout cm = asyncio::timeout(0.25);
  try {
    co_await cm.run([&]() -> Coro<void> {
      std::exception_ptr cancelled;
      try {
        co_await asyncio::sleep(10);
      } catch (const CancelledError&) {
        cancelled = std::current_exception();
      }
      if (cancelled) {
        say("F: scope cancelled at ", loop.time(), ", cleanup");
        co_await asyncio::sleep(0.5);
        std::rethrow_exception(cancelled);
      }
    });
  } catch (const TimeoutError&) {
    say("F: TimeoutError (wrong)");
  } catch (const CancelledError&) {
    say("F: CancelledError at ", loop.time(), " expired=", cm.expired(),
        " cancelling=", asyncio::current_task().cancelling());
    throw;
  }
}

Coro<void> scoped() { co_await asyncio::timeout(0.5, asyncio::sleep(10)); }

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  auto me = asyncio::current_task();

  // A
  {
    Timeout outer = asyncio::timeout(0.25);
    Timeout inner = asyncio::timeout(0.5);
    try {
      co_await outer.run([&]() -> Coro<void> {
        try {
          co_await inner.run(asyncio::sleep(10));
        } catch (const CancelledError&) {
          say("A: inner scope let CancelledError through at ", loop.time());
          throw;
        }
      });
    } catch (const TimeoutError&) {
      say("A: outer TimeoutError expired=", outer.expired(), ",", inner.expired(),
          " cancelling=", me.cancelling());
    }
  }

  // B
  {
    Timeout outer = asyncio::timeout(1);
    Timeout inner = asyncio::timeout(0.25);
    co_await outer.run([&]() -> Coro<void> {
      try {
        co_await inner.run(asyncio::sleep(10));
      } catch (const TimeoutError&) {
        say("B: inner TimeoutError at ", loop.time());
      }
      co_await asyncio::sleep(0.125);
    });
    say("B: outer finished at ", loop.time(), " expired=", outer.expired(), ",", inner.expired());
  }

  // C
  {
    Timeout outer = asyncio::timeout(0.5);
    Timeout inner = asyncio::timeout(0.25);
    try {
      co_await outer.run([&]() -> Coro<void> {
        bool timed_out = false;
        try {
          co_await inner.run(asyncio::sleep(10));
        } catch (const TimeoutError&) {
          timed_out = true;
        }
        if (timed_out) {
          say("C: inner TimeoutError at ", loop.time(), ", sleeping on");
          co_await asyncio::sleep(10);
        }
      });
    } catch (const TimeoutError&) {
      say("C: outer TimeoutError at ", loop.time(), " expired=", outer.expired(), ",",
          inner.expired());
    }
  }

  // D
  {
    Timeout t1 = asyncio::timeout(0.75);
    Timeout t2 = asyncio::timeout(0.25);
    Timeout t3 = asyncio::timeout(0.5);
    try {
      co_await t1.run([&]() -> Coro<void> {
        try {
          co_await t2.run([&]() -> Coro<void> {
            try {
              co_await t3.run(asyncio::sleep(10));
            } catch (const CancelledError&) {
              say("D: innermost saw CancelledError at ", loop.time());
              throw;
            }
          });
        } catch (const TimeoutError&) {
          say("D: middle TimeoutError at ", loop.time());
        }
        co_await asyncio::sleep(0.125);
      });
      say("D: done at ", loop.time(), " expired=", t1.expired(), ",", t2.expired(), ",",
          t3.expired());
    } catch (const TimeoutError&) {
      say("D: outer TimeoutError (wrong)");
    }
  }

  // E
  auto t = asyncio::create_task(victim());
  co_await asyncio::sleep(0.25);
  t.cancel();
  try {
    co_await t;
  } catch (const CancelledError&) {
    say("E: victim cancelled=", t.cancelled());
  }

  // F
  auto t2 = asyncio::create_task(victim2());
  co_await asyncio::sleep(0.5);
  t2.cancel();
  try {
    co_await t2;
  } catch (const CancelledError&) {
    say("F: victim cancelled=", t2.cancelled());
  }

  // G
  try {
    co_await asyncio::timeout(0.5, asyncio::wait_for(asyncio::sleep(10), 0.25));
  } catch (const TimeoutError&) {
    say("G: TimeoutError at ", loop.time(), " (from wait_for)");
  }
  try {
    co_await asyncio::wait_for(scoped(), 0.25);
  } catch (const TimeoutError&) {
    say("G: TimeoutError at ", loop.time(), " (from the outer wait_for)");
  }
  say("end cancelling=", me.cancelling());
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
