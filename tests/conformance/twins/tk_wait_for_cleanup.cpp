// Twin of tk_wait_for_cleanup.py: wait_for and the awaited work's reaction to its
// cancellation (slow cleanup, swallowed cancel, exception in cleanup, ignored cancels).
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::TimeoutError;
using twin::say;

struct KeyError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Coro<std::string> slow_cleanup(std::string name) {
  auto& loop = asyncio::get_running_loop();
  std::exception_ptr cancelled;
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    cancelled = std::current_exception();
  }
  if (cancelled) {
    say(name, ": cancelled at ", loop.time(), ", cleaning up for 0.25");
    co_await asyncio::sleep(0.25);
    say(name, ": cleanup done at ", loop.time());
    std::rethrow_exception(cancelled);
  }
  co_return "never";
}

Coro<int> swallow() {
  auto& loop = asyncio::get_running_loop();
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    say("swallow: caught the cancel at ", loop.time(), ", returning 42");
    co_return 42;
  }
  co_return 0;
}

Coro<void> crash_in_cleanup() {
  try {
    co_await asyncio::sleep(10);
  } catch (...) {
  }
  say("crash: raising KeyError in cleanup");
  throw KeyError("cleanup");
}

Coro<std::string> ignoring(double until) {
  auto& loop = asyncio::get_running_loop();
  while (loop.time() < until) {
    try {
      co_await asyncio::sleep(until - loop.time());
    } catch (const CancelledError&) {
      say("ignoring: cancel ignored at ", loop.time());
    }
  }
  say("ignoring: exits at ", loop.time());
  co_return "ignored";
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  auto me = asyncio::current_task();

  // A
  auto t = asyncio::create_task(slow_cleanup("A-task"));
  try {
    co_await asyncio::wait_for(t, 0.5);
  } catch (const TimeoutError&) {
    say("A: TimeoutError at ", loop.time(), " (deadline 0.5) cancelled=", t.cancelled());
  }
  try {
    co_await asyncio::wait_for(slow_cleanup("A-inline"), 0.5);
  } catch (const TimeoutError&) {
    say("A: TimeoutError at ", loop.time(), " cancelling=", me.cancelling());
  }

  // B
  int r = co_await asyncio::wait_for(swallow(), 0.125);
  say("B: result=", r, " at ", loop.time(), " cancelling=", me.cancelling());
  r = co_await asyncio::wait_for(asyncio::create_task(swallow()), 0.125);
  say("B: task result=", r, " at ", loop.time());

  // C (the task is created up front, as Python's tuple does)
  auto inline_coro = crash_in_cleanup();
  auto task = asyncio::create_task(crash_in_cleanup());
  try {
    co_await asyncio::wait_for(std::move(inline_coro), 0.0625);
  } catch (const KeyError& e) {
    say("C: inline: KeyError('", e.what(), "') at ", loop.time(), " cancelling=", me.cancelling());
  }
  try {
    co_await asyncio::wait_for(task, 0.0625);
  } catch (const KeyError& e) {
    say("C: task: KeyError('", e.what(), "') at ", loop.time(), " cancelling=", me.cancelling());
  }

  // D
  auto rd = co_await asyncio::wait_for(ignoring(loop.time() + 0.5), 0.25);
  say("D: result=", rd, " at ", loop.time());

  // E
  auto w = asyncio::create_task(asyncio::wait_for(ignoring(loop.time() + 0.75), 2));
  co_await asyncio::sleep(0.125);
  say("E: cancel -> ", w.cancel());
  std::vector<asyncio::Task<std::string>> ws{w};
  co_await asyncio::wait(ws);
  say("E: at ", loop.time(), " cancelled=", w.cancelled(), " result=", w.result(),
      " cancelling=", w.cancelling());

  // F
  auto wf = asyncio::create_task(asyncio::wait_for(slow_cleanup("F"), 5));
  co_await asyncio::sleep(0.125);
  wf.cancel();
  try {
    co_await wf;
  } catch (const CancelledError&) {
    say("F: caller cancelled at ", loop.time(), " cancelled=", wf.cancelled());
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
