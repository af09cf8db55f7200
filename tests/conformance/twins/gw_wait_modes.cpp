// Twin of gw_wait_modes.py: the three return_when modes with and without a timeout.
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::Task;
using twin::say;

asyncio::EventLoop* loop = nullptr;
const std::vector<std::pair<std::string, asyncio::ReturnWhen>> MODES = {
    {"FIRST_COMPLETED", asyncio::FIRST_COMPLETED},
    {"FIRST_EXCEPTION", asyncio::FIRST_EXCEPTION},
    {"ALL_COMPLETED", asyncio::ALL_COMPLETED}};

Coro<std::string> job(std::string name, double d, bool fail = false) {
  co_await asyncio::sleep(d);
  if (fail) {
    say("    ", name, " raising t=", loop->time());
    throw std::invalid_argument(name);
  }
  say("    ", name, " done t=", loop->time());
  co_return name;
}

std::string fmt(const Task<std::string>& t) {
  if (!t.done()) return t.get_name();
  if (t.cancelled()) return t.get_name() + ":cancelled";
  if (t.exception()) return t.get_name() + ":ValueError";
  return t.get_name() + "=" + t.result();
}

template <class Members>
std::string names(const std::vector<Task<std::string>>& tasks, const Members& m) {
  std::string out;
  for (const auto& t : tasks)
    if (std::find(m.begin(), m.end(), t) != m.end()) out += (out.empty() ? "" : ", ") + fmt(t);
  return out;
}

void show(const std::vector<Task<std::string>>& tasks,
          const asyncio::WaitResult<Task<std::string>>& r, double t0) {
  say("    done=[", names(tasks, r.done), "] pending=[", names(tasks, r.pending), "] after ",
      loop->time() - t0);
}

void retrieve(const std::vector<Task<std::string>>& tasks) {
  for (const auto& t : tasks)
    if (!t.cancelled()) (void)t.exception();
}

std::vector<Task<std::string>> make() {
  std::vector<Task<std::string>> tasks;
  tasks.push_back(asyncio::create_task(job("a", 0.25), "a"));
  tasks.push_back(asyncio::create_task(job("b", 0.375, true), "b"));
  tasks.push_back(asyncio::create_task(job("c", 0.5), "c"));
  tasks.push_back(asyncio::create_task(job("d", 1.5), "d"));
  tasks.push_back(asyncio::create_task(job("e", 0.625, true), "e"));
  Task<std::string> d = tasks[3];
  loop->call_later(0.125, [d] { d.cancel(); });
  return tasks;
}

Coro<void> main_() {
  loop = &asyncio::get_running_loop();
  const std::vector<std::optional<double>> timeouts = {std::nullopt, 0.0625, 0.3125, 0.4375, 1.0};
  for (const auto& timeout : timeouts) {
    for (const auto& [label, mode] : MODES) {
      say(label, " timeout=", timeout ? twin::py_float(*timeout) : "None");
      double t0 = loop->time();
      auto tasks = make();
      asyncio::WaitOptions opts;
      if (timeout) opts.timeout = *timeout;
      opts.return_when = mode;
      auto r = co_await asyncio::wait(tasks, opts);
      show(tasks, r, t0);
      std::string cancelled;
      for (const auto& t : tasks)
        if (t.cancelled()) cancelled += (cancelled.empty() ? "'" : ", '") + t.get_name() + "'";
      say("    cancelled: [", cancelled, "]");
      co_await asyncio::wait(tasks);
      retrieve(tasks);
    }
  }
  say("already done inputs");
  auto tasks = make();
  co_await asyncio::wait(tasks);
  retrieve(tasks);
  for (const auto& [label, mode] : MODES) {
    double t0 = loop->time();
    auto r = co_await asyncio::wait(tasks, {.timeout = 0.5, .return_when = mode});
    say("  ", label, ":");
    show(tasks, r, t0);
  }
}

int main() { asyncio::run(main_(), {.virtual_time = true}); }
