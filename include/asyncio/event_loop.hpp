#pragma once
/// \file event_loop.hpp
/// `EventLoop`: the scheduler (CPython `BaseEventLoop` + the selector loop), its handles,
/// and the functions that find or run a loop.

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/detail/loop_core.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/future.hpp"
#include "asyncio/task.hpp"

namespace asyncio {

/// Tag of the eager task factory: `loop.set_task_factory(asyncio::eager_task_factory)`.
/// **Python:** `asyncio.eager_task_factory` (3.12+).
struct EagerTaskFactory {
  explicit constexpr EagerTaskFactory() = default;
};
inline constexpr EagerTaskFactory eager_task_factory{};

/// A duration: any `std::chrono::duration`, or `double` seconds (as Python's floats).
struct Delay {
  double seconds = 0;
  Delay() = default;
  Delay(double s) : seconds(s) {}  // NOLINT(google-explicit-constructor): Python floats
  Delay(int s) : seconds(s) {}     // NOLINT(google-explicit-constructor)
  template <class Rep, class Period>
  Delay(std::chrono::duration<Rep, Period> d)  // NOLINT(google-explicit-constructor)
      : seconds(std::chrono::duration<double>(d).count()) {}
};

class Executor;            // threads.hpp
class Socket;              // sockets.hpp
struct Address;            // sockets.hpp
struct AddrInfo;           // sockets.hpp
class ThreadPoolExecutor;  // threads.hpp

namespace detail {
struct LoopAccess;
struct LoopThreads;  // threads.hpp: the default executor, the link worker threads post through
struct LoopThreadsAccess;
struct LoopSignals;  // src/signals.cpp: the signal pipe and the handlers
struct LoopSignalsAccess;
/// Closing the loop: removes its signal handlers (src/signals.cpp).
void signals_close(EventLoop& loop);
/// Set by the runner's SIGINT handler (SigintScope), which then wakes the loop as
/// call_soon_threadsafe does; the loop then calls sigint_dispatch (src/signals.cpp).
extern std::atomic<bool> sigint_pending;
void sigint_dispatch(EventLoop& loop);

/// A user callback queued by call_soon/call_later (CPython `events.Handle`). Reference
/// counted atomically: a Handle may be returned to another thread by call_soon_threadsafe.
struct HandleState : TimerNode {
  std::atomic<std::uint32_t> refs{1};
  std::atomic<bool> cancelled{false};
  bool is_timer = false;
  TimerNode& node() { return *this; }
  LoopCore* loop = nullptr;
  void (*invoke)(HandleState*) = nullptr;
  void (*destroy)(HandleState*) = nullptr;

  void add_ref() { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }
  static HandleState* from_node(void* node) {
    return static_cast<HandleState*>(static_cast<TimerNode*>(node));
  }
  /// Ready-queue entry for call_soon handles (ctx = the HandleState, holding one reference).
  static void run_item(void* ctx, void*, Op op);
  /// Ready-queue entry for due timers (ctx = &state->node; the heap's reference moved here).
  static void fire_item(void* node, void*, Op op) { run_item(from_node(node), nullptr, op); }
};

template <class F>
struct HandleBox final : HandleState {
  explicit HandleBox(F&& f) : fn(std::move(f)) {
    invoke = [](HandleState* s) { static_cast<HandleBox*>(s)->fn(); };
    destroy = [](HandleState* s) { delete static_cast<HandleBox*>(s); };
  }
  F fn;
};

/// An I/O readiness callback, intrusive: a descriptor's registration points at it (no
/// std::function, no allocation for the library's own sockets and streams). When epoll
/// reports the descriptor ready, the loop queues `fn(this)` on the ready queue, once
/// (CPython: the selector key's handle goes to `_ready` through `_add_callback`).
/// `release`, if set, is called when the registration is dropped (replaced, removed, or
/// the loop closed). Invariant: `queued` is true exactly while a ready-queue item for this
/// watcher exists; unregistering a queued watcher neutralises that item, so a callback
/// never runs after its registration is gone.
struct IoWatcher {
  void (*fn)(IoWatcher*) = nullptr;
  void (*release)(IoWatcher*) = nullptr;
  bool queued = false;
  /// Ready-queue entry (ctx = the watcher).
  static void item(void* ctx, void*, Op op) {
    auto* w = static_cast<IoWatcher*>(ctx);
    w->queued = false;
    if (op == Op::run) w->fn(w);
  }
};

/// The registration of one descriptor: its reader and writer, and the epoll mask set.
struct IoSlot {
  IoWatcher* reader = nullptr;
  IoWatcher* writer = nullptr;
  std::uint32_t mask = 0;
};

/// `add_reader(fd, callback)`'s watcher: owns the callback. May be released while its
/// callback runs (the callback removes itself): deletion then waits for the call to end.
template <class F>
struct UserIoWatcher final : IoWatcher {
  explicit UserIoWatcher(F&& f, LoopCore* l) : cb(std::move(f)), loop(l) {
    fn = [](IoWatcher* w) {
      auto* self = static_cast<UserIoWatcher*>(w);
      self->running = true;
      try {
        self->cb();
      } catch (...) {
        self->loop->call_exception_handler({"Exception in callback", std::current_exception(), {}});
      }
      self->running = false;
      if (self->dead) delete self;
    };
    release = [](IoWatcher* w) {
      auto* self = static_cast<UserIoWatcher*>(w);
      if (self->running)
        self->dead = true;
      else
        delete self;
    };
  }
  F cb;
  LoopCore* loop;
  bool running = false;
  bool dead = false;
};
}  // namespace detail

/// A callback scheduled with `call_soon`. **Python:** `asyncio.Handle`.
class Handle {
 public:
  Handle() = default;
  Handle(const Handle& o) : s_(o.s_) {
    if (s_) s_->add_ref();
  }
  Handle(Handle&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Handle& operator=(Handle o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Handle() {
    if (s_) s_->release();
  }
  /// Prevents the callback from running; a timer also leaves the heap (lazily).
  void cancel() const;
  bool cancelled() const { return s_ && s_->cancelled.load(std::memory_order_relaxed); }
  /// False for a default-constructed handle.
  bool valid() const { return s_ != nullptr; }

  explicit Handle(detail::HandleState* s) noexcept : s_(s) {}

 protected:
  detail::HandleState* s_ = nullptr;
};

/// A callback scheduled with `call_later`/`call_at`. **Python:** `asyncio.TimerHandle`.
class TimerHandle : public Handle {
 public:
  using Handle::Handle;
  /// The absolute deadline on the loop's clock.
  double when() const { return s_ ? s_->when : 0; }
};

/// The event loop: a FIFO of ready callbacks, a timer heap, and an epoll poller.
///
/// One iteration (CPython `_run_once`, R1–R8): drop cancelled timers at the head of the
/// heap (rebuilding it when more than half of more than 100 are cancelled); poll I/O with
/// timeout 0 if anything is ready, else until the next timer; move every timer due
/// within the clock resolution to the end of the ready queue; then run exactly the items
/// that were ready at that moment — anything they schedule waits for the next iteration.
///
/// Not thread-safe, except `call_soon_threadsafe`.
/// **Python:** `asyncio.AbstractEventLoop` as implemented by `BaseEventLoop`.
/// The loop's machinery (detail::LoopCore: ready queue, timers, task list) is a private
/// base: library code reaches it through detail::LoopAccess (core_of / loop_of), users
/// see only the members below.
class EventLoop : private detail::LoopCore {
 public:
  struct Options {
    /// Extra diagnostics: "coroutine ... was never awaited", "Task was destroyed but it
    /// is pending!". Also enabled by the environment variable ASYNCIO_DEBUG=1.
    bool debug = false;
    /// Virtual clock: when nothing is ready, time jumps to the next timer's deadline
    /// instead of sleeping. Same scheduling order; tests never sleep for real.
    bool virtual_time = false;
  };
  using ExceptionHandler = std::function<void(EventLoop&, const ExceptionContext&)>;

  EventLoop();
  explicit EventLoop(Options opts);
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  /// Closes the loop if needed (never while it runs).
  ~EventLoop();

  /// Runs until `aw` (a Coro, Task, Future or other awaitable) is done; returns its
  /// result or rethrows its exception. A Coro is wrapped in a task. May be called again.
  /// **Exceptions:** RuntimeError("Event loop is closed" | "This event loop is already
  /// running" | "Cannot run the event loop while another loop is running" | "Event loop
  /// stopped before Future completed."). **Python:** `loop.run_until_complete(aw)`.
  template <class A>
  decltype(auto) run_until_complete(A&& aw);

  /// Runs iterations until stop(). **Python:** `loop.run_forever()`.
  void run_forever();
  /// Asks the loop to stop after the current iteration. **Python:** `loop.stop()`.
  void stop() { stopping_ = true; }
  /// Drops queued callbacks and timers and releases the loop's references to unfinished
  /// tasks (their frames are destroyed unless someone holds a handle). Idempotent.
  /// **Exceptions:** RuntimeError("Cannot close a running event loop").
  void close();
  bool is_running() const { return running_; }
  using LoopCore::is_closed;
  using LoopCore::time;
  /// Calls the exception handler with `ctx`. **Python:** `loop.call_exception_handler`.
  using LoopCore::call_exception_handler;
  bool get_debug() const { return debug_; }
  void set_debug(bool on) { debug_ = on; }

  /// Schedules `fn()` for the next iteration, FIFO. **Python:** `loop.call_soon`.
  template <class F>
  Handle call_soon(F fn) {
    check_closed();
    auto* s = new detail::HandleBox<std::decay_t<F>>(std::move(fn));
    s->loop = this;
    s->add_ref();  // the queue's reference
    push_ready(&detail::HandleState::run_item, s, nullptr);
    return Handle(s);
  }
  /// Schedules `fn()` `delay` from now. **Python:** `loop.call_later`.
  /// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for a NaN
  /// delay (CPython accepts it; its loop then fails in `select`).
  template <class F>
  TimerHandle call_later(Delay delay, F fn) {
    return call_at(time() + delay.seconds, std::move(fn));
  }
  /// Schedules `fn()` at `when` on the loop's clock. **Python:** `loop.call_at`.
  /// **Exceptions:** std::invalid_argument("Invalid delay: NaN (not a number)") for NaN.
  template <class F>
  TimerHandle call_at(double when, F fn) {
    check_closed();
    detail::check_not_nan(when);
    auto* s = new detail::HandleBox<std::decay_t<F>>(std::move(fn));
    s->loop = this;
    s->is_timer = true;
    s->when = when;
    s->fire = &detail::HandleState::fire_item;
    s->add_ref();  // the heap's reference
    add_timer(s);
    return TimerHandle(s);
  }
  /// The only member safe to call from another thread: queues `fn()` and wakes the loop
  /// (eventfd) if it is blocked in epoll_wait. **Python:** `loop.call_soon_threadsafe`.
  template <class F>
  Handle call_soon_threadsafe(F fn) {
    auto* s = new detail::HandleBox<std::decay_t<F>>(std::move(fn));
    s->loop = this;
    s->add_ref();
    enqueue_threadsafe(s);
    return Handle(s);
  }

  /// Wraps `coro` in a Task on this loop. **Python:** `loop.create_task(coro, name=)`.
  template <class T>
  Task<T> create_task(Coro<T> coro, std::string name = {}) {
    return detail::spawn<T>(this, coro.release(), std::move(name));
  }
  /// Any other awaitable (e.g. `sleep(1)`) is wrapped in a coroutine first.
  template <class A>
  requires(!detail::is_coro<std::remove_cvref_t<A>>::value) auto create_task(A&& aw,
                                                                             std::string name = {});
  /// `create_task` with options (`{.name = "x", .eager_start = true}`).
  template <class T>
  Task<T> create_task(Coro<T> coro, TaskOptions opts) {
    return detail::spawn<T>(this, coro.release(), std::move(opts.name), opts.eager_start);
  }
  /// Installs the eager task factory (R66): tasks created while this loop runs execute
  /// their first step at once. **Python:** `loop.set_task_factory(asyncio.eager_task_factory)`.
  void set_task_factory(EagerTaskFactory) { eager_tasks_ = true; }
  /// Back to the default factory. **Python:** `loop.set_task_factory(None)`.
  void set_task_factory(std::nullptr_t) { eager_tasks_ = false; }
  /// True when the eager task factory is installed.
  bool eager_task_factory_installed() const { return eager_tasks_; }
  /// A new pending future bound to this loop. **Python:** `loop.create_future()`.
  template <class T = void>
  Future<T> create_future() {
    // No closed check: CPython's create_future() has none either (call_soon has).
    return Future<T>::adopt_ref(new detail::FutureCell<T>(this));
  }

  /// Runs `fn(args...)` on `executor` (null: the loop's default ThreadPoolExecutor, made
  /// on first use) and returns a Future for its result, completed on this loop through
  /// `call_soon_threadsafe`. Defined in threads.hpp. **Exceptions:** RuntimeError("Executor
  /// shutdown has been called") for the default executor after shutdown_default_executor.
  /// **Python:** `loop.run_in_executor(executor, func, *args)`.
  template <class F, class... A>
  auto run_in_executor(Executor* executor, F&& fn, A&&... args)
      -> Future<std::invoke_result_t<std::decay_t<F>, std::decay_t<A>...>>;
  /// Replaces the default executor (threads.hpp). **Python:** `loop.set_default_executor`.
  void set_default_executor(std::shared_ptr<ThreadPoolExecutor> executor);
  /// Shuts the default executor down from a helper thread and waits (at most `timeout`)
  /// for its jobs to finish and its threads to be joined; no-op without one. asyncio::run
  /// calls it at exit (timeout 300 s). **Python:** `loop.shutdown_default_executor(timeout)`.
  Coro<void> shutdown_default_executor(std::optional<Delay> timeout = std::nullopt);

  /// Calls `fn()` whenever `fd` is readable, until `remove_reader(fd)` (replaces a
  /// previous reader of `fd`). Level-triggered; a hang-up or error counts as readable.
  /// **Exceptions:** std::invalid_argument("Invalid file descriptor: -1") for fd < 0,
  /// RuntimeError("Event loop is closed"), OSError from epoll (e.g. a regular file).
  /// **Python:** `loop.add_reader(fd, callback, *args)`.
  template <class F>
  void add_reader(int fd, F fn) {
    check_closed();
    io_check_fd(fd);
    watch_fd(fd, false, new detail::UserIoWatcher<std::decay_t<F>>(std::move(fn), this));
  }
  /// Stops watching `fd` for reading; false if it was not. **Python:** `loop.remove_reader`.
  bool remove_reader(int fd) { return unwatch_fd(fd, false); }
  /// Calls `fn()` whenever `fd` is writable. **Python:** `loop.add_writer(fd, callback)`.
  template <class F>
  void add_writer(int fd, F fn) {
    check_closed();
    io_check_fd(fd);
    watch_fd(fd, true, new detail::UserIoWatcher<std::decay_t<F>>(std::move(fn), this));
  }
  /// Stops watching `fd` for writing; false if it was not. **Python:** `loop.remove_writer`.
  bool remove_writer(int fd) { return unwatch_fd(fd, true); }

  // Socket operations (include asyncio/sockets.hpp; defined in src/sockets.cpp). The
  // socket must be non-blocking and stay alive until the call is done.

  /// Resolves `host` / `port` on the default executor (the blocking C call runs on a
  /// worker thread). An empty `host` is Python's None. **Exceptions:** gaierror("[Errno -2]
  /// Name or service not known"), OverflowError("getaddrinfo(): port must be 0-65535.")
  /// (CPython lets the C resolver wrap the port: docs/deviations.md).
  /// **Python:** `await loop.getaddrinfo(host, port, family=, type=, proto=, flags=)`.
  Coro<std::vector<AddrInfo>> getaddrinfo(std::string host, int port, int family = 0, int type = 0,
                                          int proto = 0, int flags = 0);
  /// Receives up to `nbytes`; "" at end of stream. **Cancellation:** nothing was read; the
  /// socket stays usable. **Exceptions:** OSError subclasses (ConnectionResetError ...),
  /// std::invalid_argument("the socket must be non-blocking").
  /// **Python:** `await loop.sock_recv(sock, nbytes)`.
  Coro<std::string> sock_recv(Socket& sock, std::size_t nbytes);
  /// Receives into `buf` (which must outlive the call); the byte count, 0 at end of
  /// stream. **Python:** `await loop.sock_recv_into(sock, buf)`.
  Coro<std::size_t> sock_recv_into(Socket& sock, std::span<char> buf);
  /// Sends all of `data`, waiting for the socket to be writable as often as needed.
  /// **Cancellation:** part of the data may have been sent. **Exceptions:**
  /// BrokenPipeError, ConnectionResetError, OSError. **Python:** `await
  /// loop.sock_sendall(sock, data)`.
  Coro<void> sock_sendall(Socket& sock, std::string data);
  /// Accepts a connection: the new non-blocking socket and the peer's address.
  /// **Cancellation:** no connection is taken. **Python:** `await loop.sock_accept(sock)`.
  Coro<std::pair<Socket, Address>> sock_accept(Socket& sock);
  /// Connects (a host name is resolved first). **Cancellation:** the socket is left
  /// connecting: close it. **Exceptions:** ConnectionRefusedError("[Errno 111] Connect call
  /// failed ('127.0.0.1', 1)"), other OSErrors; OverflowError("connect(): port must be
  /// 0-65535."). **Python:** `await loop.sock_connect(sock, address)`.
  Coro<void> sock_connect(Socket& sock, Address address);

  /// Library internals (sockets.hpp, streams.hpp): registers the intrusive watcher `w`
  /// as `fd`'s reader (`write` false) or writer, replacing (and releasing) the previous one.
  /// **Exceptions:** OSError from epoll_ctl (nothing is registered then).
  /// **Python:** the selector loop's internal `_add_reader` / `_add_writer`.
  void watch_fd(int fd, bool write, detail::IoWatcher* w);
  /// Drops `fd`'s reader or writer registration (releasing its watcher, neutralising its
  /// queued item); false if there was none. Works on a closed loop (no-op then).
  /// **Python:** `_remove_reader` / `_remove_writer`.
  bool unwatch_fd(int fd, bool write);
  /// The watcher registered for `fd` (null: none). **Python:** `selector.get_key(fd).data`.
  detail::IoWatcher* fd_watcher(int fd, bool write) const {
    if (fd < 0 || static_cast<std::size_t>(fd) >= io_slots_.size()) return nullptr;
    return write ? io_slots_[fd].writer : io_slots_[fd].reader;
  }

  /// Calls `callback()` on this loop (in a later iteration, never in signal context)
  /// whenever signal `sig` arrives, replacing a previous handler of `sig`. The real
  /// handler only writes the signal number to a pipe the loop watches (CPython:
  /// `signal.set_wakeup_fd`); SA_RESTART is set. Main thread only. Defined in
  /// src/signals.cpp. **Exceptions:** std::invalid_argument("invalid signal number 0")
  /// (Python's ValueError; also 32 and 33, which glibc keeps), RuntimeError("sig 9 cannot be
  /// caught") for SIGKILL / SIGSTOP, RuntimeError("set_wakeup_fd only works in main thread
  /// of the main interpreter") off the main thread, RuntimeError("Event loop is closed").
  /// A callback returning a coroutine does not compile ("coroutines cannot be used with
  /// add_signal_handler()"). **Python:** `loop.add_signal_handler(sig, callback, *args)`.
  template <class F>
  void add_signal_handler(int sig, F callback) {
    static_assert(!detail::is_coro<std::remove_cvref_t<std::invoke_result_t<F&>>>::value,
                  "coroutines cannot be used with add_signal_handler()");
    add_signal_handler_impl(sig, std::function<void()>(std::move(callback)));
  }
  /// Removes the handler of `sig` and restores the signal's default action; false if
  /// there was none. **Exceptions:** std::invalid_argument("invalid signal number 0").
  /// **Python:** `loop.remove_signal_handler(sig)` (SIGINT gets SIG_DFL back, not
  /// Python's `default_int_handler`).
  bool remove_signal_handler(int sig);

  /// Replaces the exception handler (null: back to the default, which logs to stderr).
  /// **Python:** `loop.set_exception_handler`.
  void set_exception_handler(ExceptionHandler h) { handler_ = std::move(h); }
  /// Logs `ctx` to stderr as CPython's default handler does.
  void default_exception_handler(const ExceptionContext& ctx);

 private:
  friend class detail::LoopCore;
  friend struct detail::LoopAccess;
  void run_once();
  void check_running() const;
  void enqueue_threadsafe(detail::HandleState* s);
  void drain_threadsafe();
  template <class T>
  T run_future(Future<T>& fut);

  void add_signal_handler_impl(int sig, std::function<void()> callback);
  static void io_check_fd(int fd);
  void io_update(int fd, detail::IoSlot& slot);
  void io_dispatch(const void* events, int n);  // epoll_event[n]

  ExceptionHandler handler_;
  std::mutex ts_mutex_;
  std::vector<detail::HandleState*> ts_queue_;  // guarded by ts_mutex_
  std::atomic<bool> ts_pending_{false};
  std::thread::id thread_id_;
  int epoll_fd_ = -1;
  int event_fd_ = -1;
  int io_count_ = 0;                      // registered fds besides the eventfd
  std::vector<detail::IoSlot> io_slots_;  // indexed by fd
  bool running_ = false;
  bool stopping_ = false;
  friend struct detail::LoopThreadsAccess;
  std::shared_ptr<detail::LoopThreads> threads_;  // threads.hpp state, made on first use
  friend struct detail::LoopSignalsAccess;
  detail::LoopSignals* signals_ = nullptr;  // src/signals.cpp, made on first use
};

namespace detail {
/// The one door from library code to the loop's machinery (the private LoopCore base).
struct LoopAccess {
  static LoopCore& core(EventLoop& l) noexcept { return l; }
  static const LoopCore& core(const EventLoop& l) noexcept { return l; }
  static EventLoop& loop(LoopCore& c) noexcept { return static_cast<EventLoop&>(c); }
  /// White box for tests: timers in the heap that are not cancelled.
  static std::size_t live_timers(const EventLoop& l) noexcept {
    return l.timers_.size() - l.timers_.cancelled();
  }
};
/// The machinery of `l` (ready queue, timers, task list, current task).
inline LoopCore& core_of(EventLoop& l) noexcept { return LoopAccess::core(l); }
inline const LoopCore& core_of(const EventLoop& l) noexcept { return LoopAccess::core(l); }
}  // namespace detail

/// The running loop, else this thread's current loop (made on first use).
/// **Python:** `asyncio.get_event_loop()`.
EventLoop& get_event_loop();
/// The loop running on this thread. **Exceptions:** RuntimeError("no running event
/// loop"). **Python:** `asyncio.get_running_loop()`.
EventLoop& get_running_loop();
/// A new loop (options from the environment: ASYNCIO_DEBUG=1).
/// **Python:** `asyncio.new_event_loop()`.
std::unique_ptr<EventLoop> new_event_loop();
/// Makes `loop` this thread's current loop (not owned; null clears).
/// **Python:** `asyncio.set_event_loop()`.
void set_event_loop(EventLoop* loop);

namespace detail {
template <class A>
concept future_handle = std::is_base_of_v<AnyFuture, std::remove_cvref_t<A>>;

template <class A>
concept awaitable_object = requires(A&& a) {
  std::forward<A>(a).operator co_await();
};

/// Result type of `co_await a`.
template <class A>
using await_result_t = decltype(std::declval<A>().operator co_await().await_resume());

template <class R, class A>
Coro<R> await_in_coro(A a) {
  co_return co_await std::move(a);
}

/// Any awaitable as a Coro: a Coro as is; anything else wrapped in one coroutine.
template <class A>
auto as_coro(A&& a) {
  using D = std::remove_cvref_t<A>;
  if constexpr (is_coro<D>::value) {
    return D(std::move(a));
  } else {
    using R = std::remove_cvref_t<await_result_t<D>>;
    return await_in_coro<R, D>(D(std::forward<A>(a)));
  }
}

template <class A>
using ensure_future_t =
    std::conditional_t<future_handle<std::remove_cvref_t<A>>, std::remove_cvref_t<A>,
                       Task<typename decltype(as_coro(std::declval<A>()))::value_type>>;

/// Ready-queue entry: run_until_complete's done callback (CPython _run_until_complete_cb).
void run_until_complete_cb(void* loop, void* fut, Op op);

/// The loop running on this thread, or null (CPython `events._get_running_loop()`).
EventLoop* get_running_loop_or_null();
/// The running loop, else this thread's current loop, else null: get_event_loop() without
/// making a loop (for diagnostics that must not create one).
EventLoop* get_event_loop_or_null();
/// ASYNCIO_DEBUG is set to something other than "" or "0" (CPython: PYTHONASYNCIODEBUG).
bool env_debug();
}  // namespace detail

template <class A>
requires(!detail::is_coro<std::remove_cvref_t<A>>::value) auto EventLoop::create_task(
    A&& aw, std::string name) {
  return create_task(detail::as_coro(std::forward<A>(aw)), std::move(name));
}

/// `create_task` for any awaitable: wrapped in a coroutine first.
template <class A>
requires(!detail::is_coro<std::remove_cvref_t<A>>::value) auto create_task(A&& aw,
                                                                           std::string name = {}) {
  return get_running_loop().create_task(detail::as_coro(std::forward<A>(aw)), std::move(name));
}

/// A future for `aw`: a Future/Task handle as is, anything else wrapped in a task on the
/// running loop (else `get_event_loop()`). **Python:** `asyncio.ensure_future(aw)`.
template <class A>
detail::ensure_future_t<A> ensure_future(A&& aw) {
  using D = std::remove_cvref_t<A>;
  if constexpr (detail::future_handle<D>) {
    return D(std::forward<A>(aw));
  } else {
    auto coro = detail::as_coro(std::forward<A>(aw));
    using T = typename decltype(coro)::value_type;
    return detail::spawn<T>(&detail::core_of(get_event_loop()), coro.release(), {});
  }
}

template <class T>
T EventLoop::run_future(Future<T>& fut) {
  detail::FutureBase* f = fut.state_ptr();
  if (f->loop_ != this)
    throw std::invalid_argument(
        "The future belongs to a different loop than the one specified as the loop argument");
  f->add_callback(&detail::run_until_complete_cb, this);
  try {
    run_forever();
  } catch (...) {
    f->callbacks_.remove_if([this](const detail::DoneCallback& cb) {
      return cb.fn == &detail::run_until_complete_cb && cb.ctx == this;
    });
    throw;
  }
  f->callbacks_.remove_if([this](const detail::DoneCallback& cb) {
    return cb.fn == &detail::run_until_complete_cb && cb.ctx == this;
  });
  if (!f->done()) throw RuntimeError("Event loop stopped before Future completed.");
  f->throw_if_error();
  return detail::GetMove<T>{}(f);
}

template <class A>
decltype(auto) EventLoop::run_until_complete(A&& aw) {
  check_closed();
  check_running();
  using D = std::remove_cvref_t<A>;
  if constexpr (detail::future_handle<D>) {
    if constexpr (std::is_same_v<D, AnyFuture> || std::is_same_v<D, AnyTask>) {
      aw.state_ptr()->add_ref();  // a void view: waits, rethrows, yields nothing
      Future<void> f = Future<void>::adopt_ref(aw.state_ptr());
      return run_future<void>(f);
    } else {
      using T = typename D::value_type;
      Future<T> f = aw;
      return run_future<T>(f);
    }
  } else {
    auto coro = detail::as_coro(std::forward<A>(aw));
    using T = typename decltype(coro)::value_type;
    Future<T> f = create_task(std::move(coro));
    static_cast<detail::TaskState*>(f.state_ptr())->log_destroy_pending_ = false;
    return run_future<T>(f);
  }
}

/// Runs `main` on a new loop: cancels the tasks left over, closes the loop, returns the
/// result. An exception escaping the main task is reported on stderr before it
/// propagates — "asyncio.run(): main task 'Task-1' raised std::runtime_error('boom')" — so
/// that a program that does not catch it still says why it ended (see `run_main`).
/// **Exceptions:** RuntimeError("asyncio.run() cannot be called from a running event
/// loop"), and whatever `main` raises; KeyboardInterrupt after SIGINT: on the main
/// thread, when SIGINT has its default action, the first SIGINT cancels the main task
/// (which may catch the CancelledError and clean up; if it ends cancelled, run throws
/// KeyboardInterrupt), the second makes the loop throw KeyboardInterrupt as soon as it
/// polls, and SIGINT has its default action again from then on (docs/subprocess.md).
/// **Python:** `asyncio.run(main, debug=)` (the interpreter prints the traceback of an
/// uncaught exception and exits 1; C++ would call std::terminate).
template <class T>
T run(Coro<T> main, EventLoop::Options opts = {});

/// The recommended `main`: `int main() { return asyncio::run_main(amain()); }`. Runs
/// `main` with `run`; returns its result (`Coro<int>`), or 0 (`Coro<void>`); an exception
/// is reported on stderr (by `run`, or here for one raised before the main task exists)
/// and gives 1; KeyboardInterrupt (SIGINT) gives 130.
/// **Python:** `asyncio.run(main())` at the top level of a script (exit status 1 and a
/// traceback when it raises; `sys.exit(asyncio.run(main()))` for a status).
template <class T>
requires(std::is_void_v<T> ||
         std::is_convertible_v<T, int>) int run_main(Coro<T> main, EventLoop::Options opts = {});

// The runner's pieces (CPython: asyncio/runners.py), defined in src/runners.cpp.
namespace detail {
void run_shutdown(EventLoop& loop);  // cancel leftovers and wait for them (Runner.close)
void run_check_not_running();
// "asyncio.run(): main task '<name>' raised <describe_exception(e)>" on stderr.
// (an empty name: "asyncio.run() raised ..."); sets run_reported.
void run_report(const std::string& task_name, const std::exception_ptr& e);
inline thread_local bool run_reported = false;
/// CPython Runner.run's SIGINT handling (src/signals.cpp): on the main thread, when
/// SIGINT has its default action, installs a handler for the duration: the first SIGINT
/// cancels `main`, the second makes the loop raise KeyboardInterrupt, and from then on
/// SIGINT has its default action again (a third one ends a loop stuck in a callback).
struct SigintScope {
  SigintScope(EventLoop& loop, const AnyTask& main);
  ~SigintScope();
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;
  /// CPython `_interrupt_count`.
  int interrupts() const;
  bool installed = false;
  EventLoop* loop_ = nullptr;
};
struct RunScope {  // set_event_loop(loop) for the duration, then close and clear
  explicit RunScope(EventLoop& l);
  ~RunScope();
  EventLoop& loop;
};
}  // namespace detail

template <class T>
T run(Coro<T> main, EventLoop::Options opts) {
  detail::run_check_not_running();
  EventLoop loop(opts);
  detail::RunScope scope(loop);
  struct Shutdown {
    EventLoop& l;
    ~Shutdown() { detail::run_shutdown(l); }
  } shutdown{loop};
  Task<T> task = loop.create_task(std::move(main));
  static_cast<detail::TaskState*>(task.state_ptr())->log_destroy_pending_ = false;
  try {
    detail::SigintScope sigint(loop, task);
    try {
      return loop.run_until_complete(task);
    } catch (const CancelledError&) {
      // CPython Runner.run: cancelled by the first SIGINT (and not uncancelled since).
      if (sigint.interrupts() > 0 && task.uncancel() == 0) throw KeyboardInterrupt();
      throw;
    }
  } catch (...) {
    detail::run_report(task.get_name(), std::current_exception());
    throw;
  }
}

template <class T>
requires(std::is_void_v<T> || std::is_convertible_v<T, int>) int run_main(Coro<T> main,
                                                                          EventLoop::Options opts) {
  detail::run_reported = false;
  try {
    if constexpr (std::is_void_v<T>) {
      run(std::move(main), opts);
      return 0;
    } else {
      return static_cast<int>(run(std::move(main), opts));
    }
  } catch (const KeyboardInterrupt&) {
    return 130;  // 128 + SIGINT: what a shell reports for Python's KeyboardInterrupt
  } catch (...) {
    if (!detail::run_reported) detail::run_report({}, std::current_exception());
    return 1;
  }
}

}  // namespace asyncio
