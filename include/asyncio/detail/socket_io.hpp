#pragma once
// The machinery behind sockets.hpp, shared by the socket, transport, stream and server
// sources: the future an I/O wait parks on, waiting for one descriptor, the one conversion
// between kernel socket addresses and `Address`, and CPython's resolution shortcut
// (`base_events._ipaddr_info`, `_ensure_resolved`). Defined in src/sockets.cpp.

#include <sys/socket.h>

#include <coroutine>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio::detail {

/// The future an I/O wait parks on: embedded in its awaiter, never freed through its
/// reference count (the awaiter owns it, as waiter_list.hpp's WaiterNode).
struct IoFuture final : FutureBase {
  IoFuture() : FutureBase(nullptr) {}
};

/// Waits until `fd` is readable (or writable) on the running loop: registers an embedded
/// watcher, parks on an embedded future; the destructor unregisters both. A second
/// waiter on the same descriptor and direction is refused (CPython silently replaces
/// the first, which then never wakes).
class FdWaitAwaiter {
 public:
  FdWaitAwaiter(int fd, bool write) : fd_(fd), write_(write) {}
  FdWaitAwaiter(const FdWaitAwaiter&) = delete;
  FdWaitAwaiter& operator=(const FdWaitAwaiter&) = delete;
  ~FdWaitAwaiter() {
    if (!task_) return;
    unpark(&fut_, task_);
    if (loop_->fd_watcher(fd_, write_) == &w_) loop_->unwatch_fd(fd_, write_);
  }
  bool await_ready() const noexcept { return false; }
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    PromiseBase* t = h.promise().task();
    loop_ = &loop_of(t->loop_);
    start();
    task_ = t;
    fut_.loop_ = t->loop_;
    park_on(&fut_, h);
  }
  void await_resume() {
    task_->rethrow_injected();
    fut_.throw_if_error();
  }

 private:
  void start();  // registers w_ (throws if the direction is taken)
  struct Watch : IoWatcher {
    IoFuture* fut = nullptr;
  };
  static void on_ready(IoWatcher* w);
  Watch w_;
  IoFuture fut_;
  EventLoop* loop_ = nullptr;
  PromiseBase* task_ = nullptr;
  int fd_;
  bool write_;
};

/// `Address` of a kernel address of `len` bytes: the one place one is made (getaddrinfo's
/// results, the peer of accept, getsockname, getpeername, recvfrom). AF_UNIX: the path in
/// `host` (CPython `makesockaddr`: up to the first NUL, or for an abstract address, the
/// `len - 2` bytes from the leading NUL on); "" for an unnamed socket.
Address from_sockaddr(const sockaddr* sa, socklen_t len = sizeof(sockaddr_storage));

/// A kernel socket address: storage big enough for any family, and its length (in: the
/// room, out: the size the kernel wrote). The other direction of `from_sockaddr`.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = sizeof storage;
  sockaddr* get() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* get() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  /// Sets this to `addr` ("" is the IPv4 wildcard; AF_UNIX: `host` is the path, abstract
  /// when it starts with a NUL); false if `addr.host` is not numeric. `func` names the
  /// call in CPython's messages. **Exceptions:** OverflowError("bind(): port must be
  /// 0-65535.") (Python's OverflowError), OSError("AF_UNIX path too long").
  bool assign(const Address& addr, const char* func = "bind");
  Address address() const { return from_sockaddr(get(), len); }
};

/// `fd`'s own address (`peer` false: getsockname) or its peer's (getpeername); nullopt,
/// with errno set, when the call fails.
std::optional<Address> socket_name(int fd, bool peer);

/// Refuses a port outside 0-65535 where it enters the library, as CPython's socket
/// module does: OverflowError("<who>(): port must be 0-65535."), `who` being "bind",
/// "connect" or "getaddrinfo".
void check_port(int port, const char* who);

/// CPython `base_events._set_reuseport`. **Exceptions:** std::invalid_argument("reuse_port
/// not supported by socket module, SO_REUSEPORT defined but not implemented.").
void set_reuseport(Socket& sock);

/// True when `e` holds an OSError (CPython's `isinstance(exc, OSError)`); costs a rethrow.
bool is_os_error(const std::exception_ptr& e);

/// Python's `repr(s)` of a `str` ('...' or "..." as CPython picks, escapes for control
/// characters) and of `bytes` (b'...', \xNN for anything not printable ASCII).
std::string py_repr_str(std::string_view s);
std::string py_repr_bytes(std::string_view s);

/// CPython `_ipaddr_info`: the address itself when `host` is numeric (no executor trip).
std::optional<AddrInfo> ipaddr_info(const std::string& host, int port, int family, int type);
/// CPython `_ensure_resolved`: ipaddr_info, else getaddrinfo.
Coro<std::vector<AddrInfo>> ensure_resolved(std::string host, int port, int family, int type,
                                            int flags = 0);

}  // namespace asyncio::detail
