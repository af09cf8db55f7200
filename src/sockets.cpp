// Sockets and the loop's sock_* operations: Python's `socket` module objects this library
// needs, and CPython `selector_events.BaseSelectorEventLoop`'s sock_recv, sock_recv_into,
// sock_sendall, sock_accept, sock_connect (with `base_events.getaddrinfo`,
// `_ipaddr_info`, `_ensure_resolved`). See sockets.hpp and detail/socket_io.hpp.

#include "asyncio/sockets.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "asyncio/detail/socket_io.hpp"
#include "asyncio/threads.hpp"

namespace asyncio {

std::string Address::repr() const {
  if (family == AF_UNIX)
    return !host.empty() && host[0] == '\0' ? detail::py_repr_bytes(host)
                                            : detail::py_repr_str(host);
  if (family == AF_INET6)
    return "('" + host + "', " + std::to_string(port) + ", " + std::to_string(flowinfo) + ", " +
           std::to_string(scope_id) + ")";
  return "('" + host + "', " + std::to_string(port) + ")";
}

std::string Address::str() const {
  if (family == AF_UNIX && (host.empty() || host[0] != '\0')) return host;
  return repr();
}

// --- Socket ------------------------------------------------------------------------------

Socket::Socket(int family, int type, int proto) : family_(family), type_(type), proto_(proto) {
  fd_ = ::socket(family, type | SOCK_CLOEXEC, proto);
  if (fd_ < 0) throw_os_error(errno);
}

Socket Socket::from_fd(int fd) {
  Socket s{Adopt{}};
  s.fd_ = fd;
  detail::SockAddr name;
  if (::getsockname(fd, name.get(), &name.len) == 0) s.family_ = name.storage.ss_family;
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len) == 0) s.type_ = v;
  if (::getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) == 0) s.proto_ = v;
  int fl = ::fcntl(fd, F_GETFL);
  s.blocking_ = fl >= 0 && !(fl & O_NONBLOCK);
  return s;
}

Socket& Socket::operator=(Socket&& o) noexcept {
  if (this != &o) {
    close();
    fd_ = std::exchange(o.fd_, -1);
    family_ = o.family_;
    type_ = o.type_;
    proto_ = o.proto_;
    blocking_ = o.blocking_;
  }
  return *this;
}

void Socket::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

int Socket::check() const {
  if (fd_ < 0) throw_os_error(EBADF);
  return fd_;
}

void Socket::setblocking(bool flag) {
  int fd = check();
  int fl = ::fcntl(fd, F_GETFL);
  if (fl < 0) throw_os_error(errno);
  fl = flag ? (fl & ~O_NONBLOCK) : (fl | O_NONBLOCK);
  if (::fcntl(fd, F_SETFL, fl) < 0) throw_os_error(errno);
  blocking_ = flag;
}

void Socket::setsockopt(int level, int optname, int value) {
  if (::setsockopt(check(), level, optname, &value, sizeof value) < 0) throw_os_error(errno);
}

int Socket::getsockopt(int level, int optname) const {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(check(), level, optname, &v, &len) < 0) throw_os_error(errno);
  return v;
}

void Socket::bind(const Address& addr) {
  if (addr.family == AF_INET || addr.family == AF_INET6) detail::check_port(addr.port, "bind");
  detail::SockAddr sa;
  if (!sa.assign(addr, "bind")) throw gaierror(EAI_NONAME, ::gai_strerror(EAI_NONAME));
  if (::bind(check(), sa.get(), sa.len) < 0) throw_os_error(errno);
}

void Socket::listen(int backlog) {
  if (::listen(check(), backlog) < 0) throw_os_error(errno);
}

Address Socket::getsockname() const {
  std::optional<Address> a = detail::socket_name(check(), false);
  if (!a) throw_os_error(errno);
  return *std::move(a);
}

Address Socket::getpeername() const {
  std::optional<Address> a = detail::socket_name(check(), true);
  if (!a) throw_os_error(errno);
  return *std::move(a);
}

void Socket::shutdown(int how) {
  if (::shutdown(check(), how) < 0) throw_os_error(errno);
}

std::pair<Socket, Socket> socketpair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) throw_os_error(errno);
  return {Socket::from_fd(fds[0]), Socket::from_fd(fds[1])};
}

// --- addresses ---------------------------------------------------------------------------

namespace detail {

void check_port(int port, const char* who) {
  if (port < 0 || port > 65535) throw OverflowError(std::string(who) + "(): port must be 0-65535.");
}

void set_reuseport(Socket& sock) {
  try {
    sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  } catch (const OSError&) {
    throw std::invalid_argument(
        "reuse_port not supported by socket module, SO_REUSEPORT defined but not implemented.");
  }
}

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    return true;
  } catch (...) {
    return false;
  }
}

namespace {
// The body of Python's repr() of a str (`bytes` false) or bytes, in quotes `q`.
std::string py_repr_body(std::string_view s, bool bytes) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char q = has_single && !has_double ? '"' : '\'';
  std::string out(1, q);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == q || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\r') {
      out += "\\r";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;  // a str's non-ASCII characters are printable UTF-8 here
    }
  }
  return out + q;
}
}  // namespace

std::string py_repr_str(std::string_view s) { return py_repr_body(s, false); }
std::string py_repr_bytes(std::string_view s) { return "b" + py_repr_body(s, true); }

bool SockAddr::assign(const Address& addr, const char* func) {
  std::memset(&storage, 0, sizeof storage);
  if (addr.family == AF_UNIX) {
    // CPython getsockaddrarg: a path as is, NUL-terminated unless abstract (leading NUL).
    auto* su = reinterpret_cast<sockaddr_un*>(&storage);
    if (addr.host.size() >= sizeof su->sun_path) throw OSError("AF_UNIX path too long");
    su->sun_family = AF_UNIX;
    std::memcpy(su->sun_path, addr.host.data(), addr.host.size());
    std::size_t n = addr.host.size();
    if (n > 0 && addr.host[0] != '\0') ++n;  // the terminating NUL
    len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n);
    return true;
  }
  check_port(addr.port, func);
  if (addr.family == AF_INET6) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(static_cast<std::uint16_t>(addr.port));
    sa->sin6_flowinfo = htonl(addr.flowinfo);
    sa->sin6_scope_id = addr.scope_id;
    len = sizeof(sockaddr_in6);
    return ::inet_pton(AF_INET6, addr.host.c_str(), &sa->sin6_addr) == 1;
  }
  auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
  sa->sin_family = AF_INET;
  sa->sin_port = htons(static_cast<std::uint16_t>(addr.port));
  len = sizeof(sockaddr_in);
  const char* host = addr.host.empty() ? "0.0.0.0" : addr.host.c_str();
  return ::inet_pton(AF_INET, host, &sa->sin_addr) == 1;
}

Address from_sockaddr(const sockaddr* sa, socklen_t len) {
  Address a;
  if (sa->sa_family == AF_UNIX) {
    // CPython makesockaddr (Linux): abstract names are bytes of the whole length.
    const auto* su = reinterpret_cast<const sockaddr_un*>(sa);
    constexpr std::size_t off = offsetof(sockaddr_un, sun_path);
    const std::size_t n = len > off ? std::min<std::size_t>(len - off, sizeof su->sun_path) : 0;
    a.family = AF_UNIX;
    if (n > 0 && su->sun_path[0] == '\0')
      a.host.assign(su->sun_path, n);
    else
      a.host.assign(su->sun_path, ::strnlen(su->sun_path, n));
    return a;
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(sa);
    ::inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof buf);
    a.family = AF_INET6;
    a.port = ntohs(s6->sin6_port);
    a.flowinfo = ntohl(s6->sin6_flowinfo);
    a.scope_id = s6->sin6_scope_id;
  } else if (sa->sa_family == AF_INET) {
    const auto* s4 = reinterpret_cast<const sockaddr_in*>(sa);
    ::inet_ntop(AF_INET, &s4->sin_addr, buf, sizeof buf);
    a.family = AF_INET;
    a.port = ntohs(s4->sin_port);
  } else {
    a.family = sa->sa_family;
  }
  a.host = buf;
  return a;
}

std::optional<Address> socket_name(int fd, bool peer) {
  SockAddr sa;
  int rc = peer ? ::getpeername(fd, sa.get(), &sa.len) : ::getsockname(fd, sa.get(), &sa.len);
  if (rc < 0) return std::nullopt;
  return sa.address();
}

std::optional<AddrInfo> ipaddr_info(const std::string& host, int port, int family, int type) {
  if (host.empty() || host.find('%') != std::string::npos) return std::nullopt;
  if (type != SOCK_STREAM && type != SOCK_DGRAM) return std::nullopt;
  int proto = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
  unsigned char buf[sizeof(in6_addr)];
  for (int af : {AF_INET, AF_INET6}) {
    if (family != AF_UNSPEC && family != af) continue;
    if (::inet_pton(af, host.c_str(), buf) == 1) {
      AddrInfo ai{af, type, proto, "", Address{host, port, af, 0, 0}};
      return ai;
    }
  }
  return std::nullopt;
}

Coro<std::vector<AddrInfo>> ensure_resolved(std::string host, int port, int family, int type,
                                            int flags) {
  if (auto info = ipaddr_info(host, port, family, type)) {
    co_return std::vector<AddrInfo>{*info};
  }
  co_return co_await get_running_loop().getaddrinfo(std::move(host), port, family, type, 0, flags);
}

// --- waiting for a descriptor --------------------------------------------------------------

void FdWaitAwaiter::start() {
  if (loop_->fd_watcher(fd_, write_))
    throw RuntimeError("File descriptor " + std::to_string(fd_) + " is already waited on for " +
                       (write_ ? "writing" : "reading"));
  w_.fn = &on_ready;
  w_.fut = &fut_;
  loop_->watch_fd(fd_, write_, &w_);
}

void FdWaitAwaiter::on_ready(IoWatcher* w) {
  IoFuture* fut = static_cast<Watch*>(w)->fut;
  if (!fut->done()) fut->finish_with_value();
}

namespace {
int nonblocking_fd(Socket& sock) {
  int fd = sock.fileno();
  if (fd < 0) throw_os_error(EBADF);
  if (sock.getblocking()) throw std::invalid_argument("the socket must be non-blocking");
  return fd;
}

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }
}  // namespace

}  // namespace detail

// --- the loop's socket operations ----------------------------------------------------------

Coro<std::vector<AddrInfo>> EventLoop::getaddrinfo(std::string host, int port, int family, int type,
                                                   int proto, int flags) {
  // CPython hands the port to the C resolver, which wraps it (70000 -> 4464) or fails
  // (-1): refused here instead (docs/deviations.md, "Numbers given to the public API").
  detail::check_port(port, "getaddrinfo");
  auto job = [host = std::move(host), port, family, type, proto, flags]() {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = type;
    hints.ai_protocol = proto;
    hints.ai_flags = flags;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0) {
      if (rc == EAI_SYSTEM) throw_os_error(errno);
      throw gaierror(rc, ::gai_strerror(rc));
    }
    std::vector<AddrInfo> out;
    for (addrinfo* p = res; p; p = p->ai_next) {
      if (p->ai_family != AF_INET && p->ai_family != AF_INET6) continue;
      out.push_back(AddrInfo{p->ai_family, p->ai_socktype, p->ai_protocol,
                             p->ai_canonname ? p->ai_canonname : "",
                             detail::from_sockaddr(p->ai_addr)});
    }
    ::freeaddrinfo(res);
    return out;
  };
  co_return co_await run_in_executor(nullptr, std::move(job));
}

Coro<std::size_t> EventLoop::sock_recv_into(Socket& sock, std::span<char> buf) {
  int fd = detail::nonblocking_fd(sock);
  for (;;) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, false);
  }
}

Coro<std::string> EventLoop::sock_recv(Socket& sock, std::size_t nbytes) {
  int fd = detail::nonblocking_fd(sock);
  std::string out(nbytes, '\0');
  for (;;) {
    ssize_t n = ::recv(fd, out.data(), nbytes, 0);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      co_return out;
    }
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, false);
  }
}

Coro<void> EventLoop::sock_sendall(Socket& sock, std::string data) {
  int fd = detail::nonblocking_fd(sock);
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n >= 0) {
      off += static_cast<std::size_t>(n);
      continue;
    }
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, true);
  }
}

Coro<std::pair<Socket, Address>> EventLoop::sock_accept(Socket& sock) {
  int fd = detail::nonblocking_fd(sock);
  for (;;) {
    detail::SockAddr peer;
    int c = ::accept4(fd, peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      Socket conn = Socket::from_fd(c);
      co_return std::pair<Socket, Address>(std::move(conn), peer.address());
    }
    if (!detail::would_block(errno) && errno != ECONNABORTED) throw_os_error(errno);
    if (errno != EINTR && errno != ECONNABORTED) co_await detail::FdWaitAwaiter(fd, false);
  }
}

namespace detail {
namespace {
// connect(2) on a non-blocking socket: true if connected at once, false if in progress.
bool connect_start(int fd, const Address& address) {
  if (address.family == AF_INET || address.family == AF_INET6) check_port(address.port, "connect");
  SockAddr sa;
  if (!sa.assign(address, "connect")) throw gaierror(EAI_NONAME, ::gai_strerror(EAI_NONAME));
  if (::connect(fd, sa.get(), sa.len) == 0) return true;
  if (errno != EINPROGRESS && errno != EINTR) throw_os_error(errno);
  return false;
}

// CPython _sock_connect_cb: true when connected, false when still in progress.
bool connect_finish(int fd, const Address& address) {
  int err = 0;
  socklen_t elen = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) throw_os_error(errno);
  if (err == 0) return true;
  if (err == EINPROGRESS || err == EINTR) return false;
  throw_os_error(err, "Connect call failed " + address.str());
}

Coro<Address> resolve_for(const Socket& sock, Address address) {
  std::vector<AddrInfo> infos =
      co_await ensure_resolved(address.host, address.port, sock.family(), sock.type() & 0xf);
  co_return infos.at(0).sockaddr;
}

Coro<void> connect_resolved(int fd, const Address* address) {
  if (connect_start(fd, *address)) co_return;
  do {
    co_await FdWaitAwaiter(fd, true);
  } while (!connect_finish(fd, *address));
}

Coro<void> sock_connect_impl(Socket* sock, Address address) {
  int fd = nonblocking_fd(*sock);
  if (sock->family() == AF_INET || sock->family() == AF_INET6) {
    check_port(address.port, "connect");
    address = co_await resolve_for(*sock, address);
  }
  co_await connect_resolved(fd, &address);
}
}  // namespace
}  // namespace detail

Coro<void> EventLoop::sock_connect(Socket& sock, Address address) {
  return detail::sock_connect_impl(&sock, std::move(address));
}

// --- datagram operations (CPython selector_events: sock_recvfrom, sock_recvfrom_into,
// sock_sendto) -------------------------------------------------------------------------------

Coro<std::pair<std::string, Address>> sock_recvfrom(EventLoop&, Socket& sock, std::size_t bufsize) {
  int fd = detail::nonblocking_fd(sock);
  std::string out(bufsize, '\0');
  for (;;) {
    detail::SockAddr from;
    ssize_t n = ::recvfrom(fd, out.data(), bufsize, 0, from.get(), &from.len);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      co_return std::pair<std::string, Address>(std::move(out), from.address());
    }
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, false);
  }
}

Coro<std::pair<std::size_t, Address>> sock_recvfrom_into(EventLoop&, Socket& sock,
                                                         std::span<char> buf, std::size_t nbytes) {
  int fd = detail::nonblocking_fd(sock);
  if (nbytes == 0) nbytes = buf.size();
  if (nbytes > buf.size())
    throw std::invalid_argument("nbytes is greater than the length of the buffer");
  for (;;) {
    detail::SockAddr from;
    ssize_t n = ::recvfrom(fd, buf.data(), nbytes, 0, from.get(), &from.len);
    if (n >= 0)
      co_return std::pair<std::size_t, Address>(static_cast<std::size_t>(n), from.address());
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, false);
  }
}

Coro<std::size_t> sock_sendto(EventLoop&, Socket& sock, std::string data, Address address) {
  int fd = detail::nonblocking_fd(sock);
  if ((sock.family() == AF_INET || sock.family() == AF_INET6) &&
      !detail::ipaddr_info(address.host, address.port, sock.family(), SOCK_DGRAM)) {
    detail::check_port(address.port, "sendto");
    address = co_await detail::resolve_for(sock, address);
  }
  detail::SockAddr to;
  if (!to.assign(address, "sendto")) throw gaierror(EAI_NONAME, ::gai_strerror(EAI_NONAME));
  for (;;) {
    ssize_t n = ::sendto(fd, data.data(), data.size(), MSG_NOSIGNAL, to.get(), to.len);
    if (n >= 0) co_return static_cast<std::size_t>(n);
    if (!detail::would_block(errno)) throw_os_error(errno);
    if (errno != EINTR) co_await detail::FdWaitAwaiter(fd, true);
  }
}

}  // namespace asyncio
