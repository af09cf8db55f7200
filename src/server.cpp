// Servers: CPython `base_events.Server` (listening sockets, connections, wait_closed,
// serve_forever), `BaseSelectorEventLoop._start_serving` / `_accept_connection` (the
// accept loop), `base_events.create_server` and `streams.start_server` (binding, and a
// `StreamReaderProtocol` with its client task per connection). See streams.hpp.

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/stream_conn.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/sleep.hpp"
#include "asyncio/streams.hpp"

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
  bool serving = false;                      ///< `_serving`
  int backlog = 100;                         ///< `_backlog`
  std::size_t limit = stream_default_limit;  ///< the streams' `limit=`
  IntrusiveList<SocketTransport, ServerClientTag> clients;
  std::vector<Future<void>> waiters;  ///< `_waiters`: pending wait_closed() calls
  bool waiters_none = false;
  Future<void> serving_forever_fut;  ///< `_serving_forever_fut`
  ClientCallback cb;                 ///< `client_connected_cb` (owned)
  Hook hook;                         ///< stops listening if the loop closes first

  ~ServerState() {
    LoopCore::unlink_close_hook(&hook);
    if (cb.destroy) cb.destroy(cb.obj);
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

void server_close(ServerState* s) {
  if (s->sockets_none) return;
  s->sockets_none = true;
  stop_listening(s);
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

// CPython `_accept_connection2` + StreamReaderProtocol.connection_made: the connection,
// then `client_connected_cb(reader, writer)` as a task.
void start_client(ServerState* s, Socket sock) {
  StreamConn* c = conn_create(*s->loop, std::move(sock), s->limit, s);
  StreamReader r = StreamsAccess::reader(c);
  StreamWriter w = StreamsAccess::writer(c);
  Coro<void> coro = s->cb.call(s->cb.obj, r, std::move(w));
  Task<void> t = s->loop->create_task(std::move(coro));
  conn_add_ref(c);  // the callback's
  try {
    t.state_ptr()->add_callback(&client_task_done, c);
  } catch (...) {
    conn_release(c);
    throw;
  }
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

// CPython `trsock.TransportSocket.__repr__`.
std::string transport_socket_repr(const Socket& sock) {
  return "<asyncio.TransportSocket fd=" + std::to_string(sock.fileno()) +
         ", family=" + std::to_string(sock.family()) + ", type=" + std::to_string(sock.type()) +
         ", proto=" + std::to_string(sock.proto()) + ", laddr=" + sock.getsockname().repr() + ">";
}

// CPython `Server.__repr__`: "<Server sockets=(...)>", a Python tuple.
std::string server_repr(const ServerState* s) {
  std::string out = "<Server sockets=(";
  for (std::size_t i = 0; i < s->sockets.size(); ++i) {
    if (i) out += ", ";
    out += transport_socket_repr(s->sockets[i]);
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

// CPython `streams.start_server` + `base_events.create_server`.
Coro<Server> start_server_impl(ClientCallback cb, std::string host, int port, ServerOptions o) {
  struct CbGuard {
    ClientCallback cb;
    ~CbGuard() {
      if (cb.destroy) cb.destroy(cb.obj);
    }
  } guard{cb};
  EventLoop& loop = get_running_loop();
  if (o.limit == 0) throw std::invalid_argument("Limit cannot be <= 0");
  detail::check_port(port, "bind");  // CPython: bind() of the first address
  // "" (Python's None) resolves through getaddrinfo: every interface.
  std::vector<AddrInfo> infos =
      co_await ensure_resolved(host, port, o.family, SOCK_STREAM, AI_PASSIVE);
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
      std::string why = e.what();  // CPython: str(exc).lower(), "[errno 98] address ..."
      for (char& ch : why) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      throw_os_error(e.errnum(), "error while attempting to bind on address " + ai.sockaddr.repr() +
                                     ": " + why);
    }
    socks.push_back(std::move(sock));
  }
  auto* s = new ServerState;
  Server server = StreamsAccess::server(s);
  s->loop = &loop;
  s->sockets = std::move(socks);
  s->backlog = o.backlog;
  s->limit = o.limit;
  s->cb = std::exchange(guard.cb, ClientCallback{});
  s->hook.s = s;
  s->hook.fn = &server_hook;
  detail::core_of(loop).link_close_hook(&s->hook);
  if (o.start_serving) {
    server_start_serving(s);
    co_await asyncio::sleep(0);
  }
  co_return server;
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
