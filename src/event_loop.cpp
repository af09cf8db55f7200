// EventLoop: iteration, poller, lifecycle, diagnostics. See event_loop.hpp.

#include "asyncio/event_loop.hpp"

#include <cxxabi.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <system_error>
#include <typeinfo>

#include "asyncio/gather.hpp"
#include "asyncio/wait.hpp"

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

bool loop_alive(const detail::LoopCore* loop) {
  if (!loop) return false;
  std::lock_guard<std::mutex> lock(g_loops_mutex);
  auto& loops = live_loops();
  return std::find(loops.begin(), loops.end(), loop) != loops.end();
}

bool env_debug() {
  const char* v = std::getenv("ASYNCIO_DEBUG");
  return v && *v && std::strcmp(v, "0") != 0;
}

constexpr double kClockResolution = 1e-9;        // time.get_clock_info('monotonic').resolution
constexpr double kMaximumSelectTimeout = 86400;  // base_events.MAXIMUM_SELECT_TIMEOUT
constexpr std::size_t kMinScheduledTimerHandles = 100;

std::string demangle(const char* name) {
  int status = 0;
  char* s = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && s ? s : name;
  std::free(s);
  return out;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }
}  // namespace

std::exception_ptr make_os_error(int err, const std::string& msg) {
  const std::string text = msg.empty() ? std::string(std::strerror(err)) : msg;
  switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case EINPROGRESS:
    case EALREADY:
      return std::make_exception_ptr(BlockingIOError(err, text));
    case EPIPE:
    case ESHUTDOWN:
      return std::make_exception_ptr(BrokenPipeError(err, text));
    case ECONNABORTED:
      return std::make_exception_ptr(ConnectionAbortedError(err, text));
    case ECONNREFUSED:
      return std::make_exception_ptr(ConnectionRefusedError(err, text));
    case ECONNRESET:
      return std::make_exception_ptr(ConnectionResetError(err, text));
    case ETIMEDOUT:
      return std::make_exception_ptr(TimeoutError(err, text));
    default:
      return std::make_exception_ptr(OSError(err, text));
  }
}

void throw_os_error(int err, const std::string& msg) {
  std::rethrow_exception(make_os_error(err, msg));
}

namespace detail {

std::string describe_exception(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const CancelledError& c) {
    return c.message().empty() ? "CancelledError()" : "CancelledError(" + quote(c.message()) + ")";
  } catch (const InvalidStateError& x) {
    return "InvalidStateError(" + quote(x.what()) + ")";
  } catch (const asyncio::TimeoutError& x) {
    return std::string("TimeoutError(") + (*x.what() ? quote(x.what()) : "") + ")";
  } catch (const OSError& x) {
    std::string name = demangle(typeid(x).name());
    if (name.rfind("asyncio::", 0) == 0) name = name.substr(9);
    if (x.errnum() != 0)
      return name + "(" + std::to_string(x.errnum()) + ", " + quote(x.strerror()) + ")";
    return name + "(" + quote(x.what()) + ")";
  } catch (const asyncio::RuntimeError& x) {
    return "RuntimeError(" + quote(x.what()) + ")";
  } catch (const std::invalid_argument& x) {
    return "ValueError(" + quote(x.what()) + ")";
  } catch (const std::exception& x) {
    return demangle(typeid(x).name()) + "(" + quote(x.what()) + ")";
  } catch (...) {
    return "unknown exception";
  }
}

std::string task_repr(PromiseBase* t) {
  std::string state = t->state_ == FutureState::pending     ? "pending"
                      : t->state_ == FutureState::cancelled ? "cancelled"
                                                            : "finished";
  std::string out =
      "<Task " + state + " name=" + quote(t->task_name()) + " coro=<" + t->coro_name_ + "()>";
  if (t->state_ == FutureState::finished && t->exc_)
    out += " exception=" + describe_exception(t->exc_);
  return out + ">";
}

std::string future_repr(FutureBase* f) {
  if (f->is_task()) return task_repr(static_cast<PromiseBase*>(f));
  std::string state = f->state_ == FutureState::pending     ? "pending"
                      : f->state_ == FutureState::cancelled ? "cancelled"
                                                            : "finished";
  std::string out = "<Future " + state;
  if (f->state_ == FutureState::finished && f->exc_)
    out += " exception=" + describe_exception(f->exc_);
  return out + ">";
}

void log_never_awaited(PromiseBase* p) {
  EventLoop* loop = tl_running_loop ? tl_running_loop : tl_current_loop;
  bool debug = loop ? loop->get_debug() : env_debug();
  if (!debug) return;
  ExceptionContext ctx{
      "RuntimeWarning: coroutine " + quote(p->coro_name_) + " was never awaited", nullptr, {}};
  if (loop && !loop->is_closed()) {
    loop->call_exception_handler(ctx);
  } else {
    std::cerr << ctx.message << "\n";
  }
}

EventLoop& loop_of(LoopCore* core) { return *static_cast<EventLoop*>(core); }

void report_callback_exception(LoopCore* loop, std::exception_ptr e, const char* what) {
  loop->call_exception_handler({std::string("Exception in callback ") + what, std::move(e), {}});
}

void FutureBase::last_release() {
  if (log_traceback_ && exc_ && loop_alive(loop_)) {
    const char* kind = kind_ == FutureKind::task        ? "Task"
                       : kind_ == FutureKind::gathering ? "_GatheringFuture"
                                                        : "Future";
    loop_->call_exception_handler(
        {std::string(kind) + " exception was never retrieved", exc_, future_repr(this)});
  }
  if (kind_ == FutureKind::task && state_ == FutureState::pending) {
    auto* t = static_cast<PromiseBase*>(this);
    if (t->log_destroy_pending_ && loop_alive(loop_) && loop_->get_debug())
      loop_->call_exception_handler(
          {"Task was destroyed but it is pending!", nullptr, task_repr(t)});
  }
  for (std::uint32_t i = 0; i < callbacks_.size(); ++i)
    callbacks_[i].fn(callbacks_[i].ctx, this, Op::forget);
  callbacks_.clear();
  ops_->destroy(this);
}

void task_finish(PromiseBase* t) {
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
  LoopCore* loop = t->loop_;
  if (t->prev_task_)
    t->prev_task_->next_task_ = t->next_task_;
  else if (loop->tasks_head_ == t)
    loop->tasks_head_ = t->next_task_;
  if (t->next_task_) t->next_task_->prev_task_ = t->prev_task_;
  t->prev_task_ = t->next_task_ = nullptr;
  t->release();
}

LoopCore& running_loop_core() { return get_running_loop(); }

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

void HandleState::run_item(void* a, void*, Op op) {
  auto* s = static_cast<HandleState*>(a);
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
  auto* f = static_cast<FutureBase*>(fut);
  if (op == Op::run) static_cast<EventLoop*>(loop)->stop();
  if (op != Op::forget) f->release();
}

void run_check_not_running() {
  if (tl_running_loop)
    throw RuntimeError("asyncio.run() cannot be called from a running event loop");
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
    std::vector<AnyTask> to_cancel;
    for (PromiseBase* t = loop.tasks_head_; t; t = t->next_task_) {
      t->add_ref();
      to_cancel.push_back(AnyTask::adopt_ref(t));
    }
    if (!to_cancel.empty()) {
      std::reverse(to_cancel.begin(), to_cancel.end());
      for (auto& t : to_cancel) t.cancel();
      loop.run_until_complete(gather(return_exceptions, to_cancel));
      for (auto& t : to_cancel) {
        if (t.cancelled()) continue;
        if (auto e = t.exception())
          loop.call_exception_handler({"unhandled exception during asyncio.run() shutdown", e,
                                       task_repr(static_cast<PromiseBase*>(t.state_ptr()))});
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

}  // namespace detail

// ---------------------------------------------------------------------------------------

EventLoop::EventLoop() : EventLoop(Options{}) {}

EventLoop::EventLoop(Options opts) {
  debug_ = opts.debug || env_debug();
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
    loops.erase(std::remove(loops.begin(), loops.end(), this), loops.end());
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
    item.fn(item.a, item.b, detail::Op::run);
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
}

void EventLoop::close() {
  if (running_) throw RuntimeError("Cannot close a running event loop");
  if (closed_) return;
  {
    std::lock_guard<std::mutex> lock(ts_mutex_);
    closed_ = true;
  }
  while (!ready_.empty()) {
    detail::ReadyItem item = ready_.pop();
    item.fn(item.a, item.b, detail::Op::discard);
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
  while (detail::CloseHook* h = close_hooks_.next) {
    unlink_close_hook(h);
    h->fn(h);
  }
  // Release the loop's references to unfinished tasks, oldest first. Frames nobody else
  // holds are destroyed now (their destructors run; debug logs "destroyed but pending").
  std::vector<detail::PromiseBase*> pending;
  for (detail::PromiseBase* t = tasks_head_; t; t = t->next_task_) pending.push_back(t);
  // Their done callbacks can never run now: drop them, releasing what they hold (this
  // breaks reference cycles such as shield's inner <-> outer).
  for (auto* t : pending) {
    for (std::uint32_t i = 0; i < t->callbacks_.size(); ++i)
      t->callbacks_[i].fn(t->callbacks_[i].ctx, t, detail::Op::forget);
    t->callbacks_.clear();
  }
  tasks_head_ = nullptr;
  for (auto* t : pending) t->prev_task_ = t->next_task_ = nullptr;
  for (auto it = pending.rbegin(); it != pending.rend(); ++it) (*it)->release();
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
  if (!tl_current_loop || tl_current_loop->is_closed()) {
    if (!tl_current_loop) {
      tl_default_loop = new_event_loop();
      tl_current_loop = tl_default_loop.get();
    }
  }
  return *tl_current_loop;
}

std::unique_ptr<EventLoop> new_event_loop() { return std::make_unique<EventLoop>(); }

void set_event_loop(EventLoop* loop) { tl_current_loop = loop; }

AnyTask current_task() {
  EventLoop& loop = get_running_loop();
  if (!loop.current_task_) return AnyTask();
  loop.current_task_->add_ref();
  return AnyTask::adopt_ref(loop.current_task_);
}

std::vector<AnyTask> all_tasks() {
  EventLoop& loop = get_running_loop();
  std::vector<AnyTask> out;
  for (detail::PromiseBase* t = loop.tasks_head_; t; t = t->next_task_) {
    t->add_ref();
    out.push_back(AnyTask::adopt_ref(t));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace asyncio

namespace asyncio::detail {
std::string return_when_repr(ReturnWhen rw) { return std::to_string(static_cast<int>(rw)); }
}  // namespace asyncio::detail
