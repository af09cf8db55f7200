// Signals: CPython `unix_events._UnixSelectorEventLoop.add_signal_handler` /
// `remove_signal_handler` / `_handle_signal`, and the SIGINT handling of `runners.Runner`
// (asyncio::run, Runner). See event_loop.hpp and docs/subprocess.md.
//
// The real handler (signal context) only writes the signal number, one byte, to the
// non-blocking pipe of the loop that installed it (CPython `signal.set_wakeup_fd`, one
// descriptor for the process). The loop watches the pipe's read end; reading it (on the
// loop, never in signal context) queues the Python-level handler with call_soon.

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>

#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/task.hpp"

namespace asyncio {
namespace detail {

/// One loop's signal state: its pipe, and its handlers by signal number.
struct LoopSignals {
  struct Watch : IoWatcher {
    EventLoop* loop = nullptr;
  };
  int rfd = -1, wfd = -1;
  Watch watch;
  std::function<void()> handlers[NSIG];  ///< CPython `_signal_handlers`
  int count = 0;                         ///< handlers set
};

struct LoopSignalsAccess {
  static LoopSignals*& get(EventLoop& l) { return l.signals_; }
  static int event_fd(EventLoop& l) { return l.event_fd_; }
  static std::atomic<bool>* ts_flag(EventLoop& l) { return &l.ts_pending_; }
};

std::atomic<bool> sigint_pending{false};

namespace {

// CPython `signal.set_wakeup_fd`: where the real handler writes (-1: nowhere).
std::atomic<int> g_wakeup_fd{-1};
// The SigintScope installed (one at a time: the main thread's). Its handler counts in
// g_interrupts (CPython Runner `_interrupt_count`) and wakes its loop through the loop's
// eventfd and call_soon_threadsafe flag, so that an asyncio::run that never adds a signal
// handler registers nothing more with epoll.
std::atomic<int> g_interrupts{0};
std::atomic<int> g_sigint_wake_fd{-1};
std::atomic<std::atomic<bool>*> g_sigint_ts{nullptr};
EventLoop* g_scope_loop = nullptr;  // loop thread only
AnyTask* g_scope_main = nullptr;    // loop thread only

void write_signum(int sig) {
  int fd = g_wakeup_fd.load(std::memory_order_relaxed);
  if (fd < 0) return;
  unsigned char b = static_cast<unsigned char>(sig);
  ssize_t r = ::write(fd, &b, 1);  // a full pipe drops the byte (as CPython's wakeup fd)
  (void)r;
}

// The real handler of a signal set with add_signal_handler (CPython `_sighandler_noop`
// plus the C-level wakeup-fd write).
extern "C" void on_signal(int sig) {
  int saved = errno;
  write_signum(sig);
  errno = saved;
}

// The Runner's SIGINT handler (CPython `Runner._on_sigint`, up to what signal context
// allows): counts, restores the default action after the second, wakes the loop.
extern "C" void on_sigint(int) {
  int saved = errno;
  if (g_interrupts.fetch_add(1, std::memory_order_relaxed) + 1 >= 2) {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &sa, nullptr);
  }
  sigint_pending.store(true, std::memory_order_relaxed);
  if (std::atomic<bool>* ts = g_sigint_ts.load(std::memory_order_relaxed))
    ts->store(true, std::memory_order_release);
  int fd = g_sigint_wake_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    std::uint64_t one = 1;
    ssize_t r = ::write(fd, &one, sizeof one);  // eventfd: wakes epoll_wait
    (void)r;
  }
  errno = saved;
}

bool on_main_thread() { return ::syscall(SYS_gettid) == ::getpid(); }

// CPython `_check_signal`: `sig in signal.valid_signals()` (sigfillset's set: glibc leaves
// out 32 and 33, its own).
void check_signal(int sig) {
  sigset_t all;
  sigfillset(&all);
  if (sig < 1 || sig >= NSIG || sigismember(&all, sig) != 1)
    throw std::invalid_argument("invalid signal number " + std::to_string(sig));
}

bool handler_is(int sig, void (*h)(int)) {
  struct sigaction cur;
  return ::sigaction(sig, nullptr, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) &&
         cur.sa_handler == h;
}

// The pipe is readable: CPython `_process_self_data` → `_handle_signal(sig)`.
void pipe_ready(IoWatcher* w) {
  EventLoop& loop = *static_cast<LoopSignals::Watch*>(w)->loop;
  LoopSignals* s = LoopSignalsAccess::get(loop);
  unsigned char buf[256];
  for (;;) {
    ssize_t n = ::read(s->rfd, buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      int sig = buf[i];
      if (sig <= 0 || sig >= NSIG) continue;
      if (s->handlers[sig])
        loop.call_soon(s->handlers[sig]);  // a copy: replacing the handler later is fine
    }
  }
}

LoopSignals& ensure(EventLoop& loop) {
  LoopSignals*& s = LoopSignalsAccess::get(loop);
  if (s) return *s;
  auto* n = new LoopSignals;
  int p[2];
  if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
    delete n;
    throw_os_error(errno);
  }
  n->rfd = p[0];
  n->wfd = p[1];
  n->watch.loop = &loop;
  n->watch.fn = &pipe_ready;
  try {
    loop.watch_fd(n->rfd, false, &n->watch);
  } catch (...) {
    ::close(p[0]);
    ::close(p[1]);
    delete n;
    throw;
  }
  s = n;
  return *n;
}

// Frees the loop's state once nothing uses it (CPython `set_wakeup_fd(-1)`).
void maybe_free(EventLoop& loop) {
  LoopSignals*& s = LoopSignalsAccess::get(loop);
  if (!s || s->count > 0) return;
  int expected = s->wfd;
  g_wakeup_fd.compare_exchange_strong(expected, -1);
  loop.unwatch_fd(s->rfd, false);
  ::close(s->rfd);
  ::close(s->wfd);
  delete std::exchange(s, nullptr);
}

}  // namespace

void signals_close(EventLoop& loop) {
  LoopSignals* s = LoopSignalsAccess::get(loop);
  if (!s) return;
  // remove_signal_handler frees the state with the last handler: look it up each time.
  for (int sig = 1; sig < NSIG && (s = LoopSignalsAccess::get(loop)); ++sig)
    if (s->handlers[sig]) loop.remove_signal_handler(sig);
  maybe_free(loop);
}

void sigint_dispatch(EventLoop& loop) {
  if (&loop != g_scope_loop || !sigint_pending.exchange(false, std::memory_order_relaxed)) return;
  // CPython `Runner._on_sigint`: the first cancels the main task, later ones raise.
  if (g_interrupts.load(std::memory_order_relaxed) == 1 && g_scope_main->valid() &&
      !g_scope_main->done()) {
    g_scope_main->cancel();
    return;
  }
  throw KeyboardInterrupt();
}

SigintScope::SigintScope(EventLoop& loop, const AnyTask& main) {
  // CPython: only on the main thread, and only while SIGINT has Python's default handler.
  if (!on_main_thread() || !handler_is(SIGINT, SIG_DFL) || g_scope_loop) return;
  g_interrupts.store(0, std::memory_order_relaxed);
  g_scope_loop = &loop;
  g_scope_main = new AnyTask(main);
  sigint_pending.store(false, std::memory_order_relaxed);
  g_sigint_ts.store(LoopSignalsAccess::ts_flag(loop), std::memory_order_relaxed);
  g_sigint_wake_fd.store(LoopSignalsAccess::event_fd(loop), std::memory_order_relaxed);
  struct sigaction sa = {};
  sa.sa_handler = &on_sigint;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  installed = true;
  loop_ = &loop;
}

SigintScope::~SigintScope() {
  if (!installed) return;
  // CPython: back to the default only if the handler is still ours.
  if (handler_is(SIGINT, &on_sigint)) {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    ::sigaction(SIGINT, &sa, nullptr);
  }
  g_sigint_wake_fd.store(-1, std::memory_order_relaxed);
  g_sigint_ts.store(nullptr, std::memory_order_relaxed);
  sigint_pending.store(false, std::memory_order_relaxed);
  delete std::exchange(g_scope_main, nullptr);
  g_scope_loop = nullptr;
}

int SigintScope::interrupts() const {
  return installed ? g_interrupts.load(std::memory_order_relaxed) : 0;
}

}  // namespace detail

void EventLoop::add_signal_handler_impl(int sig, std::function<void()> callback) {
  detail::check_signal(sig);
  check_closed();
  if (!detail::on_main_thread())
    throw RuntimeError("set_wakeup_fd only works in main thread of the main interpreter");
  detail::LoopSignals& s = detail::ensure(*this);
  detail::g_wakeup_fd.store(s.wfd, std::memory_order_relaxed);
  const bool had = static_cast<bool>(s.handlers[sig]);
  s.handlers[sig] = std::move(callback);
  if (!had) s.count++;
  struct sigaction sa = {};
  sa.sa_handler = &detail::on_signal;
  sa.sa_flags = SA_RESTART;  // CPython `signal.siginterrupt(sig, False)`
  sigemptyset(&sa.sa_mask);
  if (::sigaction(sig, &sa, nullptr) != 0) {
    int err = errno;
    s.handlers[sig] = nullptr;
    s.count--;
    detail::maybe_free(*this);
    if (err == EINVAL) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
    throw_os_error(err);
  }
}

bool EventLoop::remove_signal_handler(int sig) {
  detail::check_signal(sig);
  detail::LoopSignals* s = signals_;
  if (!s || !s->handlers[sig]) return false;
  s->handlers[sig] = nullptr;
  s->count--;
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  int rc = ::sigaction(sig, &sa, nullptr);
  int err = errno;
  detail::maybe_free(*this);
  if (rc != 0) {
    if (err == EINVAL) throw RuntimeError("sig " + std::to_string(sig) + " cannot be caught");
    throw_os_error(err);
  }
  return true;
}

}  // namespace asyncio
