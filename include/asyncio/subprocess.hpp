#pragma once
/// \file subprocess.hpp
/// Subprocesses: `create_subprocess_exec`, `create_subprocess_shell` and `Process` —
/// CPython's `asyncio.subprocess` over pipe transports. See docs/subprocess.md.
///
/// A child is started with `posix_spawn` (nothing runs between fork and exec but the C
/// library's own vfork-safe code); every descriptor the library makes is O_CLOEXEC and the
/// child closes everything above 2 except what it was given, so nothing leaks into it. Its
/// exit is watched with a pidfd (`pidfd_open`) on the loop's epoll — no SIGCHLD handler, no
/// helper thread. Its pipes are stream connections on pipe transports (CPython
/// `_UnixReadPipeTransport` / `_UnixWritePipeTransport`): `Process::stdin_` is a
/// `StreamWriter`, `stdout_` / `stderr_` are `StreamReader`s. The machinery is in
/// src/subprocess.cpp.

#include <sys/types.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/streams.hpp"

namespace asyncio {

namespace subprocess {
/// `stdin_=` / `stdout_=` / `stderr_=`: a new pipe (the Process gets its stream end).
/// **Python:** `asyncio.subprocess.PIPE` (-1).
inline constexpr int PIPE = -1;
/// `stderr_=`: the child's stderr goes where its stdout goes. **Python:**
/// `asyncio.subprocess.STDOUT` (-2).
inline constexpr int STDOUT = -2;
/// The child's descriptor is /dev/null. **Python:** `asyncio.subprocess.DEVNULL` (-3).
inline constexpr int DEVNULL = -3;
}  // namespace subprocess

/// The keyword arguments of `create_subprocess_exec` / `create_subprocess_shell`
/// (designated initializers: `{.stdout_ = subprocess::PIPE, .cwd = "/tmp"}`).
/// `stdin_`, `stdout_`, `stderr_`: nullopt (Python's None) inherits the parent's
/// descriptor; `subprocess::PIPE`, `DEVNULL`, `STDOUT` (stderr_ only), or a descriptor
/// number >= 0 of the caller's (dup'ed into the child, left open in the parent). The
/// trailing underscore: `stdin`, `stdout` and `stderr` are C macros.
/// **Python:** `stdin=`, `stdout=`, `stderr=`, `limit=`, `cwd=`, `env=`,
/// `start_new_session=`, `process_group=` (the subprocess.Popen arguments asyncio passes on).
struct SubprocessOptions {
  std::optional<int> stdin_ = std::nullopt;       ///< `stdin=`
  std::optional<int> stdout_ = std::nullopt;      ///< `stdout=`
  std::optional<int> stderr_ = std::nullopt;      ///< `stderr=`
  std::size_t limit = stream_default_limit;       ///< `limit=`: of the StreamReaders
  std::optional<std::string> cwd = std::nullopt;  ///< `cwd=`: the child's directory
  /// `env=`: the child's whole environment (nullopt: the parent's).
  std::optional<std::map<std::string, std::string>> env = std::nullopt;
  bool start_new_session = false;                     ///< `start_new_session=`: setsid()
  std::optional<pid_t> process_group = std::nullopt;  ///< `process_group=`: setpgid(0, pg)
};

namespace detail {
struct ProcState;  // src/subprocess.cpp
void proc_add_ref(ProcState* s);
void proc_release(ProcState* s);
}  // namespace detail

/// A child process started by `create_subprocess_exec` / `_shell`. Copies share it.
/// Dropping every handle neither kills nor waits for the child: the loop keeps watching
/// it and reaps it when it exits (its pipes close with the last handle on them, as any
/// dropped stream). When the loop closes with the child still running, the
/// child is killed (SIGKILL) and reaped — no zombie is left (CPython kills it when the
/// transport is garbage collected).
/// **Python:** `asyncio.subprocess.Process`.
class Process {
 public:
  Process() = default;
  Process(const Process& o) : stdin_(o.stdin_), stdout_(o.stdout_), stderr_(o.stderr_), s_(o.s_) {
    if (s_) detail::proc_add_ref(s_);
  }
  Process(Process&& o) noexcept
      : stdin_(std::move(o.stdin_)),
        stdout_(std::move(o.stdout_)),
        stderr_(std::move(o.stderr_)),
        s_(std::exchange(o.s_, nullptr)) {}
  Process& operator=(Process o) noexcept {
    std::swap(stdin_, o.stdin_);
    std::swap(stdout_, o.stdout_);
    std::swap(stderr_, o.stderr_);
    std::swap(s_, o.s_);
    return *this;
  }
  ~Process() {
    if (s_) detail::proc_release(s_);
  }

  /// The child's standard input when `stdin_=PIPE`, else an empty handle (Python's None).
  /// **Python:** `process.stdin`.
  StreamWriter stdin_;
  /// The child's standard output when `stdout_=PIPE`, else empty. **Python:** `process.stdout`.
  StreamReader stdout_;
  /// The child's standard error when `stderr_=PIPE`, else empty. **Python:** `process.stderr`.
  StreamReader stderr_;

  /// The process id. **Python:** `process.pid`.
  pid_t pid() const;
  /// The exit status once the child has exited: its exit code, or `-N` when signal N
  /// killed it; nullopt (Python's None) while it runs. **Python:** `process.returncode`.
  std::optional<int> returncode() const;
  /// Waits for the child to exit and its pipes to close; returns `returncode`. Returns at
  /// once if the child has already exited. With `stdout_=PIPE` the pipe must be read, or a
  /// child writing more than the pipe and the reader hold blocks forever (use communicate).
  /// **Cancellation:** the child is left running. **Python:** `await process.wait()`.
  Coro<int> wait();
  /// Writes `input` to stdin (if given) and closes it, reads stdout and stderr to EOF —
  /// all at once, so that no direction can block the other — then waits for the child.
  /// Returns {stdout, stderr}, each nullopt unless that stream is a PIPE. A child that stops
  /// reading its stdin (BrokenPipeError, ConnectionResetError) is not an error.
  /// **Cancellation:** the child is left running. **Python:** `stdout_data, stderr_data =
  /// await process.communicate(input=None)`.
  Coro<std::pair<std::optional<std::string>, std::optional<std::string>>> communicate(
      std::optional<std::string> input = std::nullopt);
  /// Sends signal `sig`; a no-op once the child has exited but is not waited for yet.
  /// **Exceptions:** ProcessLookupError once the process is finished (exited, pipes
  /// closed); OSError. **Python:** `process.send_signal(signal)`.
  void send_signal(int sig);
  /// `send_signal(SIGTERM)`. **Python:** `process.terminate()`.
  void terminate();
  /// `send_signal(SIGKILL)`. **Python:** `process.kill()`.
  void kill();
  /// "<Process 1234>". **Python:** `repr(process)`.
  std::string repr() const;
  /// False for a default-constructed (empty) handle. **Python:** none (C++ handles only).
  bool valid() const noexcept { return s_ != nullptr; }

  /// Library internals (src/subprocess.cpp): adopts a reference.
  static Process adopt(detail::ProcState* s) {
    Process p;
    p.s_ = s;
    return p;
  }

 private:
  detail::ProcState& st() const;  // throws InvalidStateError when empty
  detail::ProcState* s_ = nullptr;
};

/// Starts `program` with arguments `args` (argv[0] is `program`; a name without '/' is
/// searched in PATH). **Exceptions:** FileNotFoundError("[Errno 2] No such file or
/// directory: 'prog'") (also for a missing `cwd`, naming it), PermissionError,
/// std::invalid_argument("embedded null byte") (Python's ValueError), OSError.
/// **Python:** `await asyncio.create_subprocess_exec(program, *args, stdin=, stdout=,
/// stderr=, limit=, cwd=, env=, ...)`.
Coro<Process> create_subprocess_exec(std::string program, std::vector<std::string> args,
                                     SubprocessOptions opts = {});

namespace detail {
template <class A>
inline constexpr bool exec_arg_v = std::is_convertible_v<A, std::string_view> ||
                                   std::is_same_v<std::remove_cvref_t<A>, SubprocessOptions>;
inline void exec_arg(std::vector<std::string>& args, SubprocessOptions&, std::string_view a) {
  args.emplace_back(a);
}
inline void exec_arg(std::vector<std::string>&, SubprocessOptions& opts, SubprocessOptions o) {
  opts = std::move(o);
}
}  // namespace detail

/// Python's spelling, `*args` then the keywords: `create_subprocess_exec("sh", "-c", "ls",
/// SubprocessOptions{.stdout_ = subprocess::PIPE})` — each argument a string, the options
/// (if any) last. Taken by reference: no std::string temporary is made in the caller's
/// `co_await` expression (g++ 12 destroys those twice when the awaited coroutine throws,
/// README "Pitfalls"; name the options first for the same reason), and no braced list of
/// strings, which g++ 12 refuses inside `co_await` ("array used as initializer").
/// **Python:** `await asyncio.create_subprocess_exec(program, *args, **kwds)`.
template <class P, class... A>
requires(std::is_convertible_v<P, std::string_view> &&
         (detail::exec_arg_v<A> && ...)) Coro<Process> create_subprocess_exec(P&& program,
                                                                              A&&... a) {
  std::vector<std::string> args;
  SubprocessOptions opts;
  (detail::exec_arg(args, opts, std::forward<A>(a)), ...);
  return create_subprocess_exec(std::string(std::string_view(program)), std::move(args),
                                std::move(opts));
}

/// Starts `/bin/sh -c cmd` (by reference, as create_subprocess_exec). **Exceptions:** as
/// create_subprocess_exec. **Python:** `await asyncio.create_subprocess_shell(cmd, ...)`.
template <class C>
requires std::is_convertible_v<C, std::string_view> Coro<Process> create_subprocess_shell(
    const C& cmd, const SubprocessOptions& opts = {}) {
  return create_subprocess_exec("/bin/sh", {"-c", std::string(std::string_view(cmd))}, opts);
}

}  // namespace asyncio
