#pragma once
/// \file sockets.hpp
/// Non-blocking sockets on the event loop: `Socket` (an owned descriptor, Python's
/// `socket.socket`), `Address`, `AddrInfo`, `gaierror`, `socketpair`. The loop's
/// `getaddrinfo`, `sock_recv`, `sock_recv_into`, `sock_sendall`, `sock_accept` and
/// `sock_connect` are `EventLoop` members (event_loop.hpp), defined in src/sockets.cpp.
///
/// Waiting is intrusive: a suspended call registers a watcher embedded in its own
/// awaiter (in the coroutine frame) and parks the task on a future embedded next to it.
/// Cancelling the task, or destroying its frame, unregisters the watcher before the frame
/// goes away: the socket is left as it was (usable, or for a cancelled connect, to be
/// closed by its owner) and no callback can fire into freed memory. The machinery
/// (waiting for a descriptor, address conversion, resolution) is in detail/socket_io.hpp.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <utility>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

/// A socket address: host (numeric), port, and for IPv6 flowinfo and scope id.
/// `repr()` is Python's tuple: "('127.0.0.1', 8888)" or "('::1', 8888, 0, 0)".
/// **Python:** the address tuples of the socket module.
struct Address {
  std::string host;
  int port = 0;
  int family = AF_INET;  ///< AF_INET or AF_INET6
  std::uint32_t flowinfo = 0;
  std::uint32_t scope_id = 0;
  /// Python's `repr()` of the tuple.
  std::string repr() const;
  bool operator==(const Address&) const = default;
};

/// One result of `getaddrinfo`. **Python:** the tuple `(family, type, proto, canonname,
/// sockaddr)`.
struct AddrInfo {
  int family = 0;
  int type = 0;
  int proto = 0;
  std::string canonname;
  Address sockaddr;
};

/// A name resolution failure: `errnum()` is the (negative) EAI_* code, `what()`
/// "[Errno -2] Name or service not known". **Python:** `socket.gaierror`.
class gaierror : public OSError {  // NOLINT(readability-identifier-naming): Python's name
 public:
  using OSError::OSError;
};

/// An owned socket descriptor; closed by `close()` or the destructor. Move-only.
/// Created blocking like Python's; the loop's `sock_*` functions want it non-blocking
/// (`setblocking(false)`); sockets from `sock_accept` already are.
/// **Python:** `socket.socket`. **Exceptions:** OSError (with errno) from the system calls;
/// "[Errno 9] Bad file descriptor" on a closed socket.
class Socket {
 public:
  /// A new socket. **Python:** `socket.socket(family, type, proto)`.
  explicit Socket(int family = AF_INET, int type = SOCK_STREAM, int proto = 0);
  /// Takes ownership of `fd`. **Python:** `socket.socket(fileno=fd)`.
  static Socket from_fd(int fd);
  Socket(Socket&& o) noexcept
      : fd_(std::exchange(o.fd_, -1)),
        family_(o.family_),
        type_(o.type_),
        proto_(o.proto_),
        blocking_(o.blocking_) {}
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { close(); }

  /// The descriptor, -1 once closed. **Python:** `fileno()`.
  int fileno() const noexcept { return fd_; }
  int family() const noexcept { return family_; }
  int type() const noexcept { return type_; }
  int proto() const noexcept { return proto_; }
  /// Closes the descriptor (idempotent). The loop must not be watching it any more.
  /// **Python:** `close()`.
  void close() noexcept;
  /// Gives the descriptor up without closing it. **Python:** `detach()`.
  int detach() noexcept { return std::exchange(fd_, -1); }
  /// **Python:** `setblocking(flag)`.
  void setblocking(bool flag);
  /// **Python:** `getblocking()`.
  bool getblocking() const noexcept { return blocking_; }
  /// **Python:** `setsockopt(level, optname, value)` (integer options).
  void setsockopt(int level, int optname, int value);
  /// **Python:** `getsockopt(level, optname)`.
  int getsockopt(int level, int optname) const;
  /// Binds to a numeric address. **Exceptions:** OverflowError("bind(): port must be
  /// 0-65535."), OSError. **Python:** `bind(address)`.
  void bind(const Address& addr);
  /// **Python:** `listen(backlog)`.
  void listen(int backlog = 128);
  /// **Python:** `getsockname()`.
  Address getsockname() const;
  /// **Python:** `getpeername()`.
  Address getpeername() const;
  /// **Python:** `shutdown(how)` (SHUT_RD, SHUT_WR, SHUT_RDWR).
  void shutdown(int how);

 private:
  struct Adopt {};
  explicit Socket(Adopt) noexcept {}
  int check() const;
  int fd_ = -1;
  int family_ = AF_INET;
  int type_ = SOCK_STREAM;
  int proto_ = 0;
  bool blocking_ = true;
};

/// A connected pair of AF_UNIX stream sockets. **Python:** `socket.socketpair()`.
std::pair<Socket, Socket> socketpair();

}  // namespace asyncio
