#pragma once
// The socket transport: CPython `selector_events._SelectorSocketTransport` (with its bases
// `_SelectorTransport` and `transports._FlowControlMixin`), defined in src/transport.cpp.
//
// A transport owns a connected, non-blocking stream socket: it reads ahead while it is
// not paused, writes at once what the socket takes and buffers the rest, and tells its
// protocol what happened through a `ProtocolOps` table (CPython `asyncio.Protocol`'s
// methods). The transport knows nothing of what the protocol does with it: streams
// (detail/stream_conn.hpp, CPython `StreamReaderProtocol`) are one protocol on top.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/loop_core.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio {
class SSLContext;  // asyncio/ssl.hpp (TLS builds)
}  // namespace asyncio

namespace asyncio::detail {

/// A byte buffer with a read offset: appends at the end, consumes at the front, and moves
/// the live bytes down only when the tail is too short. A transport's write buffer and a
/// stream reader's read buffer (CPython: a `bytearray` / a deque of `bytes`).
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
  void make_room(std::size_t n);
  char* p_ = nullptr;
  std::size_t b_ = 0, e_ = 0, cap_ = 0;
};

struct SocketTransport;
/// The TLS session of a transport that carries TLS (src/tls_transport.cpp, TLS builds).
struct TlsLayer;

/// What a transport calls on its protocol: CPython `asyncio.Protocol`'s methods, as plain
/// functions of the protocol object (one indirect call per event, like the loop's own
/// `IoWatcher` dispatch; no virtual call). A user protocol's table is generated from its
/// class (detail/protocol_conn.hpp); the stream protocol's is in src/streams.cpp.
///
/// Exceptions: what `data_received` / `eof_received` throw is CPython's `_fatal_error`
/// (the exception handler, then `connection_lost(exc)`); what `pause_writing` /
/// `resume_writing` throw goes to the exception handler; what `connection_made` /
/// `connection_lost` throw is reported as "Exception in callback ...".
struct ProtocolOps {
  /// `connection_made(transport)`, queued by `transport_init` (CPython `call_soon`), then
  /// reading starts one callback later. Null for a protocol set up before its transport
  /// is created (streams): reading starts at once, nothing is queued.
  void (*connection_made)(void* protocol, SocketTransport* t);
  /// `data_received(data)`: `n > 0` bytes read (valid only during the call).
  void (*data_received)(void* protocol, const char* data, std::size_t n);
  /// `eof_received()`: the peer shut its write side. True keeps the transport open
  /// (half-closed: it stops reading, writing goes on); false closes it.
  bool (*eof_received)(void* protocol);
  /// `pause_writing()`: the write buffer went over the high-water mark.
  void (*pause_writing)(void* protocol);
  /// `resume_writing()`: after a pause, the buffer went down to the low-water mark.
  void (*resume_writing)(void* protocol);
  /// `connection_lost(exc)`: the last call; `exc` null for a close or EOF. The socket is
  /// closed right after it returns.
  void (*connection_lost)(void* protocol, std::exception_ptr exc);
  /// Called once the socket is closed, after `connection_lost` (or instead of it when the
  /// loop closes first): the transport lets go of its protocol (CPython
  /// `self._protocol = None`). A user protocol object is destroyed here, which breaks the
  /// cycle of a protocol holding its own Transport. May be null.
  void (*detach)(void* protocol);
  /// The last reference on the transport went: free the object that holds it (no CPython
  /// equivalent: the garbage collector).
  void (*destroy)(void* protocol);
};

/// CPython `_SelectorTransport.max_size`: the most one read (or datagram) takes, 256 KiB.
inline constexpr std::size_t transport_max_read = 256 * 1024;
/// The calling thread's read buffer of `transport_max_read` bytes, shared by every
/// transport of the thread (a read hands the bytes to the protocol before the next).
char* transport_read_buffer();

/// How a transport appears in the exception handler's context (CPython: its repr there).
inline constexpr const char* transport_repr = "<_SelectorSocketTransport>";

/// CPython `FlowControlMixin`'s default high-water mark (the low one is a quarter of it).
inline constexpr std::size_t default_high_water = 64 * 1024;

/// CPython `_FlowControlMixin._set_write_buffer_limits(high, low)`'s arithmetic: the
/// defaults (64 KiB, high / 4, or 4 * low) and the check; returns `{high, low}`.
/// **Exceptions:** std::invalid_argument("high (1) must be >= low (2) must be >= 0").
std::pair<std::size_t, std::size_t> write_buffer_limits(std::optional<std::size_t> high,
                                                        std::optional<std::size_t> low);

struct ServerState;
/// Tag of a transport's link in its server's list of clients (`ServerState::clients`).
struct ServerClientTag {};

/// What a server does with each accepted socket, type-erased (CPython: the server's
/// `protocol_factory`): `start` makes the connection (protocol and transport, attached to
/// the server) and may throw; `destroy` frees `obj` with the server. `deferred`: start
/// one loop iteration after the accept, as CPython's `_accept_connection2` task does
/// (protocol servers); streams start in the accept callback itself (deviation N8).
struct ConnFactory {
  void* obj = nullptr;
  void (*start)(void* obj, EventLoop& loop, Socket sock, ServerState* server) = nullptr;
  void (*destroy)(void* obj) = nullptr;
  bool deferred = false;
};

/// One connected stream socket (CPython `_SelectorSocketTransport`).
///
/// Ownership: the memory belongs to the protocol object that embeds the transport (freed
/// by `ops->destroy` when `refs` reaches 0). `refs` counts: the open transport's own
/// reference (`open_ref`: CPython's loop holding the transport through its selector and
/// queued callbacks), taken at creation and dropped once, when the socket is closed
/// (`transport_finalize`, CPython `_call_connection_lost`); and whatever references the
/// protocol layer takes (`transport_add_ref` / `transport_release`: stream handles, a
/// server's client-task callback). The transport holds one reference on `server` from
/// `transport_init` until `transport_finalize` (CPython `server._attach` / `_detach`),
/// and is linked into its list of clients meanwhile.
///
/// Invariants (while `fd >= 0`): the descriptor is registered for reading iff
/// `!closing && !reading_paused && !eof_read`, for writing iff `!write_buffer.empty()`;
/// `protocol_paused` iff `pause_writing()` was called and `resume_writing()` not since.
/// `lost == 0` until the loss is decided (`close` with nothing to flush, `_force_close`,
/// the loop closing); from then on nothing is sent and `connection_lost` is queued or run.
/// What a transport's descriptor is: a connected stream socket, or one end of a pipe
/// (CPython `unix_events._UnixReadPipeTransport` / `_UnixWritePipeTransport`): `read()` /
/// `write()` instead of `recv()` / `send()`; a read pipe closes itself at EOF (whatever
/// eof_received returns); a write pipe watches its descriptor for reading to learn that the
/// reader went away (epoll reports EPOLLERR) and closes itself then (BrokenPipeError if
/// data was still buffered); its `write_eof()` is `close()`.
enum class FdKind : std::uint8_t { socket, read_pipe, write_pipe };

struct SocketTransport : ListHook<ServerClientTag> {
  struct Watch : IoWatcher {
    SocketTransport* t = nullptr;
  };
  struct Hook : CloseHook {
    SocketTransport* t = nullptr;
  };

  EventLoop* loop = nullptr;
  int fd = -1;  ///< CPython `_sock_fd`; -1 once the socket is closed
  int family = AF_INET, type = SOCK_STREAM, proto = 0;  ///< of the socket (extra "socket")
  FdKind kind = FdKind::socket;                         ///< a socket or a pipe end
  const ProtocolOps* ops = nullptr;                     ///< CPython `_protocol`: its methods ...
  void* protocol = nullptr;                             ///< ... and the object they are called on
  ServerState* server = nullptr;              ///< CPython `_server`: attached until closed
  std::optional<Address> peername, sockname;  ///< CPython `_extra` (get_extra_info)

  // Lifetime (see above).
  std::uint32_t refs = 1;
  bool open_ref = true;  ///< the open transport's own reference is still held

  // Reading.
  bool reading_paused = false;  ///< CPython `_paused`: pause_reading() was called
  bool eof_read = false;        ///< read the peer's EOF: never registered for reading again

  // Writing (CPython `_buffer`, `_high_water`, `_low_water`, `_protocol_paused`, `_eof`).
  ByteBuffer write_buffer;
  std::size_t high_water = default_high_water, low_water = default_high_water / 4;
  bool protocol_paused = false;  ///< pause_writing() was called, resume_writing() not since
  bool eof_requested = false;    ///< write_eof() was called: SHUT_WR once the buffer is empty

  // Closing.
  bool closing = false;  ///< CPython `_closing`: close() or abort() was called
  /// CPython `_conn_lost`: 0 while connected, non-zero once the loss is decided; each
  /// write after that adds one (CPython logs from the 5th).
  int lost = 0;
  std::exception_ptr lost_exc;  ///< the exception of the queued connection_lost

  Watch read_watch, write_watch;
  Hook close_hook;  ///< closes the socket if the loop closes first
  /// CPython `waiter` of `_SelectorSocketTransport(...)`: completed (unless cancelled) one
  /// callback after `connection_made`; what create_connection awaits. Empty otherwise.
  Future<void> waiter;
  /// CPython `_empty_waiter`: set by `loop.sendfile` (sendfile.hpp) for its native path;
  /// completed when the write buffer is empty, failed on a write error or the loss of the
  /// connection. While it is set, write() / writelines() are refused. During the
  /// sendfile(2) calls it is also what waits for the socket to be writable (the write
  /// watcher registered with an empty buffer completes it), so losing the connection
  /// wakes the sender with ConnectionError.
  Future<void> empty_waiter;

  /// The TLS session when the transport carries TLS (CPython: an `sslproto.SSLProtocol`
  /// between the socket transport and the protocol; here the transport encrypts and
  /// decrypts itself, one branch per call); null otherwise. `tls_free` frees it.
  TlsLayer* tls = nullptr;
  void (*tls_free)(TlsLayer*) = nullptr;
  /// TLS close(): close_notify sent, waiting (reading on) for the peer's, at most the
  /// shutdown timeout (CPython SSLProtocol's FLUSHING / SHUTDOWN states). `closing` is set
  /// meanwhile; the socket's close (connection_lost) waits for the end of it.
  bool tls_shutdown_wait = false;

  SocketTransport() = default;
  SocketTransport(const SocketTransport&) = delete;
  SocketTransport& operator=(const SocketTransport&) = delete;
  ~SocketTransport() {
    if (tls) tls_free(tls);
    LoopCore::unlink_close_hook(&close_hook);
  }
};

/// What a TLS transport is made with (CPython `SSLProtocol(...)`'s arguments): the context
/// (kept alive by `ctx`), the side, the name checked and sent as SNI, the timeouts.
struct TlsParams {
  std::shared_ptr<const SSLContext> ctx;
  bool server_side = false;
  std::string server_hostname;
  double handshake_timeout = 60.0;
  double shutdown_timeout = 30.0;
};

/// Starts transport `t` on `sock` (taken over: non-blocking, TCP_NODELAY for TCP): records
/// the addresses, links the loop's close hook, attaches to `server` if any; registers for
/// reading at once, or, when the protocol has `connection_made`, queues it, then the start
/// of reading, then the completion of `t->waiter` if set (CPython's three `call_soon`s).
/// On an exception the socket is closed and `t` is left unregistered.
void transport_init(SocketTransport* t, EventLoop& loop, Socket sock, const ProtocolOps* ops,
                    void* protocol, ServerState* server);

/// `transport_init` for one end of a pipe (CPython `_UnixReadPipeTransport(loop, pipe,
/// protocol, waiter)` / `_UnixWritePipeTransport`): takes `fd` over (made non-blocking;
/// closed on failure), `kind` is `read_pipe` or `write_pipe`. **Exceptions:**
/// std::invalid_argument("Pipe transport is for pipes/sockets only.") for a regular file
/// (CPython's ValueError), OSError from fstat / epoll.
void pipe_transport_init(SocketTransport* t, EventLoop& loop, int fd, FdKind kind,
                         const ProtocolOps* ops, void* protocol);

/// Sets SIGPIPE to SIG_IGN if it has its default action (as the Python interpreter does
/// at start-up), so that writing to a pipe whose reader is gone fails with EPIPE instead of
/// killing the process. Children get SIGPIPE's default back (subprocess.cpp).
void transport_ignore_sigpipe();

inline void transport_add_ref(SocketTransport* t) { t->refs++; }
inline void transport_release(SocketTransport* t) {
  if (--t->refs == 0) t->ops->destroy(t->protocol);
}

/// TLS builds (src/tls_transport.cpp): a shared copy of `ctx` for TlsParams, and makes `t`
/// a TLS transport, before `transport_init` (throws what the TLS engine's constructor
/// throws: std::invalid_argument("check_hostname requires server_hostname")).
std::shared_ptr<const SSLContext> tls_keep(const SSLContext& ctx);
void transport_set_tls(SocketTransport* t, const TlsParams& p);
/// What src/transport.cpp calls on a TLS transport instead of the plain path.
void tls_start(SocketTransport* t);
void tls_data_received(SocketTransport* t, const char* data, std::size_t n);
/// Decrypts and delivers what the engine holds, until it needs more or reading is paused.
void tls_read_loop(SocketTransport* t);
/// `resume_reading()`: what was left when reading was paused is delivered one callback later.
void tls_resume_reading(SocketTransport* t);
bool tls_eof_received(SocketTransport* t);
void tls_write(SocketTransport* t, std::string_view data);
/// close_notify; true when the close now waits for the peer's (`tls_shutdown_wait`).
bool tls_close(SocketTransport* t);
bool tls_app_connected(const SocketTransport* t);
class TlsEngine;  // detail/tls_engine.hpp
/// The TLS session of `t` (null for a plain transport), for get_extra_info.
const TlsEngine* tls_engine(const SocketTransport* t);
/// The context `t` was made with (null for a plain transport): "sslcontext".
std::shared_ptr<const SSLContext> tls_context(const SocketTransport* t);
/// CPython SSLProtocol's checks of its timeouts. **Exceptions:**
/// std::invalid_argument("ssl_handshake_timeout should be a positive number, got 0.0").
void tls_check_timeouts(double handshake_timeout, double shutdown_timeout);
/// CPython `loop.start_tls`'s first half: `t` (plain, open) becomes a TLS transport whose
/// protocol is already connected; the handshake starts; `t->waiter` completes with it.
/// **Exceptions:** as `asyncio::start_tls` (asyncio/ssl.hpp) before the handshake.
void transport_start_tls(SocketTransport* t, const TlsParams& p);
/// The rest of `transport_close` once a TLS shutdown is over: stops reading,
/// connection_lost once the buffer is flushed.
void transport_close_finish(SocketTransport* t);
/// `transport_write` under the TLS layer: ciphertext to the socket.
void transport_write_raw(SocketTransport* t, std::string_view data);

/// CPython `write(data)`: sends what the socket takes now, buffers the rest.
/// **Exceptions:** RuntimeError("Cannot call write() after write_eof()").
void transport_write(SocketTransport* t, std::string_view data);
/// CPython `writelines(list_of_data)`: the pieces are buffered, then sent as the socket
/// takes them (as CPython 3.13, this does not call pause_writing).
/// **Exceptions:** RuntimeError("Cannot call writelines() after write_eof()").
void transport_writelines(SocketTransport* t, const std::string_view* pieces, std::size_t n);
/// CPython `write_eof()`.
void transport_write_eof(SocketTransport* t);
/// CPython `set_write_buffer_limits(high=None, low=None)`: the defaults (64 KiB, high / 4
/// or 4 * low), validation, then pause_writing if the buffer is now over the high mark.
/// **Exceptions:** std::invalid_argument("high (1) must be >= low (2) must be >= 0").
void transport_set_write_buffer_limits(SocketTransport* t, std::optional<std::size_t> high,
                                       std::optional<std::size_t> low);
/// CPython `pause_reading()` / `resume_reading()`.
void transport_pause_reading(SocketTransport* t);
void transport_resume_reading(SocketTransport* t);
/// CPython `close()`: stops reading; connection_lost once the buffer is flushed.
void transport_close(SocketTransport* t);
/// CPython `_force_close(exc)` (`abort()` is `_force_close(None)`).
void transport_force_close(SocketTransport* t, std::exception_ptr exc);
/// The loop is closing (or closed): no callback can run any more; closes the socket now,
/// without telling the protocol.
void transport_close_now(SocketTransport* t);
/// CPython `_SelectorTransport.__repr__`: "<_SelectorSocketTransport fd=7 read=polling
/// write=<idle, bufsize=0>>", "<_SelectorSocketTransport closed fd=7>".
std::string transport_describe(const SocketTransport* t);

/// Server side of `transport_init` / `transport_finalize` (src/server.cpp): CPython
/// `Server._attach(transport)` / `_detach(transport)`.
void server_attach(ServerState* s, SocketTransport* t);
void server_detach(ServerState* s, SocketTransport* t);

}  // namespace asyncio::detail
