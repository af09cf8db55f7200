// Protocols on stream transports: the `Transport` handle (CPython `asyncio.Transport`'s
// methods on `_SelectorSocketTransport`), `TransportSocket` (`trsock.py`), and the
// connecting half of `base_events.create_connection` / `_connect_sock` and
// `unix_events.create_unix_connection`. The servers are in src/server.cpp, the transport
// itself in src/transport.cpp, datagrams in src/datagram.cpp. See protocols.hpp.

#include "asyncio/protocols.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "asyncio/detail/socket_io.hpp"
#include "asyncio/detail/transport.hpp"
#ifdef ASYNCIO_HAS_TLS
#include "asyncio/detail/tls_engine.hpp"
#endif
#include "asyncio/staggered.hpp"

namespace asyncio {

// --- TransportSocket ---------------------------------------------------------------------------

Address TransportSocket::getsockname() const {
  std::optional<Address> a = detail::socket_name(fd_, false);
  if (!a) throw_os_error(errno);
  return *std::move(a);
}

Address TransportSocket::getpeername() const {
  std::optional<Address> a = detail::socket_name(fd_, true);
  if (!a) throw_os_error(errno);
  return *std::move(a);
}

int TransportSocket::getsockopt(int level, int optname) const {
  int v = 0;
  socklen_t len = sizeof v;
  if (::getsockopt(fd_, level, optname, &v, &len) < 0) throw_os_error(errno);
  return v;
}

void TransportSocket::setsockopt(int level, int optname, int value) const {
  if (::setsockopt(fd_, level, optname, &value, sizeof value) < 0) throw_os_error(errno);
}

std::string TransportSocket::repr() const {
  std::string s = "<asyncio.TransportSocket fd=" + std::to_string(fd_) +
                  ", family=" + std::to_string(family_) + ", type=" + std::to_string(type_) +
                  ", proto=" + std::to_string(proto_);
  if (fd_ != -1) {
    // CPython: `if laddr:` — an unnamed UNIX socket's '' is left out.
    auto truthy = [](const Address& a) { return a.family != AF_UNIX || !a.host.empty(); };
    if (auto l = detail::socket_name(fd_, false); l && truthy(*l)) s += ", laddr=" + l->str();
    if (auto r = detail::socket_name(fd_, true); r && truthy(*r)) s += ", raddr=" + r->str();
  }
  return s + ">";
}

namespace detail {
ExtraInfo socket_extra_info(std::string_view name, int fd, int family, int type, int proto,
                            const std::optional<Address>& peername,
                            const std::optional<Address>& sockname) {
  if (name == "peername") return peername ? ExtraInfo(*peername) : ExtraInfo();
  if (name == "sockname") return sockname ? ExtraInfo(*sockname) : ExtraInfo();
  if (name == "socket") return TransportSocket(fd, family, type, proto);
  if (name == "peercred" && family == AF_UNIX && fd >= 0) {
    ucred cred{};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
      return PeerCred{cred.pid, cred.uid, cred.gid};
  }
  return {};
}
}  // namespace detail

// --- SSLObject, PeerCertificate ------------------------------------------------------------------

std::string PeerCertificate::subject_attribute(std::string_view attribute) const {
  for (const auto& rdn : subject)
    for (const auto& [k, v] : rdn)
      if (k == attribute) return v;
  return {};
}

SSLObject::SSLObject(detail::SocketTransport* t) : t_(t) {
  if (t_) detail::transport_add_ref(t_);
}
SSLObject::SSLObject(const SSLObject& o) : SSLObject(o.t_) {}
SSLObject::~SSLObject() {
  if (t_) detail::transport_release(t_);
}

#ifdef ASYNCIO_HAS_TLS
namespace {
const detail::TlsEngine* engine_of(detail::SocketTransport* t) {
  if (!t) throw InvalidStateError("empty SSLObject handle");
  return detail::tls_engine(t);
}
}  // namespace
std::optional<std::string> SSLObject::version() const {
  const detail::TlsEngine* e = engine_of(t_);
  if (!e->handshake_done()) return std::nullopt;
  return e->version();
}
std::optional<std::string> SSLObject::selected_alpn_protocol() const {
  std::string p = engine_of(t_)->selected_alpn_protocol();
  if (p.empty()) return std::nullopt;
  return p;
}
std::optional<PeerCertificate> SSLObject::getpeercert() const {
  const detail::TlsEngine* e = engine_of(t_);
  if (!e->handshake_done()) return std::nullopt;
  return e->getpeercert();
}
std::string SSLObject::getpeercert_der() const { return engine_of(t_)->peer_der(); }
std::optional<CipherInfo> SSLObject::cipher() const {
  const detail::TlsEngine* e = engine_of(t_);
  if (!e->handshake_done()) return std::nullopt;
  return CipherInfo(e->cipher_name(), e->cipher_version(), e->cipher_bits());
}
bool SSLObject::server_side() const { return engine_of(t_)->server_side(); }
std::optional<std::string> SSLObject::server_hostname() const {
  const detail::TlsEngine* e = engine_of(t_);
  if (e->server_side() || e->server_hostname().empty()) return std::nullopt;
  return e->server_hostname();
}
#else
std::optional<std::string> SSLObject::version() const { return std::nullopt; }
std::optional<std::string> SSLObject::selected_alpn_protocol() const { return std::nullopt; }
std::optional<PeerCertificate> SSLObject::getpeercert() const { return std::nullopt; }
std::string SSLObject::getpeercert_der() const { return {}; }
std::optional<CipherInfo> SSLObject::cipher() const { return std::nullopt; }
bool SSLObject::server_side() const { return false; }
std::optional<std::string> SSLObject::server_hostname() const { return std::nullopt; }
#endif

// --- Transport -----------------------------------------------------------------------------------

Transport::Transport(detail::SocketTransport* t) : t_(t) {
  if (t_) detail::transport_add_ref(t_);
}
Transport::Transport(const Transport& o) : Transport(o.t_) {}
Transport::~Transport() {
  if (t_) detail::transport_release(t_);
}
detail::SocketTransport* Transport::get() const {
  if (!t_) throw InvalidStateError("empty Transport handle");
  return t_;
}
void Transport::write(std::string_view data) { detail::transport_write(get(), data); }
void Transport::writelines_impl(const std::string_view* pieces, std::size_t n) {
  detail::transport_writelines(get(), pieces, n);
}
void Transport::write_eof() { detail::transport_write_eof(get()); }
void Transport::close() { detail::transport_close(get()); }
void Transport::abort() { detail::transport_force_close(get(), nullptr); }
bool Transport::is_closing() const { return get()->closing; }
ExtraInfo Transport::get_extra_info(std::string_view name) const {
  detail::SocketTransport* t = get();
#ifdef ASYNCIO_HAS_TLS
  if (t->tls) {
    // CPython SSLProtocol._extra: sslcontext from the start, the rest once the handshake
    // is over; other names go to the socket transport.
    const detail::TlsEngine* e = detail::tls_engine(t);
    if (name == "sslcontext") return detail::tls_context(t);
    if (name == "ssl_object" || name == "peercert" || name == "cipher" || name == "compression") {
      if (!e->handshake_done()) return {};
      if (name == "ssl_object") return detail::TransportAccess::ssl_object(t);
      if (name == "peercert") {
        std::optional<PeerCertificate> c = e->getpeercert();
        return c ? ExtraInfo(std::move(*c)) : ExtraInfo();
      }
      if (name == "cipher")
        return CipherInfo(e->cipher_name(), e->cipher_version(), e->cipher_bits());
      return {};  // compression: None
    }
  }
#endif
  return detail::socket_extra_info(name, t->fd, t->family, t->type, t->proto, t->peername,
                                   t->sockname);
}
void Transport::pause_reading() { detail::transport_pause_reading(get()); }
void Transport::resume_reading() { detail::transport_resume_reading(get()); }
bool Transport::is_reading() const {
  const detail::SocketTransport* t = get();
  return !t->closing && !t->reading_paused;
}
void Transport::set_write_buffer_limits(std::optional<std::size_t> high,
                                        std::optional<std::size_t> low) {
  detail::transport_set_write_buffer_limits(get(), high, low);
}
std::size_t Transport::get_write_buffer_size() const { return get()->write_buffer.size(); }
std::pair<std::size_t, std::size_t> Transport::get_write_buffer_limits() const {
  return {get()->low_water, get()->high_water};
}
std::string Transport::repr() const { return detail::transport_describe(get()); }

// --- create_connection / create_unix_connection: the socket ---------------------------------

namespace detail {
namespace {
std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string what_of(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "unknown exception";
  }
}

std::string family_repr(int family) {
  switch (family) {
    case AF_INET:
      return "<AddressFamily.AF_INET: 2>";
    case AF_INET6:
      return "<AddressFamily.AF_INET6: 10>";
    case AF_UNIX:
      return "<AddressFamily.AF_UNIX: 1>";
    default:
      return std::to_string(family);
  }
}

// CPython `_connect_sock`: one socket, bound to a local address of its family if asked,
// then connected. Every error is appended to `errors` (the bind errors too).
Coro<Socket> connect_sock(EventLoop& loop, std::vector<std::exception_ptr>& errors,
                          const AddrInfo& ai, const std::vector<AddrInfo>* local_infos) {
  std::exception_ptr failed;
  try {
    Socket sock(ai.family, ai.type ? ai.type : SOCK_STREAM, ai.proto);
    sock.setblocking(false);
    if (local_infos) {
      bool bound = false;
      std::exception_ptr last_bind;
      for (const AddrInfo& l : *local_infos) {
        if (l.family != ai.family) continue;
        try {
          sock.bind(l.sockaddr);
          bound = true;
          break;
        } catch (const OSError& e) {
          if (last_bind) errors.push_back(last_bind);
          last_bind = make_os_error(e.errnum(), "error while attempting to bind on address " +
                                                    l.sockaddr.repr() + ": " + lower(e.what()));
        }
      }
      if (!bound) {
        if (last_bind) std::rethrow_exception(last_bind);  // `raise my_exceptions.pop()`
        throw OSError("no matching local address with family=" + family_repr(ai.family) + " found");
      }
    }
    Address to = ai.sockaddr;  // named: no temporary in the co_await (GCC 12)
    co_await loop.sock_connect(sock, to);
    co_return sock;
  } catch (const OSError&) {
    failed = std::current_exception();
  }
  errors.push_back(failed);
  std::rethrow_exception(failed);
}
}  // namespace

Coro<Socket> connect_tcp(EventLoop& loop, std::string host, int port, ConnectionOptions opts) {
  check_port(port, "connect");  // CPython: connect() of the first address
  std::vector<AddrInfo> infos =
      co_await ensure_resolved(host, port, opts.family, SOCK_STREAM, opts.flags);
  if (infos.empty()) throw OSError("getaddrinfo() returned empty list");
  std::optional<std::vector<AddrInfo>> local_infos;
  if (opts.local_addr) {
    local_infos = co_await ensure_resolved(opts.local_addr->host, opts.local_addr->port,
                                           opts.family, SOCK_STREAM, opts.flags);
    if (local_infos->empty()) throw OSError("getaddrinfo() returned empty list");
  }
  co_return co_await connect_infos(loop, std::move(infos), std::move(local_infos), std::move(opts));
}

std::vector<AddrInfo> interleave_addrinfos(std::vector<AddrInfo> infos, int first_family_count) {
  std::vector<std::vector<AddrInfo>> by_family;  // in order of first appearance
  for (AddrInfo& ai : infos) {
    auto it = std::find_if(by_family.begin(), by_family.end(), [&](const std::vector<AddrInfo>& g) {
      return g[0].family == ai.family;
    });
    if (it == by_family.end())
      by_family.push_back({std::move(ai)});
    else
      it->push_back(std::move(ai));
  }
  std::vector<AddrInfo> out;
  std::vector<std::size_t> next(by_family.size(), 0);
  if (first_family_count > 1 && !by_family.empty()) {
    std::size_t n = std::min<std::size_t>(first_family_count - 1, by_family[0].size());
    for (; next[0] < n; ++next[0]) out.push_back(std::move(by_family[0][next[0]]));
  }
  for (bool more = true; more;) {  // itertools.zip_longest, Nones dropped
    more = false;
    for (std::size_t g = 0; g < by_family.size(); ++g) {
      if (next[g] < by_family[g].size()) {
        out.push_back(std::move(by_family[g][next[g]++]));
        more = true;
      }
    }
  }
  return out;
}

Coro<Socket> connect_infos(EventLoop& loop, std::vector<AddrInfo> infos,
                           std::optional<std::vector<AddrInfo>> local_infos,
                           ConnectionOptions opts) {
  int interleave = opts.interleave ? *opts.interleave : (opts.happy_eyeballs_delay ? 1 : 0);
  if (interleave) infos = interleave_addrinfos(std::move(infos), interleave);
  std::vector<std::exception_ptr> errors;
  const std::vector<AddrInfo>* local = local_infos ? &*local_infos : nullptr;
  if (!opts.happy_eyeballs_delay) {
    for (const AddrInfo& ai : infos) {
      std::optional<Socket> sock;
      try {
        sock.emplace(co_await connect_sock(loop, errors, ai, local));
      } catch (const OSError&) {
        continue;
      }
      co_return std::move(*sock);
    }
  } else {
    std::vector<std::function<Coro<Socket>()>> attempts;
    for (const AddrInfo& ai : infos)
      attempts.push_back(
          [&loop, &errors, ai, local] { return connect_sock(loop, errors, ai, local); });
    auto racing = staggered_race(std::move(attempts), Delay(*opts.happy_eyeballs_delay));
    StaggeredResult<Socket> r = co_await std::move(racing);
    if (r.winner_result) co_return std::move(*r.winner_result);
  }
  if (errors.empty()) throw OSError("getaddrinfo() returned empty list");
  if (errors.size() == 1) std::rethrow_exception(errors[0]);
  // If they all have the same str(), raise one; else a combined exception.
  std::vector<std::string> msgs;
  for (auto& e : errors) msgs.push_back(what_of(e));
  if (std::all_of(msgs.begin(), msgs.end(), [&](const std::string& m) { return m == msgs[0]; }))
    std::rethrow_exception(errors[0]);
  std::string joined;
  for (std::size_t i = 0; i < msgs.size(); ++i) joined += (i ? ", " : "") + msgs[i];
  throw OSError("Multiple exceptions: " + joined);
}

Coro<Socket> connect_unix(EventLoop& loop, std::string path) {
  Socket sock(AF_UNIX, SOCK_STREAM, 0);
  sock.setblocking(false);
  co_await loop.sock_connect(sock, Address::unix_path(std::move(path)));
  co_return sock;
}
}  // namespace detail

}  // namespace asyncio
