// The task toolkit: TaskGroup, timeout, wait_for, shield, as_completed (about 1.6 s on the
// real clock). With --virtual-time the run is instant and prints exactly what
// `python3 examples/python/toolkit_demo.py --virtual-time` prints on CPython 3.13.
//
//   Python                                          C++ (docs/async-with.md)
//   async with asyncio.TaskGroup() as tg:           co_await asyncio::TaskGroup::run(
//       tg.create_task(f())                             [&](asyncio::TaskGroup& tg) -> Coro<void> {
//                                                         tg.create_task(f()); co_return; });
//   except* ConnectionError as eg:                  catch (const asyncio::ExceptionGroup& eg)
//   async with asyncio.timeout(d) as cm:            auto cm = asyncio::timeout(d);
//       await work()                                co_await cm.run(work());
//   async with asyncio.timeout(d): r = await aw     r = co_await asyncio::timeout(d, aw);
//   await asyncio.wait_for(aw, d)                   co_await asyncio::wait_for(aw, d)
//   await asyncio.shield(task)                      co_await asyncio::shield(task)
//   async for t in asyncio.as_completed(ts):        auto it = asyncio::as_completed(ts);
//                                                   while (auto t = co_await it.next())
//   for aw in asyncio.as_completed(cs): await aw    for (auto aw : asyncio::as_completed(cs))
//                                                       co_await std::move(aw);

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

using asyncio::CancelledError;
using asyncio::Coro;
using asyncio::Task;
using asyncio::TaskGroup;
using asyncio::TimeoutError;

/// Python's ConnectionError.
struct ConnectionError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

double t0 = 0;
double now() { return asyncio::get_running_loop().time() - t0; }

Coro<std::string> fetch(std::string name, double delay, bool fail = false) {
  try {
    co_await asyncio::sleep(delay);
  } catch (const CancelledError&) {
    std::printf("[%.2f]   %s: cancelled\n", now(), name.c_str());
    throw;
  }
  if (fail) {
    std::printf("[%.2f]   %s: failed\n", now(), name.c_str());
    throw ConnectionError(name + " unreachable");
  }
  std::printf("[%.2f]   %s: fetched\n", now(), name.c_str());
  co_return "<" + name + ">";
}

Coro<std::string> save(std::string record) {
  co_await asyncio::sleep(0.15);
  std::printf("[%.2f]   save(%s) committed\n", now(), record.c_str());
  co_return record;
}

Coro<void> amain() {
  t0 = asyncio::get_running_loop().time();

  std::printf("1. TaskGroup: all children finish before the block ends\n");
  Task<std::string> a, b;
  co_await TaskGroup::run([&](TaskGroup& tg) -> Coro<void> {
    a = tg.create_task(fetch("a", 0.1));
    b = tg.create_task(fetch("b", 0.2));
    co_return;
  });
  std::printf("[%.2f] results %s %s\n", now(), a.result().c_str(), b.result().c_str());

  std::printf("2. TaskGroup: a failure cancels the siblings and the body\n");
  try {
    co_await TaskGroup::run([](TaskGroup& tg) -> Coro<void> {
      tg.create_task(fetch("c", 0.05, true));
      tg.create_task(fetch("d", 0.3));
      co_await asyncio::sleep(1);
    });
  } catch (const asyncio::ExceptionGroup& eg) {
    std::string errors;
    for (const auto& e : eg.exceptions()) {
      try {
        std::rethrow_exception(e);
      } catch (const ConnectionError& x) {
        errors += std::string(errors.empty() ? "" : ", ") + "'" + x.what() + "'";
      }
    }
    std::printf("[%.2f] ExceptionGroup: [%s]\n", now(), errors.c_str());
  }

  std::printf("3. timeout: a deadline for a block, moved once\n");
  asyncio::Timeout cm = asyncio::timeout(0.1);
  try {
    co_await cm.run([](asyncio::Timeout& scope) -> Coro<void> {
      scope.reschedule(*scope.when() + 0.05);
      co_await fetch("e", 0.4);
    });
  } catch (const TimeoutError&) {
    std::printf("[%.2f] TimeoutError, expired=%s\n", now(), cm.expired() ? "True" : "False");
  }
  std::string r = co_await asyncio::timeout(1, fetch("f", 0.05));
  std::printf("[%.2f] -> %s\n", now(), r.c_str());

  std::printf("4. wait_for: the result, or TimeoutError after the work is cancelled\n");
  r = co_await asyncio::wait_for(fetch("g", 0.05), 0.5);
  std::printf("[%.2f] -> %s\n", now(), r.c_str());
  try {
    co_await asyncio::wait_for(fetch("h", 0.5), 0.1);
  } catch (const TimeoutError&) {
    std::printf("[%.2f] TimeoutError\n", now());
  }

  std::printf("5. shield: the caller gives up, the save completes\n");
  Task<std::string> saving = asyncio::create_task(save("order-42"));
  try {
    co_await asyncio::wait_for(asyncio::shield(saving), 0.05);
  } catch (const TimeoutError&) {
    std::printf("[%.2f] caller timed out; save still running: %s\n", now(),
                saving.done() ? "False" : "True");
  }
  r = co_await saving;
  std::printf("[%.2f] saved %s\n", now(), r.c_str());

  std::printf("6. as_completed: in completion order, `async for` and plain iteration\n");
  std::vector<Task<std::string>> tasks;
  tasks.push_back(asyncio::create_task(fetch("i", 0.3)));
  tasks.push_back(asyncio::create_task(fetch("j", 0.1)));
  tasks.push_back(asyncio::create_task(fetch("k", 0.2)));
  auto it = asyncio::as_completed(tasks);
  while (auto t = co_await it.next()) {
    bool original = false;
    for (const auto& x : tasks) original = original || x == *t;
    std::printf("[%.2f] next: %s (one of the tasks: %s)\n", now(), t->result().c_str(),
                original ? "True" : "False");
  }
  try {
    std::vector<Coro<std::string>> coros;
    coros.push_back(fetch("l", 0.05));
    coros.push_back(fetch("m", 0.5));
    for (auto aw : asyncio::as_completed(coros, 0.2)) {
      r = co_await std::move(aw);
      std::printf("[%.2f] next: %s\n", now(), r.c_str());
    }
  } catch (const TimeoutError&) {
    std::printf("[%.2f] TimeoutError (m keeps running)\n", now());
  }
  co_await asyncio::sleep(0.35);
  std::printf("[%.2f] done\n", now());
}

int main(int argc, char** argv) {
  bool vt = argc > 1 && !std::strcmp(argv[1], "--virtual-time");
  return asyncio::run_main(amain(), {.virtual_time = vt});
}
