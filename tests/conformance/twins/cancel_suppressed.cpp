// Twin of cancel_suppressed.py: swallowing, cleaning up, converting, replacing a
// CancelledError. (C++ cannot co_await inside a catch block: the part of a Python
// `except` clause that awaits runs right after the catch.)
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::CancelledError;
using asyncio::Coro;
using twin::py_repr;
using twin::say;

Coro<void> outcome(std::string label, asyncio::Task<std::string> t) {
  try {
    auto r = co_await t;
    say("  ", label, ": result ", py_repr(r));
  } catch (const CancelledError& e) {
    say("  ", label, ": CancelledError(", py_repr(e.what()), ")");
  } catch (const std::invalid_argument& e) {
    say("  ", label, ": ValueError(", py_repr(e.what()), ")");
  }
  say("  ", label, ": cancelled=", t.cancelled(), " cancelling=", t.cancelling(),
      " t=", asyncio::get_running_loop().time());
}

Coro<std::string> swallow() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError& e) {
    say("  swallow: caught ", py_repr(e.what()));
  }
  co_return "returned normally";
}

Coro<std::string> cleanup_then_reraise() {
  std::exception_ptr caught;
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError& e) {
    say("  cleanup: caught ", py_repr(e.what()), " t=", asyncio::get_running_loop().time());
    caught = std::current_exception();
  }
  if (caught) {
    co_await asyncio::sleep(0.5);
    say("  cleanup: done t=", asyncio::get_running_loop().time());
    std::rethrow_exception(caught);
  }
  co_return "not reached";
}

Coro<std::string> convert() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    throw std::invalid_argument("converted");
  }
  co_return "not reached";
}

Coro<std::string> replace() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError&) {
    throw CancelledError("replaced");
  }
  co_return "not reached";
}

Coro<std::string> swallow_once() {
  try {
    co_await asyncio::sleep(10);
  } catch (const CancelledError& e) {
    say("  swallow_once: caught ", py_repr(e.what()), ", sleeping again");
  }
  co_await asyncio::sleep(10);
  co_return "not reached";
}

Coro<std::string> ignore_all() {
  int n = 0;
  for (;;) {
    try {
      co_await asyncio::sleep(1);
      co_return "ignored " + std::to_string(n) + " requests";
    } catch (const CancelledError&) {
      ++n;
    }
  }
}

Coro<void> main_() {
  std::vector<std::pair<std::string, Coro<std::string>>> cases;
  cases.emplace_back("A swallow", swallow());
  cases.emplace_back("B cleanup", cleanup_then_reraise());
  cases.emplace_back("C convert", convert());
  cases.emplace_back("D replace", replace());
  for (auto& [label, coro] : cases) {
    say(label);
    auto t = asyncio::create_task(std::move(coro));
    co_await asyncio::sleep(0);
    t.cancel(label.substr(0, 1));
    co_await outcome(label, t);
  }
  say("E swallow once, cancelled twice");
  auto t = asyncio::create_task(swallow_once());
  co_await asyncio::sleep(0);
  t.cancel("first");
  co_await asyncio::sleep(0.25);
  t.cancel("second");
  co_await outcome("E", t);
  say("F ignore every request, one per 0.25 s");
  t = asyncio::create_task(ignore_all());
  for (int i = 0; i < 3; ++i) {
    co_await asyncio::sleep(0.25);
    t.cancel();
  }
  co_await outcome("F", t);
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
