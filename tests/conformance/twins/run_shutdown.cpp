// Twin of run_shutdown.py: asyncio::run cancels and waits for the tasks left over.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

std::vector<std::string> events;

void handler(asyncio::EventLoop& loop, const asyncio::ExceptionContext& ctx) {
  say("  handler: ", py_repr(ctx.message), " exception=", py_repr(twin::msg(ctx.exception)),
      " t=", loop.time());
}

Coro<void> polite(std::string name) {
  try {
    co_await asyncio::sleep(100);
  } catch (const CancelledError& e) {
    events.push_back(name + " cancelled " + py_repr(e.what()));
    throw;
  }
}

Coro<void> slow_cleanup() {
  std::exception_ptr caught;
  try {
    co_await asyncio::sleep(100);
  } catch (const CancelledError&) {
    caught = std::current_exception();
  }
  co_await asyncio::sleep(0.5);
  events.push_back("slow_cleanup finished t=" + twin::py_float(asyncio::get_running_loop().time()));
  std::rethrow_exception(caught);
}

Coro<void> failing_cleanup() {
  try {
    co_await asyncio::sleep(100);
  } catch (const CancelledError&) {
    throw std::invalid_argument("cleanup failed");
  }
}

Coro<std::string> stubborn() {
  try {
    co_await asyncio::sleep(100);
  } catch (const CancelledError&) {
    events.push_back("stubborn swallowed the cancel");
  }
  co_return "stubborn result";
}

Coro<void> late() {
  events.push_back("late task started");
  co_await asyncio::sleep(0);
  events.push_back("late task second step");
}

Coro<void> spawns_late() {
  try {
    co_await asyncio::sleep(100);
  } catch (const CancelledError&) {
    asyncio::get_running_loop().create_task(late());
    asyncio::get_running_loop().call_soon([] { events.push_back("callback queued at cancel"); });
    throw;
  }
}

Coro<std::string> main_(bool fail) {
  auto& loop = asyncio::get_running_loop();
  loop.set_exception_handler(handler);
  asyncio::create_task(polite("p1"));
  asyncio::create_task(polite("p2"));
  asyncio::create_task(slow_cleanup());
  asyncio::create_task(failing_cleanup());
  asyncio::create_task(stubborn());
  asyncio::create_task(spawns_late());
  co_await asyncio::sleep(1);
  say("  main ends t=", loop.time());
  if (fail) throw std::invalid_argument("main failed");
  co_return "main result";
}

void print_events() {
  std::sort(events.begin(), events.end());
  for (auto& e : events) say("  ", e);
  events.clear();
}

int main() {
  say("run 1");
  say("  -> ", py_repr(asyncio::run(main_(false), {.virtual_time = true})));
  print_events();
  say("run 2: main raises");
  try {
    asyncio::run(main_(true), {.virtual_time = true});
  } catch (const std::invalid_argument& e) {
    say("  -> ValueError(", py_repr(e.what()), ")");
  }
  print_events();
}
