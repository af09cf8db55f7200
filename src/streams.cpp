// TCP streams: the connection (CPython's _SelectorSocketTransport + StreamReaderProtocol +
// the StreamReader buffer, in one object), servers, open_connection. See streams.hpp.

#include "asyncio/streams.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>

#include "asyncio/sleep.hpp"

namespace asyncio {
namespace detail {

namespace {
constexpr std::size_t kMaxRead = 256 * 1024;  // CPython max_size of a socket transport read
constexpr std::size_t kDefaultHigh = 64 * 1024;

/// A byte buffer with a read offset: appends at the end, consumes at the front, and
/// moves the live bytes down only when the tail is too short.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() { std::free(p_); }
  std::size_t size() const { return e_ - b_; }
  bool empty() const { return e_ == b_; }
  const char* data() const { return p_ + b_; }
  std::string_view view() const { return {p_ + b_, e_ - b_}; }
  void append(const char* d, std::size_t n) {
    if (cap_ - e_ < n) make_room(n);
    std::memcpy(p_ + e_, d, n);
    e_ += n;
  }
  void consume(std::size_t n) {
    b_ += n;
    if (b_ == e_) b_ = e_ = 0;
  }
  std::string take(std::size_t n) {
    std::string out(data(), n);
    consume(n);
    return out;
  }
  void clear() {
    b_ = e_ = 0;
    if (cap_ > 1024 * 1024) {  // do not keep a huge buffer around
      std::free(p_);
      p_ = nullptr;
      cap_ = 0;
    }
  }

 private:
  void make_room(std::size_t n) {
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
  char* p_ = nullptr;
  std::size_t b_ = 0, e_ = 0, cap_ = 0;
};

thread_local char tl_read_buf[kMaxRead];
}  // namespace

/// One TCP connection. Reference counted: the transport holds one reference from creation
/// until its socket is closed (CPython `_call_connection_lost`), each StreamReader /
/// StreamWriter handle one (and counts as a user). When the last user goes, an unclosed
/// connection is closed. Invariants: the descriptor is registered for reading iff
/// `!closing && !reading_paused && !eof_seen`, for writing iff `!wbuf.empty()`; `waiter`
/// points at the future of the one read waiting (embedded in its awaiter), and each of
/// `drain_waiters` at a waiting drain's; awaiters remove themselves before they die.
struct StreamConn {
  struct Watch : IoWatcher {
    StreamConn* c = nullptr;
  };
  struct Hook : CloseHook {
    StreamConn* c = nullptr;
  };

  EventLoop* loop = nullptr;
  int fd = -1;
  int family = AF_INET;
  std::uint32_t refs = 1;  // the transport's
  std::uint32_t users = 0;
  bool transport_ref = true;
  Watch rw, ww;
  Hook hook;

  // StreamReader
  ByteBuffer rbuf;
  std::size_t limit = stream_default_limit;
  bool eof = false;
  std::exception_ptr exc;
  IoFuture* waiter = nullptr;
  bool reader_paused = false;  // StreamReader._paused

  // transport
  bool reading_paused = false;  // transport._paused
  bool eof_seen = false;        // reading stopped for good at EOF
  ByteBuffer wbuf;
  std::size_t high = kDefaultHigh, low = kDefaultHigh / 4;
  bool closing = false;
  bool wr_eof = false;
  int conn_lost = 0;
  std::exception_ptr lost_exc;  // for the queued connection_lost

  // protocol
  bool proto_paused = false;
  bool connection_lost = false;
  std::vector<IoFuture*> drain_waiters;
  Future<void> closed;

  ServerState* server = nullptr;
  std::optional<Address> peername, sockname;

  ~StreamConn() {
    LoopCore::unlink_close_hook(&hook);
    if (closed.valid() && closed.done() && !closed.cancelled()) (void)closed.exception();
  }
};

struct ServerState {
  struct AcceptWatch : IoWatcher {
    ServerState* s = nullptr;
    int fd = -1;
  };
  struct Hook : CloseHook {
    ServerState* s = nullptr;
  };
  EventLoop* loop = nullptr;
  std::uint32_t refs = 1;
  std::vector<Socket> sockets;
  std::vector<std::unique_ptr<AcceptWatch>> watches;
  bool sockets_none = false;  // Python: self._sockets is None
  bool serving = false;
  int backlog = 100;
  std::size_t limit = stream_default_limit;
  int active_count = 0;
  std::vector<StreamConn*> clients;
  std::vector<Future<void>> waiters;
  bool waiters_none = false;  // Python: self._waiters is None
  Future<void> serving_forever_fut;
  ClientCallback cb;
  Hook hook;

  ~ServerState() {
    LoopCore::unlink_close_hook(&hook);
    if (cb.destroy) cb.destroy(cb.obj);
  }
};

namespace {
// --- connection: reference counting -------------------------------------------------------

void conn_release(StreamConn* c) {
  if (--c->refs == 0) delete c;
}

void server_release(ServerState* s);
void server_detach(ServerState* s, StreamConn* c);

// --- connection: reader side (CPython StreamReader) ---------------------------------------

void wake_waiter(StreamConn* c) {
  IoFuture* w = std::exchange(c->waiter, nullptr);
  if (w && !w->done()) w->finish_with_value();
}

void reader_set_exception(StreamConn* c, std::exception_ptr e) {
  c->exc = e;
  IoFuture* w = std::exchange(c->waiter, nullptr);
  if (w && !w->done()) w->finish_with_exception(e);
}

void feed_eof(StreamConn* c) {
  c->eof = true;
  wake_waiter(c);
}

void transport_pause_reading(StreamConn* c) {
  if (c->closing || c->reading_paused) return;
  c->reading_paused = true;
  c->loop->unwatch_fd(c->fd, false);
}

void transport_resume_reading(StreamConn* c) {
  if (c->closing || !c->reading_paused) return;
  c->reading_paused = false;
  if (!c->eof_seen) c->loop->watch_fd(c->fd, false, &c->rw);
}

void feed_data(StreamConn* c, const char* d, std::size_t n) {
  if (n == 0) return;
  c->rbuf.append(d, n);
  wake_waiter(c);
  if (!c->reader_paused && c->rbuf.size() > 2 * c->limit) {
    transport_pause_reading(c);
    c->reader_paused = true;
  }
}

void maybe_resume_transport(StreamConn* c) {
  if (c->reader_paused && c->rbuf.size() <= c->limit) {
    c->reader_paused = false;
    transport_resume_reading(c);
  }
}

// --- connection: transport ------------------------------------------------------------------

// In place, as CPython (`for waiter in self._drain_waiters`): finishing a future only
// queues its callbacks, and each waiter unlinks itself when its awaiter ends, so the
// vector keeps its capacity for the next drain.
void wake_drain_waiters(StreamConn* c, std::exception_ptr e) {
  for (IoFuture* f : c->drain_waiters) {
    if (f->done()) continue;
    if (e)
      f->finish_with_exception(e);
    else
      f->finish_with_value();
  }
}

// CPython StreamReaderProtocol.connection_lost + FlowControlMixin.connection_lost, then
// the transport closes its socket and detaches from its server.
void finalize(StreamConn* c) {
  if (c->conn_lost == 0) c->conn_lost = 1;  // later writes are dropped, never sent to -1
  c->loop->unwatch_fd(c->fd, false);
  c->loop->unwatch_fd(c->fd, true);
  if (c->fd >= 0) ::close(std::exchange(c->fd, -1));
  LoopCore::unlink_close_hook(&c->hook);
  if (ServerState* s = std::exchange(c->server, nullptr)) server_detach(s, c);
  if (std::exchange(c->transport_ref, false)) conn_release(c);
}

void call_connection_lost(StreamConn* c, std::exception_ptr e) {
  c->refs++;  // finalize may drop the last reference
  try {
    if (!e)
      feed_eof(c);
    else
      reader_set_exception(c, e);
    if (!c->closed.done()) {
      if (e)
        c->closed.set_exception(e);
      else
        c->closed.set_result();
    }
    c->connection_lost = true;
    if (c->proto_paused) wake_drain_waiters(c, e);
  } catch (...) {
    finalize(c);
    conn_release(c);
    throw;
  }
  finalize(c);
  conn_release(c);
}

void lost_item(void* a, void*, Op op) {
  auto* c = static_cast<StreamConn*>(a);
  std::exception_ptr e = std::exchange(c->lost_exc, nullptr);
  if (op == Op::run)
    call_connection_lost(c, std::move(e));
  else
    finalize(c);  // the loop is closing: no callbacks any more
}

void schedule_connection_lost(StreamConn* c, std::exception_ptr e) {
  if (c->loop->is_closed()) {
    finalize(c);
    return;
  }
  c->lost_exc = std::move(e);
  c->loop->push_ready(&lost_item, c, nullptr);
}

// CPython _SelectorTransport._force_close.
void force_close(StreamConn* c, std::exception_ptr e) {
  if (c->conn_lost) return;
  if (!c->wbuf.empty()) {
    c->wbuf.clear();
    c->loop->unwatch_fd(c->fd, true);
  }
  if (!c->closing) {
    c->closing = true;
    c->loop->unwatch_fd(c->fd, false);
  }
  c->conn_lost++;
  schedule_connection_lost(c, std::move(e));
}

// CPython _fatal_error: OSErrors are expected (a peer going away): no log outside debug.
void fatal_error(StreamConn* c, std::exception_ptr e, const char* msg) {
  bool os_error = false;
  try {
    std::rethrow_exception(e);
  } catch (const OSError&) {
    os_error = true;
  } catch (...) {
  }
  // CPython `_fatal_error`: an OSError is only logged at debug level, never handed to the
  // exception handler; anything else is.
  if (!os_error) c->loop->call_exception_handler({msg, e, "<_SelectorSocketTransport>"});
  force_close(c, std::move(e));
}

void transport_close(StreamConn* c) {
  if (c->closing) return;
  c->closing = true;
  c->loop->unwatch_fd(c->fd, false);
  if (c->wbuf.empty()) {
    c->conn_lost++;
    c->loop->unwatch_fd(c->fd, true);
    schedule_connection_lost(c, nullptr);
  }
}

void read_ready(IoWatcher* w) {
  StreamConn* c = static_cast<StreamConn::Watch*>(w)->c;
  if (c->conn_lost) return;
  ssize_t n = ::recv(c->fd, tl_read_buf, kMaxRead, 0);
  if (n > 0) {
    feed_data(c, tl_read_buf, static_cast<std::size_t>(n));
  } else if (n == 0) {
    // eof_received() is true for streams: keep the transport open, stop reading.
    c->eof_seen = true;
    c->loop->unwatch_fd(c->fd, false);
    feed_eof(c);
  } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
    fatal_error(c, make_os_error(errno), "Fatal read error on socket transport");
  }
}

void maybe_resume_protocol(StreamConn* c) {
  if (c->proto_paused && c->wbuf.size() <= c->low) {
    c->proto_paused = false;
    wake_drain_waiters(c, nullptr);
  }
}

void write_ready(IoWatcher* w) {
  StreamConn* c = static_cast<StreamConn::Watch*>(w)->c;
  if (c->conn_lost) return;
  ssize_t n = ::send(c->fd, c->wbuf.data(), c->wbuf.size(), MSG_NOSIGNAL);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
    int err = errno;
    c->loop->unwatch_fd(c->fd, true);
    c->wbuf.clear();
    fatal_error(c, make_os_error(err), "Fatal write error on socket transport");
    return;
  }
  c->wbuf.consume(static_cast<std::size_t>(n));
  maybe_resume_protocol(c);
  if (c->wbuf.empty()) {
    c->loop->unwatch_fd(c->fd, true);
    if (c->closing) {
      call_connection_lost(c, nullptr);
    } else if (c->wr_eof) {
      ::shutdown(c->fd, SHUT_WR);
    }
  }
}

void transport_write(StreamConn* c, std::string_view data) {
  if (c->wr_eof) throw RuntimeError("Cannot call write() after write_eof()");
  if (data.empty()) return;
  if (c->conn_lost) {
    c->conn_lost++;  // CPython logs "socket.send() raised exception." from the 5th on
    return;
  }
  if (c->wbuf.empty()) {
    ssize_t n = ::send(c->fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        fatal_error(c, make_os_error(errno), "Fatal write error on socket transport");
        return;
      }
      n = 0;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (data.empty()) return;
    c->loop->watch_fd(c->fd, true, &c->ww);
  }
  c->wbuf.append(data.data(), data.size());
  if (c->wbuf.size() > c->high) c->proto_paused = true;  // pause_writing()
}

void conn_hook(CloseHook* h) {
  // The loop is closing: no callback can run any more; close the socket now.
  StreamConn* c = static_cast<StreamConn::Hook*>(h)->c;
  c->closing = true;
  c->conn_lost++;
  finalize(c);
}

StreamConn* conn_create(EventLoop& loop, Socket sock, std::size_t limit, ServerState* server) {
  auto* c = new StreamConn;
  c->loop = &loop;
  c->limit = limit;
  c->family = sock.family();
  if (c->family == AF_INET || c->family == AF_INET6) {
    int one = 1;
    ::setsockopt(sock.fileno(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  try {
    c->peername = sock.getpeername();
  } catch (const OSError&) {
  }
  try {
    c->sockname = sock.getsockname();
  } catch (const OSError&) {
  }
  c->rw.c = c->ww.c = c;
  c->rw.fn = &read_ready;
  c->ww.fn = &write_ready;
  c->hook.c = c;
  c->hook.fn = &conn_hook;
  try {
    c->closed = loop.create_future<void>();
    if (sock.getblocking()) sock.setblocking(false);
    c->fd = sock.detach();
    loop.watch_fd(c->fd, false, &c->rw);
  } catch (...) {
    if (c->fd >= 0) ::close(c->fd);
    c->fd = -1;
    delete c;
    throw;
  }
  loop.link_close_hook(&c->hook);
  if (server) {
    c->server = server;
    server->refs++;
    server->active_count++;
    server->clients.push_back(c);
  }
  return c;
}

// --- reads ----------------------------------------------------------------------------------

StreamConn* conn_of(const StreamReader& r) { return r.conn_ptr(); }

// One pass of CPython readuntil's loop: true when `out` holds the chunk; false when more
// data is needed. Throws LimitOverrunError / IncompleteReadError as CPython.
bool readuntil_step(StreamConn* c, std::string_view sep, std::size_t& offset, std::string& out) {
  std::string_view buf = c->rbuf.view();
  const std::size_t seplen = sep.size();
  if (buf.size() - offset >= seplen) {
    std::size_t isep = buf.find(sep, offset);
    if (isep != std::string_view::npos) {
      if (isep > c->limit)
        throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
      out = c->rbuf.take(isep + seplen);
      maybe_resume_transport(c);
      return true;
    }
    offset = buf.size() + 1 > seplen ? buf.size() + 1 - seplen : 0;
    if (offset > c->limit)
      throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
  }
  if (c->eof) {
    std::string chunk(buf);
    c->rbuf.clear();
    throw IncompleteReadError(std::move(chunk), std::nullopt);
  }
  return false;
}

Coro<std::string> readuntil_impl(StreamReader r, std::string sep) {
  StreamConn* c = conn_of(r);
  if (sep.empty()) throw std::invalid_argument("Separator should be at least one-byte string");
  if (c->exc) std::rethrow_exception(c->exc);
  std::size_t offset = 0;
  std::string out;
  while (!readuntil_step(c, sep, offset, out)) co_await DataWaitAwaiter(c, "readuntil");
  co_return out;
}

Coro<std::string> readline_impl(StreamReader r) {
  StreamConn* c = conn_of(r);
  if (c->exc) std::rethrow_exception(c->exc);
  std::size_t offset = 0;
  std::string out;
  for (;;) {
    bool found;
    try {
      found = readuntil_step(c, "\n", offset, out);
    } catch (IncompleteReadError& e) {
      co_return std::string(e.partial());
    } catch (const LimitOverrunError& e) {
      std::string_view buf = c->rbuf.view();
      if (buf.size() > e.consumed() && buf[e.consumed()] == '\n')
        c->rbuf.consume(e.consumed() + 1);
      else
        c->rbuf.clear();
      maybe_resume_transport(c);
      throw std::invalid_argument(e.what());
    }
    if (found) co_return out;
    co_await DataWaitAwaiter(c, "readuntil");
  }
}

Coro<std::string> read_impl(StreamReader r, std::ptrdiff_t n) {
  StreamConn* c = conn_of(r);
  if (c->exc) std::rethrow_exception(c->exc);
  if (n == 0) co_return std::string();
  if (n < 0) {
    std::string all;
    for (;;) {
      if (c->exc) std::rethrow_exception(c->exc);
      if (c->rbuf.empty() && !c->eof) co_await DataWaitAwaiter(c, "read");
      std::size_t k = std::min(c->rbuf.size(), c->limit);
      if (k == 0) break;
      all.append(c->rbuf.data(), k);
      c->rbuf.consume(k);
      maybe_resume_transport(c);
    }
    co_return all;
  }
  if (c->rbuf.empty() && !c->eof) co_await DataWaitAwaiter(c, "read");
  std::size_t k = std::min(c->rbuf.size(), static_cast<std::size_t>(n));
  std::string out = c->rbuf.take(k);
  maybe_resume_transport(c);
  co_return out;
}

Coro<std::string> readexactly_impl(StreamReader r, std::ptrdiff_t n) {
  StreamConn* c = conn_of(r);
  if (n < 0) throw std::invalid_argument("readexactly size can not be less than zero");
  if (c->exc) std::rethrow_exception(c->exc);
  if (n == 0) co_return std::string();
  const auto want = static_cast<std::size_t>(n);
  while (c->rbuf.size() < want) {
    if (c->eof) {
      std::string partial(c->rbuf.view());
      c->rbuf.clear();
      throw IncompleteReadError(std::move(partial), want);
    }
    co_await DataWaitAwaiter(c, "readexactly");
  }
  std::string out = c->rbuf.take(want);
  maybe_resume_transport(c);
  co_return out;
}

StreamConn* conn_of_writer(const StreamWriter& w) { return w.conn_ptr(); }

Coro<void> drain_impl(StreamWriter w) {
  StreamConn* c = conn_of_writer(w);
  if (c->exc) std::rethrow_exception(c->exc);
  if (c->closing) co_await asyncio::sleep(0);  // let connection_lost run first
  co_await DrainAwaiter(c);
}

Coro<void> wait_closed_impl(StreamWriter w) {
  Future<void> f = conn_of_writer(w)->closed;
  co_await f;
}
}  // namespace

// --- awaiters -------------------------------------------------------------------------------

bool DataWaitAwaiter::await_ready() {
  if (c_->waiter)
    throw RuntimeError(std::string(func_) +
                       "() called while another coroutine is already waiting for incoming data");
  // Lost while no read was waiting: fail now rather than wait for nothing.
  if (c_->exc) std::rethrow_exception(c_->exc);
  return false;
}

void DataWaitAwaiter::suspend() {
  if (c_->reader_paused) {
    c_->reader_paused = false;
    transport_resume_reading(c_);
  }
  fut_.loop_ = c_->loop;
  c_->waiter = &fut_;
}

DataWaitAwaiter::~DataWaitAwaiter() {
  if (!task_) return;
  unpark(&fut_, task_);
  if (c_->waiter == &fut_) c_->waiter = nullptr;
}

bool DrainAwaiter::await_ready() {
  if (c_->connection_lost) throw ConnectionResetError("Connection lost");
  return !c_->proto_paused;
}

void DrainAwaiter::suspend() {
  fut_.loop_ = c_->loop;
  c_->drain_waiters.push_back(&fut_);
}

DrainAwaiter::~DrainAwaiter() {
  if (!task_) return;
  unpark(&fut_, task_);
  auto& ws = c_->drain_waiters;
  ws.erase(std::remove(ws.begin(), ws.end(), &fut_), ws.end());
}

// --- users ----------------------------------------------------------------------------------

void conn_add_user(StreamConn* c) {
  c->users++;
  c->refs++;
}

void conn_drop_user(StreamConn* c) {
  if (--c->users == 0 && !c->closing && c->fd >= 0) {
    // CPython StreamWriter.__del__: close an unclosed connection.
    if (c->loop->is_closed()) {
      conn_hook(&c->hook);
    } else {
      transport_close(c);
    }
  }
  conn_release(c);
}

}  // namespace detail

// --- StreamReader ---------------------------------------------------------------------------

StreamReader::StreamReader(detail::StreamConn* c) : c_(c) {}
detail::StreamConn* StreamReader::conn_ptr() const {
  if (!c_.get()) throw InvalidStateError("empty StreamReader handle");
  return c_.get();
}
Coro<std::string> StreamReader::read(std::ptrdiff_t n) { return detail::read_impl(*this, n); }
Coro<std::string> StreamReader::readline() { return detail::readline_impl(*this); }
Coro<std::string> StreamReader::readexactly(std::ptrdiff_t n) {
  return detail::readexactly_impl(*this, n);
}
Coro<std::string> StreamReader::readuntil(std::string separator) {
  return detail::readuntil_impl(*this, std::move(separator));
}
bool StreamReader::at_eof() const { return conn_ptr()->eof && conn_ptr()->rbuf.empty(); }
std::exception_ptr StreamReader::exception() const { return conn_ptr()->exc; }
std::size_t StreamReader::limit() const { return conn_ptr()->limit; }
std::size_t StreamReader::buffered() const { return conn_ptr()->rbuf.size(); }

// --- StreamWriter ---------------------------------------------------------------------------

StreamWriter::StreamWriter(detail::StreamConn* c) : c_(c) {}
detail::StreamConn* StreamWriter::conn_ptr() const {
  if (!c_.get()) throw InvalidStateError("empty StreamWriter handle");
  return c_.get();
}
void StreamWriter::write(std::string_view data) { detail::transport_write(conn_ptr(), data); }
Coro<void> StreamWriter::drain() { return detail::drain_impl(*this); }
void StreamWriter::write_eof() {
  detail::StreamConn* c = conn_ptr();
  if (c->closing || c->wr_eof) return;
  c->wr_eof = true;
  if (c->wbuf.empty()) ::shutdown(c->fd, SHUT_WR);
}
void StreamWriter::close() { detail::transport_close(conn_ptr()); }
void StreamWriter::abort() { detail::force_close(conn_ptr(), nullptr); }
bool StreamWriter::is_closing() const { return conn_ptr()->closing; }
Coro<void> StreamWriter::wait_closed() { return detail::wait_closed_impl(*this); }
std::optional<Address> StreamWriter::get_extra_info(std::string_view name) const {
  detail::StreamConn* c = conn_ptr();
  if (name == "peername") return c->peername;
  if (name == "sockname") return c->sockname;
  return std::nullopt;
}
std::size_t StreamWriter::get_write_buffer_size() const { return conn_ptr()->wbuf.size(); }
void StreamWriter::set_write_buffer_limits(std::optional<std::size_t> high,
                                           std::optional<std::size_t> low) {
  detail::StreamConn* c = conn_ptr();
  std::size_t h = high ? *high : (low ? 4 * *low : detail::kDefaultHigh);
  std::size_t l = low ? *low : h / 4;
  if (h < l)
    throw std::invalid_argument("high (" + std::to_string(h) + ") must be >= low (" +
                                std::to_string(l) + ") must be >= 0");
  c->high = h;
  c->low = l;
  if (c->wbuf.size() > c->high) c->proto_paused = true;
  detail::maybe_resume_protocol(c);
}

// --- Server ---------------------------------------------------------------------------------

namespace detail {
namespace {

void server_wakeup(ServerState* s) {
  std::vector<Future<void>> ws;
  ws.swap(s->waiters);
  s->waiters_none = true;
  if (s->loop->is_closed()) return;  // no callback can run any more
  for (auto& w : ws)
    if (!w.done()) w.set_result();
}

void server_detach(ServerState* s, StreamConn* c) {
  auto& cl = s->clients;
  cl.erase(std::remove(cl.begin(), cl.end(), c), cl.end());
  s->active_count--;
  if (s->active_count == 0 && s->sockets_none) server_wakeup(s);
  server_release(s);
}

void stop_listening(ServerState* s) {
  for (std::size_t i = 0; i < s->sockets.size(); ++i) {
    int fd = s->sockets[i].fileno();
    if (s->loop->fd_watcher(fd, false) == s->watches[i].get()) s->loop->unwatch_fd(fd, false);
    s->sockets[i].close();
  }
  s->sockets.clear();
  s->watches.clear();
}

void server_close(ServerState* s) {
  if (s->sockets_none) return;
  s->sockets_none = true;
  stop_listening(s);
  s->serving = false;
  if (s->serving_forever_fut.valid() && !s->serving_forever_fut.done()) {
    s->serving_forever_fut.cancel();
    s->serving_forever_fut = Future<void>();
  }
  if (s->active_count == 0) server_wakeup(s);
}

void server_hook(CloseHook* h) {
  // The loop is closing: stop listening; nothing may touch the loop afterwards.
  ServerState* s = static_cast<ServerState::Hook*>(h)->s;
  s->sockets_none = true;
  s->serving = false;
  s->waiters_none = true;
  s->waiters.clear();
  stop_listening(s);
}

void server_release(ServerState* s) {
  if (--s->refs == 0) {
    stop_listening(s);
    delete s;
  }
}

void start_client(ServerState* s, Socket sock) {
  StreamConn* c = conn_create(*s->loop, std::move(sock), s->limit, s);
  StreamReader r(c);
  StreamWriter w(c);
  Coro<void> coro = s->cb.call(s->cb.obj, r, std::move(w));
  Task<void> t = s->loop->create_task(std::move(coro));
  // CPython StreamReaderProtocol.connection_made's done callback.
  struct Ref {
    StreamConn* c;
    explicit Ref(StreamConn* x) : c(x) { c->refs++; }
    Ref(Ref&& o) noexcept : c(std::exchange(o.c, nullptr)) {}
    Ref(const Ref& o) : c(o.c) {
      if (c) c->refs++;
    }
    ~Ref() {
      if (c) conn_release(c);
    }
  };
  t.add_done_callback([ref = Ref(c)](const auto& task) {
    StreamConn* conn = ref.c;
    if (task.cancelled()) {
      transport_close(conn);
      return;
    }
    if (std::exception_ptr e = task.exception()) {
      conn->loop->call_exception_handler(
          {"Unhandled exception in client_connected_cb", e, "<_SelectorSocketTransport>"});
      transport_close(conn);
    }
  });
}

void accept_ready(IoWatcher* w) {
  auto* aw = static_cast<ServerState::AcceptWatch*>(w);
  ServerState* s = aw->s;
  s->refs++;
  struct Release {
    ServerState* s;
    ~Release() { server_release(s); }
  } release{s};
  for (int i = 0; i < s->backlog; ++i) {
    if (s->sockets_none) return;
    int fd = ::accept4(aw->fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      int err = errno;
      if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR || err == ECONNABORTED) return;
      if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
        // CPython: log, stop accepting for a second (constants.ACCEPT_RETRY_DELAY).
        s->loop->call_exception_handler(
            {"socket.accept() out of system resource", make_os_error(err), "<Server>"});
        int lfd = aw->fd;
        s->loop->unwatch_fd(lfd, false);
        s->refs++;
        s->loop->call_later(1.0, [s, lfd, aw] {
          if (!s->sockets_none && s->serving && !s->loop->fd_watcher(lfd, false))
            s->loop->watch_fd(lfd, false, aw);
          server_release(s);
        });
        return;
      }
      s->loop->call_exception_handler({"Error on accepting", make_os_error(err), "<Server>"});
      return;
    }
    try {
      start_client(s, Socket::from_fd(fd));
    } catch (...) {
      s->loop->call_exception_handler(
          {"Error on transport creation for incoming connection", std::current_exception(), {}});
    }
  }
}

void server_start_serving(ServerState* s) {
  if (s->serving) return;
  s->serving = true;
  for (std::size_t i = 0; i < s->sockets.size(); ++i) {
    Socket& sock = s->sockets[i];
    sock.listen(s->backlog);
    sock.setblocking(false);
    auto w = std::make_unique<ServerState::AcceptWatch>();
    w->s = s;
    w->fd = sock.fileno();
    w->fn = &accept_ready;
    s->loop->watch_fd(sock.fileno(), false, w.get());
    s->watches.push_back(std::move(w));
  }
}

std::string server_repr(ServerState* s) {
  std::string out = "<Server sockets=(";
  for (const Socket& sock : s->sockets) {
    out += "<asyncio.TransportSocket fd=" + std::to_string(sock.fileno()) +
           ", family=" + std::to_string(sock.family()) + ", type=" + std::to_string(sock.type()) +
           ", proto=" + std::to_string(sock.proto()) + ", laddr=" + sock.getsockname().repr() + ">";
    out += s->sockets.size() == 1 ? ",)" : ", ";
  }
  if (s->sockets.size() != 1) {
    if (s->sockets.size() > 1) out.resize(out.size() - 2);
    out += ")";
  }
  return out + ">";
}
}  // namespace

Coro<Server> start_server_impl(ClientCallback cb, std::string host, int port, ServerOptions o) {
  struct CbGuard {
    ClientCallback cb;
    ~CbGuard() {
      if (cb.destroy) cb.destroy(cb.obj);
    }
  } guard{cb};
  EventLoop& loop = get_running_loop();
  if (o.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  std::vector<AddrInfo> infos;
  if (host.empty())
    infos = co_await loop.getaddrinfo(host, port, o.family, SOCK_STREAM, 0, AI_PASSIVE);
  else
    infos = co_await ensure_resolved(host, port, o.family, SOCK_STREAM, AI_PASSIVE);
  if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
  std::vector<Socket> socks;
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const AddrInfo& ai = infos[i];
    bool dup = false;
    for (std::size_t j = 0; j < i; ++j)
      dup = dup || (infos[j].family == ai.family && infos[j].sockaddr == ai.sockaddr);
    if (dup) continue;
    Socket sock(ai.family, SOCK_STREAM, ai.proto);
    if (o.reuse_address) sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (o.reuse_port) sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
    if (ai.family == AF_INET6) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
    try {
      sock.bind(ai.sockaddr);
    } catch (const OSError& e) {
      std::string why = e.strerror();
      for (char& ch : why) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      throw_os_error(e.errnum(), "error while attempting to bind on address " + ai.sockaddr.repr() +
                                     ": " + why);
    }
    socks.push_back(std::move(sock));
  }
  auto* s = new ServerState;
  Server server(s);
  s->loop = &loop;
  s->sockets = std::move(socks);
  s->backlog = o.backlog;
  s->limit = o.limit;
  s->cb = std::exchange(guard.cb, ClientCallback{});
  s->hook.s = s;
  s->hook.fn = &server_hook;
  loop.link_close_hook(&s->hook);
  if (o.start_serving) {
    server_start_serving(s);
    co_await asyncio::sleep(0);
  }
  co_return server;
}

}  // namespace detail

Server::Server(const Server& o) : s_(o.s_) {
  if (s_) s_->refs++;
}
Server::~Server() {
  if (s_) detail::server_release(s_);
}
detail::ServerState& Server::st() const {
  if (!s_) throw InvalidStateError("empty Server handle");
  return *s_;
}
void Server::close() { detail::server_close(&st()); }
void Server::close_clients() {
  std::vector<detail::StreamConn*> cl = st().clients;
  for (auto* c : cl) detail::transport_close(c);
}
void Server::abort_clients() {
  std::vector<detail::StreamConn*> cl = st().clients;
  for (auto* c : cl) detail::force_close(c, nullptr);
}
bool Server::is_serving() const { return st().serving; }
const std::vector<Socket>& Server::sockets() const { return st().sockets; }
EventLoop& Server::get_loop() const { return *st().loop; }
std::string Server::repr() const { return detail::server_repr(&st()); }

namespace detail {
namespace {
ServerState& state_of(const Server& s) {
  if (!s.state()) throw InvalidStateError("empty Server handle");
  return *s.state();
}

Coro<void> server_wait_closed(Server self) {
  ServerState& s = state_of(self);
  if (s.waiters_none) co_return;
  Future<void> w = s.loop->create_future<void>();
  s.waiters.push_back(w);
  co_await w;
}

Coro<void> server_start_serving_coro(Server self) {
  server_start_serving(&state_of(self));
  co_await asyncio::sleep(0);
}

Coro<void> server_serve_forever(Server self) {
  ServerState& s = state_of(self);
  if (s.serving_forever_fut.valid())
    throw RuntimeError("server " + server_repr(&s) +
                       " is already being awaited on serve_forever()");
  if (s.sockets_none) throw RuntimeError("server " + server_repr(&s) + " is closed");
  server_start_serving(&s);
  s.serving_forever_fut = s.loop->create_future<void>();
  Future<void> f = s.serving_forever_fut;
  std::exception_ptr cancel;
  try {
    co_await f;
  } catch (const CancelledError&) {
    cancel = std::current_exception();
  }
  if (cancel) {
    std::exception_ptr other;
    try {
      self.close();
      co_await self.wait_closed();
    } catch (...) {
      other = std::current_exception();
    }
    s.serving_forever_fut = Future<void>();
    if (other) std::rethrow_exception(other);
    std::rethrow_exception(cancel);  // CPython: `finally: raise`
  }
  s.serving_forever_fut = Future<void>();
}
}  // namespace
}  // namespace detail

Coro<void> Server::wait_closed() { return detail::server_wait_closed(Server(*this)); }
Coro<void> Server::start_serving() { return detail::server_start_serving_coro(Server(*this)); }
Coro<void> Server::serve_forever() { return detail::server_serve_forever(Server(*this)); }

// --- open_connection ------------------------------------------------------------------------

Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port,
                                                            StreamOptions opts) {
  EventLoop& loop = get_running_loop();
  if (opts.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  std::vector<AddrInfo> infos =
      co_await detail::ensure_resolved(host, port, opts.family, SOCK_STREAM, opts.flags);
  if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
  std::vector<std::exception_ptr> errors;
  std::optional<Socket> connected;
  for (const AddrInfo& ai : infos) {
    try {
      Socket sock(ai.family, SOCK_STREAM, ai.proto);
      sock.setblocking(false);
      co_await loop.sock_connect(sock, ai.sockaddr);
      connected.emplace(std::move(sock));
      break;
    } catch (const OSError&) {
      errors.push_back(std::current_exception());
    }
  }
  if (!connected) {
    if (errors.size() == 1) std::rethrow_exception(errors[0]);
    std::vector<std::string> msgs;
    for (auto& e : errors) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        msgs.emplace_back(x.what());
      }
    }
    if (std::all_of(msgs.begin(), msgs.end(), [&](const std::string& m) { return m == msgs[0]; }))
      std::rethrow_exception(errors[0]);
    std::string joined;
    for (std::size_t i = 0; i < msgs.size(); ++i) joined += (i ? ", " : "") + msgs[i];
    throw OSError("Multiple exceptions: " + joined);
  }
  detail::StreamConn* c = detail::conn_create(loop, std::move(*connected), opts.limit, nullptr);
  StreamReader r(c);
  StreamWriter w(c);
  co_return std::pair<StreamReader, StreamWriter>(std::move(r), std::move(w));
}

}  // namespace asyncio
