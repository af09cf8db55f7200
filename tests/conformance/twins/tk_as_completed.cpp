// Twin of tk_as_completed.py: as_completed, both iteration styles (R51-R53).
#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Task;
using asyncio::TimeoutError;
using twin::say;

Coro<std::string> job(std::string name, double delay, bool fail = false) {
  co_await asyncio::sleep(delay);
  if (fail) throw std::invalid_argument(name);
  co_return name;
}

Coro<int> immediate(int v) { co_return v; }

template <class T>
bool is_one_of(const Task<T>& t, const std::vector<Task<T>>& v) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

Coro<void> main_() {
  auto& loop = asyncio::get_running_loop();

  // A
  std::vector<Task<std::string>> tasks;
  tasks.push_back(asyncio::create_task(job("a", 0.5)));
  tasks.push_back(asyncio::create_task(job("b", 0.125)));
  tasks.push_back(asyncio::create_task(job("c", 0.25)));
  {
    auto it = asyncio::as_completed(tasks);
    while (auto t = co_await it.next())
      say("A: ", t->result(), " at ", loop.time(), " original=", is_one_of(*t, tasks));
  }

  // B
  {
    std::vector<Coro<std::string>> cs;
    cs.push_back(job("x", 0.375));
    cs.push_back(job("y", 0.0625));
    cs.push_back(job("z", 0.25));
    for (auto aw : asyncio::as_completed(cs)) {
      auto r = co_await std::move(aw);
      say("B: ", r, " at ", loop.time());
    }
  }

  // C
  auto slow = asyncio::create_task(job("slow", 1));
  auto fast = asyncio::create_task(job("fast", 0.125));
  try {
    std::vector<Task<std::string>> in{slow, fast};
    auto it = asyncio::as_completed(in, 0.5);
    while (auto t = co_await it.next()) say("C: ", t->result(), " at ", loop.time());
  } catch (const TimeoutError&) {
    say("C: TimeoutError at ", loop.time(), " slow done=", slow.done(),
        " cancelled=", slow.cancelled());
  }
  auto rs = co_await slow;
  say("C: slow finishes anyway: ", rs, " at ", loop.time());

  // D
  {
    auto a = asyncio::create_task(job("d1", 0.125));
    auto b = asyncio::create_task(job("d2", 2));
    auto c = asyncio::create_task(job("d3", 3));
    std::vector<Task<std::string>> in{a, b, c};
    for (auto aw : asyncio::as_completed(in, 0.25)) {
      try {
        auto r = co_await std::move(aw);
        say("D: ", r, " at ", loop.time());
      } catch (const TimeoutError&) {
        say("D: TimeoutError at ", loop.time());
      }
    }
    b.cancel();
    c.cancel();
  }

  // E
  {
    std::vector<Coro<std::string>> cs;
    for (int i = 0; i < 4; ++i) cs.push_back(job("e" + std::to_string(i), 0.0625 * (4 - i)));
    auto it = asyncio::as_completed(cs);
    while (auto t = co_await it.next()) {
      say("E: first ", t->result());
      break;
    }
    while (auto t = co_await it.next()) say("E: then ", t->result());
  }
  {
    std::vector<Coro<std::string>> cs;
    for (int i = 0; i < 4; ++i) cs.push_back(job("e" + std::to_string(i), 0.0625 * (i + 1)));
    auto it = asyncio::as_completed(cs);
    for (auto aw : it) {
      auto r = co_await std::move(aw);
      say("E: plain first ", r);
      break;
    }
    for (auto aw : it) {
      auto r = co_await std::move(aw);
      say("E: plain then ", r);
    }
  }

  // F
  {
    std::vector<Task<std::string>> fs;
    fs.push_back(asyncio::create_task(job("ok", 0.25)));
    fs.push_back(asyncio::create_task(job("bad", 0.125, true)));
    auto it = asyncio::as_completed(fs);
    while (auto t = co_await it.next()) {
      if (auto e = t->exception()) {
        say("F: async for got exception ValueError('", twin::msg(e), "')");
      } else {
        say("F: async for got ", t->result());
      }
    }
    std::vector<Coro<std::string>> cs;
    cs.push_back(job("ok2", 0.25));
    cs.push_back(job("bad2", 0.125, true));
    for (auto aw : asyncio::as_completed(cs)) {
      try {
        auto r = co_await std::move(aw);
        say("F: plain got ", r);
      } catch (const std::invalid_argument& e) {
        say("F: plain raised ValueError('", e.what(), "')");
      }
    }
  }

  // G
  {
    auto t = asyncio::create_task(job("dup", 0.125));
    std::vector<Task<std::string>> in{t, t, t};
    std::vector<std::string> got;
    auto it = asyncio::as_completed(in);
    while (auto x = co_await it.next()) got.push_back(x->result());
    say("G: ", twin::py_list(got));
    auto T = std::make_unique<twin::Ticker>(loop);
    std::vector<std::string> seen;
    std::vector<Coro<int>> cs;
    for (int i = 1; i <= 3; ++i) cs.push_back(immediate(i));
    auto it2 = asyncio::as_completed(cs);
    while (auto x = co_await it2.next())
      seen.push_back(std::to_string(x->result()) + "@" + std::to_string(T->n));
    T->stop();
    std::sort(seen.begin(), seen.end());
    say("G: immediate ", twin::py_list(seen));
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
