// TaskGroup: CPython Lib/asyncio/taskgroups.py (3.13.0).

#include "asyncio/task_group.hpp"

namespace asyncio {

TaskGroup::~TaskGroup() {
  // Normally every child has finished and left. On abnormal paths (the parent's frame
  // destroyed by loop.close()), unregister from the children still here.
  for (Child& c : pending_) {
    if (c.registered) {
      Child* cp = &c;
      c.task->callbacks_.remove_if([cp](const detail::DoneCallback& cb) {
        return cb.fn == &on_task_done_item && cb.ctx == cp;
      });
    }
  }
  for (Child& c : children_) c.task->release();
}

std::string TaskGroup::repr() const {
  std::string info;
  if (ntasks_) info += " tasks=" + std::to_string(ntasks_);
  if (!errors_.empty()) info += " errors=" + std::to_string(errors_.size());
  if (aborting_)
    info += " cancelling";
  else if (entered_)
    info += " entered";
  return "<TaskGroup" + info + ">";
}

void TaskGroup::aenter() {
  if (entered_) throw RuntimeError("TaskGroup " + repr() + " has already been entered");
  if (!loop_) loop_ = &get_running_loop();
  parent_task_ = current_task();
  if (!parent_task_.valid())
    throw RuntimeError("TaskGroup " + repr() + " cannot determine the parent task");
  entered_ = true;
}

void TaskGroup::check_can_create() {
  if (!entered_) throw RuntimeError("TaskGroup " + repr() + " has not been entered");
  if (exiting_ && ntasks_ == 0) throw RuntimeError("TaskGroup " + repr() + " is finished");
  if (aborting_) throw RuntimeError("TaskGroup " + repr() + " is shutting down");
}

void TaskGroup::add_child(detail::FutureBase* t) {
  t->add_ref();
  Child* c = &children_.emplace_back(this, t);
  if (t->done()) {  // an eager task that finished at once
    on_task_done(c);
    return;
  }
  pending_.push_back(c);
  ++ntasks_;
  c->registered = true;
  t->push_callback(&on_task_done_item, c);
}

void TaskGroup::on_task_done_item(void* ctx, void* fut, detail::Op op) {
  detail::CallbackRef ref(fut, op);
  auto* c = static_cast<Child*>(ctx);
  c->registered = false;
  if (op == detail::Op::run) {
    TaskGroup* g = c->group;
    g->pending_.remove(c);  // CPython: `self._tasks.discard(task)`
    --g->ntasks_;
    g->on_task_done(c);
  }
}

void TaskGroup::abort() {
  aborting_ = true;
  pending_.for_each_safe([](Child* c) {
    if (!c->task->done()) detail::cancel_future(c->task, {});
  });
}

// CPython TaskGroup._on_task_done (the discard from the set happened in the caller).
void TaskGroup::on_task_done(Child* c) {
  detail::FutureBase* task = c->task;
  if (on_completed_fut_.valid() && ntasks_ == 0 && !on_completed_fut_.done())
    on_completed_fut_.set_result();
  if (task->cancelled()) return;
  std::exception_ptr exc = task->exception();
  if (!exc) return;
  errors_.push_back(exc);
  if (parent_task_.done()) {
    loop_->call_exception_handler(
        {"Task " + detail::future_repr(task) + " has errored out but its parent task " +
             detail::future_repr(parent_task_.state_ptr()) + " is already completed",
         exc, detail::future_repr(task)});
    return;
  }
  if (!aborting_ && !parent_cancel_requested_) {
    abort();
    parent_cancel_requested_ = true;
    parent_task_.cancel();
  }
}

Coro<void> TaskGroup::aexit(std::exception_ptr exc) {
  exiting_ = true;
  std::exception_ptr propagate_cancellation_error;
  const bool exc_is_cancel = exc && detail::is_cancelled_error(exc);
  if (exc_is_cancel) propagate_cancellation_error = exc;
  if (exc && !aborting_) abort();

  while (ntasks_ != 0) {
    if (!on_completed_fut_.valid()) on_completed_fut_ = loop_->create_future<void>();
    std::exception_ptr cancelled;
    try {
      co_await on_completed_fut_;
    } catch (const CancelledError&) {
      cancelled = std::current_exception();
    }
    if (cancelled && !aborting_) {
      propagate_cancellation_error = cancelled;
      abort();
    }
    on_completed_fut_ = Future<void>();
  }

  if (parent_cancel_requested_) {
    // This group cancelled the parent: take that request back.
    if (parent_task_.uncancel() == 0) propagate_cancellation_error = nullptr;
  }
  if (propagate_cancellation_error && errors_.empty())
    std::rethrow_exception(propagate_cancellation_error);
  if (exc && !exc_is_cancel) errors_.push_back(exc);
  if (!errors_.empty()) {
    // 3.13: keep the parent's cancel count stable while raising the group.
    if (parent_task_.cancelling()) {
      parent_task_.uncancel();
      parent_task_.cancel();
    }
    std::vector<std::exception_ptr> errors = std::move(errors_);
    errors_.clear();
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(errors));
  }
}

}  // namespace asyncio
