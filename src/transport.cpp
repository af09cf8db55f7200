// The socket transport: CPython `selector_events._SelectorSocketTransport` and its bases
// `_SelectorTransport` and `transports._FlowControlMixin` (write buffer limits, pausing the
// protocol). What the protocol does with the data is not here: see `ProtocolOps` in
// detail/transport.hpp, and src/streams.cpp for the stream protocol.

#include "asyncio/detail/transport.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "asyncio/detail/socket_io.hpp"

namespace asyncio::detail {

namespace {
constexpr std::size_t kMaxRead = 256 * 1024;  // CPython max_size of a socket transport read

// Every transport of the thread reads into this, then hands the bytes to its protocol.
thread_local char tl_read_buf[kMaxRead];
}  // namespace

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
  t->loop->unwatch_fd(t->fd, false);
  t->loop->unwatch_fd(t->fd, true);
  if (t->fd >= 0) ::close(std::exchange(t->fd, -1));
  LoopCore::unlink_close_hook(&t->close_hook);
  if (ServerState* s = std::exchange(t->server, nullptr)) server_detach(s, t);
  if (std::exchange(t->open_ref, false)) transport_release(t);
}

// CPython `_call_connection_lost`: the protocol's connection_lost, then finalize.
void call_connection_lost(SocketTransport* t, std::exception_ptr e) {
  transport_add_ref(t);  // finalize may drop the last reference
  try {
    t->ops->connection_lost(t->protocol, std::move(e));
  } catch (...) {
    transport_finalize(t);
    transport_release(t);
    throw;
  }
  transport_finalize(t);
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

bool is_os_error(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    return true;
  } catch (...) {
    return false;
  }
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
    t->ops->pause_writing(t->protocol);
  }
}

void maybe_resume_protocol(SocketTransport* t) {
  if (t->protocol_paused && t->write_buffer.size() <= t->low_water) {
    t->protocol_paused = false;
    t->ops->resume_writing(t->protocol);
  }
}

// --- readiness ----------------------------------------------------------------------------

// CPython `_read_ready__data_received` / `_read_ready__on_eof`.
void read_ready(IoWatcher* w) {
  SocketTransport* t = static_cast<SocketTransport::Watch*>(w)->t;
  if (t->lost) return;
  ssize_t n = ::recv(t->fd, tl_read_buf, kMaxRead, 0);
  if (n > 0) {
    t->ops->data_received(t->protocol, tl_read_buf, static_cast<std::size_t>(n));
  } else if (n == 0) {
    t->eof_read = true;
    t->loop->unwatch_fd(t->fd, false);
    if (!t->ops->eof_received(t->protocol)) transport_close(t);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fatal_error(t, make_os_error(errno), "Fatal read error on socket transport");
  }
}

// CPython `_write_ready` (`_write_send`).
void write_ready(IoWatcher* w) {
  SocketTransport* t = static_cast<SocketTransport::Watch*>(w)->t;
  if (t->lost) return;
  ssize_t n = ::send(t->fd, t->write_buffer.data(), t->write_buffer.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    int err = errno;
    t->loop->unwatch_fd(t->fd, true);
    t->write_buffer.clear();
    fatal_error(t, make_os_error(err), "Fatal write error on socket transport");
    return;
  }
  t->write_buffer.consume(static_cast<std::size_t>(n));
  maybe_resume_protocol(t);
  if (t->write_buffer.empty()) {
    t->loop->unwatch_fd(t->fd, true);
    if (t->closing) {
      call_connection_lost(t, nullptr);
    } else if (t->eof_requested) {
      ::shutdown(t->fd, SHUT_WR);
    }
  }
}

}  // namespace

// --- the transport's methods ------------------------------------------------------------------

void transport_init(SocketTransport* t, EventLoop& loop, Socket sock, const ProtocolOps* ops,
                    void* protocol, ServerState* server) {
  t->loop = &loop;
  t->ops = ops;
  t->protocol = protocol;
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
    loop.watch_fd(t->fd, false, &t->read_watch);
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
}

void transport_write(SocketTransport* t, std::string_view data) {
  if (t->eof_requested) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (t->lost) {
    t->lost++;  // CPython logs "socket.send() raised exception." from the 5th on
    return;
  }
  if (t->write_buffer.empty()) {
    ssize_t n = ::send(t->fd, data.data(), data.size(), MSG_NOSIGNAL);
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

void transport_write_eof(SocketTransport* t) {
  if (t->closing || t->eof_requested) return;
  t->eof_requested = true;
  if (t->write_buffer.empty()) ::shutdown(t->fd, SHUT_WR);
}

void transport_set_write_buffer_limits(SocketTransport* t, std::size_t high, std::size_t low) {
  t->high_water = high;
  t->low_water = low;
  maybe_pause_protocol(t);
  maybe_resume_protocol(t);
}

void transport_pause_reading(SocketTransport* t) {
  if (t->closing || t->reading_paused) return;
  t->reading_paused = true;
  t->loop->unwatch_fd(t->fd, false);
}

void transport_resume_reading(SocketTransport* t) {
  if (t->closing || !t->reading_paused) return;
  t->reading_paused = false;
  if (!t->eof_read) t->loop->watch_fd(t->fd, false, &t->read_watch);
}

void transport_close(SocketTransport* t) {
  if (t->closing) return;
  t->closing = true;
  t->loop->unwatch_fd(t->fd, false);
  if (t->write_buffer.empty()) {
    t->lost++;
    t->loop->unwatch_fd(t->fd, true);
    schedule_connection_lost(t, nullptr);
  }
}

void transport_force_close(SocketTransport* t, std::exception_ptr exc) {
  if (t->lost) return;
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

}  // namespace asyncio::detail
