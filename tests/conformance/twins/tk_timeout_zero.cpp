// Twin of tk_timeout_zero.py: zero and past deadlines (gh-95051).
#include <memory>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Timeout;
using asyncio::TimeoutError;
using twin::say;

std::unique_ptr<twin::Ticker> T;

Coro<int> immediate(int v) { co_return v; }

Coro<void> body(std::string kind, std::vector<std::string>& steps) {
  if (kind == "sleep(10)") {
    co_await asyncio::sleep(10);
  } else if (kind == "sleep(0)") {
    co_await asyncio::sleep(0);
    steps.push_back("after sleep(0)");
  } else if (kind == "two sleep(0)") {
    try {
      co_await asyncio::sleep(0);
    } catch (const CancelledError&) {
      steps.push_back("first sleep(0) cancelled");
    }
    co_await asyncio::sleep(0);
    steps.push_back("second sleep(0) done");
  } else {
    int v = co_await immediate(3);
    steps.push_back("immediate -> " + std::to_string(v));
  }
}

Coro<void> child() {
  try {
    co_await asyncio::sleep(1);
  } catch (const CancelledError&) {
    say("child: cancelled @", T->n);
    throw;
  }
}

std::vector<int> started;
Coro<void> never() {
  started.push_back(1);
  co_return;
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();
  T = std::make_unique<twin::Ticker>(loop);

  struct Case {
    double delay;
    const char* body;
  };
  const Case cases[] = {{0, "sleep(10)"},
                        {0, "sleep(0)"},
                        {-11, "sleep(0)"},
                        {0, "two sleep(0)"},
                        {0, "immediate()"}};
  for (const Case& c : cases) {
    int n0 = T->n;
    std::vector<std::string> steps;
    std::string result;
    Timeout cm = asyncio::timeout(c.delay);
    try {
      co_await cm.run(body(c.body, steps));
      result = "no error";
    } catch (const TimeoutError&) {
      result = "TimeoutError";
    }
    say("timeout(", static_cast<int>(c.delay), ") ", c.body, ": ", result,
        " expired=", cm.expired(), " when=", *cm.when(), " steps=", twin::py_list(steps), " @",
        T->n - n0, " t=", loop.time());
  }

  co_await asyncio::sleep(0);
  co_await asyncio::sleep(0);
  say("cancelling=", asyncio::current_task().cancelling(), " @", T->n);

  auto t = asyncio::create_task(child());
  try {
    co_await asyncio::timeout(0, t);
  } catch (const TimeoutError&) {
    say("task: TimeoutError child cancelled=", t.cancelled(), " @", T->n);
  }

  for (int timeout : {0, -1}) {
    int n0 = T->n;
    try {
      co_await asyncio::wait_for(never(), timeout);
    } catch (const TimeoutError&) {
      say("wait_for(coro, ", timeout, "): TimeoutError started=", twin::py_list(started), " @",
          T->n - n0);
    }
  }
  auto f = loop.create_future<std::string>();
  loop.call_soon([f] {
    if (!f.done()) f.set_result("soon");
  });
  int n0 = T->n;
  try {
    co_await asyncio::wait_for(f, 0);
  } catch (const TimeoutError&) {
    say("wait_for(pending future, 0): TimeoutError cancelled=", f.cancelled(), " @", T->n - n0);
  }
  T->stop();
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
