#pragma once
// A user protocol on a transport: one allocation per connection holding the transport and
// the protocol object the factory made, and the ProtocolOps / DatagramProtocolOps table
// generated for the protocol's class. The table's functions call the protocol's members
// directly (inlined); the transport reaches them through one indirect call per event.
//
// Which callbacks a protocol has is found with requires-expressions: a missing one is
// CPython's default (`asyncio.Protocol` / `DatagramProtocol`: do nothing; eof_received
// returns None, which closes the transport). A member of the right name that cannot be
// called the expected way is a compile error, not a silently ignored callback.

#include <unistd.h>

#include <cstddef>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "asyncio/detail/datagram.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/transports.hpp"

namespace asyncio::detail {

/// The door to the transport handles' private constructor and pointer.
struct TransportAccess {
  static Transport transport(SocketTransport* t) { return Transport(t); }
  static DatagramTransport datagram(DgramTransport* t) { return DatagramTransport(t); }
  static SocketTransport* get(const Transport& t) { return t.t_; }
  static DgramTransport* get(const DatagramTransport& t) { return t.t_; }
  static SSLObject ssl_object(SocketTransport* t) { return SSLObject(t); }
  static SocketTransport* get(const SSLObject& o) { return o.t_; }
};

// --- what a factory returns -------------------------------------------------------------------

/// How the connection holds what the factory returned: a protocol by value (in place), a
/// `std::unique_ptr<P>` or a `std::shared_ptr<P>`. `pointer` is what create_connection
/// returns as the protocol: `P*` (valid until connection_lost has returned: the protocol
/// is destroyed then), or the `std::shared_ptr<P>` itself.
template <class H>
struct holder_traits {
  static_assert(std::is_class_v<H>, "protocol_factory must return a protocol object (a class)");
  using protocol_type = H;
  using pointer = H*;
  static H& get(H& h) { return h; }
  static pointer ptr(H& h) { return &h; }
  static bool null(const H&) { return false; }
};
template <class P, class D>
struct holder_traits<std::unique_ptr<P, D>> {
  using protocol_type = P;
  using pointer = P*;
  static P& get(std::unique_ptr<P, D>& h) { return *h; }
  static pointer ptr(std::unique_ptr<P, D>& h) { return h.get(); }
  static bool null(const std::unique_ptr<P, D>& h) { return !h; }
};
template <class P>
struct holder_traits<std::shared_ptr<P>> {
  using protocol_type = P;
  using pointer = std::shared_ptr<P>;
  static P& get(std::shared_ptr<P>& h) { return *h; }
  static pointer ptr(std::shared_ptr<P>& h) { return h; }
  static bool null(const std::shared_ptr<P>& h) { return !h; }
};

template <class F>
using factory_holder_t = std::remove_cvref_t<std::invoke_result_t<F&>>;
/// What create_connection / create_datagram_endpoint return as the protocol.
template <class F>
using protocol_ptr_t = typename holder_traits<factory_holder_t<F>>::pointer;

/// Storage for the holder, constructed from the factory's result in place (a protocol
/// need not be movable) and destroyed early, when the transport lets it go.
template <class H>
class ProtocolSlot {
 public:
  ProtocolSlot() = default;
  ProtocolSlot(const ProtocolSlot&) = delete;
  ProtocolSlot& operator=(const ProtocolSlot&) = delete;
  ~ProtocolSlot() { reset(); }
  template <class F>
  void emplace(F& factory) {
    ::new (static_cast<void*>(buf_)) H(factory());
    alive_ = true;
    if (holder_traits<H>::null(get())) {
      reset();
      throw std::invalid_argument("protocol_factory returned a null protocol");
    }
  }
  H& get() { return *std::launder(reinterpret_cast<H*>(buf_)); }
  bool alive() const { return alive_; }
  void reset() {
    if (!alive_) return;
    alive_ = false;  // first: the destructor may come back here through a handle
    get().~H();
  }

 private:
  alignas(H) unsigned char buf_[sizeof(H)];
  bool alive_ = false;
};

// --- calling the callbacks ----------------------------------------------------------------------

template <class P>
concept names_connection_made = requires {
  &P::connection_made;
};
template <class P>
concept names_data_received = requires {
  &P::data_received;
};
template <class P>
concept names_eof_received = requires {
  &P::eof_received;
};
template <class P>
concept names_connection_lost = requires {
  &P::connection_lost;
};
template <class P>
concept names_pause_writing = requires {
  &P::pause_writing;
};
template <class P>
concept names_resume_writing = requires {
  &P::resume_writing;
};
template <class P>
concept names_datagram_received = requires {
  &P::datagram_received;
};
template <class P>
concept names_error_received = requires {
  &P::error_received;
};

template <class P, class T>
void call_connection_made(P& p, T& transport) {
  if constexpr (requires { p.connection_made(transport); })
    p.connection_made(transport);
  else
    static_assert(!names_connection_made<P>,
                  "connection_made must be callable as connection_made(Transport) (or "
                  "DatagramTransport for a datagram protocol)");
}

template <class P>
void call_connection_lost(P& p, std::exception_ptr exc) {
  if constexpr (requires { p.connection_lost(exc); })
    p.connection_lost(std::move(exc));
  else if constexpr (requires { p.connection_lost(); })
    p.connection_lost();
  else
    static_assert(!names_connection_lost<P>,
                  "connection_lost must be callable as connection_lost(std::exception_ptr) or "
                  "connection_lost()");
}

template <class P>
void call_pause_writing(P& p) {
  if constexpr (requires { p.pause_writing(); })
    p.pause_writing();
  else
    static_assert(!names_pause_writing<P>, "pause_writing must be callable as pause_writing()");
}

template <class P>
void call_resume_writing(P& p) {
  if constexpr (requires { p.resume_writing(); })
    p.resume_writing();
  else
    static_assert(!names_resume_writing<P>, "resume_writing must be callable as resume_writing()");
}

template <class P>
void call_data_received(P& p, std::string_view data) {
  if constexpr (requires { p.data_received(data); })
    p.data_received(data);
  else
    static_assert(!names_data_received<P>,
                  "data_received must be callable as data_received(std::string_view)");
}

template <class P>
bool call_eof_received(P& p) {
  if constexpr (requires { p.eof_received(); }) {
    if constexpr (std::is_void_v<decltype(p.eof_received())>) {
      p.eof_received();
      return false;  // Python's None: close
    } else {
      return static_cast<bool>(p.eof_received());
    }
  } else {
    static_assert(!names_eof_received<P>, "eof_received must be callable as eof_received()");
    return false;  // asyncio.Protocol.eof_received returns None
  }
}

template <class P>
void call_datagram_received(P& p, std::string_view data, const Address& addr) {
  if constexpr (requires { p.datagram_received(data, addr); })
    p.datagram_received(data, addr);
  else
    static_assert(!names_datagram_received<P>,
                  "datagram_received must be callable as datagram_received(std::string_view, "
                  "const Address&)");
}

template <class P>
void call_error_received(P& p, std::exception_ptr exc) {
  if constexpr (requires { p.error_received(exc); })
    p.error_received(std::move(exc));
  else
    static_assert(!names_error_received<P>,
                  "error_received must be callable as error_received(std::exception_ptr)");
}

// --- a stream connection ------------------------------------------------------------------------

/// One connection of a user protocol: its transport and the protocol object, destroyed
/// when the transport lets it go (after connection_lost), freed with the last reference.
template <class H>
struct ProtoConn {
  using Traits = holder_traits<H>;
  using P = typename Traits::protocol_type;
  SocketTransport transport;
  ProtocolSlot<H> slot;

  P& proto() { return Traits::get(slot.get()); }
  static ProtoConn* self(void* p) { return static_cast<ProtoConn*>(p); }

  static void made(void* p, SocketTransport* t) {
    Transport tr = TransportAccess::transport(t);
    call_connection_made(self(p)->proto(), tr);
  }
  static void data(void* p, const char* d, std::size_t n) {
    call_data_received(self(p)->proto(), std::string_view(d, n));
  }
  static bool eof(void* p) { return call_eof_received(self(p)->proto()); }
  static void pause(void* p) { call_pause_writing(self(p)->proto()); }
  static void resume(void* p) { call_resume_writing(self(p)->proto()); }
  static void lost(void* p, std::exception_ptr e) { call_connection_lost(self(p)->proto(), e); }
  static void detach(void* p) { self(p)->slot.reset(); }
  static void destroy(void* p) { delete self(p); }

  /// CPython `_create_connection_transport` / `_accept_connection2`: the protocol from
  /// `factory`, then the transport on `sock` (connection_made queued). With `waiter`, the
  /// transport completes `transport.waiter` once connection_made has run.
  template <class F>
  static ProtoConn* create(EventLoop& loop, Socket sock, F& factory, ServerState* server,
                           bool waiter, const TlsParams* tls = nullptr);
  /// The same on one end of a pipe (CPython `_make_read_pipe_transport` /
  /// `_make_write_pipe_transport`), with a waiter; takes `fd` over.
  template <class F>
  static ProtoConn* create_pipe(EventLoop& loop, int fd, FdKind kind, F& factory);
};

/// The TLS parameters of `ssl=` (nullopt without it): `server_hostname` defaults to `host`
/// on a client. **Exceptions:** std::invalid_argument("server_hostname is only meaningful
/// with ssl"), ("asyncio was built without TLS").
inline std::optional<TlsParams> tls_params(const SSLContext* ssl, bool server_side,
                                           const std::optional<std::string>& server_hostname,
                                           const std::string& host, double handshake_timeout,
                                           double shutdown_timeout) {
  if (!ssl) {
    if (server_hostname) throw std::invalid_argument("server_hostname is only meaningful with ssl");
    return std::nullopt;
  }
#ifdef ASYNCIO_HAS_TLS
  tls_check_timeouts(handshake_timeout, shutdown_timeout);
  TlsParams p;
  p.ctx = tls_keep(*ssl);
  p.server_side = server_side;
  if (!server_side) p.server_hostname = server_hostname ? *server_hostname : host;
  p.handshake_timeout = handshake_timeout;
  p.shutdown_timeout = shutdown_timeout;
  return p;
#else
  (void)server_side, (void)host, (void)handshake_timeout, (void)shutdown_timeout;
  throw std::invalid_argument("asyncio was built without TLS");
#endif
}

template <class H>
inline constexpr ProtocolOps proto_conn_ops = {
    .connection_made = &ProtoConn<H>::made,
    .data_received = &ProtoConn<H>::data,
    .eof_received = &ProtoConn<H>::eof,
    .pause_writing = &ProtoConn<H>::pause,
    .resume_writing = &ProtoConn<H>::resume,
    .connection_lost = &ProtoConn<H>::lost,
    .detach = &ProtoConn<H>::detach,
    .destroy = &ProtoConn<H>::destroy,
};

template <class H>
template <class F>
ProtoConn<H>* ProtoConn<H>::create(EventLoop& loop, Socket sock, F& factory, ServerState* server,
                                   bool waiter, const TlsParams* tls) {
  std::unique_ptr<ProtoConn> c(new ProtoConn);
  c->slot.emplace(factory);
  if (waiter) c->transport.waiter = loop.create_future<void>();
#ifdef ASYNCIO_HAS_TLS
  if (tls) transport_set_tls(&c->transport, *tls);
#else
  (void)tls;
#endif
  transport_init(&c->transport, loop, std::move(sock), &proto_conn_ops<H>, c.get(), server);
  return c.release();
}

template <class H>
template <class F>
ProtoConn<H>* ProtoConn<H>::create_pipe(EventLoop& loop, int fd, FdKind kind, F& factory) {
  std::unique_ptr<ProtoConn> c;
  try {
    c.reset(new ProtoConn);
    c->slot.emplace(factory);
  } catch (...) {
    ::close(fd);
    throw;
  }
  c->transport.waiter = loop.create_future<void>();
  pipe_transport_init(&c->transport, loop, fd, kind, &proto_conn_ops<H>, c.get());
  return c.release();
}

// --- a datagram endpoint ------------------------------------------------------------------------

template <class H>
struct DgramConn {
  using Traits = holder_traits<H>;
  using P = typename Traits::protocol_type;
  DgramTransport transport;
  ProtocolSlot<H> slot;

  P& proto() { return Traits::get(slot.get()); }
  static DgramConn* self(void* p) { return static_cast<DgramConn*>(p); }

  static void made(void* p, DgramTransport* t) {
    DatagramTransport tr = TransportAccess::datagram(t);
    call_connection_made(self(p)->proto(), tr);
  }
  static void datagram(void* p, const char* d, std::size_t n, const Address& addr) {
    call_datagram_received(self(p)->proto(), std::string_view(d, n), addr);
  }
  static void error(void* p, std::exception_ptr e) { call_error_received(self(p)->proto(), e); }
  static void pause(void* p) { call_pause_writing(self(p)->proto()); }
  static void resume(void* p) { call_resume_writing(self(p)->proto()); }
  static void lost(void* p, std::exception_ptr e) { call_connection_lost(self(p)->proto(), e); }
  static void detach(void* p) { self(p)->slot.reset(); }
  static void destroy(void* p) { delete self(p); }

  template <class F>
  static DgramConn* create(EventLoop& loop, Socket sock, F& factory, std::optional<Address> remote);
};

template <class H>
inline constexpr DatagramProtocolOps dgram_conn_ops = {
    .connection_made = &DgramConn<H>::made,
    .datagram_received = &DgramConn<H>::datagram,
    .error_received = &DgramConn<H>::error,
    .pause_writing = &DgramConn<H>::pause,
    .resume_writing = &DgramConn<H>::resume,
    .connection_lost = &DgramConn<H>::lost,
    .detach = &DgramConn<H>::detach,
    .destroy = &DgramConn<H>::destroy,
};

template <class H>
template <class F>
DgramConn<H>* DgramConn<H>::create(EventLoop& loop, Socket sock, F& factory,
                                   std::optional<Address> remote) {
  std::unique_ptr<DgramConn> c(new DgramConn);
  c->slot.emplace(factory);
  c->transport.waiter = loop.create_future<void>();
  dgram_init(&c->transport, loop, std::move(sock), &dgram_conn_ops<H>, c.get(), std::move(remote));
  return c.release();
}

// --- the type-erased factory of a server ---------------------------------------------------------

/// A protocol server's factory (`ConnFactory::start`): accepted socket → connection.
/// With `tls`, each connection is a TLS server connection.
template <class F>
ConnFactory make_conn_factory(F&& f, std::optional<TlsParams> tls = std::nullopt) {
  using D = std::decay_t<F>;
  static_assert(std::is_invocable_v<D&>, "protocol_factory must be callable with no argument");
  struct Obj {
    D factory;
    std::optional<TlsParams> tls;
  };
  ConnFactory cf;
  cf.obj = new Obj{D(std::forward<F>(f)), std::move(tls)};
  cf.start = [](void* o, EventLoop& loop, Socket sock, ServerState* s) {
    Obj* obj = static_cast<Obj*>(o);
    ProtoConn<factory_holder_t<D>>::create(loop, std::move(sock), obj->factory, s, false,
                                           obj->tls ? &*obj->tls : nullptr);
  };
  cf.destroy = [](void* o) { delete static_cast<Obj*>(o); };
  cf.deferred = true;
  return cf;
}

/// CPython `_create_connection_transport`: the protocol and its transport on `sock`,
/// once connection_made has run; on failure or cancellation the transport is closed.
template <class F>
Coro<std::pair<Transport, protocol_ptr_t<F>>> connection_transport(EventLoop& loop, Socket sock,
                                                                   F factory,
                                                                   const TlsParams* tls = nullptr) {
  using H = factory_holder_t<F>;
  ProtoConn<H>* c = ProtoConn<H>::create(loop, std::move(sock), factory, nullptr, true, tls);
  Transport tr = TransportAccess::transport(&c->transport);
  protocol_ptr_t<F> proto = holder_traits<H>::ptr(c->slot.get());
  Future<void> waiter = c->transport.waiter;
  try {
    co_await waiter;
  } catch (...) {
    tr.close();
    throw;
  }
  co_return std::pair<Transport, protocol_ptr_t<F>>(std::move(tr), std::move(proto));
}

/// CPython `connect_read_pipe` / `connect_write_pipe` after the transport is made: waits
/// for connection_made; on failure or cancellation the transport is closed.
template <class F>
Coro<std::pair<Transport, protocol_ptr_t<F>>> pipe_connection(EventLoop& loop, int fd, FdKind kind,
                                                              F factory) {
  using H = factory_holder_t<F>;
  ProtoConn<H>* c = ProtoConn<H>::create_pipe(loop, fd, kind, factory);
  Transport tr = TransportAccess::transport(&c->transport);
  protocol_ptr_t<F> proto = holder_traits<H>::ptr(c->slot.get());
  Future<void> waiter = c->transport.waiter;
  try {
    co_await waiter;
  } catch (...) {
    tr.close();
    throw;
  }
  co_return std::pair<Transport, protocol_ptr_t<F>>(std::move(tr), std::move(proto));
}

/// The same for a datagram endpoint.
template <class F>
Coro<std::pair<DatagramTransport, protocol_ptr_t<F>>> datagram_transport(EventLoop& loop,
                                                                         DatagramSocket ds,
                                                                         F factory) {
  using H = factory_holder_t<F>;
  DgramConn<H>* c = DgramConn<H>::create(loop, std::move(ds.sock), factory, std::move(ds.remote));
  DatagramTransport tr = TransportAccess::datagram(&c->transport);
  protocol_ptr_t<F> proto = holder_traits<H>::ptr(c->slot.get());
  Future<void> waiter = c->transport.waiter;
  try {
    co_await waiter;
  } catch (...) {
    tr.close();
    throw;
  }
  co_return std::pair<DatagramTransport, protocol_ptr_t<F>>(std::move(tr), std::move(proto));
}

}  // namespace asyncio::detail
