// Datagrams: CPython `selector_events._SelectorDatagramTransport` (with its bases
// `_SelectorTransport` and `_FlowControlMixin`), the `DatagramTransport` handle, and the
// socket half of `base_events.create_datagram_endpoint`. See protocols.hpp and
// detail/datagram.hpp.

#include "asyncio/detail/datagram.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "asyncio/detail/transport.hpp"
#include "asyncio/protocols.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {
namespace detail {

namespace {

constexpr const char* dgram_repr = "<_SelectorDatagramTransport>";

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

// --- losing the connection (as src/transport.cpp) ------------------------------------------

void dgram_finalize(DgramTransport* t) {
  if (t->lost == 0) t->lost = 1;
  if (t->fd >= 0) {
    t->loop->unwatch_fd(t->fd, false);
    t->loop->unwatch_fd(t->fd, true);
    ::close(std::exchange(t->fd, -1));
  }
  LoopCore::unlink_close_hook(&t->close_hook);
  if (!std::exchange(t->open_ref, false)) return;
  if (t->ops->detach) {
    try {
      t->ops->detach(t->protocol);
    } catch (...) {
      report_callback_exception(&detail::core_of(*t->loop), std::current_exception(), "protocol destructor");
    }
  }
  t->waiter = Future<void>();
  dgram_release(t);
}

void dgram_call_connection_lost(DgramTransport* t, std::exception_ptr e) {
  dgram_add_ref(t);
  try {
    t->ops->connection_lost(t->protocol, std::move(e));
  } catch (...) {
    report_callback_exception(&detail::core_of(*t->loop), std::current_exception(),
                              "_SelectorTransport._call_connection_lost()");
  }
  dgram_finalize(t);
  dgram_release(t);
}

void dgram_lost_item(void* a, void*, Op op) {
  auto* t = static_cast<DgramTransport*>(a);
  std::exception_ptr e = std::exchange(t->lost_exc, nullptr);
  if (op == Op::run)
    dgram_call_connection_lost(t, std::move(e));
  else
    dgram_finalize(t);
}

void dgram_schedule_lost(DgramTransport* t, std::exception_ptr e) {
  if (t->loop->is_closed()) {
    dgram_finalize(t);
    return;
  }
  t->lost_exc = std::move(e);
  detail::core_of(*t->loop).push_ready(&dgram_lost_item, t, nullptr);
}

void dgram_fatal_error(DgramTransport* t, std::exception_ptr e, const char* msg) {
  if (!is_os_error(e)) t->loop->call_exception_handler({msg, e, dgram_repr});
  dgram_force_close(t, std::move(e));
}

void dgram_on_loop_close(CloseHook* h) {
  DgramTransport* t = static_cast<DgramTransport::Hook*>(h)->t;
  t->closing = true;
  t->lost++;
  dgram_finalize(t);
}

// What datagram_received / error_received throw escapes CPython's `_read_ready` handle.
void report(DgramTransport* t, const char* what) {
  report_callback_exception(&detail::core_of(*t->loop), std::current_exception(), what);
}

void error_received(DgramTransport* t, std::exception_ptr e) {
  try {
    t->ops->error_received(t->protocol, std::move(e));
  } catch (...) {
    report(t, "_SelectorDatagramTransport.error_received()");
  }
}

// --- flow control -------------------------------------------------------------------------

void dgram_maybe_pause(DgramTransport* t) {
  if (t->queue_size > t->high_water && !t->protocol_paused) {
    t->protocol_paused = true;
    try {
      t->ops->pause_writing(t->protocol);
    } catch (...) {
      t->loop->call_exception_handler(
          {"protocol.pause_writing() failed", std::current_exception(), dgram_repr});
    }
  }
}

void dgram_maybe_resume(DgramTransport* t) {
  if (t->protocol_paused && t->queue_size <= t->low_water) {
    t->protocol_paused = false;
    try {
      t->ops->resume_writing(t->protocol);
    } catch (...) {
      t->loop->call_exception_handler(
          {"protocol.resume_writing() failed", std::current_exception(), dgram_repr});
    }
  }
}

// --- readiness ----------------------------------------------------------------------------

// CPython `_read_ready`: one datagram per event.
void dgram_read_ready(IoWatcher* w) {
  DgramTransport* t = static_cast<DgramTransport::Watch*>(w)->t;
  if (t->lost) return;
  char* buf = transport_read_buffer();
  SockAddr from;
  ssize_t n = ::recvfrom(t->fd, buf, transport_max_read, 0, from.get(), &from.len);
  if (n < 0) {
    if (would_block(errno)) return;
    error_received(t, make_os_error(errno));
    return;
  }
  // One conversion per run of datagrams from the same sender.
  if (from.len != t->last_from.len || std::memcmp(&from.storage, &t->last_from.storage, from.len)) {
    t->last_addr = from.address();
    t->last_from = from;
  }
  try {
    t->ops->datagram_received(t->protocol, buf, static_cast<std::size_t>(n), t->last_addr);
  } catch (...) {
    report(t, "_SelectorDatagramTransport._read_ready()");
  }
}

ssize_t send_one(DgramTransport* t, const char* data, std::size_t n, const SockAddr* to) {
  if (!to) return ::send(t->fd, data, n, MSG_NOSIGNAL);
  return ::sendto(t->fd, data, n, MSG_NOSIGNAL, to->get(), to->len);
}

// CPython `_sendto_ready`.
void dgram_write_ready(IoWatcher* w) {
  DgramTransport* t = static_cast<DgramTransport::Watch*>(w)->t;
  while (!t->queue.empty()) {
    DgramTransport::Pending& p = t->queue.front();
    ssize_t n = send_one(t, p.data.data(), p.data.size(), p.has_to ? &p.to : nullptr);
    if (n < 0 && would_block(errno)) break;  // try again later
    const int err = n < 0 ? errno : 0;
    t->queue_size -= p.data.size() + 8;
    t->queue.pop_front();
    if (err) {
      error_received(t, make_os_error(err));
      return;
    }
  }
  dgram_maybe_resume(t);
  if (t->queue.empty()) {
    if (t->fd >= 0) t->loop->unwatch_fd(t->fd, true);
    if (t->closing) dgram_call_connection_lost(t, nullptr);
  }
}

// --- starting -----------------------------------------------------------------------------

void dgram_made_item(void* a, void*, Op op) {
  auto* t = static_cast<DgramTransport*>(a);
  if (op == Op::run && t->fd >= 0) {
    try {
      t->ops->connection_made(t->protocol, t);
    } catch (...) {
      report(t, "DatagramProtocol.connection_made()");
    }
  }
  dgram_release(t);
}

void dgram_start_reading_item(void* a, void*, Op op) {
  auto* t = static_cast<DgramTransport*>(a);
  if (op == Op::run && t->fd >= 0 && !t->closing && !t->reading_paused) {
    try {
      t->loop->watch_fd(t->fd, false, &t->read_watch);
    } catch (...) {
      report(t, "_SelectorTransport._add_reader()");
    }
  }
  dgram_release(t);
}

void dgram_waiter_item(void* a, void*, Op op) {
  auto* t = static_cast<DgramTransport*>(a);
  Future<void> w = std::exchange(t->waiter, Future<void>());
  if (op == Op::run && w.valid() && !w.done()) w.set_result();
  dgram_release(t);
}

void dgram_queue(DgramTransport* t, void (*fn)(void*, void*, Op)) {
  dgram_add_ref(t);
  detail::core_of(*t->loop).push_ready(fn, t, nullptr);
}

}  // namespace

// --- the transport's methods ------------------------------------------------------------------

void dgram_init(DgramTransport* t, EventLoop& loop, Socket sock, const DatagramProtocolOps* ops,
                void* protocol, std::optional<Address> remote) {
  t->loop = &loop;
  t->ops = ops;
  t->protocol = protocol;
  t->family = sock.family();
  t->type = sock.type();
  t->proto = sock.proto();
  t->sockname = socket_name(sock.fileno(), false);
  t->peername = socket_name(sock.fileno(), true);  // nullopt unless connected
  t->address = std::move(remote);
  t->last_from.len = 0;  // matches no sender
  t->read_watch.t = t->write_watch.t = t;
  t->read_watch.fn = &dgram_read_ready;
  t->write_watch.fn = &dgram_write_ready;
  t->close_hook.t = t;
  t->close_hook.fn = &dgram_on_loop_close;
  if (sock.getblocking()) sock.setblocking(false);
  t->fd = sock.detach();
  detail::core_of(loop).link_close_hook(&t->close_hook);
  dgram_queue(t, &dgram_made_item);
  dgram_queue(t, &dgram_start_reading_item);
  if (t->waiter.valid()) dgram_queue(t, &dgram_waiter_item);
}

void dgram_sendto(DgramTransport* t, std::string_view data, std::optional<Address> addr) {
  if (t->address) {
    if (addr && *addr != *t->address)
      throw std::invalid_argument("Invalid address: must be None or " + t->address->str());
    addr = t->address;
  }
  if (t->lost && (t->address || t->fd < 0)) {
    t->lost++;  // CPython logs "socket.send() raised exception." from the 5th on
    return;
  }
  const bool connected = t->peername.has_value();
  SockAddr to;
  if (!connected) {
    if (!addr) {
      const char* fam = t->family == AF_INET6  ? "AF_INET6"
                        : t->family == AF_UNIX ? "AF_UNIX"
                                               : "AF_INET";
      dgram_fatal_error(
          t,
          std::make_exception_ptr(std::invalid_argument(std::string("sendto(): ") + fam +
                                                        " address must be tuple, not NoneType")),
          "Fatal write error on datagram transport");
      return;
    }
    try {
      if (!to.assign(*addr, "sendto")) throw gaierror(EAI_NONAME, ::gai_strerror(EAI_NONAME));
    } catch (const OSError&) {
      error_received(t, std::current_exception());
      return;
    } catch (...) {
      dgram_fatal_error(t, std::current_exception(), "Fatal write error on datagram transport");
      return;
    }
  }
  if (t->queue.empty()) {
    // Attempt to send it right away first (3.13: an empty datagram too).
    ssize_t n = send_one(t, data.data(), data.size(), connected ? nullptr : &to);
    if (n >= 0) return;
    if (!would_block(errno)) {
      error_received(t, make_os_error(errno));
      return;
    }
    t->loop->watch_fd(t->fd, true, &t->write_watch);
  }
  t->queue.push_back(DgramTransport::Pending{std::string(data), to, !connected});
  t->queue_size += data.size() + 8;  // include header bytes
  dgram_maybe_pause(t);
}

void dgram_close(DgramTransport* t) {
  if (t->closing) return;
  t->closing = true;
  t->loop->unwatch_fd(t->fd, false);
  if (t->queue.empty()) {
    t->lost++;
    t->loop->unwatch_fd(t->fd, true);
    dgram_schedule_lost(t, nullptr);
  }
}

void dgram_force_close(DgramTransport* t, std::exception_ptr exc) {
  if (t->lost) return;
  if (!t->queue.empty()) {
    t->queue.clear();
    t->queue_size = 0;
    t->loop->unwatch_fd(t->fd, true);
  }
  if (!t->closing) {
    t->closing = true;
    t->loop->unwatch_fd(t->fd, false);
  }
  t->lost++;
  dgram_schedule_lost(t, std::move(exc));
}

void dgram_pause_reading(DgramTransport* t) {
  if (t->closing || t->reading_paused) return;
  t->reading_paused = true;
  t->loop->unwatch_fd(t->fd, false);
}

void dgram_resume_reading(DgramTransport* t) {
  if (t->closing || !t->reading_paused) return;
  t->reading_paused = false;
  t->loop->watch_fd(t->fd, false, &t->read_watch);
}

void dgram_set_write_buffer_limits(DgramTransport* t, std::optional<std::size_t> high,
                                   std::optional<std::size_t> low) {
  std::tie(t->high_water, t->low_water) = write_buffer_limits(high, low);
  dgram_maybe_pause(t);
}

std::string dgram_describe(const DgramTransport* t) {
  std::string out = "<_SelectorDatagramTransport";
  if (t->fd < 0)
    out += " closed";
  else if (t->closing)
    out += " closing";
  out += " fd=" + std::to_string(t->fd);
  if (t->fd >= 0 && !t->loop->is_closed()) {
    out += t->loop->fd_watcher(t->fd, false) ? " read=polling" : " read=idle";
    out += std::string(" write=<") + (t->loop->fd_watcher(t->fd, true) ? "polling" : "idle") +
           ", bufsize=" + std::to_string(t->queue_size) + ">";
  }
  return out + ">";
}

// --- create_datagram_endpoint: the socket ------------------------------------------------------

namespace {
void remove_stale_unix_socket(EventLoop& loop, const std::string& path) {
  if (path.empty() || path[0] == '\0') return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISSOCK(st.st_mode) && ::unlink(path.c_str()) != 0 && errno != ENOENT)
      loop.call_exception_handler(
          {"Unable to check or remove stale UNIX socket " + py_repr_str(path), make_os_error(errno),
           dgram_repr});
  } else if (errno != ENOENT) {
    loop.call_exception_handler({"Unable to check or remove stale UNIX socket " + py_repr_str(path),
                                 make_os_error(errno), dgram_repr});
  }
}

struct Candidate {
  int family = 0;
  int proto = 0;
  std::optional<Address> local, remote;
};
}  // namespace

namespace {
// The candidate sockets, in turn (CPython's `for ((family, proto), (local_address,
// remote_address)) in addr_pairs_info`); no suspension: a datagram socket's connect()
// completes at once.
DatagramSocket open_datagram_socket(EventLoop& loop, const std::optional<Address>& local_given,
                                    const std::optional<Address>& remote_given,
                                    const DatagramOptions& opts,
                                    const std::vector<AddrInfo>& local_infos,
                                    const std::vector<AddrInfo>& remote_infos) {
  std::optional<Address> local_addr = local_given, remote_addr = remote_given;
  std::vector<Candidate> candidates;
  if (!local_addr && !remote_addr) {
    if (opts.family == 0) throw std::invalid_argument("unexpected address family");
    candidates.push_back(Candidate{opts.family, opts.proto, std::nullopt, std::nullopt});
  } else if (opts.family == AF_UNIX) {
    if (local_addr) {
      local_addr->family = AF_UNIX;
      remove_stale_unix_socket(loop, local_addr->host);
    }
    if (remote_addr) remote_addr->family = AF_UNIX;
    candidates.push_back(Candidate{AF_UNIX, opts.proto, local_addr, remote_addr});
  } else {
    // Join the addresses by (family, protocol), in the order first seen (CPython: an
    // insertion-ordered dict; a later result of the same key replaces the address).
    std::vector<Candidate> joined;
    for (int idx = 0; idx < 2; ++idx) {
      for (const AddrInfo& ai : idx == 0 ? local_infos : remote_infos) {
        Candidate* c = nullptr;
        for (Candidate& j : joined)
          if (j.family == ai.family && j.proto == ai.proto) c = &j;
        if (!c) {
          joined.push_back(Candidate{ai.family, ai.proto, std::nullopt, std::nullopt});
          c = &joined.back();
        }
        if (idx == 0)
          c->local = ai.sockaddr;
        else
          c->remote = ai.sockaddr;
      }
    }
    for (Candidate& c : joined)
      if (!((local_addr && !c.local) || (remote_addr && !c.remote))) candidates.push_back(c);
    if (candidates.empty()) throw std::invalid_argument("can not get address information");
  }
  std::vector<std::exception_ptr> errors;
  for (const Candidate& c : candidates) {
    try {
      Socket sock(c.family, SOCK_DGRAM, c.proto);
      if (opts.reuse_port) set_reuseport(sock);
      if (opts.allow_broadcast) sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
      sock.setblocking(false);
      if (c.local) sock.bind(*c.local);
      if (c.remote && !opts.allow_broadcast) {
        // CPython `await self.sock_connect(sock, remote_address)`: done at once here.
        SockAddr sa;
        if (!sa.assign(*c.remote, "connect"))
          throw gaierror(EAI_NONAME, ::gai_strerror(EAI_NONAME));
        if (::connect(sock.fileno(), sa.get(), sa.len) < 0) throw_os_error(errno);
      }
      return DatagramSocket{std::move(sock), c.remote};
    } catch (const OSError&) {
      errors.push_back(std::current_exception());
    }
  }
  std::rethrow_exception(errors.at(0));
}
}  // namespace

Coro<DatagramSocket> datagram_socket(EventLoop& loop, const std::optional<Address>& local_addr,
                                     const std::optional<Address>& remote_addr,
                                     DatagramOptions opts) {
  std::vector<AddrInfo> local_infos, remote_infos;
  if (opts.family != AF_UNIX) {
    if (local_addr) {
      std::string host = local_addr->host;
      local_infos =
          co_await ensure_resolved(host, local_addr->port, opts.family, SOCK_DGRAM, opts.flags);
      if (local_infos.empty()) throw OSError("getaddrinfo() returned empty list");
    }
    if (remote_addr) {
      std::string host = remote_addr->host;
      remote_infos =
          co_await ensure_resolved(host, remote_addr->port, opts.family, SOCK_DGRAM, opts.flags);
      if (remote_infos.empty()) throw OSError("getaddrinfo() returned empty list");
    }
  }
  DatagramSocket ds =
      open_datagram_socket(loop, local_addr, remote_addr, opts, local_infos, remote_infos);
  co_return std::move(ds);
}

}  // namespace detail

// --- DatagramTransport ---------------------------------------------------------------------------

DatagramTransport::DatagramTransport(detail::DgramTransport* t) : t_(t) {
  if (t_) detail::dgram_add_ref(t_);
}
DatagramTransport::DatagramTransport(const DatagramTransport& o) : DatagramTransport(o.t_) {}
DatagramTransport::~DatagramTransport() {
  if (t_) detail::dgram_release(t_);
}
detail::DgramTransport* DatagramTransport::get() const {
  if (!t_) throw InvalidStateError("empty DatagramTransport handle");
  return t_;
}
void DatagramTransport::sendto(std::string_view data, std::optional<Address> addr) {
  detail::dgram_sendto(get(), data, std::move(addr));
}
void DatagramTransport::close() { detail::dgram_close(get()); }
void DatagramTransport::abort() { detail::dgram_force_close(get(), nullptr); }
bool DatagramTransport::is_closing() const { return get()->closing; }
ExtraInfo DatagramTransport::get_extra_info(std::string_view name) const {
  const detail::DgramTransport* t = get();
  return detail::socket_extra_info(name, t->fd, t->family, t->type, t->proto, t->peername,
                                   t->sockname);
}
void DatagramTransport::pause_reading() { detail::dgram_pause_reading(get()); }
void DatagramTransport::resume_reading() { detail::dgram_resume_reading(get()); }
bool DatagramTransport::is_reading() const { return !get()->closing && !get()->reading_paused; }
void DatagramTransport::set_write_buffer_limits(std::optional<std::size_t> high,
                                                std::optional<std::size_t> low) {
  detail::dgram_set_write_buffer_limits(get(), high, low);
}
std::size_t DatagramTransport::get_write_buffer_size() const { return get()->queue_size; }
std::pair<std::size_t, std::size_t> DatagramTransport::get_write_buffer_limits() const {
  return {get()->low_water, get()->high_water};
}
std::string DatagramTransport::repr() const { return detail::dgram_describe(get()); }

}  // namespace asyncio
