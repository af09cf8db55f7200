// Subprocesses: CPython `asyncio.subprocess` (Process, create_subprocess_exec/_shell) with
// `base_subprocess.BaseSubprocessTransport` and `unix_events._UnixSubprocessTransport`
// folded in: spawn with posix_spawn, watch the exit with a pidfd on the loop's epoll, and
// one stream connection (src/streams.cpp) on a pipe transport (src/transport.cpp) per PIPE.
// See subprocess.hpp and docs/subprocess.md.

#include "asyncio/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/stream_conn.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/gather.hpp"

extern char** environ;

namespace asyncio {
namespace detail {

/// One child process (CPython `_UnixSubprocessTransport` + `SubprocessStreamProtocol`).
///
/// Ownership: `refs` counts the Process handles and the state's own reference
/// (`self_ref`), held until the child is finished — reaped and every pipe disconnected,
/// CPython `_call_connection_lost` — or the loop closes. `pipes[i]` holds one reference on
/// the stream connection of descriptor i (0, 1, 2; null when not a PIPE).
///
/// Invariants: `pidfd >= 0` iff the child is not reaped and the loop is open, and then it
/// is registered with `exit_watch`; `returncode` is set exactly when the child is reaped;
/// `finished` implies `returncode` and no pipe open.
struct ProcState {
  struct Watch : IoWatcher {
    ProcState* s = nullptr;
  };
  struct Hook : CloseHook {
    ProcState* s = nullptr;
  };

  EventLoop* loop = nullptr;
  pid_t pid = -1;
  int pidfd = -1;
  std::optional<int> returncode;  ///< CPython `_returncode`
  bool finished = false;          ///< CPython `_finished` (and `_proc is None` after it)
  std::uint32_t refs = 1;
  bool self_ref = true;
  StreamConn* pipes[3] = {nullptr, nullptr, nullptr};
  bool pipe_open[3] = {false, false, false};  ///< CPython `not _pipes[fd].disconnected`
  std::vector<Future<int>> exit_waiters;      ///< CPython `_exit_waiters`
  Watch exit_watch;
  Hook close_hook;

  ~ProcState() {
    LoopCore::unlink_close_hook(&close_hook);
    for (StreamConn*& c : pipes) {
      if (!c) continue;
      c->on_lost = nullptr;
      conn_release(std::exchange(c, nullptr));
    }
    if (pidfd >= 0) ::close(pidfd);
  }
};

void proc_add_ref(ProcState* s) { s->refs++; }
void proc_release(ProcState* s) {
  if (--s->refs == 0) delete s;
}

namespace {

void drop_self_ref(ProcState* s) {
  if (std::exchange(s->self_ref, false)) proc_release(s);
}

// CPython `_call_connection_lost`'s `finally`: wake the waiters of wait(); the process
// is finished (send_signal raises ProcessLookupError from now on).
void finish_item(void* a, void*, Op op) {
  auto* s = static_cast<ProcState*>(a);
  if (op == Op::run) {
    for (Future<int>& w : s->exit_waiters)
      if (!w.done()) w.set_result(*s->returncode);
  }
  s->exit_waiters.clear();
  drop_self_ref(s);
  proc_release(s);  // the queued item's reference
}

// CPython `_try_finish`.
void try_finish(ProcState* s) {
  if (s->finished || !s->returncode) return;
  for (bool open : s->pipe_open)
    if (open) return;
  s->finished = true;
  if (s->loop->is_closed()) {
    drop_self_ref(s);
    return;
  }
  proc_add_ref(s);
  core_of(*s->loop).push_ready(&finish_item, s, nullptr);  // CPython `self._call(...)`
}

int decode_status(int status) {
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 255;
}

void stop_watching(ProcState* s) {
  if (s->pidfd < 0) return;
  s->loop->unwatch_fd(s->pidfd, false);
  ::close(std::exchange(s->pidfd, -1));
}

// The pidfd is readable: the child exited (CPython: the child watcher's callback, then
// `_process_exited`).
void exit_ready(IoWatcher* w) {
  ProcState* s = static_cast<ProcState::Watch*>(w)->s;
  int status = 0;
  pid_t r = ::waitpid(s->pid, &status, WNOHANG);
  if (r == 0) return;  // not yet (spurious wake-up)
  if (r < 0 && errno == EINTR) return;
  // ECHILD: somebody else reaped it (CPython: "Unknown child process pid %d, will report
  // returncode 255").
  s->returncode = r == s->pid ? decode_status(status) : 255;
  stop_watching(s);
  try_finish(s);
}

// The loop closes with the child alive: kill and reap it (no zombie is left).
void on_loop_close(CloseHook* h) {
  ProcState* s = static_cast<ProcState::Hook*>(h)->s;
  if (!s->returncode) {
    ::kill(s->pid, SIGKILL);
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(s->pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    s->returncode = r == s->pid ? decode_status(status) : 255;
  }
  if (s->pidfd >= 0) ::close(std::exchange(s->pidfd, -1));  // the loop is closed: no unwatch
  s->finished = true;
  s->exit_waiters.clear();
  drop_self_ref(s);
}

// CPython `SubprocessStreamProtocol.pipe_connection_lost(fd, exc)` then `_try_finish`.
void pipe_lost(void* ctx, int index) {
  auto* s = static_cast<ProcState*>(ctx);
  s->pipe_open[index] = false;
  try_finish(s);
}

// --- spawning ---------------------------------------------------------------------------------

/// Descriptors made for the spawn, closed at the end of it whatever happens.
struct FdList {
  std::vector<int> fds;
  ~FdList() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  int add(int fd) {
    fds.push_back(fd);
    return fd;
  }
  void forget(int fd) {
    for (int& f : fds)
      if (f == fd) f = -1;
  }
};

/// A CLOEXEC copy of `fd` numbered 3 or more, so that no dup2 in the child overwrites a
/// source another dup2 still needs.
int above_stdio(FdList& fds, int fd) {
  if (fd >= 3) return fd;
  int c = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (c < 0) throw_os_error(errno);
  return fds.add(c);
}

void check_no_nul(const std::string& s) {
  if (s.find('\0') != std::string::npos) throw std::invalid_argument("embedded null byte");
}

struct Spawn {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  Spawn() {
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
  }
  ~Spawn() {
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
  }
  Spawn(const Spawn&) = delete;
  Spawn& operator=(const Spawn&) = delete;
};

void check(int rc) {
  if (rc != 0) throw_os_error(rc);
}

Process spawn_process(EventLoop& loop, std::vector<std::string> argv, const SubprocessOptions& o) {
  for (const std::string& a : argv) check_no_nul(a);
  const std::optional<int>* specs[3] = {&o.stdin_, &o.stdout_, &o.stderr_};
  for (int i = 0; i < 3; ++i) {
    const std::optional<int>& v = *specs[i];
    if (!v) continue;
    if (*v == subprocess::STDOUT && i != 2)
      throw std::invalid_argument("STDOUT can only be used for stderr");
    if (*v < subprocess::DEVNULL) throw_os_error(EBADF);
  }
  if (o.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  if (o.cwd) {
    check_no_nul(*o.cwd);
    struct stat st;
    int err = ::stat(o.cwd->c_str(), &st) != 0 ? errno : (S_ISDIR(st.st_mode) ? 0 : ENOTDIR);
    if (err) throw_os_error(err, std::string(std::strerror(err)) + ": '" + *o.cwd + "'");
  }
  std::vector<std::string> env_strings;
  if (o.env) {
    for (const auto& [k, v] : *o.env) {
      check_no_nul(k);
      check_no_nul(v);
      if (k.empty() || k.find('=') != std::string::npos)
        throw std::invalid_argument("illegal environment variable name");
      env_strings.push_back(k + "=" + v);
    }
  }
  detail::transport_ignore_sigpipe();

  FdList fds;
  int child_fd[3] = {-1, -1, -1};  // what the child gets as 0, 1, 2 (-1: inherited)
  int parent_fd[3] = {-1, -1, -1};
  int devnull = -1;
  for (int i = 0; i < 3; ++i) {
    const std::optional<int>& v = *specs[i];
    if (!v) continue;
    if (*v == subprocess::PIPE) {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) != 0) throw_os_error(errno);
      fds.add(p[0]);
      fds.add(p[1]);
      int mine = i == 0 ? p[1] : p[0], theirs = i == 0 ? p[0] : p[1];
      parent_fd[i] = above_stdio(fds, mine);
      child_fd[i] = above_stdio(fds, theirs);
    } else if (*v == subprocess::DEVNULL) {
      if (devnull < 0) {
        devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
        if (devnull < 0) throw_os_error(errno);
        devnull = above_stdio(fds, fds.add(devnull));
      }
      child_fd[i] = devnull;
    } else if (*v == subprocess::STDOUT) {
      child_fd[i] = -2;  // dup2(1, 2) once fd 1 is in place
    } else if (*v != i) {
      child_fd[i] = above_stdio(fds, *v);
    }
  }

  Spawn sp;
  for (int i = 0; i < 3; ++i) {
    if (child_fd[i] >= 0) check(posix_spawn_file_actions_adddup2(&sp.fa, child_fd[i], i));
    if (child_fd[i] == -2) check(posix_spawn_file_actions_adddup2(&sp.fa, 1, 2));
  }
  check(posix_spawn_file_actions_addclosefrom_np(&sp.fa, 3));  // CPython close_fds=True
  if (o.cwd) check(posix_spawn_file_actions_addchdir_np(&sp.fa, o.cwd->c_str()));
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);  // CPython restore_signals=True
  sigaddset(&defaults, SIGXFSZ);
  check(posix_spawnattr_setsigmask(&sp.attr, &none));
  check(posix_spawnattr_setsigdefault(&sp.attr, &defaults));
  if (o.start_new_session) flags |= POSIX_SPAWN_SETSID;
  if (o.process_group) {
    flags |= POSIX_SPAWN_SETPGROUP;
    check(posix_spawnattr_setpgroup(&sp.attr, *o.process_group));
  }
  check(posix_spawnattr_setflags(&sp.attr, flags));

  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::vector<char*> cenv;
  for (std::string& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);
  char** envp = o.env ? cenv.data() : environ;

  pid_t pid = -1;
  const std::string& program = argv[0];
  int rc = program.find('/') == std::string::npos
               ? posix_spawnp(&pid, program.c_str(), &sp.fa, &sp.attr, cargv.data(), envp)
               : posix_spawn(&pid, program.c_str(), &sp.fa, &sp.attr, cargv.data(), envp);
  if (rc != 0) throw_os_error(rc, std::string(std::strerror(rc)) + ": '" + program + "'");

  auto* s = new ProcState;
  s->loop = &loop;
  s->pid = pid;
  s->exit_watch.s = s;
  s->exit_watch.fn = &exit_ready;
  s->close_hook.s = s;
  s->close_hook.fn = &on_loop_close;
  Process proc = Process::adopt(s);  // the handle's reference; `refs` starts with self_ref
  proc_add_ref(s);
  core_of(loop).link_close_hook(&s->close_hook);  // from now on, closing the loop reaps it
  s->pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));  // O_CLOEXEC always
  if (s->pidfd < 0) {
    int err = errno;
    ::kill(pid, SIGKILL);
    on_loop_close(&s->close_hook);
    throw_os_error(err);
  }
  try {
    loop.watch_fd(s->pidfd, false, &s->exit_watch);
  } catch (...) {
    ::close(std::exchange(s->pidfd, -1));
    ::kill(pid, SIGKILL);
    on_loop_close(&s->close_hook);
    throw;
  }
  for (int i = 0; i < 3; ++i) {
    if (parent_fd[i] < 0) continue;
    fds.forget(parent_fd[i]);  // taken over by the transport (closed by it on failure)
    StreamConn* c = conn_create_pipe(loop, parent_fd[i],
                                     i == 0 ? FdKind::write_pipe : FdKind::read_pipe, o.limit);
    // `c` holds the open transport's reference; the state takes one more.
    conn_add_ref(c);
    s->pipes[i] = c;
    s->pipe_open[i] = true;
    c->on_lost = &pipe_lost;
    c->on_lost_ctx = s;
    c->on_lost_index = i;
    if (i == 0)
      proc.stdin_ = StreamsAccess::writer(c);
    else if (i == 1)
      proc.stdout_ = StreamsAccess::reader(c);
    else
      proc.stderr_ = StreamsAccess::reader(c);
  }
  return proc;
}

// --- Process's coroutines -----------------------------------------------------------------------

Coro<int> wait_impl(Process p, ProcState* s) {  // `p` keeps the state alive
  (void)p;
  if (s->returncode) co_return *s->returncode;  // CPython `_wait`: exited, pipes or not
  Future<int> w = s->loop->create_future<int>();
  s->exit_waiters.push_back(w);
  co_return co_await w;
}

// CPython `Process._feed_stdin`.
Coro<int> feed_stdin(StreamWriter w, std::optional<std::string> input) {
  if (!w.valid()) co_return 0;
  try {
    if (input) {
      w.write(*input);
      co_await w.drain();
    }
  } catch (const BrokenPipeError&) {  // communicate() ignores these two, as CPython
  } catch (const ConnectionResetError&) {
  }
  w.close();
  co_return 0;
}

// CPython `Process._read_stream`.
Coro<std::optional<std::string>> read_stream(StreamReader r) {
  if (!r.valid()) co_return std::nullopt;
  std::string out = co_await r.read();
  transport_close(&StreamsAccess::conn(r)->transport);
  co_return out;
}

Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate_impl(
    Process p, ProcState* s, std::optional<std::string> input) {
  auto [fed, out, err] = co_await gather(feed_stdin(p.stdin_, std::move(input)),
                                         read_stream(p.stdout_), read_stream(p.stderr_));
  (void)fed;
  co_await wait_impl(p, s);
  co_return std::pair<std::optional<std::string>, std::optional<std::string>>(std::move(out),
                                                                              std::move(err));
}

}  // namespace
}  // namespace detail

detail::ProcState& Process::st() const {
  if (!s_) throw InvalidStateError("empty Process handle");
  return *s_;
}
pid_t Process::pid() const { return st().pid; }
std::optional<int> Process::returncode() const { return st().returncode; }
Coro<int> Process::wait() { return detail::wait_impl(*this, &st()); }
Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> Process::communicate(
    std::optional<std::string> input) {
  return detail::communicate_impl(*this, &st(), std::move(input));
}

void Process::send_signal(int sig) {
  detail::ProcState& s = st();
  if (s.finished) throw ProcessLookupError();  // CPython `_check_proc`
  if (s.returncode) return;  // Popen.send_signal: skip a process known to have died
  if (::syscall(SYS_pidfd_send_signal, s.pidfd, sig, nullptr, 0) != 0) throw_os_error(errno);
}
void Process::terminate() { send_signal(SIGTERM); }
void Process::kill() { send_signal(SIGKILL); }
std::string Process::repr() const { return "<Process " + std::to_string(st().pid) + ">"; }

Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     SubprocessOptions opts) {
  EventLoop& loop = get_running_loop();
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(std::move(program));
  for (std::string& a : args) argv.push_back(std::move(a));
  co_return detail::spawn_process(loop, std::move(argv), opts);
}

}  // namespace asyncio
