// Twin of task_names.py: Task-<N> names, current_task(), all_tasks(), asyncio::run's
// two shutdown tasks.
#include <algorithm>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "twin.hpp"

using asyncio::Coro;
using twin::py_list;
using twin::say;

std::vector<std::string> names(const std::vector<asyncio::AnyTask>& tasks) {
  std::vector<std::string> out;
  for (auto& t : tasks) out.push_back(t.get_name());
  std::sort(out.begin(), out.end());
  return out;
}

std::string current_name() {
  auto t = asyncio::current_task();
  return t.valid() ? t.get_name() : "None";
}

Coro<std::string> worker(double d) {
  say("  worker ", current_name(), " starts");
  co_await asyncio::sleep(d);
  co_return current_name();
}

Coro<std::string> spawner() {
  auto inner = asyncio::create_task(worker(0));
  co_return co_await inner;
}

Coro<std::string> main1() {
  auto& loop = asyncio::get_running_loop();
  say("main1 is ", current_name());
  auto a = asyncio::create_task(worker(1));
  auto b = asyncio::create_task(worker(2), "custom");
  auto c = loop.create_task(worker(3));
  say("  created ", a.get_name(), ", ", b.get_name(), ", ", c.get_name());
  say("  all_tasks: ", py_list(names(asyncio::all_tasks())));
  c.set_name("renamed");
  co_await asyncio::sleep(0);
  say("  all_tasks after renaming: ", py_list(names(asyncio::all_tasks())));
  loop.call_soon([] { say("  current_task() in a callback: ", current_name()); });
  a.add_done_callback([](asyncio::Future<std::string>) {
    say("  current_task() in a done callback: ", current_name());
  });
  say("  a -> ", co_await a);
  say("  all_tasks without a: ", py_list(names(asyncio::all_tasks())));
  auto rb = co_await b;
  auto rc = co_await c;
  say("  b -> ", rb, ", c -> ", rc, ", a still named ", a.get_name());
  // tasks created by tasks
  say("  spawner's inner -> ", co_await asyncio::create_task(spawner()));
  auto leftover = asyncio::create_task(worker(10));
  co_await asyncio::sleep(0);
  say("  all_tasks at the end: ", py_list(names(asyncio::all_tasks())));
  co_return "main1 done";
}

Coro<void> main2() {
  say("main2 is ", current_name());
  auto t = asyncio::create_task(worker(0));
  auto r = co_await t;
  say("  ", t.get_name(), " -> ", r);
}

Coro<std::string> probe() { co_return current_name(); }

int main() {
  say(asyncio::run(main1(), {.virtual_time = true}));
  asyncio::run(main2(), {.virtual_time = true});
  // run_until_complete(coroutine) wraps it in a task too
  asyncio::EventLoop loop({.virtual_time = true});
  say("run_until_complete task: ", loop.run_until_complete(probe()));
  auto t = loop.create_task(probe(), "named");
  say("named task: ", loop.run_until_complete(t));
  say("next one: ", loop.run_until_complete(probe()));
  loop.close();
}
