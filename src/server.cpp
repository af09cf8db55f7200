// Servers: CPython `base_events.Server` (listening sockets, connections, wait_closed,
// serve_forever), `BaseSelectorEventLoop._start_serving` / `_accept_connection` (the
// accept loop), `base_events.create_server`, `unix_events.create_unix_server` (binding,
// the socket file's cleanup) and `streams.start_server` (a `StreamReaderProtocol` with its
// client task per connection). See streams.hpp and protocols.hpp.

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/protocol_conn.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/stream_conn.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/streams.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {
namespace detail {

/// What `Server` handles share (CPython `base_events.Server`).
///
/// Ownership: reference counted (`refs`): one per Server handle, one per attached
/// connection (`server_attach` .. `server_detach`: the transport's `_server`), one while
/// an accept batch runs, one while the accept retry timer is pending. The last release
/// stops listening and frees the state, with the client callback.
///
/// Invariants: `sockets_none` (CPython `_sockets is None`) once closed or the loop closed:
/// then `sockets` and `watches` are empty. `watches[i]` is the accept watcher of
/// `sockets[i]`, registered while serving. `waiters_none` (`_waiters is None`) once the
/// waiters were woken: `wait_closed()` then returns at once. `clients` are the attached
/// connections' transports (CPython `_clients`; `_active_count` is its size).
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
  std::vector<Socket> sockets;                        ///< `_sockets`
  std::vector<std::unique_ptr<AcceptWatch>> watches;  ///< one per socket
  bool sockets_none = false;
  bool serving = false;  ///< `_serving`
  int backlog = 100;     ///< `_backlog`
  IntrusiveList<SocketTransport, ServerClientTag> clients;
  std::vector<Future<void>> waiters;  ///< `_waiters`: pending wait_closed() calls
  bool waiters_none = false;
  Future<void> serving_forever_fut;  ///< `_serving_forever_fut`
  ConnFactory factory;               ///< `_protocol_factory` (owned)
  Hook hook;                         ///< stops listening if the loop closes first
  /// A UNIX server's socket file and its inode, removed by close() if it is still that
  /// file (CPython `loop._unix_server_sockets`, 3.13 `cleanup_socket=True`).
  std::string unix_path;
  ino_t unix_ino = 0;
  bool unix_cleanup = false;

  ~ServerState() {
    LoopCore::unlink_close_hook(&hook);
    if (factory.destroy) factory.destroy(factory.obj);
  }
};

namespace {

// --- state ----------------------------------------------------------------------------------

void stop_listening(ServerState* s) {
  for (std::size_t i = 0; i < s->sockets.size(); ++i) {
    int fd = s->sockets[i].fileno();
    if (s->loop->fd_watcher(fd, false) == s->watches[i].get()) s->loop->unwatch_fd(fd, false);
    s->sockets[i].close();
  }
  s->sockets.clear();
  s->watches.clear();
}

void server_release(ServerState* s) {
  if (--s->refs == 0) {
    stop_listening(s);
    delete s;
  }
}

// CPython `_wakeup`.
void server_wakeup(ServerState* s) {
  std::vector<Future<void>> ws;
  ws.swap(s->waiters);
  s->waiters_none = true;
  if (s->loop->is_closed()) return;  // no callback can run any more
  for (auto& w : ws)
    if (!w.done()) w.set_result();
}

// CPython `_UnixSelectorEventLoop._stop_serving`'s cleanup: the file goes if it is still
// the one the server bound (same inode).
void unix_cleanup(ServerState* s) {
  if (!std::exchange(s->unix_cleanup, false)) return;
  struct stat st {};
  if (::stat(s->unix_path.c_str(), &st) == 0) {
    if (st.st_ino == s->unix_ino && ::unlink(s->unix_path.c_str()) != 0)
      s->loop->call_exception_handler(
          {"Unable to clean up listening UNIX socket " + py_repr_str(s->unix_path),
           make_os_error(errno), "<Server>"});
  } else if (errno != ENOENT) {
    s->loop->call_exception_handler(
        {"Unable to clean up listening UNIX socket " + py_repr_str(s->unix_path),
         make_os_error(errno), "<Server>"});
  }
}

void server_close(ServerState* s) {
  if (s->sockets_none) return;
  s->sockets_none = true;
  stop_listening(s);
  unix_cleanup(s);
  s->serving = false;
  if (s->serving_forever_fut.valid() && !s->serving_forever_fut.done()) {
    s->serving_forever_fut.cancel();
    s->serving_forever_fut = Future<void>();
  }
  if (s->clients.empty()) server_wakeup(s);
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

// --- connections ------------------------------------------------------------------------------

// The done callback of a connection's client task (CPython StreamReaderProtocol
// .connection_made's `callback(task)`); ctx = the connection, one reference.
void client_task_done(void* ctx, void* fut, Op op) {
  CallbackRef ref(fut, op);
  auto* c = static_cast<StreamConn*>(ctx);
  if (op == Op::run) {
    FutureBase* task = ref.future();
    try {
      if (task->cancelled()) {
        transport_close(&c->transport);
      } else if (std::exception_ptr e = task->exception()) {
        c->transport.loop->call_exception_handler(
            {"Unhandled exception in client_connected_cb", e, transport_repr});
        transport_close(&c->transport);
      }
    } catch (...) {
      report_callback_exception(task->loop_, std::current_exception(), "done callback");
    }
  }
  conn_release(c);
}

// A stream server's factory object: the client callback, the streams' limit, and the TLS
// parameters of `ssl=`.
struct StreamFactory {
  ClientCallback cb;
  std::size_t limit = stream_default_limit;
  std::optional<TlsParams> tls;
  ~StreamFactory() {
    if (cb.destroy) cb.destroy(cb.obj);
  }
};

void run_client_cb(EventLoop& loop, StreamConn* c, StreamFactory* f);

// CPython `_accept_connection2` + StreamReaderProtocol.connection_made: the connection,
// then `client_connected_cb(reader, writer)` as a task; with TLS, once the handshake is
// over (a failed handshake only drops the connection).
void start_stream_client(void* obj, EventLoop& loop, Socket sock, ServerState* s) {
  auto* f = static_cast<StreamFactory*>(obj);
  StreamConn* c = conn_create(loop, std::move(sock), f->limit, s, f->tls ? &*f->tls : nullptr);
  if (f->tls) {
    Future<void> waiter = c->transport.waiter;
    EventLoop* lp = &loop;
    waiter.add_done_callback([r = StreamsAccess::reader(c), lp](const auto& fut) {
      if (fut.cancelled() || fut.exception()) return;
      StreamConn* conn = StreamsAccess::conn(r);
      ServerState* srv = conn->transport.server;  // attached while open: its factory lives
      if (srv == nullptr || conn->transport.closing) return;
      run_client_cb(*lp, conn, static_cast<StreamFactory*>(srv->factory.obj));
    });
    return;
  }
  run_client_cb(loop, c, f);
}

void run_client_cb(EventLoop& loop, StreamConn* c, StreamFactory* f) {
  StreamReader r = StreamsAccess::reader(c);
  StreamWriter w = StreamsAccess::writer(c);
  Coro<void> coro = f->cb.call(f->cb.obj, r, std::move(w));
  Task<void> t = loop.create_task(std::move(coro));
  conn_add_ref(c);  // the callback's
  try {
    t.state_ptr()->add_callback(&client_task_done, c);
  } catch (...) {
    conn_release(c);
    throw;
  }
}

// CPython `_accept_connection2`'s task, for a deferred factory (a = the server, holding a
// reference; b = the accepted descriptor): the protocol and transport one iteration later.
// As CPython, a failure is reported only in debug mode, and the socket closed.
void accept2_item(void* a, void* b, Op op) {
  auto* s = static_cast<ServerState*>(a);
  Socket sock = Socket::from_fd(static_cast<int>(reinterpret_cast<std::intptr_t>(b)));
  // Closed meanwhile: CPython's `_attach` asserts the server is open, and the connection
  // is dropped; here without calling the factory.
  if (op == Op::run && !s->loop->is_closed() && !s->sockets_none) {
    try {
      s->factory.start(s->factory.obj, *s->loop, std::move(sock), s);
    } catch (...) {
      if (s->loop->get_debug())
        s->loop->call_exception_handler(
            {"Error on transport creation for incoming connection", std::current_exception(), {}});
    }
  }
  server_release(s);
}

void start_client(ServerState* s, Socket sock) {
  if (s->factory.deferred) {
    s->refs++;
    detail::core_of(*s->loop).push_ready(
        &accept2_item, s, reinterpret_cast<void*>(static_cast<std::intptr_t>(sock.detach())));
    return;
  }
  s->factory.start(s->factory.obj, *s->loop, std::move(sock), s);
}

// CPython `_accept_connection`: up to `backlog` connections per readiness event.
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
        // The timer's reference is the callable's: given back when the callable dies, after
        // running or when the loop closes first and discards the timer.
        struct Ref {
          ServerState* s;
          explicit Ref(ServerState* p) : s(p) { s->refs++; }
          Ref(Ref&& o) noexcept : s(std::exchange(o.s, nullptr)) {}
          Ref(const Ref&) = delete;
          ~Ref() {
            if (s) server_release(s);
          }
        };
        s->loop->call_later(1.0, [ref = Ref(s), lfd, aw] {
          ServerState* st = ref.s;
          if (!st->sockets_none && st->serving && !st->loop->fd_watcher(lfd, false))
            st->loop->watch_fd(lfd, false, aw);
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

// CPython `Server._start_serving`.
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

// CPython `Server.__repr__`: "<Server sockets=(...)>", a Python tuple.
std::string server_repr(const ServerState* s) {
  std::string out = "<Server sockets=(";
  for (std::size_t i = 0; i < s->sockets.size(); ++i) {
    if (i) out += ", ";
    const Socket& sock = s->sockets[i];
    out += TransportSocket(sock.fileno(), sock.family(), sock.type(), sock.proto()).repr();
  }
  if (s->sockets.size() == 1) out += ",";
  return out + ")>";
}
}  // namespace

void server_attach(ServerState* s, SocketTransport* t) {
  s->refs++;
  s->clients.push_back(t);
}

void server_detach(ServerState* s, SocketTransport* t) {
  t->unlink();
  if (s->clients.empty() && s->sockets_none) server_wakeup(s);
  server_release(s);
}

namespace {
// Owns a factory until it is handed to the server.
struct FactoryGuard {
  ConnFactory f;
  ~FactoryGuard() {
    if (f.destroy) f.destroy(f.obj);
  }
  ConnFactory release() { return std::exchange(f, ConnFactory{}); }
};

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// CPython `Server(loop, sockets, protocol_factory, ssl, backlog, ...)`.
Server make_server(EventLoop& loop, std::vector<Socket> socks, ConnFactory factory, int backlog) {
  auto* s = new ServerState;
  s->factory = factory;
  Server server = StreamsAccess::server(s);
  s->loop = &loop;
  s->sockets = std::move(socks);
  for (Socket& sock : s->sockets) sock.setblocking(false);
  s->backlog = backlog;
  s->hook.s = s;
  s->hook.fn = &server_hook;
  detail::core_of(loop).link_close_hook(&s->hook);
  return server;
}

// The common end of create_server / create_unix_server.
Coro<Server> begin_serving(Server server, bool start_serving) {
  if (start_serving) {
    server_start_serving(&StreamsAccess::state(server));
    // Skip one loop iteration so that all 'loop.add_reader' go through (CPython).
    co_await asyncio::sleep(0);
  }
  co_return server;
}

std::string addresses_repr(const std::vector<AddrInfo>& infos) {
  std::string out = "[";
  for (std::size_t i = 0; i < infos.size(); ++i) out += (i ? ", " : "") + infos[i].sockaddr.repr();
  return out + "]";
}
}  // namespace

// CPython `base_events.create_server`.
Coro<Server> create_server_impl(EventLoop& loop, ConnFactory factory, std::string host, int port,
                                ServerOptions o) {
  FactoryGuard guard{factory};
  check_port(port, "bind");  // CPython: bind() of the first address
  // "" (Python's None) resolves through getaddrinfo: every interface.
  std::vector<AddrInfo> found =
      co_await ensure_resolved(host, port, o.family, SOCK_STREAM, o.flags);
  if (found.empty())
    throw OSError("getaddrinfo(" + (host.empty() ? std::string("None") : py_repr_str(host)) +
                  ") returned empty list");
  std::vector<AddrInfo> infos;  // CPython: a set
  for (const AddrInfo& ai : found) {
    bool dup = false;
    for (const AddrInfo& seen : infos)
      dup = dup ||
            (seen.family == ai.family && seen.proto == ai.proto && seen.sockaddr == ai.sockaddr);
    if (!dup) infos.push_back(ai);
  }
  std::vector<Socket> socks;
  for (const AddrInfo& ai : infos) {
    std::optional<Socket> made;
    try {
      made.emplace(ai.family, SOCK_STREAM, ai.proto);
    } catch (const OSError&) {
      continue;  // CPython: a bad family/type/protocol combination
    }
    Socket& sock = *made;
    if (o.reuse_address) sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
    if (o.reuse_port) set_reuseport(sock);
    if (o.keep_alive) sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
    if (ai.family == AF_INET6) sock.setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, 1);
    try {
      sock.bind(ai.sockaddr);
    } catch (const OSError& e) {
      if (e.errnum() == EADDRNOTAVAIL) continue;  // the family is not enabled (bpo-30945)
      throw_os_error(e.errnum(), "error while attempting to bind on address " + ai.sockaddr.repr() +
                                     ": " + lower(e.what()));
    }
    socks.push_back(std::move(sock));
  }
  if (socks.empty()) throw OSError("could not bind on any address out of " + addresses_repr(infos));
  Server server = make_server(loop, std::move(socks), guard.release(), o.backlog);
  co_return co_await begin_serving(std::move(server), o.start_serving);
}

// CPython `unix_events.create_unix_server`.
Coro<Server> create_unix_server_impl(EventLoop& loop, ConnFactory factory, std::string path,
                                     UnixServerOptions o) {
  FactoryGuard guard{factory};
  Socket sock(AF_UNIX, SOCK_STREAM, 0);
  const bool abstract = path.empty() || path[0] == '\0';
  if (!abstract) {
    // A stale socket file from an earlier run is removed; anything else stays (bind fails).
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
      if (S_ISSOCK(st.st_mode) && ::unlink(path.c_str()) != 0 && errno != ENOENT)
        loop.call_exception_handler(
            {"Unable to check or remove stale UNIX socket " + py_repr_str(path),
             make_os_error(errno), "<Server>"});
    } else if (errno != ENOENT) {
      loop.call_exception_handler(
          {"Unable to check or remove stale UNIX socket " + py_repr_str(path), make_os_error(errno),
           "<Server>"});
    }
  }
  try {
    sock.bind(Address::unix_path(path));
  } catch (const OSError& e) {
    if (e.errnum() == EADDRINUSE)
      throw_os_error(EADDRINUSE, "Address " + py_repr_str(path) + " is already in use");
    throw;
  }
  std::string bound;
  ino_t ino = 0;
  bool cleanup = false;
  if (o.cleanup_socket) {
    bound = sock.getsockname().host;
    struct stat st {};
    if (!bound.empty() && bound[0] != '\0' && ::stat(bound.c_str(), &st) == 0) {
      ino = st.st_ino;
      cleanup = true;
    }
  }
  std::vector<Socket> socks;
  socks.push_back(std::move(sock));
  Server server = make_server(loop, std::move(socks), guard.release(), o.backlog);
  ServerState& s = StreamsAccess::state(server);
  s.unix_path = std::move(bound);
  s.unix_ino = ino;
  s.unix_cleanup = cleanup;
  co_return co_await begin_serving(std::move(server), o.start_serving);
}

namespace {
ConnFactory stream_factory(ClientCallback cb, std::size_t limit,
                           std::optional<TlsParams> tls = std::nullopt) {
  auto* f = new StreamFactory{cb, limit, std::move(tls)};
  ConnFactory cf;
  cf.obj = f;
  cf.start = &start_stream_client;
  cf.destroy = [](void* o) { delete static_cast<StreamFactory*>(o); };
  return cf;
}

/// The factory of start_server / start_unix_server: the TLS parameters are checked first,
/// and a bad one frees the callback before it throws.
template <class Options>
ConnFactory server_stream_factory(ClientCallback cb, const Options& o) {
  std::optional<TlsParams> tls;
  try {
    tls =
        tls_params(o.ssl, true, std::nullopt, {}, o.ssl_handshake_timeout, o.ssl_shutdown_timeout);
  } catch (...) {
    if (cb.destroy) cb.destroy(cb.obj);
    throw;
  }
  return stream_factory(cb, o.limit, std::move(tls));
}
}  // namespace

// CPython `streams.start_server`: create_server with a StreamReaderProtocol factory.
Coro<Server> start_server_impl(ClientCallback cb, std::string host, int port, ServerOptions o) {
  FactoryGuard guard{server_stream_factory(cb, o)};
  EventLoop& loop = get_running_loop();
  if (o.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  co_return co_await create_server_impl(loop, guard.release(), std::move(host), port, o);
}

// CPython `streams.start_unix_server`.
Coro<Server> start_unix_server_impl(ClientCallback cb, std::string path, UnixServerOptions o) {
  FactoryGuard guard{server_stream_factory(cb, o)};
  EventLoop& loop = get_running_loop();
  if (o.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  co_return co_await create_unix_server_impl(loop, guard.release(), std::move(path), o);
}

namespace {
Coro<void> server_wait_closed(Server self) {
  ServerState& s = StreamsAccess::state(self);
  if (s.waiters_none) co_return;
  Future<void> w = s.loop->create_future<void>();
  s.waiters.push_back(w);
  co_await w;
}

Coro<void> server_start_serving_coro(Server self) {
  server_start_serving(&StreamsAccess::state(self));
  co_await asyncio::sleep(0);
}

Coro<void> server_serve_forever(Server self) {
  ServerState& s = StreamsAccess::state(self);
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

// --- Server ---------------------------------------------------------------------------------

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
  st().clients.for_each_safe([](detail::SocketTransport* t) { detail::transport_close(t); });
}
void Server::abort_clients() {
  st().clients.for_each_safe(
      [](detail::SocketTransport* t) { detail::transport_force_close(t, nullptr); });
}
bool Server::is_serving() const { return st().serving; }
const std::vector<Socket>& Server::sockets() const { return st().sockets; }
EventLoop& Server::get_loop() const { return *st().loop; }
std::string Server::repr() const { return detail::server_repr(&st()); }
Coro<void> Server::wait_closed() { return detail::server_wait_closed(Server(*this)); }
Coro<void> Server::start_serving() { return detail::server_start_serving_coro(Server(*this)); }
Coro<void> Server::serve_forever() { return detail::server_serve_forever(Server(*this)); }

}  // namespace asyncio
