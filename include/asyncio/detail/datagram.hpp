#pragma once
// The datagram transport: CPython `selector_events._SelectorDatagramTransport` (with
// `_SelectorTransport` and `transports._FlowControlMixin`), defined in src/datagram.cpp.
//
// A datagram transport owns a non-blocking datagram socket: it reads one datagram per
// readiness event while it is not paused, sends each datagram at once when nothing is
// queued, queues what the socket refuses, and tells its protocol through a
// `DatagramProtocolOps` table (one indirect call per datagram, no virtual call). The
// table of a user protocol class is generated in detail/protocol_conn.hpp.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>

#include "asyncio/detail/loop_core.hpp"
#include "asyncio/detail/socket_io.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio {
struct DatagramOptions;  // protocols.hpp
}

namespace asyncio::detail {

struct DgramTransport;

/// What a datagram transport calls on its protocol: CPython `asyncio.DatagramProtocol`'s
/// methods (see ProtocolOps for the exception rules; what datagram_received and
/// error_received throw is reported as "Exception in callback ...", the transport stays
/// open, as CPython).
struct DatagramProtocolOps {
  /// `connection_made(transport)`, queued by `dgram_init`.
  void (*connection_made)(void* protocol, DgramTransport* t);
  /// `datagram_received(data, addr)`: one datagram (`n` may be 0), valid during the call.
  void (*datagram_received)(void* protocol, const char* data, std::size_t n, const Address& addr);
  /// `error_received(exc)`: a send or receive failed with an OSError.
  void (*error_received)(void* protocol, std::exception_ptr exc);
  /// `pause_writing()` / `resume_writing()`: the queue went over the high-water mark /
  /// back to the low one.
  void (*pause_writing)(void* protocol);
  void (*resume_writing)(void* protocol);
  /// `connection_lost(exc)`: the last call.
  void (*connection_lost)(void* protocol, std::exception_ptr exc);
  /// The socket is closed: let the protocol object go (see ProtocolOps::detach).
  void (*detach)(void* protocol);
  /// The last reference went: free the object holding the transport.
  void (*destroy)(void* protocol);
};

/// One datagram socket (CPython `_SelectorDatagramTransport`).
///
/// Ownership and lifetime as `SocketTransport`: `refs` counts the open transport's own
/// reference (dropped when the socket is closed) and the DatagramTransport handles; the
/// memory belongs to the object embedding the transport, freed by `ops->destroy`.
/// Invariants (while `fd >= 0`): registered for reading iff `!closing && !reading_paused`
/// (once started), for writing iff `!queue.empty()`; `queue_size` is the sum of the
/// queued datagrams' sizes plus 8 each (CPython `_buffer_size`).
struct DgramTransport {
  struct Watch : IoWatcher {
    DgramTransport* t = nullptr;
  };
  struct Hook : CloseHook {
    DgramTransport* t = nullptr;
  };
  /// A datagram the socket did not take yet (CPython: a `(data, addr)` tuple).
  struct Pending {
    std::string data;
    SockAddr to;  ///< the destination (unused when connected)
    bool has_to = false;
  };

  EventLoop* loop = nullptr;
  int fd = -1;
  int family = AF_INET, type = SOCK_DGRAM, proto = 0;
  const DatagramProtocolOps* ops = nullptr;
  void* protocol = nullptr;
  std::optional<Address> peername, sockname;
  std::optional<Address> address;  ///< CPython `_address`: the remote_addr, if any

  std::uint32_t refs = 1;
  bool open_ref = true;
  bool reading_paused = false;

  std::deque<Pending> queue;  ///< CPython `_buffer`
  std::size_t queue_size = 0;
  std::size_t high_water = 64 * 1024, low_water = 16 * 1024;
  bool protocol_paused = false;

  bool closing = false;
  int lost = 0;
  std::exception_ptr lost_exc;

  /// The last sender and its Address: a run of datagrams from one peer converts the
  /// address once.
  SockAddr last_from;
  Address last_addr;

  Watch read_watch, write_watch;
  Hook close_hook;
  Future<void> waiter;  ///< completed one callback after connection_made

  DgramTransport() = default;
  DgramTransport(const DgramTransport&) = delete;
  DgramTransport& operator=(const DgramTransport&) = delete;
  ~DgramTransport() { LoopCore::unlink_close_hook(&close_hook); }
};

/// Starts `t` on `sock` (taken over, made non-blocking): records the addresses, links the
/// close hook, and queues connection_made, the start of reading, and the waiter.
void dgram_init(DgramTransport* t, EventLoop& loop, Socket sock, const DatagramProtocolOps* ops,
                void* protocol, std::optional<Address> remote);
inline void dgram_add_ref(DgramTransport* t) { t->refs++; }
inline void dgram_release(DgramTransport* t) {
  if (--t->refs == 0) t->ops->destroy(t->protocol);
}
void dgram_sendto(DgramTransport* t, std::string_view data, std::optional<Address> addr);
void dgram_close(DgramTransport* t);
void dgram_force_close(DgramTransport* t, std::exception_ptr exc);
void dgram_pause_reading(DgramTransport* t);
void dgram_resume_reading(DgramTransport* t);
void dgram_set_write_buffer_limits(DgramTransport* t, std::optional<std::size_t> high,
                                   std::optional<std::size_t> low);
std::string dgram_describe(const DgramTransport* t);

/// The non-template part of create_datagram_endpoint: the bound (and maybe connected)
/// socket, and the remote address (CPython `r_addr`). The addresses are the calling
/// coroutine's, alive until the call is done.
struct DatagramSocket {
  Socket sock;
  std::optional<Address> remote;
};
Coro<DatagramSocket> datagram_socket(EventLoop& loop, const std::optional<Address>& local_addr,
                                     const std::optional<Address>& remote_addr,
                                     DatagramOptions opts);

}  // namespace asyncio::detail
