// Futures' out-of-line parts (CPython: futures.py `Future.__repr__`, `Future.__del__`).
// The future itself: include/asyncio/detail/future_base.hpp and future.hpp.

#include <cstdint>
#include <string>

#include "asyncio/detail/task_state.hpp"

namespace asyncio::detail {

std::string future_repr(FutureBase* f) {
  if (f->is_task()) return task_repr(static_cast<TaskState*>(f));
  std::string state = f->state_ == FutureState::pending     ? "pending"
                      : f->state_ == FutureState::cancelled ? "cancelled"
                                                            : "finished";
  std::string out = "<Future " + state;
  if (f->state_ == FutureState::finished && f->exc_)
    out += " exception=" + describe_exception(f->exc_);
  return out + ">";
}

void FutureBase::last_release() {
  if (log_traceback_ && exc_ && loop_alive(loop_)) {
    const char* kind = kind_ == FutureKind::task        ? "Task"
                       : kind_ == FutureKind::gathering ? "_GatheringFuture"
                                                        : "Future";
    loop_->call_exception_handler(
        {std::string(kind) + " exception was never retrieved", exc_, future_repr(this)});
  }
  if (kind_ == FutureKind::task) task_log_destroy_pending(static_cast<TaskState*>(this));
  for (std::uint32_t i = 0; i < callbacks_.size(); ++i)
    callbacks_[i].fn(callbacks_[i].ctx, this, Op::forget);
  callbacks_.clear();
  ops_->destroy(this);
}

}  // namespace asyncio::detail
