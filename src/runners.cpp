// The runner (CPython: asyncio/runners.py): what asyncio::run (event_loop.hpp) does
// around the loop — refuse to nest, make the loop current, and at the end cancel the
// tasks left over, wait for them, shut the default executor down and close the loop.

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "asyncio/event_loop.hpp"
#include "asyncio/gather.hpp"

namespace asyncio::detail {

void run_check_not_running() {
  if (get_running_loop_or_null())
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
}

void run_report(const std::string& task_name, const std::exception_ptr& e) {
  run_reported = true;
  std::string line = "asyncio.run(): ";
  if (!task_name.empty()) line += "main task '" + task_name + "' ";
  line += "raised " + describe_exception(e) + "\n";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

RunScope::RunScope(EventLoop& l) : loop(l) { set_event_loop(&l); }
RunScope::~RunScope() {
  set_event_loop(nullptr);
  loop.close();
}

namespace {
Coro<void> shutdown_step() { co_return; }
}  // namespace

// CPython Runner.close(): _cancel_all_tasks, then shutdown_asyncgens() and
// shutdown_default_executor(), each run as a task by run_until_complete (two more tasks,
// two more iterations each — callbacks still queued get to run, as in CPython).
void run_shutdown(EventLoop& loop) {
  if (loop.is_closed()) return;
  try {
    std::vector<AnyTask> to_cancel = loop_tasks(core_of(loop));
    if (!to_cancel.empty()) {
      for (auto& t : to_cancel) t.cancel();
      loop.run_until_complete(gather(return_exceptions, to_cancel));
      for (auto& t : to_cancel) {
        if (t.cancelled()) continue;
        if (auto e = t.exception())
          loop.call_exception_handler({"unhandled exception during asyncio.run() shutdown", e,
                                       task_repr(static_cast<TaskState*>(t.state_ptr()))});
      }
    }
    loop.run_until_complete(shutdown_step());  // loop.shutdown_asyncgens()
    // constants.THREAD_JOIN_TIMEOUT; without a default executor, as trivial as the above.
    loop.run_until_complete(loop.shutdown_default_executor(300.0));
  } catch (...) {
    loop.call_exception_handler(
        {"error during asyncio.run() shutdown", std::current_exception(), {}});
  }
}

}  // namespace asyncio::detail
