// Twin of exception_handler.py: exceptions escaping callbacks go to the loop's handler.
#include <memory>
#include <stdexcept>
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::ExceptionContext;
using twin::py_repr;
using twin::say;

std::unique_ptr<twin::Ticker> T;

void handler(EventLoop& loop, const ExceptionContext& ctx) {
  std::string head = ctx.message;
  if (head.rfind("Exception in callback", 0) == 0) head = "Exception in callback";
  std::string what = ctx.exception ? py_repr(twin::msg(ctx.exception)) : "None";
  say("  handler: ", py_repr(head), " exception=", what, " @", T->n, " t=", loop.time());
}

auto bad(std::string label) {
  return [label](auto&&...) {
    say("  ", label, " raising @", T->n, " t=", asyncio::get_running_loop().time());
    throw std::invalid_argument(label);
  };
}

Coro<void> fail() {
  co_await asyncio::sleep(0);
  throw std::invalid_argument("lost");
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);
  loop.set_exception_handler(handler);
  // A: call_soon callbacks: the one after the failing one still runs, same iteration
  say("A @", T->n);
  loop.call_soon(bad("soon-1"));
  loop.call_soon([] { say("  next callback runs @", T->n); });
  co_await asyncio::sleep(0);
  say("  main continues @", T->n);
  T->stop();
  // B: a timer callback
  say("B");
  loop.call_later(0.5, bad("timer"));
  loop.call_later(0.75, [&loop] { say("  later timer runs t=", loop.time()); });
  co_await asyncio::sleep(1);
  T = std::make_unique<twin::Ticker>(loop);
  // C: a done callback
  say("C @", T->n);
  auto f = loop.create_future<void>();
  f.add_done_callback(bad("done-cb"));
  f.add_done_callback([](asyncio::Future<void>) { say("  second done callback runs @", T->n); });
  f.set_result();
  co_await asyncio::sleep(0);
  say("  main continues @", T->n);
  // D: a failing task nobody awaits: nothing until its last reference goes
  say("D @", T->n);
  auto t = asyncio::create_task(fail());
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  say("  task done=", t.done(), " (no report yet) @", T->n);
  t = {};
  say("  after dropping the task @", T->n);
  // E: a failed task whose exception was retrieved is not reported
  say("E @", T->n);
  t = asyncio::create_task(fail());
  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  say("  exception() -> ", py_repr(twin::msg(t.exception())));
  t = {};
  say("  after dropping the task @", T->n);
  // F: call_exception_handler directly, without an exception
  say("F @", T->n);
  loop.call_exception_handler({"custom message", nullptr, {}});
  // G: a handler that raises: the default handler reports it (on stderr), the loop goes on
  say("G @", T->n);
  loop.set_exception_handler([](EventLoop&, const ExceptionContext& ctx) {
    say("  broken handler called for ", py_repr(twin::msg(ctx.exception)), " @", T->n);
    throw asyncio::RuntimeError("handler bug");
  });
  loop.call_soon(bad("soon-2"));
  co_await asyncio::sleep(0);
  loop.set_exception_handler(handler);
  say("  main continues @", T->n);
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
