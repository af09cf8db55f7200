// The socket transport: CPython `selector_events._SelectorSocketTransport` and its bases
// `_SelectorTransport` and `transports._FlowControlMixin` (write buffer limits, pausing the
// protocol). What the protocol does with the data is not here: see `ProtocolOps` in
// detail/transport.hpp, and src/streams.cpp for the stream protocol.

#include "asyncio/detail/transport.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>

#include "asyncio/detail/socket_io.hpp"

namespace asyncio::detail {

namespace {
// Every transport of the thread (stream or datagram) reads into this, then hands the bytes
// to its protocol.
thread_local char tl_read_buf[transport_max_read];
}  // namespace

char* transport_read_buffer() { return tl_read_buf; }

void ByteBuffer::make_room(std::size_t n) {
  const std::size_t live = size();
  if (b_ > 0 && cap_ - live >= n && b_ >= live) {
    std::memmove(p_, p_ + b_, live);
    b_ = 0;
    e_ = live;
    return;
  }
  std::size_t ncap = std::max<std::size_t>({cap_ * 2, live + n, 256});
  char* np = static_cast<char*>(std::malloc(ncap));
  if (!np) throw std::bad_alloc();
  if (live) std::memcpy(np, p_ + b_, live);
  std::free(p_);
  p_ = np;
  cap_ = ncap;
  b_ = 0;
  e_ = live;
}

namespace {

// --- losing the connection -------------------------------------------------------------------

// CPython `_call_connection_lost`'s `finally`: the socket is closed, the transport detaches
// from its server, and the open transport's own reference goes (possibly the last).
void transport_finalize(SocketTransport* t) {
  if (t->lost == 0) t->lost = 1;  // later writes are dropped, never sent to -1
  if (t->fd >= 0) {
    t->loop->unwatch_fd(t->fd, false);
    t->loop->unwatch_fd(t->fd, true);
    ::close(std::exchange(t->fd, -1));
  }
  LoopCore::unlink_close_hook(&t->close_hook);
  if (ServerState* s = std::exchange(t->server, nullptr)) server_detach(s, t);
  if (!std::exchange(t->open_ref, false)) return;
  // The open transport's reference still holds the memory while the protocol goes (its
  // destructor may drop Transport handles, even the last other one).
  if (t->ops->detach) {
    try {
      t->ops->detach(t->protocol);
    } catch (...) {
      report_callback_exception(&detail::core_of(*t->loop), std::current_exception(),
                                "protocol destructor");
    }
  }
  t->waiter = Future<void>();
  transport_release(t);
}

// CPython `_call_connection_lost`: the protocol's connection_lost, then finalize. What
// connection_lost throws is reported as CPython's handle would ("Exception in callback").
void call_connection_lost(SocketTransport* t, std::exception_ptr e) {
  transport_add_ref(t);  // finalize may drop the last reference
  try {
#ifdef ASYNCIO_HAS_TLS
    // A TLS protocol hears of the connection only once the handshake succeeded.
    if (!t->tls || tls_app_connected(t))
#endif
      t->ops->connection_lost(t->protocol, std::move(e));
  } catch (...) {
    report_callback_exception(&detail::core_of(*t->loop), std::current_exception(),
                              "_SelectorTransport._call_connection_lost()");
  }
  transport_finalize(t);
  if (t->empty_waiter.valid() && !t->empty_waiter.done())
    t->empty_waiter.set_exception(
        std::make_exception_ptr(ConnectionError("Connection is closed by peer")));
  transport_release(t);
}

// Ready-queue item of a queued connection_lost (a = the transport).
void lost_item(void* a, void*, Op op) {
  auto* t = static_cast<SocketTransport*>(a);
  std::exception_ptr e = std::exchange(t->lost_exc, nullptr);
  if (op == Op::run)
    call_connection_lost(t, std::move(e));
  else
    transport_finalize(t);  // the loop is closing: no callbacks any more
}

// CPython `self._loop.call_soon(self._call_connection_lost, exc)`.
void schedule_connection_lost(SocketTransport* t, std::exception_ptr e) {
  if (t->loop->is_closed()) {
    transport_finalize(t);
    return;
  }
  t->lost_exc = std::move(e);
  detail::core_of(*t->loop).push_ready(&lost_item, t, nullptr);
}

// CPython `_fatal_error`: an OSError (a peer going away) is only logged at debug level,
// never handed to the exception handler; anything else is.
void fatal_error(SocketTransport* t, std::exception_ptr e, const char* msg) {
  if (!is_os_error(e)) t->loop->call_exception_handler({msg, e, transport_repr});
  transport_force_close(t, std::move(e));
}

void on_loop_close(CloseHook* h) { transport_close_now(static_cast<SocketTransport::Hook*>(h)->t); }

// --- flow control (CPython transports._FlowControlMixin) ------------------------------------

void maybe_pause_protocol(SocketTransport* t) {
  if (t->write_buffer.size() > t->high_water && !t->protocol_paused) {
    t->protocol_paused = true;
    try {
      t->ops->pause_writing(t->protocol);
    } catch (...) {
      t->loop->call_exception_handler(
          {"protocol.pause_writing() failed", std::current_exception(), transport_repr});
    }
  }
}

void maybe_resume_protocol(SocketTransport* t) {
  if (t->protocol_paused && t->write_buffer.size() <= t->low_water) {
    t->protocol_paused = false;
    try {
      t->ops->resume_writing(t->protocol);
    } catch (...) {
      t->loop->call_exception_handler(
          {"protocol.resume_writing() failed", std::current_exception(), transport_repr});
    }
  }
}

// --- readiness ----------------------------------------------------------------------------

// CPython `_read_ready__data_received` / `_read_ready__on_eof`.
void read_ready(IoWatcher* w) {
  SocketTransport* t = static_cast<SocketTransport::Watch*>(w)->t;
  if (t->lost) return;
  ssize_t n = t->kind == FdKind::socket ? ::recv(t->fd, tl_read_buf, transport_max_read, 0)
                                        : ::read(t->fd, tl_read_buf, transport_max_read);
  if (n > 0) {
    try {
#ifdef ASYNCIO_HAS_TLS
      if (t->tls) {
        tls_data_received(t, tl_read_buf, static_cast<std::size_t>(n));
        return;
      }
#endif
      t->ops->data_received(t->protocol, tl_read_buf, static_cast<std::size_t>(n));
    } catch (...) {
      fatal_error(t, std::current_exception(),
                  "Fatal error: protocol.data_received() call failed.");
    }
  } else if (n == 0 && t->kind == FdKind::read_pipe) {
    // CPython `_UnixReadPipeTransport._read_ready`: eof_received, then closed, whatever
    // eof_received returned.
    t->eof_read = true;
    try {
      (void)t->ops->eof_received(t->protocol);
    } catch (...) {
      fatal_error(t, std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
      return;
    }
    transport_close(t);
  } else if (n == 0) {
    t->eof_read = true;
    bool keep_open;
    try {
#ifdef ASYNCIO_HAS_TLS
      if (t->tls) {
        if (tls_eof_received(t)) return;  // the TLS layer closed the transport itself
        keep_open = false;
      } else
#endif
        keep_open = t->ops->eof_received(t->protocol);
    } catch (...) {
      fatal_error(t, std::current_exception(), "Fatal error: protocol.eof_received() call failed.");
      return;
    }
    if (keep_open)
      t->loop->unwatch_fd(t->fd, false);
    else
      transport_close(t);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fatal_error(t, make_os_error(errno),
                t->kind == FdKind::socket ? "Fatal read error on socket transport"
                                          : "Fatal read error on pipe transport");
  }
}

// CPython `_UnixWritePipeTransport._read_ready`: the reading end went away.
void write_pipe_hangup(IoWatcher* w) {
  SocketTransport* t = static_cast<SocketTransport::Watch*>(w)->t;
  if (t->lost) return;
  if (!t->write_buffer.empty())
    transport_force_close(t, std::make_exception_ptr(BrokenPipeError(EPIPE, "Broken pipe")));
  else
    transport_force_close(t, nullptr);
}

ssize_t send_some(SocketTransport* t, const char* d, std::size_t n) {
  if (t->kind == FdKind::socket) return ::send(t->fd, d, n, MSG_NOSIGNAL);
  return ::write(t->fd, d, n);  // EPIPE, not SIGPIPE: subprocess.cpp ignores SIGPIPE
}

// CPython `_write_ready` (`_write_send`).
void write_ready(IoWatcher* w) {
  SocketTransport* t = static_cast<SocketTransport::Watch*>(w)->t;
  if (t->lost) return;
  if (t->write_buffer.empty()) {  // only a native sendfile waits so (src/sendfile.cpp)
    t->loop->unwatch_fd(t->fd, true);
    if (t->empty_waiter.valid() && !t->empty_waiter.done()) t->empty_waiter.set_result();
    return;
  }
  ssize_t n = send_some(t, t->write_buffer.data(), t->write_buffer.size());
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    int err = errno;
    t->loop->unwatch_fd(t->fd, true);
    t->write_buffer.clear();
    if (t->empty_waiter.valid() && !t->empty_waiter.done())
      t->empty_waiter.set_exception(make_os_error(err));
    fatal_error(t, make_os_error(err), "Fatal write error on socket transport");
    return;
  }
  t->write_buffer.consume(static_cast<std::size_t>(n));
  maybe_resume_protocol(t);
  if (t->write_buffer.empty()) {
    t->loop->unwatch_fd(t->fd, true);
    if (t->empty_waiter.valid() && !t->empty_waiter.done()) t->empty_waiter.set_result();
    if (t->closing && !t->tls_shutdown_wait) {
      call_connection_lost(t, nullptr);
    } else if (t->eof_requested) {
      ::shutdown(t->fd, SHUT_WR);
    }
  }
}

// --- starting (CPython `_SelectorSocketTransport.__init__`'s three call_soon) -----------

// Ready-queue items; each holds one reference on the transport (a).
void connection_made_item(void* a, void*, Op op) {
  auto* t = static_cast<SocketTransport*>(a);
  if (op == Op::run && t->fd >= 0) {
    try {
      t->ops->connection_made(t->protocol, t);
    } catch (...) {
      report_callback_exception(&detail::core_of(*t->loop), std::current_exception(),
                                "Protocol.connection_made()");
    }
  }
  transport_release(t);
}

void start_reading_item(void* a, void*, Op op) {
  auto* t = static_cast<SocketTransport*>(a);
  // CPython `_add_reader`: only if still reading (not closing, not paused).
  if (op == Op::run && t->fd >= 0 && !t->closing && !t->reading_paused && !t->eof_read) {
    try {
#ifdef ASYNCIO_HAS_TLS
      if (t->tls) tls_start(t);  // the client's hello; the handshake timeout
#endif
      t->loop->watch_fd(t->fd, false, &t->read_watch);
    } catch (...) {
      report_callback_exception(&detail::core_of(*t->loop), std::current_exception(),
                                "_SelectorTransport._add_reader()");
    }
  }
  transport_release(t);
}

void waiter_item(void* a, void*, Op op) {
  auto* t = static_cast<SocketTransport*>(a);
  Future<void> w = std::exchange(t->waiter, Future<void>());
  // futures._set_result_unless_cancelled
  if (op == Op::run && w.valid() && !w.done()) w.set_result();
  transport_release(t);
}

void queue(SocketTransport* t, void (*fn)(void*, void*, Op)) {
  transport_add_ref(t);
  detail::core_of(*t->loop).push_ready(fn, t, nullptr);
}

}  // namespace

// --- the transport's methods ------------------------------------------------------------------

void transport_init(SocketTransport* t, EventLoop& loop, Socket sock, const ProtocolOps* ops,
                    void* protocol, ServerState* server) {
  t->loop = &loop;
  t->ops = ops;
  t->protocol = protocol;
  t->family = sock.family();
  t->type = sock.type();
  t->proto = sock.proto();
  if (sock.family() == AF_INET || sock.family() == AF_INET6) {
    int one = 1;
    ::setsockopt(sock.fileno(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  t->peername = socket_name(sock.fileno(), true);
  t->sockname = socket_name(sock.fileno(), false);
  t->read_watch.t = t->write_watch.t = t;
  t->read_watch.fn = &read_ready;
  t->write_watch.fn = &write_ready;
  t->close_hook.t = t;
  t->close_hook.fn = &on_loop_close;
  try {
    if (sock.getblocking()) sock.setblocking(false);
    t->fd = sock.detach();
    if (!ops->connection_made) loop.watch_fd(t->fd, false, &t->read_watch);
#ifdef ASYNCIO_HAS_TLS
    if (t->tls && !ops->connection_made) tls_start(t);  // streams: reading starts at once
#endif
  } catch (...) {
    if (t->fd >= 0) ::close(t->fd);
    t->fd = -1;
    throw;
  }
  detail::core_of(loop).link_close_hook(&t->close_hook);
  if (server) {
    t->server = server;
    server_attach(server, t);
  }
  if (ops->connection_made) {
    // With TLS, connection_made and the waiter come with the end of the handshake.
    if (!t->tls) queue(t, &connection_made_item);
    queue(t, &start_reading_item);
    if (t->waiter.valid() && !t->tls) queue(t, &waiter_item);
  }
}

void transport_ignore_sigpipe() {
  struct sigaction old;
  if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL &&
      !(old.sa_flags & SA_SIGINFO))
    ::signal(SIGPIPE, SIG_IGN);
}

void pipe_transport_init(SocketTransport* t, EventLoop& loop, int fd, FdKind kind,
                         const ProtocolOps* ops, void* protocol) {
  if (kind == FdKind::write_pipe) transport_ignore_sigpipe();
  t->loop = &loop;
  t->ops = ops;
  t->protocol = protocol;
  t->kind = kind;
  t->family = t->type = t->proto = 0;
  t->read_watch.t = t->write_watch.t = t;
  t->read_watch.fn = kind == FdKind::read_pipe ? &read_ready : &write_pipe_hangup;
  t->write_watch.fn = &write_ready;
  t->close_hook.t = t;
  t->close_hook.fn = &on_loop_close;
  try {
    struct stat st;
    if (::fstat(fd, &st) != 0) throw_os_error(errno);
    if (!S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) && !S_ISCHR(st.st_mode))
      throw std::invalid_argument("Pipe transport is for pipes/sockets only.");
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) throw_os_error(errno);
    t->fd = fd;
    if (!ops->connection_made) loop.watch_fd(t->fd, false, &t->read_watch);
  } catch (...) {
    ::close(fd);
    t->fd = -1;
    throw;
  }
  detail::core_of(loop).link_close_hook(&t->close_hook);
  if (ops->connection_made) {
    queue(t, &connection_made_item);
    queue(t, &start_reading_item);
    if (t->waiter.valid()) queue(t, &waiter_item);
  }
}

void transport_write(SocketTransport* t, std::string_view data) {
  if (t->eof_requested) throw RuntimeError("Cannot call write() after write_eof()");
  if (t->empty_waiter.valid()) throw RuntimeError("unable to write; sendfile is in progress");
#ifdef ASYNCIO_HAS_TLS
  if (t->tls) {
    if (!data.empty()) tls_write(t, data);
    return;
  }
#endif
  transport_write_raw(t, data);
}

void transport_write_raw(SocketTransport* t, std::string_view data) {
  if (data.empty()) return;
  if (t->lost) {
    t->lost++;  // CPython logs "socket.send() raised exception." from the 5th on
    return;
  }
  if (t->write_buffer.empty()) {
    ssize_t n = send_some(t, data.data(), data.size());
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fatal_error(t, make_os_error(errno), "Fatal write error on socket transport");
        return;
      }
      n = 0;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (data.empty()) return;
    t->loop->watch_fd(t->fd, true, &t->write_watch);
  }
  t->write_buffer.append(data.data(), data.size());
  maybe_pause_protocol(t);
}

void transport_writelines(SocketTransport* t, const std::string_view* pieces, std::size_t n) {
  if (t->eof_requested) throw RuntimeError("Cannot call writelines() after write_eof()");
  if (t->empty_waiter.valid()) throw RuntimeError("unable to writelines; sendfile is in progress");
  if (n == 0) return;
  if (t->lost) return;  // CPython buffers them, never to be sent
#ifdef ASYNCIO_HAS_TLS
  if (t->tls) {
    for (std::size_t i = 0; i < n; ++i) tls_write(t, pieces[i]);
    return;
  }
#endif
  const bool was_empty = t->write_buffer.empty();
  for (std::size_t i = 0; i < n; ++i) t->write_buffer.append(pieces[i].data(), pieces[i].size());
  if (t->write_buffer.empty()) return;
  write_ready(&t->write_watch);  // CPython: `self._write_ready()` at once
  if (!t->lost && !t->write_buffer.empty() && was_empty)
    t->loop->watch_fd(t->fd, true, &t->write_watch);
}

void transport_write_eof(SocketTransport* t) {
  if (t->kind == FdKind::write_pipe) {  // CPython `_UnixWritePipeTransport.write_eof`
    transport_close(t);
    return;
  }
  if (t->closing || t->eof_requested) return;
  t->eof_requested = true;
  if (t->write_buffer.empty()) ::shutdown(t->fd, SHUT_WR);
}

std::pair<std::size_t, std::size_t> write_buffer_limits(std::optional<std::size_t> high,
                                                        std::optional<std::size_t> low) {
  std::size_t h = high ? *high : (low ? 4 * *low : default_high_water);
  std::size_t l = low ? *low : h / 4;
  if (h < l)
    throw std::invalid_argument("high (" + std::to_string(h) + ") must be >= low (" +
                                std::to_string(l) + ") must be >= 0");
  return {h, l};
}

void transport_set_write_buffer_limits(SocketTransport* t, std::optional<std::size_t> high,
                                       std::optional<std::size_t> low) {
  std::tie(t->high_water, t->low_water) = write_buffer_limits(high, low);
  maybe_pause_protocol(t);
}

void transport_pause_reading(SocketTransport* t) {
  if (t->closing || t->reading_paused || t->kind == FdKind::write_pipe) return;
  t->reading_paused = true;
  t->loop->unwatch_fd(t->fd, false);
}

void transport_resume_reading(SocketTransport* t) {
  if (t->closing || !t->reading_paused || t->kind == FdKind::write_pipe) return;
  t->reading_paused = false;
  if (!t->eof_read) t->loop->watch_fd(t->fd, false, &t->read_watch);
#ifdef ASYNCIO_HAS_TLS
  if (t->tls) tls_resume_reading(t);
#endif
}

void transport_close(SocketTransport* t) {
  if (t->closing) return;
#ifdef ASYNCIO_HAS_TLS
  // close_notify, before the buffer is flushed; then maybe the wait for the peer's.
  if (t->tls && tls_close(t)) {
    t->closing = true;
    if (t->reading_paused && !t->eof_read) t->loop->watch_fd(t->fd, false, &t->read_watch);
    return;
  }
#endif
  t->closing = true;
  transport_close_finish(t);
}

void transport_close_finish(SocketTransport* t) {
  t->loop->unwatch_fd(t->fd, false);
  if (t->write_buffer.empty()) {
    t->lost++;
    t->loop->unwatch_fd(t->fd, true);
    schedule_connection_lost(t, nullptr);
  }
}

void transport_force_close(SocketTransport* t, std::exception_ptr exc) {
  if (t->lost) return;
  t->tls_shutdown_wait = false;
  if (!t->write_buffer.empty()) {
    t->write_buffer.clear();
    t->loop->unwatch_fd(t->fd, true);
  }
  if (!t->closing) {
    t->closing = true;
    t->loop->unwatch_fd(t->fd, false);
  }
  t->lost++;
  schedule_connection_lost(t, std::move(exc));
}

void transport_close_now(SocketTransport* t) {
  t->closing = true;
  t->lost++;
  transport_finalize(t);
}

std::string transport_describe(const SocketTransport* t) {
  std::string out = t->kind == FdKind::socket      ? "<_SelectorSocketTransport"
                    : t->kind == FdKind::read_pipe ? "<_UnixReadPipeTransport"
                                                   : "<_UnixWritePipeTransport";
  if (t->fd < 0)
    out += " closed";
  else if (t->closing)
    out += " closing";
  // CPython keeps `_sock_fd` after closing; -1 here once closed.
  out += " fd=" + std::to_string(t->fd);
  if (t->fd >= 0 && !t->loop->is_closed()) {
    out += t->loop->fd_watcher(t->fd, false) ? " read=polling" : " read=idle";
    out += std::string(" write=<") + (t->loop->fd_watcher(t->fd, true) ? "polling" : "idle") +
           ", bufsize=" + std::to_string(t->write_buffer.size()) + ">";
  }
  return out + ">";
}

}  // namespace asyncio::detail
