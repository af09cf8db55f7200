// Timeout scopes: CPython Lib/asyncio/timeouts.py (3.13).

#include "asyncio/timeouts.hpp"

namespace asyncio {

Timeout timeout(std::optional<Delay> delay) {
  EventLoop& loop = get_running_loop();
  if (!delay) return Timeout(std::nullopt);
  return Timeout(loop.time() + delay->seconds);
}

const char* Timeout::state() const {
  switch (state_) {
    case State::created:
      return "created";
    case State::entered:
      return "active";
    case State::expiring:
      return "expiring";
    case State::expired:
      return "expired";
    case State::exited:
      return "finished";
  }
  return "?";
}

void Timeout::cancel_handler() {
  if (node_.scheduled()) loop_->unschedule_timer(&node_);
  if (soon_.valid()) {
    soon_.cancel();
    soon_ = Handle();
  }
}

void Timeout::on_timer(void* node, void*, detail::Op op) {
  if (op != detail::Op::run) return;
  static_cast<Node*>(static_cast<detail::TimerNode*>(node))->self->on_timeout();
}

void Timeout::reschedule(std::optional<double> when) {
  if (state_ != State::entered) {
    if (state_ == State::created) throw RuntimeError("Timeout has not been entered");
    throw RuntimeError(std::string("Cannot change state of ") + state() + " Timeout");
  }
  if (when) detail::check_not_nan(*when);
  when_ = when;
  cancel_handler();
  if (!when) return;
  EventLoop& loop = get_running_loop();
  loop_ = &detail::core_of(loop);
  if (*when <= loop.time()) {
    soon_ = loop.call_soon([this] { on_timeout(); });  // gh-95051: at the next iteration
  } else {
    node_.self = this;
    node_.when = *when;
    node_.fire = &Timeout::on_timer;
    detail::core_of(loop).add_timer(&node_);
  }
}

void Timeout::enter() {
  if (state_ != State::created) throw RuntimeError("Timeout has already been entered");
  EventLoop& loop = get_running_loop();
  AnyTask task = current_task();
  if (!task.valid()) throw RuntimeError("Timeout should be used inside a task");
  loop_ = &detail::core_of(loop);
  state_ = State::entered;
  task_ = std::move(task);
  cancelling_ = task_.cancelling();
  reschedule(when_);
}

void Timeout::on_timeout() {
  soon_ = Handle();
  task_.cancel();
  state_ = State::expiring;
}

void Timeout::exit(const std::exception_ptr& exc) {
  cancel_handler();
  if (state_ == State::expiring) {
    state_ = State::expired;
    if (task_.uncancel() <= cancelling_ && exc && detail::is_cancelled_error(exc)) {
      // CPython: `raise TimeoutError from exc_val`.
      try {
        std::rethrow_exception(exc);
      } catch (...) {
        std::throw_with_nested(TimeoutError());
      }
    }
  } else if (state_ == State::entered) {
    state_ = State::exited;
  }
}

}  // namespace asyncio
