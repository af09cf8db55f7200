// loop.sendfile / loop.sock_sendfile: CPython `base_events.sendfile`,
// `_sendfile_fallback` (with `_SendfileFallbackProtocol`), `sock_sendfile`,
// `_check_sendfile_params`, `_sock_sendfile_fallback`, `selector_events._sendfile_native`
// and `unix_events._sock_sendfile_native` / `_sock_sendfile_native_impl`. See sendfile.hpp.

#include "asyncio/sendfile.hpp"

#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "asyncio/detail/protocol_conn.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/threads.hpp"

namespace asyncio {

namespace {

constexpr std::int64_t kSockFallbackBlock = 256 * 1024;  // SENDFILE_FALLBACK_READBUFFER_SIZE
constexpr std::int64_t kTransportFallbackBlock = 16384;

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

// CPython `_check_sendfile_params` (the binary-mode check has no equivalent for a fd).
void check_params(int sock_type, std::int64_t offset, const std::optional<std::int64_t>& count) {
  if (sock_type != SOCK_STREAM)
    throw std::invalid_argument("only SOCK_STREAM type sockets are supported");
  if (count && *count <= 0)
    throw std::invalid_argument("count must be a positive integer (got " + std::to_string(*count) +
                                ")");
  if (offset < 0)
    throw std::invalid_argument("offset must be a non-negative integer (got " +
                                std::to_string(offset) + ")");
}

// `file.seek(pos)`.
void seek(int file, std::int64_t pos) {
  if (::lseek(file, static_cast<off_t>(pos), SEEK_SET) < 0) throw_os_error(errno);
}

// `file.readinto(view)` on the default executor. The buffer is shared with the job: it
// outlives a cancelled caller.
Coro<std::size_t> read_block(EventLoop& loop, int file, std::shared_ptr<char[]> buf,
                             std::size_t n) {
  auto job = [file, buf, n]() -> long {
    for (;;) {
      ssize_t got = ::read(file, buf.get(), n);
      if (got >= 0) return static_cast<long>(got);
      if (errno != EINTR) return -errno;
    }
  };
  Future<long> done = loop.run_in_executor(nullptr, job);  // named: no temporary (GCC 12)
  long r = co_await done;
  if (r < 0) throw_os_error(static_cast<int>(-r));
  co_return static_cast<std::size_t>(r);
}

// Waits until `fd` is writable: on a bare socket, a plain wait; on a transport `t`, through
// its empty waiter and write watcher, so that the loss of the connection (close(),
// abort()) ends the wait with ConnectionError("Connection is closed by peer").
Coro<void> wait_writable(int fd, detail::SocketTransport* t) {
  if (!t) {
    co_await detail::FdWaitAwaiter(fd, true);
    co_return;
  }
  if (t->fd < 0 || t->lost) throw ConnectionError("Connection is closed by peer");
  Future<void> writable = t->loop->create_future<void>();
  t->empty_waiter = writable;
  t->loop->watch_fd(t->fd, true, &t->write_watch);
  co_await writable;
}

// CPython `unix_events._sock_sendfile_native` + `_impl`: sendfile(2) at explicit offsets,
// waiting for the socket to be writable after each chunk (CPython's add_writer).
Coro<std::size_t> sendfile_native(int fd, int file, std::int64_t offset,
                                  std::optional<std::int64_t> count,
                                  detail::SocketTransport* t = nullptr) {
  struct stat st {};
  if (::fstat(file, &st) < 0) throw SendfileNotAvailableError("not a regular file");
  std::int64_t blocksize = count ? *count : static_cast<std::int64_t>(st.st_size);
  if (!blocksize) co_return 0;  // an empty file
  std::int64_t total = 0;
  // `_sock_sendfile_update_filepos`: only when something was sent.
  auto update_filepos = [&] {
    if (total > 0) ::lseek(file, static_cast<off_t>(offset), SEEK_SET);
  };
  std::exception_ptr failed;
  try {
    for (;;) {
      if (count) {
        blocksize = *count - total;
        if (blocksize <= 0) break;
      }
      off_t off = static_cast<off_t>(offset);
      ssize_t sent = ::sendfile(fd, file, &off, static_cast<std::size_t>(blocksize));
      if (sent < 0) {
        int err = errno;
        if (would_block(err)) {
          if (err != EINTR) co_await wait_writable(fd, t);
          continue;
        }
        // Mostly: `file` is not a mmap-able file; the caller falls back on send().
        if (total == 0) throw SendfileNotAvailableError("os.sendfile call failed");
        throw_os_error(err);
      }
      if (sent == 0) break;  // EOF
      offset += sent;
      total += sent;
      co_await wait_writable(fd, t);
    }
  } catch (...) {
    failed = std::current_exception();
  }
  update_filepos();
  if (failed) std::rethrow_exception(failed);
  co_return static_cast<std::size_t>(total);
}

// CPython `_sock_sendfile_fallback`.
Coro<std::size_t> sock_sendfile_fallback(EventLoop& loop, Socket& sock, int file,
                                         std::int64_t offset, std::optional<std::int64_t> count) {
  if (offset) seek(file, offset);
  std::int64_t blocksize = count ? std::min(*count, kSockFallbackBlock) : kSockFallbackBlock;
  std::shared_ptr<char[]> buf(new char[static_cast<std::size_t>(blocksize)]);
  std::int64_t total = 0;
  std::exception_ptr failed;
  try {
    for (;;) {
      if (count) {
        blocksize = std::min(*count - total, blocksize);
        if (blocksize <= 0) break;
      }
      std::size_t got = co_await read_block(loop, file, buf, static_cast<std::size_t>(blocksize));
      if (!got) break;  // EOF
      co_await loop.sock_sendall(sock, std::string(buf.get(), got));
      total += static_cast<std::int64_t>(got);
    }
  } catch (...) {
    failed = std::current_exception();
  }
  if (total > 0) {
    if (failed) {
      ::lseek(file, static_cast<off_t>(offset + total), SEEK_SET);
    } else {
      seek(file, offset + total);
    }
  }
  if (failed) std::rethrow_exception(failed);
  co_return static_cast<std::size_t>(total);
}

// CPython `_SendfileFallbackProtocol`: stands in for the transport's protocol while the
// fallback writes (reading is paused), turns pause_writing / resume_writing into a future
// to wait on, and forwards connection_lost. Restores the protocol when destroyed.
struct FallbackProtocol {
  detail::SocketTransport* t;
  const detail::ProtocolOps* orig_ops;
  void* orig;
  bool should_resume_reading;
  bool should_resume_writing;
  bool detached = false;
  Future<void> write_ready;

  explicit FallbackProtocol(detail::SocketTransport* tr)
      : t(tr),
        orig_ops(tr->ops),
        orig(tr->protocol),
        should_resume_reading(!tr->closing && !tr->reading_paused),
        should_resume_writing(tr->protocol_paused) {
    detail::transport_pause_reading(t);
    t->ops = &ops;
    t->protocol = this;
    if (should_resume_writing) write_ready = t->loop->create_future<void>();
  }
  FallbackProtocol(const FallbackProtocol&) = delete;
  FallbackProtocol& operator=(const FallbackProtocol&) = delete;
  ~FallbackProtocol() { restore(); }

  // `drain()`: the future to wait on, if writing is paused.
  Future<void> drain() const {
    if (t->closing) throw ConnectionError("Connection closed by peer");
    return write_ready;
  }

  // `restore()`.
  void restore() {
    if (t->protocol != this) return;
    t->ops = orig_ops;
    t->protocol = orig;
    if (should_resume_reading) detail::transport_resume_reading(t);
    if (write_ready.valid() && !write_ready.done()) write_ready.cancel();
    if (should_resume_writing && !detached) {
      try {
        orig_ops->resume_writing(orig);
      } catch (...) {
        t->loop->call_exception_handler(
            {"protocol.resume_writing() failed", std::current_exception(), detail::transport_repr});
      }
    }
  }

  static FallbackProtocol* self(void* p) { return static_cast<FallbackProtocol*>(p); }
  static void data_received(void*, const char*, std::size_t) {
    throw RuntimeError("Invalid state: reading should be paused");
  }
  static bool eof_received(void*) { throw RuntimeError("Invalid state: reading should be paused"); }
  static void pause_writing(void* p) {
    FallbackProtocol* f = self(p);
    if (!f->write_ready.valid()) f->write_ready = f->t->loop->create_future<void>();
  }
  static void resume_writing(void* p) {
    FallbackProtocol* f = self(p);
    if (!f->write_ready.valid()) return;
    std::exchange(f->write_ready, Future<void>()).set_result();
  }
  static void connection_lost(void* p, std::exception_ptr exc) {
    FallbackProtocol* f = self(p);
    if (f->write_ready.valid() && !f->write_ready.done())
      f->write_ready.set_exception(
          exc ? exc : std::make_exception_ptr(ConnectionError("Connection is closed by peer")));
    f->orig_ops->connection_lost(f->orig, std::move(exc));
  }
  static void detach(void* p) {
    FallbackProtocol* f = self(p);
    f->detached = true;
    if (f->orig_ops->detach) f->orig_ops->detach(f->orig);
  }
  static void destroy(void* p) { self(p)->orig_ops->destroy(self(p)->orig); }
  static constexpr detail::ProtocolOps ops{nullptr,        &data_received,  &eof_received,
                                           &pause_writing, &resume_writing, &connection_lost,
                                           &detach,        &destroy};
};

// CPython `_sendfile_fallback`.
Coro<std::size_t> transport_sendfile_fallback(EventLoop& loop, Transport transport, int file,
                                              std::int64_t offset,
                                              std::optional<std::int64_t> count) {
  detail::SocketTransport* t = detail::TransportAccess::get(transport);
  if (offset) seek(file, offset);
  std::int64_t blocksize =
      count ? std::min(*count, kTransportFallbackBlock) : kTransportFallbackBlock;
  std::shared_ptr<char[]> buf(new char[static_cast<std::size_t>(blocksize)]);
  std::int64_t total = 0;
  std::exception_ptr failed;
  {
    FallbackProtocol proto(t);
    try {
      for (;;) {
        if (count) {
          blocksize = std::min(*count - total, blocksize);
          if (blocksize <= 0) break;
        }
        std::size_t got = co_await read_block(loop, file, buf, static_cast<std::size_t>(blocksize));
        if (!got) break;  // EOF
        Future<void> ready = proto.drain();
        if (ready.valid()) co_await ready;
        detail::transport_write(t, std::string_view(buf.get(), got));
        total += static_cast<std::int64_t>(got);
      }
    } catch (...) {
      failed = std::current_exception();
    }
    if (total > 0) {
      if (::lseek(file, static_cast<off_t>(offset + total), SEEK_SET) < 0 && !failed)
        failed = make_os_error(errno);
    }
  }  // proto.restore()
  if (failed) std::rethrow_exception(failed);
  co_return static_cast<std::size_t>(total);
}

// CPython `selector_events._sendfile_native`.
Coro<std::size_t> transport_sendfile_native(Transport transport, int file, std::int64_t offset,
                                            std::optional<std::int64_t> count) {
  detail::SocketTransport* t = detail::TransportAccess::get(transport);
  const bool resume_reading = !t->closing && !t->reading_paused;
  detail::transport_pause_reading(t);
  // `_make_empty_waiter()`
  if (t->empty_waiter.valid()) throw RuntimeError("Empty waiter is already set");
  t->empty_waiter = t->loop->create_future<void>();
  if (t->write_buffer.empty()) t->empty_waiter.set_result();
  std::exception_ptr failed;
  std::size_t sent = 0;
  try {
    Future<void> empty = t->empty_waiter;
    co_await empty;
    check_params(t->type, offset, count);  // sock_sendfile(transp._sock, ...)
    sent = co_await sendfile_native(t->fd, file, offset, count, t);
  } catch (...) {
    failed = std::current_exception();
  }
  t->empty_waiter = Future<void>();  // `_reset_empty_waiter()`
  if (t->fd >= 0 && !t->lost && t->write_buffer.empty()) t->loop->unwatch_fd(t->fd, true);
  if (resume_reading) detail::transport_resume_reading(t);
  if (failed) std::rethrow_exception(failed);
  co_return sent;
}

}  // namespace

Coro<std::size_t> sendfile(EventLoop& loop, Transport transport, int file, std::int64_t offset,
                           std::optional<std::int64_t> count, bool fallback) {
  detail::SocketTransport* t = detail::TransportAccess::get(transport);
  if (!t) throw InvalidStateError("empty Transport handle");
  if (t->closing) throw RuntimeError("Transport is closing");
#ifdef ASYNCIO_HAS_TLS
  // A TLS transport is CPython's FALLBACK mode: sendfile(2) would bypass the encryption.
  if (t->tls) {
    if (!fallback)
      throw RuntimeError("fallback is disabled and native sendfile is not supported for transport " +
                         transport.repr());
    co_return co_await transport_sendfile_fallback(loop, std::move(transport), file, offset, count);
  }
#endif
  // A plain socket transport: CPython's TRY_NATIVE mode.
  try {
    co_return co_await transport_sendfile_native(transport, file, offset, count);
  } catch (const SendfileNotAvailableError&) {
    if (!fallback) throw;
  }
  co_return co_await transport_sendfile_fallback(loop, std::move(transport), file, offset, count);
}

Coro<std::size_t> sock_sendfile(EventLoop& loop, Socket& sock, int file, std::int64_t offset,
                                std::optional<std::int64_t> count, bool fallback) {
  if (sock.fileno() < 0) throw_os_error(EBADF);
  if (sock.getblocking()) throw std::invalid_argument("the socket must be non-blocking");
  check_params(sock.type(), offset, count);
  try {
    co_return co_await sendfile_native(sock.fileno(), file, offset, count);
  } catch (const SendfileNotAvailableError&) {
    if (!fallback) throw;
  }
  co_return co_await sock_sendfile_fallback(loop, sock, file, offset, count);
}

}  // namespace asyncio
