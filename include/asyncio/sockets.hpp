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

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"

namespace asyncio {

/// A socket address: host (numeric), port, and for IPv6 flowinfo and scope id; for
/// AF_UNIX, the path in `host` (an abstract-namespace name starts with '\0', as in
/// Python) and port 0. `repr()` is Python's: "('127.0.0.1', 8888)", "('::1', 8888, 0,
/// 0)", "'/tmp/s.sock'", "b'\x00name'".
/// **Python:** the address tuples of the socket module, and AF_UNIX's str / bytes.
struct Address {
  std::string host;  ///< numeric host; AF_UNIX: the path
  int port = 0;
  int family = AF_INET;  ///< AF_INET, AF_INET6 or AF_UNIX
  std::uint32_t flowinfo = 0;
  std::uint32_t scope_id = 0;
  /// Python's `repr()` of the address.
  std::string repr() const;
  /// Python's `str()` of the address: `repr()`, except a UNIX path, which is itself.
  std::string str() const;
  /// A UNIX socket address. **Python:** the `str` path given to AF_UNIX sockets.
  static Address unix_path(std::string path) { return Address{std::move(path), 0, AF_UNIX}; }
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

// Datagram operations of the loop. Free functions taking the loop, as Python's methods
// (`loop.sock_recvfrom(sock, n)` is `asyncio::sock_recvfrom(loop, sock, n)`): EventLoop's
// own sock_* members are declared in event_loop.hpp. Defined in src/sockets.cpp; the same
// rules as sock_recv (non-blocking socket, alive until done, cancellation leaves it usable).

/// Receives one datagram of at most `bufsize` bytes (the rest of a longer one is lost),
/// and its sender's address. **Exceptions:** OSError subclasses (ConnectionRefusedError
/// on a connected UDP socket after an ICMP port unreachable).
/// **Python:** `await loop.sock_recvfrom(sock, bufsize)`.
Coro<std::pair<std::string, Address>> sock_recvfrom(EventLoop& loop, Socket& sock,
                                                    std::size_t bufsize);
/// Receives one datagram into `buf` (at most `nbytes` bytes, 0: the whole buffer); the byte
/// count and the sender. **Exceptions:** std::invalid_argument("nbytes is greater than the
/// length of the buffer") (Python's ValueError). **Python:** `await
/// loop.sock_recvfrom_into(sock, buf, nbytes=0)`.
Coro<std::pair<std::size_t, Address>> sock_recvfrom_into(EventLoop& loop, Socket& sock,
                                                         std::span<char> buf,
                                                         std::size_t nbytes = 0);
/// Sends `data` as one datagram to `address` (a host name is resolved first, on the
/// executor); the number of bytes sent. **Exceptions:** OverflowError("sendto(): port
/// must be 0-65535.") (Python's OverflowError), OSError. **Python:** `await
/// loop.sock_sendto(sock, data, address)`.
Coro<std::size_t> sock_sendto(EventLoop& loop, Socket& sock, std::string data, Address address);

}  // namespace asyncio
