// TLS on a socket transport: CPython `asyncio.sslproto.SSLProtocol` (the SSL protocol on
// the TCP transport) and `_SSLProtocolTransport` (the app transport the user's protocol
// sees), folded into the transport itself: src/transport.cpp calls these functions instead
// of its plain path when `t->tls` is set (one branch per call, no virtual call). Ciphertext
// goes through the transport's own write buffer, so flow control (pause_writing /
// resume_writing) works on what is really queued for the socket.

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>

#include "asyncio/detail/protocol_conn.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/tls_engine.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/ssl.hpp"

namespace asyncio::detail {

struct TlsLayer {
  TlsLayer(const TlsParams& p)
      : ctx(p.ctx),
        engine(*p.ctx, p.server_side, p.server_hostname),
        handshake_timeout(p.handshake_timeout),
        shutdown_timeout(p.shutdown_timeout) {}
  std::shared_ptr<const SSLContext> ctx;  // get_extra_info("sslcontext")
  TlsEngine engine;
  double handshake_timeout;
  double shutdown_timeout;
  TimerHandle timer;                 // the handshake timeout, then the shutdown timeout
  bool app_connected = false;        // the protocol's connection_made has been called
  bool call_connection_made = true;  // false after start_tls (CPython call_connection_made)
  bool failed = false;               // the handshake failed: nothing more goes through
  bool shutdown_sent = false;        // close_notify was sent
  bool eof_delivered = false;        // the protocol's eof_received was called
  bool read_pending = false;         // reading was paused with decrypted data maybe left
  std::string pending;               // plaintext written before the handshake completed
  std::string out;                   // ciphertext scratch
};

namespace {

thread_local char tl_plain[64 * 1024];

// Python's str(float): "60.0", "0.5".
std::string py_float(double v) {
  char buf[64];
  if (v == static_cast<double>(static_cast<long long>(v))) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
    // the shortest text that reads back as v
    for (int prec = 1; prec <= 17; ++prec) {
      std::snprintf(buf, sizeof buf, "%.*g", prec, v);
      if (std::stod(buf) == v) break;
    }
  }
  return buf;
}

void flush(SocketTransport* t) {
  TlsLayer* L = t->tls;
  L->out.clear();
  if (L->engine.take_output(L->out) && !t->lost) transport_write_raw(t, L->out);
}

// CPython SSLProtocol._fatal_error: the transport goes; an OSError (SSLError too) is not
// reported (debug log only), anything else goes to the exception handler.
void fatal(SocketTransport* t, std::exception_ptr e, const char* msg) {
  if (!is_os_error(e)) t->loop->call_exception_handler({msg, e, transport_repr});
  transport_force_close(t, std::move(e));
}

// CPython _on_handshake_complete(exc): _fatal_error, then the waiter gets the exception.
void handshake_failed(SocketTransport* t, std::exception_ptr e) {
  TlsLayer* L = t->tls;
  if (L->failed) return;
  L->failed = true;
  L->timer.cancel();
  Future<void> w = std::exchange(t->waiter, Future<void>());
  fatal(t, e, "SSL handshake failed");
  if (w.valid() && !w.done()) w.set_exception(e);
}

// CPython _on_handshake_complete(None): the app protocol's connection_made, the waiter,
// then what was written meanwhile.
void handshake_complete(SocketTransport* t) {
  TlsLayer* L = t->tls;
  L->timer.cancel();
  L->app_connected = true;
  try {
    if (t->ops->connection_made && L->call_connection_made) t->ops->connection_made(t->protocol, t);
  } catch (...) {
    report_callback_exception(&core_of(*t->loop), std::current_exception(),
                              "Protocol.connection_made()");
  }
  Future<void> w = std::exchange(t->waiter, Future<void>());
  if (w.valid() && !w.done()) w.set_result();
  if (!L->pending.empty() && !t->lost) {
    std::string p = std::exchange(L->pending, std::string());
    tls_write(t, p);
  }
}

// One handshake step; true once complete.
bool handshake_step(SocketTransport* t) {
  TlsLayer* L = t->tls;
  TlsEngine::Status st;
  try {
    st = L->engine.do_handshake();
  } catch (...) {
    flush(t);  // the alert, if any
    handshake_failed(t, std::current_exception());
    return false;
  }
  flush(t);
  if (st != TlsEngine::Status::ok) return false;
  handshake_complete(t);
  return true;
}

void on_handshake_timeout(SocketTransport* t) {
  TlsLayer* L = t->tls;
  if (L->engine.handshake_done() || L->failed || t->lost) return;
  handshake_failed(t, std::make_exception_ptr(ConnectionAbortedError(
                          "SSL handshake is taking longer than " + py_float(L->handshake_timeout) +
                          " seconds: aborting the connection")));
}

// CPython `_on_shutdown_complete(None)` after `_call_eof_received()`: the peer's
// close_notify came (or its EOF): the socket transport closes.
void shutdown_complete(SocketTransport* t, bool peer_close_notify) {
  TlsLayer* L = t->tls;
  L->timer.cancel();
  t->tls_shutdown_wait = false;
  if (peer_close_notify) {
    try {
      (void)L->engine.shutdown();
    } catch (...) {
    }
    flush(t);
    if (!L->eof_delivered) {
      L->eof_delivered = true;
      try {
        (void)t->ops->eof_received(t->protocol);  // its answer has no effect (T7)
      } catch (...) {
        fatal(t, std::current_exception(), "Error calling eof_received()");
        return;
      }
    }
  }
  transport_close_finish(t);
}

// CPython `_check_shutdown_timeout`.
void on_shutdown_timeout(SocketTransport* t) {
  if (t->lost || !t->tls_shutdown_wait) return;
  t->tls_shutdown_wait = false;
  transport_force_close(t, std::make_exception_ptr(TimeoutError("SSL shutdown timed out")));
}

// CPython's SHUTDOWN state: what arrives is read and dropped until the close_notify.
void shutdown_data_received(SocketTransport* t) {
  TlsLayer* L = t->tls;
  for (;;) {
    std::size_t got = 0;
    TlsEngine::Status st;
    try {
      st = L->engine.read(tl_plain, sizeof tl_plain, got);
    } catch (...) {
      L->timer.cancel();
      t->tls_shutdown_wait = false;
      flush(t);
      fatal(t, std::current_exception(), "Fatal error on SSL protocol");
      return;
    }
    if (st == TlsEngine::Status::ok) continue;
    if (st == TlsEngine::Status::closed) {
      shutdown_complete(t, true);
      return;
    }
    break;
  }
  flush(t);
}

}  // namespace

void tls_check_timeouts(double handshake_timeout, double shutdown_timeout) {
  if (!(handshake_timeout > 0))
    throw std::invalid_argument("ssl_handshake_timeout should be a positive number, got " +
                                py_float(handshake_timeout));
  if (!(shutdown_timeout > 0))
    throw std::invalid_argument("ssl_shutdown_timeout should be a positive number, got " +
                                py_float(shutdown_timeout));
}

std::shared_ptr<const SSLContext> tls_keep(const SSLContext& ctx) {
  return std::make_shared<const SSLContext>(ctx);
}

void transport_set_tls(SocketTransport* t, const TlsParams& p) {
  t->tls = new TlsLayer(p);
  t->tls_free = [](TlsLayer* l) {
    l->timer.cancel();
    delete l;
  };
}

void tls_start(SocketTransport* t) {
  TlsLayer* L = t->tls;
  if (L->handshake_timeout > 0) {
    L->timer = t->loop->call_later(L->handshake_timeout, [t] { on_handshake_timeout(t); });
  }
  if (!L->engine.server_side()) handshake_step(t);  // the ClientHello
}

void tls_data_received(SocketTransport* t, const char* data, std::size_t n) {
  TlsLayer* L = t->tls;
  if (L->failed) return;
  L->engine.feed(data, n);
  if (t->tls_shutdown_wait) {
    shutdown_data_received(t);
    return;
  }
  if (!L->engine.handshake_done() && !handshake_step(t)) return;
  tls_read_loop(t);
}

void tls_read_loop(SocketTransport* t) {
  TlsLayer* L = t->tls;
  while (!t->lost) {
    if (t->reading_paused) {
      // pause_reading() from data_received: what is decrypted (or still buffered in the
      // engine) waits for resume_reading(), as CPython's _app_reading_paused.
      L->read_pending = true;
      break;
    }
    std::size_t got = 0;
    TlsEngine::Status st;
    try {
      st = L->engine.read(tl_plain, sizeof tl_plain, got);
    } catch (...) {
      flush(t);
      fatal(t, std::current_exception(), "Fatal error on SSL protocol");
      return;
    }
    if (st == TlsEngine::Status::ok) {
      t->ops->data_received(t->protocol, tl_plain, got);  // throws: read_ready's fatal error
      if (t->tls_shutdown_wait) {                         // it called close(): the rest is dropped
        shutdown_data_received(t);
        return;
      }
      continue;
    }
    if (st == TlsEngine::Status::closed) {
      if (t->tls_shutdown_wait) {
        shutdown_complete(t, true);
        return;
      }
      // close_notify: the protocol's eof_received (its answer cannot keep a TLS transport
      // open, as CPython), then our close_notify and the close.
      flush(t);
      L->eof_delivered = true;
      t->ops->eof_received(t->protocol);
      transport_close(t);
      return;
    }
    break;
  }
  if (!t->lost) flush(t);  // session tickets, key updates
}

void tls_resume_reading(SocketTransport* t) {
  TlsLayer* L = t->tls;
  if (!L->read_pending) return;
  L->read_pending = false;
  // CPython: `call_soon(self._do_read)`: the rest, one callback later.
  t->loop->call_soon([tr = TransportAccess::transport(t)] {
    SocketTransport* t = TransportAccess::get(tr);
    if (t->lost || t->fd < 0) return;
    if (t->reading_paused) {
      t->tls->read_pending = true;
      return;
    }
    try {
      tls_read_loop(t);
    } catch (...) {
      fatal(t, std::current_exception(), "Fatal error: protocol.data_received() call failed.");
    }
  });
}

bool tls_eof_received(SocketTransport* t) {
  TlsLayer* L = t->tls;
  if (L->failed) return false;
  if (t->tls_shutdown_wait) {
    // CPython: the EOF during SHUTDOWN ends it; the transport closes (connection_lost(None)).
    shutdown_complete(t, false);
    return true;
  }
  if (!L->engine.handshake_done()) {
    // CPython: _on_handshake_complete(ConnectionResetError).
    handshake_failed(t, std::make_exception_ptr(ConnectionResetError("")));
    return true;
  }
  // The socket ended without close_notify. CPython 3.13 (eof_received in WRAPPED: FLUSHING,
  // then SHUTDOWN) sends its close_notify, calls the protocol's eof_received (its answer
  // cannot keep a TLS transport open) and closes: connection_lost(None), no error.
  L->shutdown_sent = true;
  try {
    (void)L->engine.shutdown();
  } catch (...) {
  }
  flush(t);
  if (!L->eof_delivered && !t->lost) {
    L->eof_delivered = true;
    try {
      (void)t->ops->eof_received(t->protocol);
    } catch (...) {
      fatal(t, std::current_exception(), "Error calling eof_received()");
      return true;
    }
  }
  transport_close(t);
  return true;
}

void tls_write(SocketTransport* t, std::string_view data) {
  TlsLayer* L = t->tls;
  if (t->lost || L->failed || L->shutdown_sent) return;
  if (!L->app_connected) {
    L->pending.append(data);
    return;
  }
  try {
    L->engine.write(data.data(), data.size());
  } catch (...) {
    fatal(t, std::current_exception(), "Fatal error on SSL protocol");
    return;
  }
  flush(t);
}

bool tls_close(SocketTransport* t) {
  TlsLayer* L = t->tls;
  if (!L->engine.handshake_done() || L->failed || L->shutdown_sent || t->lost) return false;
  L->shutdown_sent = true;
  TlsEngine::Status st;
  try {
    st = L->engine.shutdown();
  } catch (...) {
    return false;  // nothing to say to a peer that is gone
  }
  flush(t);
  if (st == TlsEngine::Status::ok || t->eof_read || t->lost) return false;
  // CPython `_start_shutdown`: wait (reading on) for the peer's close_notify, at most
  // ssl_shutdown_timeout seconds.
  t->tls_shutdown_wait = true;
  L->timer = t->loop->call_later(L->shutdown_timeout, [t] { on_shutdown_timeout(t); });
  return true;
}

// A stream protocol (no connection_made) is told of every loss: its reader must wake.
bool tls_app_connected(const SocketTransport* t) {
  return t->tls->app_connected || !t->ops->connection_made;
}

void transport_start_tls(SocketTransport* t, const TlsParams& p) {
  if (t->tls)
    throw std::invalid_argument("transport " + transport_describe(t) +
                                " is not supported by start_tls()");
  if (t->closing || t->lost || t->fd < 0) throw ConnectionResetError("Connection lost");
  auto* L = new TlsLayer(p);  // throws "check_hostname requires server_hostname"
  L->call_connection_made = false;
  L->app_connected = true;
  t->tls = L;
  t->tls_free = [](TlsLayer* l) {
    l->timer.cancel();
    delete l;
  };
  t->waiter = t->loop->create_future<void>();
  tls_start(t);
  transport_resume_reading(t);  // CPython: call_soon(transport.resume_reading)
}

const TlsEngine* tls_engine(const SocketTransport* t) { return t->tls ? &t->tls->engine : nullptr; }

std::shared_ptr<const SSLContext> tls_context(const SocketTransport* t) {
  return t->tls ? t->tls->ctx : nullptr;
}

}  // namespace asyncio::detail

namespace asyncio {

namespace {
// Everything is checked inside the coroutine: its errors come out of the co_await, as
// CPython's (and no exception leaves the co_await operand: GCC 12 mishandles temporaries
// there when one does).
Coro<Transport> start_tls_coro(Transport transport, std::shared_ptr<const SSLContext> ctx,
                               StartTlsOptions opts) {
  if (!transport.valid()) throw InvalidStateError("empty Transport handle");
  detail::tls_check_timeouts(opts.ssl_handshake_timeout, opts.ssl_shutdown_timeout);
  detail::TlsParams p;
  p.ctx = std::move(ctx);
  p.server_side = opts.server_side;
  if (!opts.server_side && opts.server_hostname) p.server_hostname = *opts.server_hostname;
  p.handshake_timeout = opts.ssl_handshake_timeout;
  p.shutdown_timeout = opts.ssl_shutdown_timeout;
  detail::SocketTransport* t = detail::TransportAccess::get(transport);
  detail::transport_start_tls(t, p);
  Future<void> waiter = t->waiter;
  try {
    co_await waiter;
  } catch (...) {
    transport.close();
    throw;
  }
  co_return transport;
}
}  // namespace

Coro<Transport> start_tls(EventLoop& loop, Transport transport, const SSLContext& sslcontext,
                          StartTlsOptions opts) {
  (void)loop;  // the transport's own loop
  return start_tls_coro(std::move(transport), detail::tls_keep(sslcontext), std::move(opts));
}

}  // namespace asyncio
