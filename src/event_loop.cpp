// EventLoop: iteration, poller, lifecycle, exception handler; the functions that find a
// loop. See event_loop.hpp. (Tasks: src/task.cpp; futures: src/future.cpp; the runner:
// src/runners.cpp; exceptions: src/exceptions.cpp.)

#include "asyncio/event_loop.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <system_error>

namespace asyncio {

namespace {
thread_local EventLoop* tl_running_loop = nullptr;
thread_local EventLoop* tl_current_loop = nullptr;
thread_local std::unique_ptr<EventLoop> tl_default_loop;

// Live loops, so a future outliving its loop never logs through a dead one. Never
// destroyed: a namespace-scope EventLoop in another file (a ported module-level
// `loop = asyncio.new_event_loop()`) may be destroyed after this file's statics.
// (A function-local static: such a loop may also be constructed before this file's
// statics are initialised.)
std::mutex g_loops_mutex;
std::vector<const detail::LoopCore*>& live_loops() {
  static auto* loops = new std::vector<const detail::LoopCore*>;
  return *loops;
}

constexpr double kClockResolution = 1e-9;        // time.get_clock_info('monotonic').resolution
constexpr double kMaximumSelectTimeout = 86400;  // base_events.MAXIMUM_SELECT_TIMEOUT
constexpr std::size_t kMinScheduledTimerHandles = 100;

}  // namespace

namespace detail {

bool loop_alive(const LoopCore* loop) {
  if (!loop) return false;
  std::lock_guard<std::mutex> lock(g_loops_mutex);
  auto& loops = live_loops();
  return std::find(loops.begin(), loops.end(), loop) != loops.end();
}

bool env_debug() {
  const char* v = std::getenv("ASYNCIO_DEBUG");
  return v && *v && std::strcmp(v, "0") != 0;
}

EventLoop* get_running_loop_or_null() { return tl_running_loop; }
EventLoop* get_event_loop_or_null() { return tl_running_loop ? tl_running_loop : tl_current_loop; }

EventLoop& loop_of(LoopCore* core) { return LoopAccess::loop(*core); }

void report_callback_exception(LoopCore* loop, std::exception_ptr e, const char* what) {
  loop->call_exception_handler({std::string("Exception in callback ") + what, std::move(e), {}});
}

LoopCore& running_loop_core() { return core_of(get_running_loop()); }

void LoopCore::call_exception_handler(const ExceptionContext& ctx) {
  auto* self = static_cast<EventLoop*>(this);
  if (!self->handler_) {
    self->default_exception_handler(ctx);
    return;
  }
  try {
    self->handler_(*self, ctx);
  } catch (...) {
    self->default_exception_handler(
        {"Unhandled error in exception handler", std::current_exception(), {}});
    self->default_exception_handler(ctx);
  }
}

bool LoopCore::running_here() const { return tl_running_loop == this; }

void LoopCore::check_closed() const {
  if (closed_) throw RuntimeError("Event loop is closed");
}

void HandleState::run_item(void* ctx, void*, Op op) {
  auto* s = static_cast<HandleState*>(ctx);
  if (op == Op::run && !s->cancelled.load(std::memory_order_relaxed)) {
    try {
      s->invoke(s);
    } catch (...) {
      s->loop->call_exception_handler({"Exception in callback", std::current_exception(), {}});
    }
  }
  s->release();
}

void run_until_complete_cb(void* loop, void* fut, Op op) {
  CallbackRef ref(fut, op);
  if (op == Op::run) static_cast<EventLoop*>(loop)->stop();
}

}  // namespace detail

// ---------------------------------------------------------------------------------------

EventLoop::EventLoop() : EventLoop(Options{}) {}

EventLoop::EventLoop(Options opts) {
  debug_ = opts.debug || detail::env_debug();
  virtual_time_ = opts.virtual_time;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) throw std::system_error(errno, std::generic_category(), "epoll_create1");
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) {
    ::close(epoll_fd_);
    throw std::system_error(errno, std::generic_category(), "eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = event_fd_;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, event_fd_, &ev);
  std::lock_guard<std::mutex> lock(g_loops_mutex);
  live_loops().push_back(this);
}

EventLoop::~EventLoop() {
  if (!running_) close();
  {
    std::lock_guard<std::mutex> lock(g_loops_mutex);
    auto& loops = live_loops();
    const detail::LoopCore* self = this;
    loops.erase(std::remove(loops.begin(), loops.end(), self), loops.end());
  }
  if (tl_current_loop == this) tl_current_loop = nullptr;
}

void EventLoop::check_running() const {
  if (running_) throw RuntimeError("This event loop is already running");
  if (tl_running_loop)
    throw RuntimeError("Cannot run the event loop while another loop is running");
}

void EventLoop::run_forever() {
  check_closed();
  check_running();
  running_ = true;
  tl_running_loop = this;
  struct Reset {
    EventLoop* l;
    ~Reset() {
      l->stopping_ = false;
      l->running_ = false;
      tl_running_loop = nullptr;
    }
  } reset{this};
  for (;;) {
    run_once();
    if (stopping_) break;
  }
}

void EventLoop::run_once() {
  // 1. Drop cancelled timers (CPython: rebuild when > 100 scheduled and > 50% cancelled).
  const std::size_t sched = timers_.size();
  if (sched > kMinScheduledTimerHandles && timers_.cancelled() * 2 > sched) {
    timers_.rebuild();
  } else {
    while (!timers_.empty() && !timers_.top().node) timers_.pop();
  }

  // 2. Poll timeout: 0 if anything is ready or a stop is pending, else the next timer.
  double timeout = -1;  // block
  if (!ready_.empty() || stopping_) {
    timeout = 0;
  } else if (!timers_.empty()) {
    timeout = std::min(std::max(0.0, timers_.top().when - time()), kMaximumSelectTimeout);
  }

  // 3. Poll. The virtual clock jumps by the timeout instead of sleeping (as vtloop.py).
  int wait_ms = 0;
  if (timeout < 0) {
    wait_ms = -1;
  } else if (timeout > 0) {
    if (!virtual_time_)
      wait_ms = static_cast<int>(std::ceil(timeout * 1e3));
    else if (pending_jobs_ == 0)
      vtime_ += timeout;
    else
      wait_ms = -1;  // a worker thread will post (threads.hpp): wait for it, not the timer
  }
  const bool ts = ts_pending_.load(std::memory_order_acquire);
  if (wait_ms != 0 || io_count_ > 0 || ts) {
    epoll_event events[128];
    int n = epoll_wait(epoll_fd_, events, 128, wait_ms);
    if (n > 0) io_dispatch(events, n);
    drain_threadsafe();
  }

  // 4. Due timers go to the end of the ready queue, in heap order. (No timer: no clock
  // read — clock_gettime was a third of a loop iteration in the W6 hand-off benchmark.)
  const double end_time = timers_.empty() ? 0.0 : time() + kClockResolution;
  while (!timers_.empty()) {
    const auto& top = timers_.top();
    if (top.when >= end_time) break;
    detail::TimerNode* node = top.node;
    timers_.pop();
    if (node) {
      node->index = detail::TimerNode::in_ready;
      push_ready(&fire_timer_item, node, nullptr);
    }
  }

  // 5. Run exactly what is ready now. This is the only place where callbacks run;
  // whatever they schedule waits for the next iteration.
  std::size_t ntodo = ready_.size();
  while (ntodo--) {
    detail::ReadyItem item = ready_.pop();
    item.fn(item.ctx, item.arg, detail::Op::run);
  }
}

// --- I/O registrations -------------------------------------------------------------------

void EventLoop::io_check_fd(int fd) {
  if (fd < 0) throw std::invalid_argument("Invalid file descriptor: " + std::to_string(fd));
}

// Epoll events to ready callbacks, as CPython's EpollSelector.select + _process_events:
// anything but EPOLLOUT makes the reader ready, anything but EPOLLIN the writer.
void EventLoop::io_dispatch(const void* evs, int n) {
  const auto* events = static_cast<const epoll_event*>(evs);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    const std::uint32_t ev = events[i].events;
    if (fd == event_fd_) {
      std::uint64_t v;
      while (::read(event_fd_, &v, sizeof v) > 0) {
      }
      continue;
    }
    if (static_cast<std::size_t>(fd) >= io_slots_.size()) continue;
    detail::IoSlot& slot = io_slots_[fd];
    if ((ev & ~static_cast<std::uint32_t>(EPOLLOUT)) && slot.reader && !slot.reader->queued) {
      slot.reader->queued = true;
      push_ready(&detail::IoWatcher::item, slot.reader, nullptr);
    }
    if ((ev & ~static_cast<std::uint32_t>(EPOLLIN)) && slot.writer && !slot.writer->queued) {
      slot.writer->queued = true;
      push_ready(&detail::IoWatcher::item, slot.writer, nullptr);
    }
  }
}

// Brings epoll's mask for `fd` in line with its watchers; keeps io_count_ (the number of
// registered descriptors) exact, so a loop without descriptors never polls needlessly.
void EventLoop::io_update(int fd, detail::IoSlot& slot) {
  std::uint32_t mask = (slot.reader ? EPOLLIN : 0u) | (slot.writer ? EPOLLOUT : 0u);
  if (mask == slot.mask || epoll_fd_ < 0) {
    slot.mask = mask;
    return;
  }
  epoll_event ev{};
  ev.events = mask;
  ev.data.fd = fd;
  int rc;
  if (slot.mask == 0) {
    rc = epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    if (rc == 0) ++io_count_;
  } else if (mask == 0) {
    rc = epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, &ev);
    --io_count_;
    rc = 0;  // the descriptor may already be closed: it is gone from epoll either way
  } else {
    rc = epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  }
  if (rc != 0) throw_os_error(errno);
  slot.mask = mask;
}

void EventLoop::watch_fd(int fd, bool write, detail::IoWatcher* w) {
  if (static_cast<std::size_t>(fd) >= io_slots_.size())
    io_slots_.resize(std::max<std::size_t>(fd + 1, io_slots_.size() * 2));
  detail::IoSlot& slot = io_slots_[fd];
  detail::IoWatcher*& ref = write ? slot.writer : slot.reader;
  detail::IoWatcher* old = ref;
  ref = w;
  try {
    io_update(fd, slot);
  } catch (...) {
    ref = old;
    if (w->release) w->release(w);
    throw;
  }
  if (old && old != w) {
    if (old->queued) {
      ready_.neutralize(&detail::IoWatcher::item, old);
      old->queued = false;
    }
    if (old->release) old->release(old);
  }
}

bool EventLoop::unwatch_fd(int fd, bool write) {
  if (fd < 0 || static_cast<std::size_t>(fd) >= io_slots_.size()) return false;
  detail::IoSlot& slot = io_slots_[fd];
  detail::IoWatcher*& ref = write ? slot.writer : slot.reader;
  detail::IoWatcher* old = ref;
  if (!old) return false;
  ref = nullptr;
  io_update(fd, slot);
  if (old->queued) {
    ready_.neutralize(&detail::IoWatcher::item, old);
    old->queued = false;
  }
  if (old->release) old->release(old);
  return true;
}

void EventLoop::enqueue_threadsafe(detail::HandleState* s) {
  if (tl_running_loop == this) {
    // On the loop's own thread: exactly call_soon.
    try {
      check_closed();
    } catch (...) {
      s->release();
      s->release();
      throw;
    }
    push_ready(&detail::HandleState::run_item, s, nullptr);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    if (closed_) {
      s->release();
      s->release();
      throw RuntimeError("Event loop is closed");
    }
    ts_queue_.push_back(s);
    ts_pending_.store(true, std::memory_order_release);
  }
  std::uint64_t one = 1;
  ssize_t r = ::write(event_fd_, &one, sizeof one);
  (void)r;
}

void EventLoop::drain_threadsafe() {
  if (!ts_pending_.load(std::memory_order_acquire)) return;
  std::vector<detail::HandleState*> items;
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    items.swap(ts_queue_);
    ts_pending_.store(false, std::memory_order_relaxed);
  }
  for (auto* s : items) push_ready(&detail::HandleState::run_item, s, nullptr);
  // The runner's SIGINT handler wakes the loop like call_soon_threadsafe (src/signals.cpp).
  if (detail::sigint_pending.load(std::memory_order_relaxed)) detail::sigint_dispatch(*this);
}

void EventLoop::close() {
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (closed_) return;
  if (signals_) detail::signals_close(*this);  // CPython: remove_signal_handler of each
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    closed_ = true;
  }
  while (!ready_.empty()) {
    detail::ReadyItem item = ready_.pop();
    item.fn(item.ctx, item.arg, detail::Op::discard);
  }
  timers_.clear([](detail::TimerNode* n) { n->fire(n, nullptr, detail::Op::discard); });
  // Registrations made with add_reader/add_writer die with the loop; the library's own
  // watchers (sockets, streams) are unregistered by their owners (close hooks, awaiters).
  for (std::size_t fd = 0; fd < io_slots_.size(); ++fd) {
    detail::IoSlot& slot = io_slots_[fd];
    for (detail::IoWatcher** w : {&slot.reader, &slot.writer}) {
      if (*w && (*w)->release) unwatch_fd(static_cast<int>(fd), w == &slot.writer);
    }
  }
  std::vector<detail::HandleState*> items;
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    items.swap(ts_queue_);
    ts_pending_.store(false);
  }
  for (auto* s : items) s->release();
  // Detach gathers from children that can never finish now (breaks reference cycles).
  while (detail::CloseHook* h = close_hooks_.pop_front()) h->fn(h);
  // Release the loop's references to unfinished tasks, oldest first. Frames nobody else
  // holds are destroyed now (their destructors run; debug logs "destroyed but pending").
  std::vector<detail::TaskState*> pending;
  for (detail::TaskState& t : tasks_) pending.push_back(&t);
  // Their done callbacks can never run now: drop them, newest task first, releasing what
  // they hold (this breaks reference cycles such as shield's inner <-> outer).
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) {
    detail::TaskState* t = *it;
    for (std::uint32_t i = 0; i < t->callbacks_.size(); ++i)
      t->callbacks_[i].fn(t->callbacks_[i].ctx, t, detail::Op::forget);
    t->callbacks_.clear();
  }
  tasks_.clear();
  for (detail::TaskState* t : pending) t->release();
  if (event_fd_ >= 0) ::close(event_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  event_fd_ = epoll_fd_ = -1;
  io_count_ = 0;
}

void EventLoop::default_exception_handler(const ExceptionContext& ctx) {
  std::string out = ctx.message;
  if (!ctx.future.empty()) out += "\nfuture: " + ctx.future;
  if (ctx.exception) out += "\nexception: " + detail::describe_exception(ctx.exception);
  std::cerr << out << std::endl;
}

void Handle::cancel() const {
  if (!s_ || s_->cancelled.exchange(true)) return;
  if (s_->is_timer && s_->index < detail::TimerNode::in_ready) {
    s_->loop->cancel_timer(s_);
    s_->release();  // the heap's reference
  }
}

// ---------------------------------------------------------------------------------------

EventLoop& get_running_loop() {
  if (!tl_running_loop) throw RuntimeError("no running event loop");
  return *tl_running_loop;
}

EventLoop& get_event_loop() {
  if (tl_running_loop) return *tl_running_loop;
  if (!tl_current_loop) {
    tl_default_loop = new_event_loop();
    tl_current_loop = tl_default_loop.get();
  }
  return *tl_current_loop;
}

std::unique_ptr<EventLoop> new_event_loop() { return std::make_unique<EventLoop>(); }

void set_event_loop(EventLoop* loop) { tl_current_loop = loop; }

}  // namespace asyncio
