#pragma once
// The part of the event loop that futures and tasks touch on their hot paths: the ready
// queue, the timer heap, the current task. EventLoop (event_loop.hpp) derives from it and
// adds everything else; keeping this part small lets future.hpp and coro.hpp stay
// independent of the loop's full definition.

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <exception>
#include <string>

#include "asyncio/detail/ready_queue.hpp"
#include "asyncio/detail/timer_heap.hpp"

namespace asyncio {
class EventLoop;

/// What an exception handler receives (CPython: the `context` dict of
/// `loop.call_exception_handler`). `message` is always set; `exception` may be null.
struct ExceptionContext {
  std::string message;
  std::exception_ptr exception;
  std::string future;  ///< description of the future/task/handle involved, if any
};

namespace detail {
struct PromiseBase;

/// Something to undo when the loop closes (a gather detaching from children that can
/// never finish now, breaking the reference cycle between them). Intrusive list node.
struct CloseHook {
  CloseHook* prev = nullptr;
  CloseHook* next = nullptr;
  void (*fn)(CloseHook*) = nullptr;
  bool linked() const { return prev != nullptr; }
};

class LoopCore {
 public:
  /// Seconds on the loop's clock: CLOCK_MONOTONIC, or the virtual clock.
  double time() const {
    if (virtual_time_) return vtime_;
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  bool get_debug() const { return debug_; }
  bool is_closed() const { return closed_; }

  /// Appends to the ready queue (CPython: `call_soon`). Cost: one ring-buffer store.
  void push_ready(void (*fn)(void*, void*, Op), void* a, void* b) {
    ready_.push(ReadyItem{fn, a, b});
  }
  /// Schedules `node` at `node->when` (CPython: `call_at`).
  void add_timer(TimerNode* node) { timers_.push(node); }
  /// Lazily removes a scheduled timer from the heap; a no-op if it is not in the heap.
  void cancel_timer(TimerNode* node) { timers_.cancel(node); }
  /// For a timer embedded in an owner that is going away: removes it from the heap, or,
  /// if it is already due and queued, neutralises its ready-queue item (a scan, taken
  /// only in that rare case), so nothing ever fires into a destroyed owner.
  void unschedule_timer(TimerNode* node) {
    if (node->index == TimerNode::in_ready) {
      ready_.neutralize(&fire_timer_item, node);
      node->index = TimerNode::npos;
    } else {
      timers_.cancel(node);
    }
  }
  /// Ready-queue item of a due timer (a = the node).
  static void fire_timer_item(void* a, void*, Op op) {
    auto* node = static_cast<TimerNode*>(a);
    node->index = TimerNode::npos;
    node->fire(node, nullptr, op);
  }

  /// Calls the exception handler (CPython: `loop.call_exception_handler`).
  void call_exception_handler(const ExceptionContext& ctx);

  /// Throws RuntimeError("Event loop is closed") when closed (CPython `_check_closed`).
  void check_closed() const;
  /// True while this loop runs on the calling thread.
  bool running_here() const;

  void link_close_hook(CloseHook* h) {
    h->prev = &close_hooks_;
    h->next = close_hooks_.next;
    if (h->next) h->next->prev = h;
    close_hooks_.next = h;
  }
  static void unlink_close_hook(CloseHook* h) {
    if (!h->prev) return;
    h->prev->next = h->next;
    if (h->next) h->next->prev = h->prev;
    h->prev = h->next = nullptr;
  }

  bool eager_tasks_ = false;             ///< the eager task factory is installed (R66)
  std::uint64_t callback_seq_ = 0;       ///< numbers done-callback registrations (wait's observers)
  PromiseBase* current_task_ = nullptr;  ///< the task whose step is running, else null
  PromiseBase* tasks_head_ = nullptr;    ///< unfinished tasks: the loop's strong references
  /// Executor jobs (threads.hpp) whose completion has not reached the loop yet. While it
  /// is non-zero a virtual clock does not jump to the next timer: the loop blocks until a
  /// worker posts its result (call_soon_threadsafe), as real time would let it.
  std::size_t pending_jobs_ = 0;

 protected:
  ReadyQueue ready_;
  TimerHeap timers_;
  CloseHook close_hooks_;  ///< sentinel of the list of close hooks
  double vtime_ = 0.0;
  bool virtual_time_ = false;
  bool debug_ = false;
  bool closed_ = false;
};

}  // namespace detail
}  // namespace asyncio
