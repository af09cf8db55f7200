#pragma once
// The part of the event loop that futures and tasks touch on their hot paths: the ready
// queue, the timer heap, the current task. EventLoop (event_loop.hpp) derives from it and
// adds everything else; keeping this part small lets future.hpp and coro.hpp stay
// independent of the loop's full definition.

#include <cstddef>
#include <cstdint>
#include <ctime>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/ready_queue.hpp"
#include "asyncio/detail/timer_heap.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {
class EventLoop;

namespace detail {
class LoopCore;
struct TaskState;        // task_state.hpp
struct LoopTasksTag {};  ///< ListHook tag: the loop's list of unfinished tasks
struct CloseHookTag {};  ///< ListHook tag: the loop's list of close hooks

/// Something to undo when the loop closes (a gather detaching from children that can
/// never finish now, breaking the reference cycle between them). Linked by
/// `link_close_hook`, unlinked by `unlink_close_hook` (or by the loop's close, which calls
/// `fn` after unlinking, most recently linked first).
struct CloseHook : ListHook<CloseHookTag> {
  void (*fn)(CloseHook*) = nullptr;
};

/// True while `loop` exists: a future outliving its loop never logs through a dead one.
/// src/event_loop.cpp (a mutex-guarded registry: off the hot paths).
bool loop_alive(const LoopCore* loop);

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

  /// Appends `fn(ctx, arg)` to the ready queue (CPython: `call_soon`). Cost: one
  /// ring-buffer store.
  void push_ready(CallbackFn fn, void* ctx, void* arg) { ready_.push(ReadyItem{fn, ctx, arg}); }
  /// Room for `n` more ready items (ReadyQueue::reserve).
  void reserve_ready(std::size_t n) { ready_.reserve(n); }
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
  /// Ready-queue item of a due timer (ctx = the node).
  static void fire_timer_item(void* ctx, void*, Op op) {
    auto* node = static_cast<TimerNode*>(ctx);
    node->index = TimerNode::npos;
    node->fire(node, nullptr, op);
  }

  /// Calls the exception handler (CPython: `loop.call_exception_handler`).
  void call_exception_handler(const ExceptionContext& ctx);

  /// Throws RuntimeError("Event loop is closed") when closed (CPython `_check_closed`).
  void check_closed() const;
  /// True while this loop runs on the calling thread.
  bool running_here() const;

  /// Adds `h` to the hooks run by close(); the pair below alone links and unlinks them.
  void link_close_hook(CloseHook* h) { close_hooks_.push_front(h); }
  /// Takes `h` out of its loop's close hooks; a no-op when it is not linked.
  static void unlink_close_hook(CloseHook* h) { h->unlink(); }

  bool eager_tasks_ = false;           ///< the eager task factory is installed (R66)
  std::uint64_t callback_seq_ = 0;     ///< numbers done-callback registrations (wait's observers)
  TaskState* current_task_ = nullptr;  ///< the task whose step is running, else null
  /// Unfinished tasks, oldest first: the loop's strong references (CPython
  /// `_scheduled_tasks`). Linked and unlinked only by link_task / unlink_task
  /// (task_state.hpp), emptied by close().
  IntrusiveList<TaskState, LoopTasksTag> tasks_;
  /// Executor jobs (threads.hpp) whose completion has not reached the loop yet. While it
  /// is non-zero a virtual clock does not jump to the next timer: the loop blocks until a
  /// worker posts its result (call_soon_threadsafe), as real time would let it.
  std::size_t pending_jobs_ = 0;

 protected:
  ReadyQueue ready_;
  TimerHeap timers_;
  IntrusiveList<CloseHook, CloseHookTag> close_hooks_;  ///< most recently linked first
  double vtime_ = 0.0;
  bool virtual_time_ = false;
  bool debug_ = false;
  bool closed_ = false;
};

}  // namespace detail
}  // namespace asyncio
