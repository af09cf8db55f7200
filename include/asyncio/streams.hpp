#pragma once
/// \file streams.hpp
/// TCP streams: `open_connection`, `start_server`, `StreamReader`, `StreamWriter`,
/// `Server` — CPython's `asyncio.streams` over the selector transport. See
/// docs/streams.md.
///
/// A connection keeps its descriptor registered for reading while it is open and not
/// paused (the transport reads ahead into the reader's buffer, pausing above twice the
/// limit, as CPython); writes go straight to the socket, the rest is buffered and flushed
/// when the socket is writable. Readiness callbacks are intrusive watchers inside the
/// connection; read and drain waits park the task on a future embedded in the awaiter.
/// The machinery is in detail/: transport.hpp (`_SelectorSocketTransport`) and
/// stream_conn.hpp (`StreamReaderProtocol` and the reader's buffer on top of it); the code
/// in src/transport.cpp, src/streams.cpp and src/server.cpp.

#include <netdb.h>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/detail/scope.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/sockets.hpp"
#include "asyncio/task.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

/// The default buffer and line limit of a stream: 64 KiB. **Python:**
/// `asyncio.streams._DEFAULT_LIMIT`.
inline constexpr std::size_t stream_default_limit = 64 * 1024;

class SSLContext;  // asyncio/ssl.hpp (TLS builds)

/// Options of `open_connection`. **Python:** its keyword arguments `limit=`, `family=`,
/// `flags=`, `happy_eyeballs_delay=`, `interleave=`.
struct StreamOptions {
  std::size_t limit = stream_default_limit;  ///< `limit=`: line length and buffer limit
  int family = 0;                            ///< `family=` (AF_UNSPEC)
  int flags = 0;                             ///< `flags=` for getaddrinfo
  std::optional<double> happy_eyeballs_delay = std::nullopt;  ///< `happy_eyeballs_delay=`
  std::optional<int> interleave = std::nullopt;               ///< `interleave=` (ConnectionOptions)
  /// `ssl=`: TLS with this client context (copied); open_connection returns once the
  /// handshake is over, and throws its error. Null: plain TCP. TLS builds only.
  const SSLContext* ssl = nullptr;
  /// `server_hostname=`: checked against the certificate and sent as SNI; nullopt: `host`.
  std::optional<std::string> server_hostname = std::nullopt;
  double ssl_handshake_timeout = 60.0;  ///< `ssl_handshake_timeout=` (seconds)
  /// `ssl_shutdown_timeout=` (seconds): how long close() waits for the peer's close_notify
  /// before aborting the connection (connection_lost gets TimeoutError).
  double ssl_shutdown_timeout = 30.0;
};
/// Options of `start_server` and `create_server` (protocols.hpp, which ignores `limit`).
/// **Python:** their keyword arguments `limit=`, `family=`, `backlog=`, `reuse_address=`,
/// `reuse_port=`, `start_serving=`, `flags=`, `keep_alive=`.
struct ServerOptions {
  std::size_t limit = stream_default_limit;  ///< `limit=`
  int family = 0;                            ///< `family=` (AF_UNSPEC)
  int backlog = 100;                         ///< `backlog=`
  bool reuse_address = true;                 ///< `reuse_address=` (True on POSIX)
  bool reuse_port = false;                   ///< `reuse_port=`: SO_REUSEPORT
  bool start_serving = true;                 ///< `start_serving=`
  int flags = AI_PASSIVE;                    ///< `flags=` for getaddrinfo
  bool keep_alive = false;                   ///< `keep_alive=`: SO_KEEPALIVE
  /// `ssl=`: serve TLS with this context (a server context, `PROTOCOL_TLS_SERVER`, with
  /// its certificate loaded; copied: it need not outlive the call). Null: plain TCP. A
  /// failed handshake drops the connection (an `SSLError` is not reported, as CPython).
  /// TLS builds only (asyncio/ssl.hpp).
  const SSLContext* ssl = nullptr;
  double ssl_handshake_timeout = 60.0;  ///< `ssl_handshake_timeout=` (seconds)
  /// `ssl_shutdown_timeout=` (seconds): how long close() waits for the peer's close_notify
  /// before aborting the connection (connection_lost gets TimeoutError).
  double ssl_shutdown_timeout = 30.0;
};
/// Options of `start_unix_server` and `create_unix_server` (protocols.hpp, which
/// ignores `limit`). **Python:** their keyword arguments `limit=`, `backlog=`,
/// `start_serving=`, `cleanup_socket=` (3.13: the socket file is removed by close()),
/// `ssl=`, `ssl_handshake_timeout=`, `ssl_shutdown_timeout=`.
struct UnixServerOptions {
  std::size_t limit = stream_default_limit;  ///< `limit=`
  int backlog = 100;                         ///< `backlog=`
  bool start_serving = true;                 ///< `start_serving=`
  bool cleanup_socket = true;                ///< `cleanup_socket=`
  /// `ssl=`: serve TLS with this server context (copied), as `ServerOptions::ssl`.
  const SSLContext* ssl = nullptr;
  double ssl_handshake_timeout = 60.0;  ///< `ssl_handshake_timeout=` (seconds)
  double ssl_shutdown_timeout = 30.0;   ///< `ssl_shutdown_timeout=` (seconds)
};

class StreamReader;
class StreamWriter;
class Server;

// What the handles hold by value; the rest of the machinery is in detail/.
namespace detail {
struct StreamConn;   // detail/stream_conn.hpp
struct ServerState;  // src/server.cpp
struct StreamsAccess;
void conn_add_user(StreamConn* c);
void conn_drop_user(StreamConn* c);

/// A counted user reference to a connection, what StreamReader and StreamWriter hold:
/// copies add a reference; when the last one goes, an unclosed connection is closed.
class ConnRef {
 public:
  ConnRef() = default;
  explicit ConnRef(StreamConn* c) : c_(c) {
    if (c_) conn_add_user(c_);
  }
  ConnRef(const ConnRef& o) : ConnRef(o.c_) {}
  ConnRef(ConnRef&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}
  ConnRef& operator=(ConnRef o) noexcept {
    std::swap(c_, o.c_);
    return *this;
  }
  ~ConnRef() {
    if (c_) conn_drop_user(c_);
  }
  StreamConn* get() const noexcept { return c_; }

 private:
  StreamConn* c_ = nullptr;
};
}  // namespace detail

/// The reading half of a connection: a buffer the transport fills, read by lines, by
/// separator, by count. Copies share the connection. Only one read may wait at a time.
///
/// **Cancellation:** a cancelled read consumes nothing; the stream stays usable.
/// **Exceptions:** the connection's error (ConnectionResetError ...) once it is lost;
/// RuntimeError("read() called while another coroutine is already waiting for incoming
/// data"). **Python:** `asyncio.StreamReader`.
class StreamReader {
 public:
  StreamReader() = default;

  /// Up to `n` bytes as soon as any are buffered; "" at EOF. `n < 0`: everything until
  /// EOF. **Python:** `await reader.read(n=-1)`.
  Coro<std::string> read(std::ptrdiff_t n = -1);
  /// One line including its "\n"; at EOF the incomplete last line, or "". **Exceptions:**
  /// std::invalid_argument("Separator is not found, and chunk exceed the limit") or
  /// ("Separator is found, but chunk is longer than limit") — Python's ValueError — with
  /// the buffer consumed as CPython does. **Python:** `await reader.readline()`.
  Coro<std::string> readline();
  /// Exactly `n` bytes. **Exceptions:** IncompleteReadError(partial, n) at EOF;
  /// std::invalid_argument("readexactly size can not be less than zero").
  /// **Python:** `await reader.readexactly(n)`.
  Coro<std::string> readexactly(std::ptrdiff_t n);
  /// Everything up to and including `separator`. **Exceptions:** LimitOverrunError (data
  /// left in the buffer), IncompleteReadError(partial, None) at EOF (buffer cleared),
  /// std::invalid_argument("Separator should be at least one-byte string").
  /// **Python:** `await reader.readuntil(separator=b'\n')`.
  Coro<std::string> readuntil(std::string separator = "\n");
  /// True when EOF was received and the buffer is empty. **Python:** `at_eof()`.
  bool at_eof() const;
  /// The connection's error, null if none. **Python:** `exception()`.
  std::exception_ptr exception() const;
  /// The buffer limit given at creation. **Python:** `reader._limit`.
  std::size_t limit() const;
  /// Bytes buffered, not yet read. **Python:** `len(reader._buffer)`.
  std::size_t buffered() const;
  /// False for a default-constructed (empty) handle. **Python:** none (C++ handles only).
  bool valid() const noexcept { return c_.get() != nullptr; }

 private:
  friend struct detail::StreamsAccess;
  explicit StreamReader(detail::StreamConn* c);  // adds a user reference
  detail::StreamConn* conn_ptr() const;          // throws InvalidStateError when empty
  detail::ConnRef c_;
};

/// The writing half: `write` never blocks (the rest is buffered), `drain` waits while the
/// buffer is above the high-water mark (64 KiB by default) until it is back below the
/// low-water mark (16 KiB). Copies share the connection; when the last handle of a
/// connection (reader or writer) goes, an unclosed connection is closed (CPython
/// `StreamWriter.__del__`, minus the ResourceWarning).
/// **Python:** `asyncio.StreamWriter` (and the methods of its `transport` listed below).
class StreamWriter {
 public:
  StreamWriter() = default;

  /// Sends what the socket takes now and buffers the rest. After the connection is lost,
  /// data is dropped silently (CPython logs a warning after 5 such writes).
  /// **Exceptions:** RuntimeError("Cannot call write() after write_eof()").
  /// **Python:** `writer.write(data)`.
  void write(std::string_view data);
  /// `write` of each piece, in one go. **Python:** `writer.writelines(lines)`.
  template <class Range>
  void writelines(const Range& lines) {
    for (const auto& l : lines) write(std::string_view(l));
  }
  /// Waits while the write buffer is over the high-water mark. **Exceptions:** the
  /// reader's error if any; ConnectionResetError("Connection lost") once the connection
  /// is lost. **Python:** `await writer.drain()`.
  Coro<void> drain();
  /// Half-closes: shuts the write side once the buffer is flushed. **Python:**
  /// `writer.write_eof()`.
  void write_eof();
  /// Always true for TCP. **Python:** `writer.can_write_eof()`.
  bool can_write_eof() const { return true; }
  /// Stops reading, flushes the buffer, then closes the socket. Idempotent.
  /// **Python:** `writer.close()`.
  void close();
  /// Closes at once, dropping buffered data. **Python:** `writer.transport.abort()`.
  void abort();
  /// True once close() or abort() was called or the connection was lost.
  /// **Python:** `writer.is_closing()`.
  bool is_closing() const;
  /// Waits until the socket is closed. **Exceptions:** the error that lost the
  /// connection, if any (ConnectionResetError ...). **Python:** `await writer.wait_closed()`.
  Coro<void> wait_closed();
  /// "peername" or "sockname": the address; anything else: empty.
  /// **Python:** `writer.get_extra_info(name)`.
  std::optional<Address> get_extra_info(std::string_view name) const;
  /// Any of the transport's extra info as a `T` ("ssl_object" as `SSLObject`, "peercert"
  /// as `PeerCertificate`, "cipher" as `CipherInfo`, "sslcontext" as
  /// `std::shared_ptr<const SSLContext>`, "socket" as `TransportSocket` ...; see
  /// `Transport::get_extra_info`); nullopt when it is none or not a `T`.
  /// **Python:** `writer.get_extra_info(name)`.
  template <class T>
  std::optional<T> get_extra_info(std::string_view name) const {
    return transport().template get_extra_info<T>(name);
  }
  /// Upgrades the connection to TLS (STARTTLS): drains, then `start_tls` on the transport,
  /// as the server side when the connection came from `start_server`, else the client.
  /// What the reader holds stays readable; the streams go on over TLS. TLS builds only
  /// (asyncio/ssl.hpp). **Exceptions:** as `start_tls` (asyncio/ssl.hpp), and drain's
  /// ConnectionResetError("Connection lost"). **Python:** `await
  /// writer.start_tls(sslcontext, server_hostname=None, ssl_handshake_timeout=None,
  /// ssl_shutdown_timeout=None)`.
  Coro<void> start_tls(const SSLContext& sslcontext,
                       std::optional<std::string> server_hostname = std::nullopt,
                       double ssl_handshake_timeout = 60.0, double ssl_shutdown_timeout = 30.0);
  /// Bytes buffered, not yet sent. **Python:** `writer.transport.get_write_buffer_size()`.
  std::size_t get_write_buffer_size() const;
  /// Sets the water marks (high default 64 KiB, low default high / 4). **Exceptions:**
  /// std::invalid_argument("high (1) must be >= low (2) must be >= 0"). **Python:**
  /// `writer.transport.set_write_buffer_limits(high=None, low=None)`.
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt);
  /// The reader of the same connection (empty for an empty handle). **Python:**
  /// `writer._reader`.
  StreamReader reader() const;
  /// The connection's transport: `get_extra_info("socket")`, `pause_reading()`,
  /// `get_write_buffer_limits()` ... (it shares the connection; it does not count as a
  /// stream handle for closing on drop). **Python:** `writer.transport`.
  Transport transport() const;
  /// False for a default-constructed (empty) handle. **Python:** none (C++ handles only).
  bool valid() const noexcept { return c_.get() != nullptr; }

 private:
  friend struct detail::StreamsAccess;
  explicit StreamWriter(detail::StreamConn* c);  // adds a user reference
  detail::StreamConn* conn_ptr() const;          // throws InvalidStateError when empty
  detail::ConnRef c_;
};

/// A listening server. `close()` stops listening (connections already accepted go on);
/// `wait_closed()` then waits until every connection is closed. `Server::run(body)` is
/// `async with server:` — it always closes and waits, whatever way `body` ends.
/// Copies share the server. **Python:** `asyncio.Server`.
class Server {
 public:
  Server() = default;
  Server(const Server& o);
  Server(Server&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  Server& operator=(Server o) noexcept {
    std::swap(s_, o.s_);
    return *this;
  }
  ~Server();

  /// Stops listening and closes the listening sockets; idempotent. Cancels a pending
  /// `serve_forever`. **Python:** `server.close()`.
  void close();
  /// Closes every connection (graceful: buffers are flushed). **Python:** `close_clients()`.
  void close_clients();
  /// Aborts every connection. **Python:** `abort_clients()`.
  void abort_clients();
  /// Waits until closed and every connection is gone; returns at once if that already
  /// happened. **Python:** `await server.wait_closed()`.
  Coro<void> wait_closed();
  /// Starts accepting (if not yet) and waits until cancelled or closed; on cancellation,
  /// closes and waits for the connections, then rethrows. **Exceptions:**
  /// RuntimeError("server <Server ...> is already being awaited on serve_forever()" |
  /// "server <Server ...> is closed"). **Python:** `await server.serve_forever()`.
  Coro<void> serve_forever();
  /// Starts accepting. **Python:** `await server.start_serving()`.
  Coro<void> start_serving();
  /// **Python:** `server.is_serving()`.
  bool is_serving() const;
  /// The listening sockets (empty once closed). **Python:** `server.sockets`.
  const std::vector<Socket>& sockets() const;
  /// **Python:** `server.get_loop()`.
  EventLoop& get_loop() const;
  /// "<Server sockets=(<asyncio.TransportSocket fd=6, family=2, type=1, proto=6,
  /// laddr=('127.0.0.1', 8888)>,)>". **Python:** `repr(server)`.
  std::string repr() const;

  /// `async with server: <body>`: awaits `body(server)` (or `body()`, or an awaitable),
  /// then always `close()` and `co_await wait_closed()` — also when the body throws or
  /// is cancelled — and returns the body's result. A callable body may also return void.
  /// **Python:** `async with server: ...` (`Server.__aenter__` / `__aexit__`).
  template <class Body>
  auto run(Body body);

 private:
  struct Scope;  // the `async with` of `run`
  friend struct detail::StreamsAccess;
  explicit Server(detail::ServerState* s) : s_(s) {}  // adopts a reference
  detail::ServerState& st() const;                    // throws InvalidStateError when empty
  detail::ServerState* s_ = nullptr;
};

/// Connects to `host`:`port` (a name is resolved on the executor; numeric addresses
/// skip it), trying each address in turn. **Exceptions:** ConnectionRefusedError("[Errno
/// 111] Connect call failed ('127.0.0.1', 1)"), gaierror, OSError("Multiple exceptions:
/// ...") when addresses fail differently; std::invalid_argument("Limit cannot be <= 0");
/// OverflowError("connect(): port must be 0-65535.") before any resolution.
/// **Python:** `await asyncio.open_connection(host, port, limit=)`.
Coro<std::pair<StreamReader, StreamWriter>> open_connection(std::string host, int port,
                                                            StreamOptions opts = {});

/// Connects to the UNIX socket at `path` (abstract namespace: a leading '\0').
/// **Exceptions:** FileNotFoundError-like OSError("[Errno 2] No such file or directory"),
/// ConnectionRefusedError; std::invalid_argument("Limit cannot be <= 0").
/// **Python:** `await asyncio.open_unix_connection(path, limit=)`.
Coro<std::pair<StreamReader, StreamWriter>> open_unix_connection(std::string path,
                                                                 StreamOptions opts = {});

/// A StreamReader on the read end of a pipe or FIFO (or a socket, or a character device):
/// `fd` is made non-blocking and taken over (closed when the reader's connection closes).
/// EOF when every writer has closed. **Exceptions:** std::invalid_argument("Pipe transport
/// is for pipes/sockets only.") for a regular file (Python's ValueError),
/// std::invalid_argument("Limit cannot be <= 0"). **Python:** the idiom `reader =
/// asyncio.StreamReader(limit=limit); await loop.connect_read_pipe(lambda:
/// asyncio.StreamReaderProtocol(reader), pipe)` (C++ has no pipe file objects: a
/// descriptor; docs/subprocess.md).
Coro<StreamReader> open_read_pipe(int fd, StreamOptions opts = {});

/// A StreamWriter on the write end of a pipe or FIFO: `fd` is made non-blocking and taken
/// over. `write`, `drain` (flow control as on a socket), `close` / `write_eof` (closes once
/// flushed); the reader's departure closes the writer (`drain` then raises
/// BrokenPipeError or ConnectionResetError). SIGPIPE is ignored from the first one on, as
/// the Python interpreter ignores it. **Exceptions:** as open_read_pipe. **Python:** the
/// idiom `transport, protocol = await loop.connect_write_pipe(
/// asyncio.streams.FlowControlMixin, pipe); writer = asyncio.StreamWriter(transport,
/// protocol, None, loop)`.
Coro<StreamWriter> open_write_pipe(int fd, StreamOptions opts = {});

/// Listens on `host`:`port` ("" = every interface; port 0 = any free port, see
/// `server.sockets()[0].getsockname()`), and for each connection calls
/// `client_connected_cb(reader, writer)` — a callable returning `Coro<void>` — as a new
/// task. An exception escaping it is reported to the loop's exception handler ("Unhandled
/// exception in client_connected_cb") and the connection is closed.
/// **Exceptions:** OSError("[Errno 98] error while attempting to bind on address
/// ('127.0.0.1', 8888): [errno 98] address already in use"), gaierror;
/// OverflowError("bind(): port must be 0-65535.") before any resolution.
/// **Python:** `await asyncio.start_server(client_connected_cb, host, port, limit=, ...)`.
template <class F>
Coro<Server> start_server(F client_connected_cb, std::string host, int port,
                          ServerOptions opts = {});

/// Listens on the UNIX socket `path` (a stale socket file there is removed first; the
/// file is removed again by `close()`, 3.13; abstract namespace: a leading '\0') and calls
/// `client_connected_cb(reader, writer)` for each connection, as start_server.
/// **Exceptions:** OSError("[Errno 98] Address '/tmp/x' is already in use") when `path` is
/// another kind of file. **Python:** `await asyncio.start_unix_server(client_connected_cb,
/// path, limit=, backlog=, start_serving=, cleanup_socket=)`.
template <class F>
Coro<Server> start_unix_server(F client_connected_cb, std::string path,
                               UnixServerOptions opts = {});

// --- implementation ------------------------------------------------------------------------

namespace detail {
/// The type-erased `client_connected_cb` of a server: called once per connection.
struct ClientCallback {
  void* obj = nullptr;
  Coro<void> (*call)(void* obj, StreamReader r, StreamWriter w) = nullptr;
  void (*destroy)(void* obj) = nullptr;
};

template <class F>
ClientCallback make_client_callback(F&& f) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&, StreamReader, StreamWriter>,
                "client_connected_cb must be callable as cb(StreamReader, StreamWriter)");
  ClientCallback cb;
  cb.obj = new D(std::forward<F>(f));
  cb.call = [](void* o, StreamReader r, StreamWriter w) -> Coro<void> {
    return as_coro((*static_cast<D*>(o))(std::move(r), std::move(w)));
  };
  cb.destroy = [](void* o) { delete static_cast<D*>(o); };
  return cb;
}

Coro<Server> start_server_impl(ClientCallback cb, std::string host, int port, ServerOptions o);
Coro<Server> start_unix_server_impl(ClientCallback cb, std::string path, UnixServerOptions o);

}  // namespace detail

template <class F>
Coro<Server> start_server(F client_connected_cb, std::string host, int port, ServerOptions opts) {
  return detail::start_server_impl(detail::make_client_callback(std::move(client_connected_cb)),
                                   std::move(host), port, opts);
}

template <class F>
Coro<Server> start_unix_server(F client_connected_cb, std::string path, UnixServerOptions opts) {
  return detail::start_unix_server_impl(
      detail::make_client_callback(std::move(client_connected_cb)), std::move(path), opts);
}

/// The `async with` of `run` (detail/scope.hpp): exit closes and waits until closed.
struct Server::Scope {
  explicit Scope(Server s) : s(std::move(s)) {}
  void enter() {}
  Server& target() { return s; }
  Coro<void> exit(const std::exception_ptr&) {
    s.close();
    return s.wait_closed();
  }
  Server s;
};

template <class Body>
auto Server::run(Body body) {
  return detail::run_scope<detail::scope_result_t<Body, Server>, Scope>(std::move(body), *this);
}

}  // namespace asyncio
