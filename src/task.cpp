// The task's out-of-line parts (CPython: tasks.py): the end of a step that finishes the
// task, its repr and destruction diagnostics, current_task and all_tasks. The task itself
// (fields, step, wake-up, park, cancel): include/asyncio/detail/task_state.hpp.

#include "asyncio/task.hpp"

#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/event_loop.hpp"

namespace asyncio {
namespace detail {

void task_finish(TaskState* t) {
  if (t->exc_) {
    if (is_cancelled_error(t->exc_)) {
      // CPython: `self._cancelled_exc = exc; super().cancel()` — message None (R27).
      CancelInfo& ci = t->cancel_info();
      ci.saved_exc = std::exchange(t->exc_, nullptr);
      ci.message.clear();
      t->state_ = FutureState::cancelled;
      t->schedule_callbacks();
    } else {
      t->state_ = FutureState::finished;
      t->log_traceback_ = true;
      t->schedule_callbacks();
    }
  } else if (t->must_cancel_) {
    // Cancel requested during the final step: "cancel at end" (test_cancel_at_end).
    t->must_cancel_ = false;
    t->state_ = FutureState::cancelled;
    t->schedule_callbacks();
  } else {
    t->state_ = FutureState::finished;
    t->schedule_callbacks();
  }
  // Drop the loop's strong reference.
  unlink_task(t);
  t->release();
}

std::string task_repr(TaskState* t) {
  std::string state = t->state_ == FutureState::pending     ? "pending"
                      : t->state_ == FutureState::cancelled ? "cancelled"
                                                            : "finished";
  std::string out =
      "<Task " + state + " name='" + t->task_name() + "' coro=<" + t->coro_name_ + "()>";
  if (t->state_ == FutureState::finished && t->exc_)
    out += " exception=" + describe_exception(t->exc_);
  return out + ">";
}

void task_log_destroy_pending(TaskState* t) {
  if (t->state_ == FutureState::pending && t->log_destroy_pending_ && loop_alive(t->loop_) &&
      t->loop_->get_debug())
    t->loop_->call_exception_handler(
        {"Task was destroyed but it is pending!", nullptr, task_repr(t)});
}

void log_never_awaited(PromiseBase* p) {
  EventLoop* loop = get_event_loop_or_null();
  bool debug = loop ? loop->get_debug() : env_debug();
  if (!debug) return;
  ExceptionContext ctx{
      "RuntimeWarning: coroutine '" + std::string(p->coro_name_) + "' was never awaited",
      nullptr,
      {}};
  if (loop && !loop->is_closed()) {
    loop->call_exception_handler(ctx);
  } else {
    std::cerr << ctx.message << "\n";
  }
}

std::vector<AnyTask> loop_tasks(LoopCore& loop) {
  std::vector<AnyTask> out;
  for (TaskState& t : loop.tasks_) {
    t.add_ref();
    out.push_back(AnyTask::adopt_ref(&t));
  }
  return out;
}

}  // namespace detail

AnyTask current_task() {
  detail::LoopCore& loop = detail::core_of(get_running_loop());
  if (!loop.current_task_) return AnyTask();
  loop.current_task_->add_ref();
  return AnyTask::adopt_ref(loop.current_task_);
}

std::vector<AnyTask> all_tasks() { return detail::loop_tasks(detail::core_of(get_running_loop())); }

}  // namespace asyncio
