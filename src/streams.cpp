// TCP streams: CPython `streams.py` — `StreamReader` (the buffer and its reads),
// `StreamReaderProtocol` with `FlowControlMixin` (the protocol a socket transport feeds:
// reader input, drain wake-ups, the closed future), `StreamWriter` (writes, drain and close
// on the transport), and `open_connection`. The transport is src/transport.cpp, the server
// src/server.cpp. See streams.hpp and detail/stream_conn.hpp.

#include "asyncio/streams.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

#include "asyncio/detail/protocol_conn.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/stream_conn.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/sleep.hpp"
#ifdef ASYNCIO_HAS_TLS
#include "asyncio/ssl.hpp"
#endif

namespace asyncio {
namespace detail {

namespace {
// --- StreamReader: input -------------------------------------------------------------------

// CPython `_wakeup_waiter`.
void wake_waiter(StreamConn* c) {
  IoFuture* w = std::exchange(c->reader.waiter, nullptr);
  if (w && !w->done()) w->finish_with_value();
}

void reader_set_exception(StreamConn* c, std::exception_ptr e) {
  c->reader.exception = e;
  IoFuture* w = std::exchange(c->reader.waiter, nullptr);
  if (w && !w->done()) w->finish_with_exception(e);
}

void feed_eof(StreamConn* c) {
  c->reader.eof = true;
  wake_waiter(c);
}

void feed_data(StreamConn* c, const char* d, std::size_t n) {
  StreamConn::Reader& r = c->reader;
  r.buffer.append(d, n);
  wake_waiter(c);
  if (!r.paused_transport && r.buffer.size() > 2 * r.limit) {
    transport_pause_reading(&c->transport);
    r.paused_transport = true;
  }
}

// CPython `_maybe_resume_transport`.
void maybe_resume_transport(StreamConn* c) {
  if (c->reader.paused_transport && c->reader.buffer.size() <= c->reader.limit) {
    c->reader.paused_transport = false;
    transport_resume_reading(&c->transport);
  }
}

// --- StreamReaderProtocol + FlowControlMixin: what the transport calls -----------------------

StreamConn* conn_of(void* protocol) { return static_cast<StreamConn*>(protocol); }

// In place, as CPython (`for waiter in self._drain_waiters`): finishing a future only
// queues its callbacks, and each waiter unlinks itself when its awaiter ends.
void wake_drain_waiters(StreamConn* c, std::exception_ptr e) {
  for (DrainWaiter& w : c->protocol.drain_waiters) {
    if (w.fut.done()) continue;
    if (e)
      w.fut.finish_with_exception(e);
    else
      w.fut.finish_with_value();
  }
}

void proto_data_received(void* p, const char* data, std::size_t n) {
  feed_data(conn_of(p), data, n);
}

bool proto_eof_received(void* p) {
  feed_eof(conn_of(p));
  return true;  // keep the transport open: the writer may go on (CPython, without TLS)
}

void proto_pause_writing(void* p) { conn_of(p)->protocol.writing_paused = true; }

void proto_resume_writing(void* p) {
  StreamConn* c = conn_of(p);
  c->protocol.writing_paused = false;
  wake_drain_waiters(c, nullptr);
}

// StreamReaderProtocol.connection_lost, then FlowControlMixin.connection_lost.
void proto_connection_lost(void* p, std::exception_ptr e) {
  StreamConn* c = conn_of(p);
  if (!e)
    feed_eof(c);
  else
    reader_set_exception(c, e);
  Future<void>& closed = c->protocol.closed;
  if (!closed.done()) {
    if (e)
      closed.set_exception(e);
    else
      closed.set_result();
  }
  c->protocol.connection_lost = true;
  if (c->protocol.writing_paused) wake_drain_waiters(c, e);
  if (c->on_lost) c->on_lost(c->on_lost_ctx, c->on_lost_index);
}

void proto_destroy(void* p) { delete conn_of(p); }
}  // namespace

const ProtocolOps stream_protocol_ops = {
    .connection_made = nullptr,  // set up before its transport: reading starts at once
    .data_received = &proto_data_received,
    .eof_received = &proto_eof_received,
    .pause_writing = &proto_pause_writing,
    .resume_writing = &proto_resume_writing,
    .connection_lost = &proto_connection_lost,
    .detach = nullptr,
    .destroy = &proto_destroy,
};

StreamConn* conn_create(EventLoop& loop, Socket sock, std::size_t limit, ServerState* server,
                        const TlsParams* tls) {
  auto* c = new StreamConn;
  c->reader.limit = limit;
  try {
    c->protocol.closed = loop.create_future<void>();
#ifdef ASYNCIO_HAS_TLS
    if (tls) {
      c->transport.waiter = loop.create_future<void>();
      transport_set_tls(&c->transport, *tls);
    }
#else
    (void)tls;
#endif
    transport_init(&c->transport, loop, std::move(sock), &stream_protocol_ops, c, server);
  } catch (...) {
    delete c;
    throw;
  }
  return c;
}

StreamConn* conn_create_pipe(EventLoop& loop, int fd, FdKind kind, std::size_t limit) {
  auto* c = new StreamConn;
  c->reader.limit = limit;
  try {
    c->protocol.closed = loop.create_future<void>();
    pipe_transport_init(&c->transport, loop, fd, kind, &stream_protocol_ops, c);
  } catch (...) {
    delete c;
    throw;
  }
  return c;
}

// --- handles ------------------------------------------------------------------------------

void conn_add_user(StreamConn* c) {
  c->users++;
  conn_add_ref(c);
}

void conn_drop_user(StreamConn* c) {
  SocketTransport* t = &c->transport;
  if (--c->users == 0 && !t->closing && t->fd >= 0) {
    // CPython StreamWriter.__del__: close an unclosed connection.
    if (t->loop->is_closed())
      transport_close_now(t);
    else
      transport_close(t);
  }
  conn_release(c);
}

namespace {
// --- StreamReader: reads ---------------------------------------------------------------------

// One pass of CPython readuntil's loop: true when `out` holds the chunk; false when more
// data is needed. Throws LimitOverrunError / IncompleteReadError as CPython.
bool readuntil_step(StreamConn* c, std::string_view sep, std::size_t& offset, std::string& out) {
  std::string_view buf = c->reader.buffer.view();
  const std::size_t seplen = sep.size();
  if (buf.size() - offset >= seplen) {
    std::size_t isep = buf.find(sep, offset);
    if (isep != std::string_view::npos) {
      if (isep > c->reader.limit)
        throw LimitOverrunError("Separator is found, but chunk is longer than limit", isep);
      out = c->reader.buffer.take(isep + seplen);
      maybe_resume_transport(c);
      return true;
    }
    offset = buf.size() + 1 > seplen ? buf.size() + 1 - seplen : 0;
    if (offset > c->reader.limit)
      throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset);
  }
  if (c->reader.eof) {
    std::string chunk(buf);
    c->reader.buffer.clear();
    throw IncompleteReadError(std::move(chunk), std::nullopt);
  }
  return false;
}

Coro<std::string> readuntil_impl(StreamReader r, std::string sep) {
  StreamConn* c = StreamsAccess::conn(r);
  if (sep.empty()) throw std::invalid_argument("Separator should be at least one-byte string");
  if (c->reader.exception) std::rethrow_exception(c->reader.exception);
  std::size_t offset = 0;
  std::string out;
  while (!readuntil_step(c, sep, offset, out)) co_await DataWaitAwaiter(c, "readuntil");
  co_return out;
}

Coro<std::string> readline_impl(StreamReader r) {
  StreamConn* c = StreamsAccess::conn(r);
  if (c->reader.exception) std::rethrow_exception(c->reader.exception);
  std::size_t offset = 0;
  std::string out;
  for (;;) {
    bool found;
    try {
      found = readuntil_step(c, "\n", offset, out);
    } catch (IncompleteReadError& e) {
      co_return std::string(e.partial());
    } catch (const LimitOverrunError& e) {
      std::string_view buf = c->reader.buffer.view();
      if (buf.size() > e.consumed() && buf[e.consumed()] == '\n')
        c->reader.buffer.consume(e.consumed() + 1);
      else
        c->reader.buffer.clear();
      maybe_resume_transport(c);
      throw std::invalid_argument(e.what());
    }
    if (found) co_return out;
    co_await DataWaitAwaiter(c, "readuntil");
  }
}

Coro<std::string> read_impl(StreamReader r, std::ptrdiff_t n) {
  StreamConn* c = StreamsAccess::conn(r);
  if (c->reader.exception) std::rethrow_exception(c->reader.exception);
  if (n == 0) co_return std::string();
  if (n < 0) {
    std::string all;
    for (;;) {
      if (c->reader.exception) std::rethrow_exception(c->reader.exception);
      if (c->reader.buffer.empty() && !c->reader.eof) co_await DataWaitAwaiter(c, "read");
      std::size_t k = std::min(c->reader.buffer.size(), c->reader.limit);
      if (k == 0) break;
      all.append(c->reader.buffer.data(), k);
      c->reader.buffer.consume(k);
      maybe_resume_transport(c);
    }
    co_return all;
  }
  if (c->reader.buffer.empty() && !c->reader.eof) co_await DataWaitAwaiter(c, "read");
  std::size_t k = std::min(c->reader.buffer.size(), static_cast<std::size_t>(n));
  std::string out = c->reader.buffer.take(k);
  maybe_resume_transport(c);
  co_return out;
}

Coro<std::string> readexactly_impl(StreamReader r, std::ptrdiff_t n) {
  StreamConn* c = StreamsAccess::conn(r);
  if (n < 0) throw std::invalid_argument("readexactly size can not be less than zero");
  if (c->reader.exception) std::rethrow_exception(c->reader.exception);
  if (n == 0) co_return std::string();
  const auto want = static_cast<std::size_t>(n);
  while (c->reader.buffer.size() < want) {
    if (c->reader.eof) {
      std::string partial(c->reader.buffer.view());
      c->reader.buffer.clear();
      throw IncompleteReadError(std::move(partial), want);
    }
    co_await DataWaitAwaiter(c, "readexactly");
  }
  std::string out = c->reader.buffer.take(want);
  maybe_resume_transport(c);
  co_return out;
}

// --- StreamWriter ----------------------------------------------------------------------------

Coro<void> drain_impl(StreamWriter w) {
  StreamConn* c = StreamsAccess::conn(w);
  if (c->reader.exception) std::rethrow_exception(c->reader.exception);
  if (c->transport.closing) co_await asyncio::sleep(0);  // let connection_lost run first
  co_await DrainAwaiter(c);
}

Coro<void> wait_closed_impl(StreamWriter w) {
  Future<void> f = StreamsAccess::conn(w)->protocol.closed;
  co_await f;
}
}  // namespace

// --- awaiters -------------------------------------------------------------------------------

bool DataWaitAwaiter::await_ready() {
  if (c_->reader.waiter)
    throw RuntimeError(std::string(func_) +
                       "() called while another coroutine is already waiting for incoming data");
  // Lost while no read was waiting: fail now rather than wait for nothing.
  if (c_->reader.exception) std::rethrow_exception(c_->reader.exception);
  return false;
}

void DataWaitAwaiter::suspend() {
  if (c_->reader.paused_transport) {
    c_->reader.paused_transport = false;
    transport_resume_reading(&c_->transport);
  }
  fut_.loop_ = &detail::core_of(*c_->transport.loop);
  c_->reader.waiter = &fut_;
}

DataWaitAwaiter::~DataWaitAwaiter() {
  if (!task_) return;
  unpark(&fut_, task_);
  if (c_->reader.waiter == &fut_) c_->reader.waiter = nullptr;
}

bool DrainAwaiter::await_ready() {
  if (c_->protocol.connection_lost) throw ConnectionResetError("Connection lost");
  return !c_->protocol.writing_paused;
}

void DrainAwaiter::suspend() {
  waiter_.fut.loop_ = &detail::core_of(*c_->transport.loop);
  c_->protocol.drain_waiters.push_back(&waiter_);
}

DrainAwaiter::~DrainAwaiter() {
  if (!task_) return;
  unpark(&waiter_.fut, task_);
  waiter_.unlink();
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
bool StreamReader::at_eof() const {
  const detail::StreamConn::Reader& r = conn_ptr()->reader;
  return r.eof && r.buffer.empty();
}
std::exception_ptr StreamReader::exception() const { return conn_ptr()->reader.exception; }
std::size_t StreamReader::limit() const { return conn_ptr()->reader.limit; }
std::size_t StreamReader::buffered() const { return conn_ptr()->reader.buffer.size(); }

// --- StreamWriter ---------------------------------------------------------------------------

StreamWriter::StreamWriter(detail::StreamConn* c) : c_(c) {}
detail::StreamConn* StreamWriter::conn_ptr() const {
  if (!c_.get()) throw InvalidStateError("empty StreamWriter handle");
  return c_.get();
}
void StreamWriter::write(std::string_view data) {
  detail::transport_write(&conn_ptr()->transport, data);
}
Coro<void> StreamWriter::drain() { return detail::drain_impl(*this); }
void StreamWriter::write_eof() { detail::transport_write_eof(&conn_ptr()->transport); }
void StreamWriter::close() { detail::transport_close(&conn_ptr()->transport); }
void StreamWriter::abort() { detail::transport_force_close(&conn_ptr()->transport, nullptr); }
bool StreamWriter::is_closing() const { return conn_ptr()->transport.closing; }
Coro<void> StreamWriter::wait_closed() { return detail::wait_closed_impl(*this); }
std::optional<Address> StreamWriter::get_extra_info(std::string_view name) const {
  const detail::SocketTransport& t = conn_ptr()->transport;
  if (name == "peername") return t.peername;
  if (name == "sockname") return t.sockname;
  return std::nullopt;
}
std::size_t StreamWriter::get_write_buffer_size() const {
  return conn_ptr()->transport.write_buffer.size();
}
void StreamWriter::set_write_buffer_limits(std::optional<std::size_t> high,
                                           std::optional<std::size_t> low) {
  detail::transport_set_write_buffer_limits(&conn_ptr()->transport, high, low);
}
StreamReader StreamWriter::reader() const {
  return c_.get() ? detail::StreamsAccess::reader(c_.get()) : StreamReader();
}
Transport StreamWriter::transport() const {
  return detail::TransportAccess::transport(&conn_ptr()->transport);
}

#ifdef ASYNCIO_HAS_TLS
namespace {
// CPython StreamWriter.start_tls: the server side when the connection came from a server
// (`_client_connected_cb is not None`), drain, then loop.start_tls on the transport.
Coro<void> writer_start_tls(StreamWriter w, SSLContext ctx, std::optional<std::string> hostname,
                            double handshake_timeout, double shutdown_timeout) {
  detail::StreamConn* c = detail::StreamsAccess::conn(w);
  detail::tls_check_timeouts(handshake_timeout, shutdown_timeout);
  StartTlsOptions o;
  o.server_side = c->transport.server != nullptr;
  o.server_hostname = std::move(hostname);
  o.ssl_handshake_timeout = handshake_timeout;
  o.ssl_shutdown_timeout = shutdown_timeout;
  co_await w.drain();
  Transport t = co_await asyncio::start_tls(get_running_loop(), w.transport(), ctx, std::move(o));
  (void)t;  // the same transport (T8)
}
}  // namespace
#endif

Coro<void> StreamWriter::start_tls(const SSLContext& sslcontext,
                                   std::optional<std::string> server_hostname,
                                   double ssl_handshake_timeout, double ssl_shutdown_timeout) {
#ifdef ASYNCIO_HAS_TLS
  return writer_start_tls(*this, sslcontext, std::move(server_hostname), ssl_handshake_timeout,
                          ssl_shutdown_timeout);
#else
  (void)sslcontext, (void)server_hostname, (void)ssl_handshake_timeout, (void)ssl_shutdown_timeout;
  throw std::invalid_argument("asyncio was built without TLS");
#endif
}

// --- open_connection / open_unix_connection -------------------------------------------------

Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port,
                                                            StreamOptions opts) {
  EventLoop& loop = get_running_loop();
  if (opts.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  ConnectionOptions copts;
  copts.family = opts.family;
  copts.flags = opts.flags;
  copts.happy_eyeballs_delay = opts.happy_eyeballs_delay;
  copts.interleave = opts.interleave;
  std::optional<detail::TlsParams> tls =
      detail::tls_params(opts.ssl, false, opts.server_hostname, host, opts.ssl_handshake_timeout,
                         opts.ssl_shutdown_timeout);
  Socket sock = co_await detail::connect_tcp(loop, std::move(host), port, std::move(copts));
  detail::StreamConn* c =
      detail::conn_create(loop, std::move(sock), opts.limit, nullptr, tls ? &*tls : nullptr);
  StreamReader r = detail::StreamsAccess::reader(c);
  StreamWriter w = detail::StreamsAccess::writer(c);
  if (tls) {
    // CPython waits for the handshake before returning the streams.
    Future<void> waiter = c->transport.waiter;
    try {
      co_await waiter;
    } catch (...) {
      w.close();
      throw;
    }
  }
  co_return std::pair<StreamReader, StreamWriter>(std::move(r), std::move(w));
}

Coro<StreamReader> open_read_pipe(int fd, StreamOptions opts) {
  if (opts.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  detail::StreamConn* c =
      detail::conn_create_pipe(get_running_loop(), fd, detail::FdKind::read_pipe, opts.limit);
  co_return detail::StreamsAccess::reader(c);
}

Coro<StreamWriter> open_write_pipe(int fd, StreamOptions opts) {
  if (opts.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  detail::StreamConn* c =
      detail::conn_create_pipe(get_running_loop(), fd, detail::FdKind::write_pipe, opts.limit);
  co_return detail::StreamsAccess::writer(c);
}

Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 StreamOptions opts) {
  EventLoop& loop = get_running_loop();
  if (opts.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  // CPython create_unix_connection: there is no host to check the certificate against.
  if (opts.ssl && !opts.server_hostname)
    throw std::invalid_argument("you have to pass server_hostname when using ssl");
  std::optional<detail::TlsParams> tls =
      detail::tls_params(opts.ssl, false, opts.server_hostname, {}, opts.ssl_handshake_timeout,
                         opts.ssl_shutdown_timeout);
  Socket sock = co_await detail::connect_unix(loop, std::move(path));
  detail::StreamConn* c =
      detail::conn_create(loop, std::move(sock), opts.limit, nullptr, tls ? &*tls : nullptr);
  StreamReader r = detail::StreamsAccess::reader(c);
  StreamWriter w = detail::StreamsAccess::writer(c);
  if (tls) {
    Future<void> waiter = c->transport.waiter;
    try {
      co_await waiter;
    } catch (...) {
      w.close();
      throw;
    }
  }
  co_return std::pair<StreamReader, StreamWriter>(std::move(r), std::move(w));
}

}  // namespace asyncio
