#pragma once
/// \file protocols.hpp
/// Protocols on transports: `create_connection`, `create_server`,
/// `create_unix_connection`, `create_unix_server`, `create_datagram_endpoint`.
/// **Python:** the loop methods of the same names (`base_events.py`, `unix_events.py`)
/// with `asyncio.Protocol` / `asyncio.DatagramProtocol`. See docs/protocols.md.
///
/// The loop methods are free functions taking the loop first:
/// `await loop.create_connection(factory, host, port)` is
/// `co_await asyncio::create_connection(loop, factory, host, port)`.
///
/// **A protocol** is a plain class with any subset of CPython's callbacks as member
/// functions — no base class, no virtual functions (which ones it has is found at compile
/// time; each is called directly through a per-class table, one indirect call per event):
///
///     struct Echo {
///       asyncio::Transport transport;
///       void connection_made(asyncio::Transport t) { transport = t; }
///       void data_received(std::string_view data) { transport.write(data); }
///       bool eof_received() { return false; }               // false / void: close
///       void connection_lost(std::exception_ptr exc) {}     // or connection_lost()
///       void pause_writing() {}                             // flow control
///       void resume_writing() {}
///     };
///
/// A datagram protocol has `connection_made(asyncio::DatagramTransport)`,
/// `datagram_received(std::string_view data, const asyncio::Address& addr)`,
/// `error_received(std::exception_ptr exc)`, `connection_lost(...)`, and the flow-control
/// pair. A missing callback does what CPython's base class does (nothing; a missing
/// eof_received closes the transport); a member of the right name with the wrong
/// signature is a compile error. `data` is valid only during the call.
///
/// **The factory** is a callable with no argument returning the protocol by value (it is
/// constructed in place, next to its transport: one allocation per connection), as a
/// `std::unique_ptr<P>`, or as a `std::shared_ptr<P>`. The connection keeps the protocol
/// until connection_lost has returned, then destroys it (CPython drops its reference
/// then; this also breaks the cycle of a protocol holding its own Transport). So
/// create_connection returns `{Transport, P*}` — the pointer valid until
/// connection_lost returns — or, for a shared_ptr factory, `{Transport, shared_ptr<P>}`.
///
/// **Exceptions thrown by callbacks**, as CPython: from data_received / eof_received, the
/// exception handler ("Fatal error: protocol.data_received() call failed.") and
/// connection_lost(exc); from pause_writing / resume_writing, the exception handler only;
/// from connection_made / connection_lost / datagram_received / error_received, the
/// exception handler ("Exception in callback ...").

#include <sys/socket.h>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/detail/protocol_conn.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sockets.hpp"
#include "asyncio/streams.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

/// Options of `create_connection`. **Python:** its keyword arguments `family=`, `proto=`,
/// `flags=`, `local_addr=`.
struct ConnectionOptions {
  int family = 0;  ///< `family=` (AF_UNSPEC)
  int proto = 0;   ///< `proto=`
  int flags = 0;   ///< `flags=` for getaddrinfo
  /// `local_addr=(host, port)`: bind there before connecting (a name is resolved).
  std::optional<Address> local_addr;
  /// `happy_eyeballs_delay=` (RFC 8305): the addresses are tried with `staggered_race`,
  /// the next one starting this long after the previous (or when it fails). nullopt: one
  /// after the other.
  std::optional<double> happy_eyeballs_delay = std::nullopt;
  /// `interleave=`: reorder the addresses by family (`_interleave_addrinfos`), the first
  /// family's first `interleave` addresses first; 0 leaves them in resolver order.
  /// nullopt: 1 when `happy_eyeballs_delay` is set, else 0.
  std::optional<int> interleave = std::nullopt;
  /// `ssl=`: TLS with this client context (copied: it need not outlive the call); the
  /// handshake completes before create_connection returns, and its failure is what it
  /// throws (SSLCertVerificationError, SSLError, ConnectionAbortedError on the timeout).
  /// Null: plain TCP. TLS builds only (asyncio/ssl.hpp).
  const SSLContext* ssl = nullptr;
  /// `server_hostname=`: the name checked against the certificate and sent as SNI;
  /// nullopt: `host`, as CPython.
  std::optional<std::string> server_hostname = std::nullopt;
  double ssl_handshake_timeout = 60.0;  ///< `ssl_handshake_timeout=` (seconds)
  /// `ssl_shutdown_timeout=` (seconds): how long close() waits for the peer's close_notify
  /// before aborting the connection (connection_lost gets TimeoutError).
  double ssl_shutdown_timeout = 30.0;
};

/// Options of `create_datagram_endpoint`. **Python:** its keyword arguments `family=`,
/// `proto=`, `flags=`, `reuse_port=`, `allow_broadcast=`.
struct DatagramOptions {
  /// `family=`: AF_INET / AF_INET6 (default: from the addresses), or AF_UNIX (then the
  /// addresses are paths: `Address::unix_path`).
  int family = 0;
  int proto = 0;                 ///< `proto=`
  int flags = 0;                 ///< `flags=` for getaddrinfo
  bool reuse_port = false;       ///< `reuse_port=`: SO_REUSEPORT
  bool allow_broadcast = false;  ///< `allow_broadcast=`: SO_BROADCAST, and no connect()
};

/// Connects to `host`:`port` (a name is resolved on the executor; each address is tried in
/// turn), then makes the protocol and its transport; returns once connection_made has run.
/// **Cancellation:** the transport, if made, is closed. **Exceptions:**
/// ConnectionRefusedError("[Errno 111] Connect call failed ('127.0.0.1', 1)"), gaierror,
/// OSError("Multiple exceptions: ..."), OverflowError("connect(): port must be
/// 0-65535.") (Python's OverflowError), what the factory throws.
/// **Python:** `transport, protocol = await loop.create_connection(protocol_factory, host,
/// port, family=, proto=, flags=, local_addr=, happy_eyeballs_delay=, interleave=)`.
template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> create_connection(
    EventLoop& loop, F protocol_factory, std::string host, int port, ConnectionOptions opts = {});

/// Makes a protocol with `protocol_factory` and a read-pipe transport on descriptor `fd`
/// (a pipe, FIFO, socket or character device; taken over: made non-blocking, closed with
/// the transport); returns once connection_made has run. The protocol gets data_received,
/// then eof_received and connection_lost(null) at EOF (the transport closes itself,
/// whatever eof_received returns). **Exceptions:** std::invalid_argument("Pipe transport
/// is for pipes/sockets only.") (Python's ValueError; `fd` is closed), OSError.
/// **Python:** `transport, protocol = await loop.connect_read_pipe(protocol_factory, pipe)`
/// (a file object there; its descriptor here).
template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> connect_read_pipe(EventLoop& loop,
                                                                        F protocol_factory, int fd);
/// The same with a write-pipe transport: write / writelines / drain flow control as a
/// socket's; `write_eof()` closes it once the buffer is flushed; when the reading end goes
/// away the transport closes (connection_lost(BrokenPipeError) if data was still
/// buffered). SIGPIPE is set to SIG_IGN if it had its default action (docs/subprocess.md).
/// **Python:** `transport, protocol = await loop.connect_write_pipe(protocol_factory, pipe)`.
template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> connect_write_pipe(EventLoop& loop,
                                                                         F protocol_factory,
                                                                         int fd);

/// Listens on `host`:`port` ("" = every interface; port 0 = any free port) and, for each
/// connection, makes a protocol with `protocol_factory` (one loop iteration after the
/// accept, as CPython) and its transport. `opts.limit` is not used.
/// **Exceptions:** OSError("[Errno 98] error while attempting to bind on address
/// ('127.0.0.1', 8888): [errno 98] address already in use"), gaierror,
/// OverflowError("bind(): port must be 0-65535."). **Python:** `await
/// loop.create_server(protocol_factory, host, port, family=, flags=, backlog=,
/// reuse_address=, reuse_port=, keep_alive=, start_serving=)`.
template <class F>
Coro<Server> create_server(EventLoop& loop, F protocol_factory, std::string host, int port,
                           ServerOptions opts = {});

/// Connects to the UNIX socket at `path` (abstract namespace: a leading '\0'), then as
/// create_connection. `opts.ssl`, `opts.server_hostname` (required with `ssl`: there is no
/// host name), `opts.ssl_handshake_timeout` and `opts.ssl_shutdown_timeout` are used; the
/// other options are TCP's. **Exceptions:** OSError("[Errno 2] No such file or
/// directory"), ConnectionRefusedError; std::invalid_argument("you have to pass
/// server_hostname when using ssl"). **Python:** `await
/// loop.create_unix_connection(protocol_factory, path, ssl=None, server_hostname=None,
/// ssl_handshake_timeout=None, ssl_shutdown_timeout=None)`.
template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> create_unix_connection(
    EventLoop& loop, F protocol_factory, std::string path, ConnectionOptions opts = {});

/// Listens on the UNIX socket `path`, as create_server: a stale socket file there is
/// removed before binding, and the file is removed by `Server::close()` (3.13,
/// `cleanup_socket=True`) if it is still the one bound. `opts.limit` is not used;
/// `opts.ssl` serves TLS as create_server's.
/// **Exceptions:** OSError("[Errno 98] Address '/tmp/x' is already in use") when `path` is
/// another kind of file. **Python:** `await loop.create_unix_server(protocol_factory,
/// path, backlog=, start_serving=, cleanup_socket=)`.
template <class F>
Coro<Server> create_unix_server(EventLoop& loop, F protocol_factory, std::string path,
                                UnixServerOptions opts = {});

/// A datagram endpoint: a socket bound to `local_addr` (if given) and connected to
/// `remote_addr` (if given, unless `allow_broadcast`: then it is only the default
/// destination), the protocol and its transport; returns once connection_made has run.
/// Names are resolved; for each (family, proto) both addresses resolve to, a socket is
/// tried in turn. **Exceptions:** std::invalid_argument("unexpected address family") with
/// neither address nor family, ("can not get address information"); OSError (bind,
/// connect); OverflowError("bind(): port must be 0-65535."). **Python:**
/// `transport, protocol = await loop.create_datagram_endpoint(protocol_factory,
/// local_addr=None, remote_addr=None, family=, proto=, flags=, reuse_port=,
/// allow_broadcast=)`.
template <class F>
Coro<std::pair<DatagramTransport, detail::protocol_ptr_t<F>>> create_datagram_endpoint(
    EventLoop& loop, F protocol_factory, const std::optional<Address>& local_addr,
    const std::optional<Address>& remote_addr = std::nullopt, const DatagramOptions& opts = {});

// --- implementation ------------------------------------------------------------------------

namespace detail {
/// CPython create_connection up to `_create_connection_transport`: the connected socket.
Coro<Socket> connect_tcp(EventLoop& loop, std::string host, int port, ConnectionOptions opts);
/// CPython create_connection's attempts on resolved `infos` (each bound to a `local_infos`
/// address of its family if given): interleaved by family and raced with happy eyeballs
/// as `opts` says, else in turn; the first connected socket, or CPython's error.
Coro<Socket> connect_infos(EventLoop& loop, std::vector<AddrInfo> infos,
                           std::optional<std::vector<AddrInfo>> local_infos,
                           ConnectionOptions opts);
/// CPython `base_events._interleave_addrinfos(addrinfos, first_address_family_count)`.
std::vector<AddrInfo> interleave_addrinfos(std::vector<AddrInfo> infos, int first_family_count);
/// CPython create_unix_connection's `sock_connect(sock, path)`.
Coro<Socket> connect_unix(EventLoop& loop, std::string path);
/// CPython create_server / create_unix_server, with a type-erased factory (owned).
Coro<Server> create_server_impl(EventLoop& loop, ConnFactory factory, std::string host, int port,
                                ServerOptions o);
Coro<Server> create_unix_server_impl(EventLoop& loop, ConnFactory factory, std::string path,
                                     UnixServerOptions o);

template <class F>
Coro<std::pair<Transport, protocol_ptr_t<F>>> create_connection_coro(EventLoop& loop, F factory,
                                                                     std::string host, int port,
                                                                     ConnectionOptions opts) {
  std::optional<TlsParams> tls = tls_params(opts.ssl, false, opts.server_hostname, host,
                                            opts.ssl_handshake_timeout, opts.ssl_shutdown_timeout);
  Socket sock = co_await connect_tcp(loop, std::move(host), port, std::move(opts));
  co_return co_await connection_transport<F>(loop, std::move(sock), std::move(factory),
                                             tls ? &*tls : nullptr);
}

template <class F>
Coro<std::pair<Transport, protocol_ptr_t<F>>> create_unix_connection_coro(EventLoop& loop,
                                                                          F factory,
                                                                          std::string path,
                                                                          ConnectionOptions opts) {
  // CPython: no host to default server_hostname to.
  if (opts.ssl && !opts.server_hostname)
    throw std::invalid_argument("you have to pass server_hostname when using ssl");
  std::optional<TlsParams> tls = tls_params(opts.ssl, false, opts.server_hostname, {},
                                            opts.ssl_handshake_timeout, opts.ssl_shutdown_timeout);
  Socket sock = co_await connect_unix(loop, std::move(path));
  co_return co_await connection_transport<F>(loop, std::move(sock), std::move(factory),
                                             tls ? &*tls : nullptr);
}

template <class F>
Coro<std::pair<DatagramTransport, protocol_ptr_t<F>>> create_datagram_endpoint_coro(
    EventLoop& loop, F factory, std::optional<Address> local_addr,
    std::optional<Address> remote_addr, DatagramOptions opts) {
  DatagramSocket ds = co_await datagram_socket(loop, local_addr, remote_addr, opts);
  co_return co_await datagram_transport<F>(loop, std::move(ds), std::move(factory));
}

template <class F>
void check_factory() {
  static_assert(std::is_invocable_v<F&>, "protocol_factory must be callable with no argument");
}
}  // namespace detail

template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> create_connection(EventLoop& loop,
                                                                        F protocol_factory,
                                                                        std::string host, int port,
                                                                        ConnectionOptions opts) {
  detail::check_factory<F>();
  return detail::create_connection_coro<F>(loop, std::move(protocol_factory), std::move(host), port,
                                           std::move(opts));
}

template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> connect_read_pipe(EventLoop& loop,
                                                                        F protocol_factory,
                                                                        int fd) {
  detail::check_factory<F>();
  return detail::pipe_connection<F>(loop, fd, detail::FdKind::read_pipe,
                                    std::move(protocol_factory));
}

template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> connect_write_pipe(EventLoop& loop,
                                                                         F protocol_factory,
                                                                         int fd) {
  detail::check_factory<F>();
  return detail::pipe_connection<F>(loop, fd, detail::FdKind::write_pipe,
                                    std::move(protocol_factory));
}

template <class F>
Coro<Server> create_server(EventLoop& loop, F protocol_factory, std::string host, int port,
                           ServerOptions opts) {
  detail::check_factory<F>();
  return detail::create_server_impl(
      loop,
      detail::make_conn_factory(
          std::move(protocol_factory),
          detail::tls_params(opts.ssl, true, std::nullopt, {}, opts.ssl_handshake_timeout,
                             opts.ssl_shutdown_timeout)),
      std::move(host), port, opts);
}

template <class F>
Coro<std::pair<Transport, detail::protocol_ptr_t<F>>> create_unix_connection(
    EventLoop& loop, F protocol_factory, std::string path, ConnectionOptions opts) {
  detail::check_factory<F>();
  return detail::create_unix_connection_coro<F>(loop, std::move(protocol_factory), std::move(path),
                                                std::move(opts));
}

template <class F>
Coro<Server> create_unix_server(EventLoop& loop, F protocol_factory, std::string path,
                                UnixServerOptions opts) {
  detail::check_factory<F>();
  return detail::create_unix_server_impl(
      loop,
      detail::make_conn_factory(
          std::move(protocol_factory),
          detail::tls_params(opts.ssl, true, std::nullopt, {}, opts.ssl_handshake_timeout,
                             opts.ssl_shutdown_timeout)),
      std::move(path), opts);
}

template <class F>
Coro<std::pair<DatagramTransport, detail::protocol_ptr_t<F>>> create_datagram_endpoint(
    EventLoop& loop, F protocol_factory, const std::optional<Address>& local_addr,
    const std::optional<Address>& remote_addr, const DatagramOptions& opts) {
  detail::check_factory<F>();
  return detail::create_datagram_endpoint_coro<F>(loop, std::move(protocol_factory), local_addr,
                                                  remote_addr, opts);
}

}  // namespace asyncio
