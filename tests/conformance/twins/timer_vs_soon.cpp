// Twin of timer_vs_soon.py: call_soon vs call_later(0) vs call_at(past) on a bare loop.
#include <string>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using twin::say;

asyncio::EventLoop loop({.virtual_time = true});

auto L(std::string s) {
  return [s] { say(s, " t=", loop.time()); };
}

int main() {
  loop.call_later(0, L("call_later(0)"));
  loop.call_soon(L("call_soon A"));
  loop.call_at(-5, L("call_at(past)"));
  loop.call_soon(L("call_soon B"));
  loop.call_soon([] {
    say("first (iter1) t=", loop.time());
    loop.call_soon(L("soon-from-first"));
    loop.call_later(0, L("later0-from-first"));
    loop.call_at(loop.time() - 1, L("at-past-from-first"));
  });
  loop.call_at(1.0, L("at1.0"));
  loop.call_at(1.0 + 1e-12, L("at1.0+1e-12 (within clock resolution)"));
  loop.call_at(1.0 + 2e-9, L("at1.0+2e-9 (beyond clock resolution)"));
  loop.call_at(1.5, [] {
    say("at1.5 t=", loop.time());
    loop.call_soon(L("soon-from-at1.5"));
    loop.call_later(0.25, L("later0.25-from-at1.5"));
  });
  loop.call_at(2.0, [] {
    say("at2.0 t=", loop.time());
    loop.call_soon(L("soon-from-at2.0 (queued in the stopping iteration: runs in the next run)"));
    loop.stop();
  });
  say("before run_forever t=", loop.time());
  loop.run_forever();
  say("after run_forever t=", loop.time());
  // The handle queued by the stopping iteration runs first in the next run.
  loop.call_soon([] { loop.stop(); });
  loop.run_forever();
  say("after second run_forever t=", loop.time());
  loop.close();
}
