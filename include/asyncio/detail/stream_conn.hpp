#pragma once
// The stream protocol on a socket transport: CPython `streams.py`'s `StreamReaderProtocol`
// (with `FlowControlMixin`) and the `StreamReader` it feeds, allocated with their transport
// as one object per connection. Shared by src/streams.cpp (reader, writer, protocol,
// open_connection) and src/server.cpp (a server's connections).
//
// Layers, bottom up: `transport` (detail/transport.hpp) owns the socket and calls the
// protocol through `stream_protocol_ops`; `protocol` turns those calls into reader input,
// drain wake-ups and the `closed` future; `reader` is the buffer the reads consume, which
// pauses and resumes the transport. StreamReader / StreamWriter are handles on the whole.

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>

#include "asyncio/detail/intrusive_list.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/transport.hpp"
#include "asyncio/future.hpp"
#include "asyncio/streams.hpp"

namespace asyncio::detail {

/// A waiting drain's future, linked into its connection's `protocol.drain_waiters` by the
/// DrainAwaiter that embeds it.
struct DrainWaiter : ListHook<DrainWaiter> {
  IoFuture fut;
};

/// One stream connection: a transport, the stream protocol on it, and its reader.
///
/// Ownership: `transport.refs` counts the references on the whole object (freed by
/// `stream_protocol_ops.destroy`): the open transport's own (dropped when the socket is
/// closed), one per StreamReader / StreamWriter handle (also counted in `users`), one per
/// server client-task callback (src/server.cpp), and one for the duration of
/// `connection_lost`. When the last handle goes (`users` reaches 0), an unclosed
/// connection is closed (CPython `StreamWriter.__del__`).
///
/// Invariants: `reader.waiter` is the future of the one read waiting for data (embedded in
/// its awaiter), each of `protocol.drain_waiters` a waiting drain's; awaiters unlink
/// themselves before they die. `protocol.writing_paused == transport.protocol_paused`.
struct StreamConn {
  SocketTransport transport;

  /// CPython `StreamReader`.
  struct Reader {
    ByteBuffer buffer;                         ///< `_buffer`: received, not yet read
    std::size_t limit = stream_default_limit;  ///< `_limit`
    bool eof = false;              ///< `_eof`: feed_eof() was called: no more data will come
    std::exception_ptr exception;  ///< `_exception`: the connection's error, once lost
    IoFuture* waiter = nullptr;    ///< `_waiter`: the read waiting for data, if any
    /// `_paused`: this reader paused the transport's reading (more than 2 × `limit`
    /// buffered); resumed once a read brings the buffer down to `limit`.
    bool paused_transport = false;
  } reader;

  /// CPython `StreamReaderProtocol` with `FlowControlMixin`.
  struct Protocol {
    /// `_paused`: between pause_writing() and resume_writing(); drain() waits meanwhile.
    bool writing_paused = false;
    /// `_connection_lost`: connection_lost() ran; drain() raises ConnectionResetError.
    bool connection_lost = false;
    IntrusiveList<DrainWaiter, DrainWaiter> drain_waiters;  ///< `_drain_waiters`
    Future<void> closed;  ///< `_closed`: completed by connection_lost; wait_closed() awaits it
  } protocol;

  std::uint32_t users = 0;  ///< StreamReader / StreamWriter handles

  /// Told at the end of `connection_lost` (a subprocess's pipe: CPython
  /// `SubprocessStreamProtocol.pipe_connection_lost(fd, exc)`); null for a socket.
  void (*on_lost)(void* ctx, int index) = nullptr;
  void* on_lost_ctx = nullptr;
  int on_lost_index = 0;

  StreamConn() = default;
  StreamConn(const StreamConn&) = delete;
  StreamConn& operator=(const StreamConn&) = delete;
  ~StreamConn() {
    // CPython `StreamReaderProtocol.__del__`: the closed future's exception is retrieved.
    Future<void>& f = protocol.closed;
    if (f.valid() && f.done() && !f.cancelled()) (void)f.exception();
  }
};

/// The stream protocol's callbacks, as the transport calls them (src/streams.cpp).
extern const ProtocolOps stream_protocol_ops;

/// A new connection on `sock` (CPython `StreamReaderProtocol` + `_SelectorSocketTransport`
/// construction); one reference, the open transport's. Attached to `server` if not null.
StreamConn* conn_create(EventLoop& loop, Socket sock, std::size_t limit, ServerState* server,
                        const TlsParams* tls = nullptr);
/// A stream connection on one end of a pipe (`kind` read_pipe or write_pipe), taking `fd`
/// over; one reference, the open transport's. Reading (or, for a write pipe, watching for
/// the reader's departure) starts at once.
StreamConn* conn_create_pipe(EventLoop& loop, int fd, FdKind kind, std::size_t limit);
inline void conn_add_ref(StreamConn* c) { transport_add_ref(&c->transport); }
inline void conn_release(StreamConn* c) { transport_release(&c->transport); }

/// The door to the handles' private constructors and connection pointers.
struct StreamsAccess {
  static StreamReader reader(StreamConn* c) { return StreamReader(c); }
  static StreamWriter writer(StreamConn* c) { return StreamWriter(c); }
  static StreamConn* conn(const StreamReader& r) { return r.conn_ptr(); }
  static StreamConn* conn(const StreamWriter& w) { return w.conn_ptr(); }
  static Server server(ServerState* s) { return Server(s); }
  static ServerState& state(const Server& s) { return s.st(); }
};

/// Awaiter of a read that needs more data (CPython `StreamReader._wait_for_data`).
class DataWaitAwaiter {
 public:
  DataWaitAwaiter(StreamConn* c, const char* func) : c_(c), func_(func) {}
  DataWaitAwaiter(const DataWaitAwaiter&) = delete;
  DataWaitAwaiter& operator=(const DataWaitAwaiter&) = delete;
  ~DataWaitAwaiter();
  bool await_ready();  // throws RuntimeError if another read is waiting
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    task_ = h.promise().task();
    suspend();
    park_on(&fut_, h);
  }
  void await_resume() {
    task_->rethrow_injected();
    fut_.throw_if_error();
  }

 private:
  void suspend();
  StreamConn* c_;
  const char* func_;
  IoFuture fut_;
  PromiseBase* task_ = nullptr;
};

/// Awaiter of `drain()` while writing is paused (CPython `FlowControlMixin._drain_helper`).
class DrainAwaiter {
 public:
  explicit DrainAwaiter(StreamConn* c) : c_(c) {}
  DrainAwaiter(const DrainAwaiter&) = delete;
  DrainAwaiter& operator=(const DrainAwaiter&) = delete;
  ~DrainAwaiter();
  bool await_ready();  // true when not paused; throws ConnectionResetError if lost
  template <class P>
  void await_suspend(std::coroutine_handle<P> h) {
    task_ = h.promise().task();
    suspend();
    park_on(&waiter_.fut, h);
  }
  void await_resume() {
    if (!task_) return;
    task_->rethrow_injected();
    waiter_.fut.throw_if_error();
  }

 private:
  void suspend();
  StreamConn* c_;
  DrainWaiter waiter_;
  PromiseBase* task_ = nullptr;
};

}  // namespace asyncio::detail
