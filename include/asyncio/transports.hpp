#pragma once
/// \file transports.hpp
/// Transports: `Transport` (a connected stream socket: TCP or UNIX) and
/// `DatagramTransport` (a UDP or UNIX datagram socket), the handles a protocol receives in
/// `connection_made` and `create_connection` / `create_datagram_endpoint` return
/// (protocols.hpp); `TransportSocket`, what `get_extra_info("socket")` gives.
/// **Python:** `asyncio.transports` (`BaseTransport`, `Transport`, `DatagramTransport`) as
/// implemented by `selector_events._SelectorSocketTransport` and
/// `_SelectorDatagramTransport`, and `asyncio.trsock.TransportSocket`.
///
/// A handle is a counted reference to the transport's memory (which it shares with its
/// protocol object): copies are cheap, and a handle stays usable after the connection is
/// lost (writes are then dropped, `is_closing()` is true). Dropping every handle does not
/// close an open transport: as in CPython, the loop keeps it until it is closed or lost.
/// Each method is a direct call (no virtual dispatch, no allocation beyond buffering).

#include <sys/types.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "asyncio/exceptions.hpp"
#include "asyncio/sockets.hpp"

namespace asyncio {

class SSLContext;  // asyncio/ssl.hpp (TLS builds)

namespace detail {
struct SocketTransport;  // detail/transport.hpp
struct DgramTransport;   // detail/datagram.hpp
struct TransportAccess;
}  // namespace detail

/// The credentials of the process at the other end of a UNIX socket (Linux SO_PEERCRED),
/// as they were when it connected. **Python:** none in asyncio (an extension of
/// `get_extra_info`); Python code reads them with
/// `transport.get_extra_info('socket').getsockopt(SOL_SOCKET, SO_PEERCRED, 12)`.
struct PeerCred {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  bool operator==(const PeerCred&) const = default;
};

/// A non-owning view of a transport's socket: it can be inspected and tuned, not closed.
/// `fileno()` is -1 once the transport closed its socket. **Python:**
/// `asyncio.trsock.TransportSocket`. **Exceptions:** OSError from the system calls.
class TransportSocket {
 public:
  TransportSocket() = default;
  TransportSocket(int fd, int family, int type, int proto)
      : fd_(fd), family_(family), type_(type), proto_(proto) {}
  /// **Python:** `fileno()`.
  int fileno() const noexcept { return fd_; }
  /// **Python:** `family`.
  int family() const noexcept { return family_; }
  /// **Python:** `type`.
  int type() const noexcept { return type_; }
  /// **Python:** `proto`.
  int proto() const noexcept { return proto_; }
  /// **Python:** `getsockname()`.
  Address getsockname() const;
  /// **Python:** `getpeername()`.
  Address getpeername() const;
  /// **Python:** `getsockopt(level, optname)` (integer options).
  int getsockopt(int level, int optname) const;
  /// **Python:** `setsockopt(level, optname, value)` (integer options).
  void setsockopt(int level, int optname, int value) const;
  /// "<asyncio.TransportSocket fd=7, family=2, type=1, proto=6, laddr=('127.0.0.1', 50000),
  /// raddr=('127.0.0.1', 8888)>". **Python:** `repr(transport_socket)`.
  std::string repr() const;
  bool operator==(const TransportSocket&) const = default;

 private:
  int fd_ = -1;
  int family_ = 0;
  int type_ = 0;
  int proto_ = 0;
};

/// The peer's certificate as CPython decodes it: each field is the dict key of the same
/// name. A name (`subject`, `issuer`) is a list of relative distinguished names, each a
/// list of (attribute long name, value) pairs: `{{{"commonName", "localhost"}}}` is
/// Python's `((('commonName', 'localhost'),),)`. `subjectAltName` holds ("DNS", name) and
/// ("IP Address", "127.0.0.1") pairs (IPv6 as CPython: eight upper-case hex groups). A
/// certificate that was not verified (`CERT_NONE`) is the empty dict: `empty()` is true,
/// every field empty. **Python:** the dict `SSLObject.getpeercert()` returns (the keys
/// `OCSP`, `caIssuers` and `crlDistributionPoints` are filled when the certificate has
/// them).
struct PeerCertificate {
  using Name = std::vector<std::vector<std::pair<std::string, std::string>>>;
  Name subject;                                                     ///< `'subject'`
  Name issuer;                                                      ///< `'issuer'`
  int version = 0;                                                  ///< `'version'` (3)
  std::string serialNumber;                                         ///< `'serialNumber'` (hex)
  std::string notBefore;                                            ///< "Jan  1 00:00:00 2030 GMT"
  std::string notAfter;                                             ///< `'notAfter'`
  std::vector<std::pair<std::string, std::string>> subjectAltName;  ///< `'subjectAltName'`
  std::vector<std::string> OCSP, caIssuers, crlDistributionPoints;  ///< when present
  /// The empty dict `{}` (a certificate received but not verified).
  bool empty() const noexcept { return version == 0 && subject.empty(); }
  /// The value of the first `attribute` of `subject` ("commonName" ...), "" when absent.
  /// **Python:** `dict(x[0] for x in cert['subject'])[attribute]`.
  std::string subject_attribute(std::string_view attribute) const;
  bool operator==(const PeerCertificate&) const = default;
};

/// The cipher of a TLS connection: (name, protocol version, secret bits), e.g.
/// ("TLS_AES_256_GCM_SHA384", "TLSv1.3", 256). **Python:** the tuple `SSLObject.cipher()`
/// returns.
using CipherInfo = std::tuple<std::string, std::string, int>;

/// The TLS session of a TLS transport, as `get_extra_info("ssl_object")` gives it: a
/// counted handle on the transport (it stays usable after the connection is lost; the
/// values are those of the finished handshake). **Python:** `ssl.SSLObject`.
class SSLObject {
 public:
  SSLObject() = default;
  SSLObject(const SSLObject& o);
  SSLObject(SSLObject&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  SSLObject& operator=(SSLObject o) noexcept {
    std::swap(t_, o.t_);
    return *this;
  }
  ~SSLObject();
  /// "TLSv1.3", "TLSv1.2"; nullopt before the handshake. **Python:** `version()`.
  std::optional<std::string> version() const;
  /// The ALPN protocol agreed on; nullopt when none. **Python:**
  /// `selected_alpn_protocol()`.
  std::optional<std::string> selected_alpn_protocol() const;
  /// The peer's certificate (empty when not verified); nullopt when the peer sent none.
  /// **Python:** `getpeercert()`.
  std::optional<PeerCertificate> getpeercert() const;
  /// The peer's certificate in DER form; "" when none. **Python:**
  /// `getpeercert(binary_form=True)`.
  std::string getpeercert_der() const;
  /// **Python:** `cipher()` (None before the handshake: nullopt).
  std::optional<CipherInfo> cipher() const;
  /// Always nullopt (OpenSSL 3 builds have no TLS compression). **Python:** `compression()`.
  std::optional<std::string> compression() const { return std::nullopt; }
  /// **Python:** `server_side`.
  bool server_side() const;
  /// The name checked and sent as SNI (client side); nullopt on a server. **Python:**
  /// `server_hostname`.
  std::optional<std::string> server_hostname() const;
  /// False for a default-constructed (empty) handle. **Python:** none.
  bool valid() const noexcept { return t_ != nullptr; }

 private:
  friend struct detail::TransportAccess;
  explicit SSLObject(detail::SocketTransport* t);  // adds a reference
  detail::SocketTransport* t_ = nullptr;
};

/// What `get_extra_info(name)` returns: nothing (Python's None: an unknown name, or no
/// peer), an address ("peername", "sockname"), the socket ("socket"), the peer's
/// credentials ("peercred", UNIX sockets only), and on a TLS transport the session
/// ("ssl_object"), the peer's certificate ("peercert"), the cipher ("cipher") and the
/// context ("sslcontext", a shared copy of the one given). **Python:** the object
/// `get_extra_info(name)` returns.
using ExtraInfo = std::variant<std::monostate, Address, TransportSocket, PeerCred, SSLObject,
                               PeerCertificate, CipherInfo, std::shared_ptr<const SSLContext>>;

namespace detail {
/// `get_extra_info(name)` of a socket transport or datagram transport (src/protocols.cpp).
ExtraInfo socket_extra_info(std::string_view name, int fd, int family, int type, int proto,
                            const std::optional<Address>& peername,
                            const std::optional<Address>& sockname);
}  // namespace detail

/// A connected stream socket (TCP or UNIX) carrying a protocol's data.
/// **Python:** `asyncio.Transport` (`_SelectorSocketTransport`).
class Transport {
 public:
  Transport() = default;
  Transport(const Transport& o);
  Transport(Transport&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  Transport& operator=(Transport o) noexcept {
    std::swap(t_, o.t_);
    return *this;
  }
  ~Transport();

  /// Sends what the socket takes now and buffers the rest (calling the protocol's
  /// pause_writing() once the buffer is over the high-water mark). After the connection
  /// is lost, data is dropped silently. **Exceptions:** RuntimeError("Cannot call write()
  /// after write_eof()"). **Python:** `transport.write(data)`.
  void write(std::string_view data);
  /// Buffers every piece (`list_of_data`: a forward range of things convertible to
  /// `std::string_view`), then sends as much as the socket takes (as CPython 3.13, this
  /// does not call pause_writing). **Exceptions:** RuntimeError("Cannot call writelines()
  /// after write_eof()"). **Python:** `transport.writelines(list_of_data)`.
  template <class Range>
  void writelines(const Range& list_of_data);
  /// Shuts the write side once the buffer is flushed; reading goes on. A no-op when
  /// closing. **Python:** `transport.write_eof()`.
  void write_eof();
  /// Always true for stream sockets. **Python:** `transport.can_write_eof()`.
  bool can_write_eof() const { return true; }
  /// Stops reading; once the buffer is flushed, calls connection_lost(None) and closes
  /// the socket. Idempotent. **Python:** `transport.close()`.
  void close();
  /// Drops the buffer and closes: connection_lost(None) is called soon.
  /// **Python:** `transport.abort()`.
  void abort();
  /// True once close() or abort() was called or the connection was lost.
  /// **Python:** `transport.is_closing()`.
  bool is_closing() const;
  /// "peername", "sockname" (Address; monostate when unknown), "socket"
  /// (TransportSocket), "peercred" (PeerCred of a UNIX peer); on a TLS transport, once
  /// the handshake is over, "ssl_object" (SSLObject), "peercert" (PeerCertificate;
  /// monostate when the peer sent none), "cipher" (CipherInfo), "compression" (monostate:
  /// None), and "sslcontext" (`std::shared_ptr<const SSLContext>`, from the start);
  /// monostate for anything else. **Python:** `transport.get_extra_info(name)`.
  ExtraInfo get_extra_info(std::string_view name) const;
  /// `get_extra_info(name)` as a `T`: nullopt when it is not one.
  template <class T>
  std::optional<T> get_extra_info(std::string_view name) const {
    ExtraInfo v = get_extra_info(name);
    if (T* p = std::get_if<T>(&v)) return std::move(*p);
    return std::nullopt;
  }
  /// Stops reading until resume_reading(); no-op when closing or paused.
  /// **Python:** `transport.pause_reading()`.
  void pause_reading();
  /// **Python:** `transport.resume_reading()`.
  void resume_reading();
  /// Not closing and not paused. **Python:** `transport.is_reading()`.
  bool is_reading() const;
  /// Sets the water marks (high default 64 KiB, low default high / 4; only `low`: high is
  /// 4 × low), then pauses the protocol if the buffer is over the new high mark.
  /// **Exceptions:** std::invalid_argument("high (1) must be >= low (2) must be >= 0")
  /// (Python's ValueError). **Python:** `transport.set_write_buffer_limits(high=None,
  /// low=None)`.
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt);
  /// Bytes buffered, not yet sent. **Python:** `transport.get_write_buffer_size()`.
  std::size_t get_write_buffer_size() const;
  /// `{low, high}`. **Python:** `transport.get_write_buffer_limits()`.
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const;
  /// "<_SelectorSocketTransport fd=7 read=polling write=<idle, bufsize=0>>".
  /// **Python:** `repr(transport)`.
  std::string repr() const;
  /// False for a default-constructed (empty) handle. **Python:** none (C++ handles only).
  bool valid() const noexcept { return t_ != nullptr; }
  /// The same transport. **Python:** `is`.
  bool operator==(const Transport& o) const noexcept { return t_ == o.t_; }

 private:
  friend struct detail::TransportAccess;
  explicit Transport(detail::SocketTransport* t);  // adds a reference
  detail::SocketTransport* get() const;            // throws InvalidStateError when empty
  void writelines_impl(const std::string_view* pieces, std::size_t n);
  detail::SocketTransport* t_ = nullptr;
};

/// A datagram socket (UDP, or UNIX SOCK_DGRAM) carrying a DatagramProtocol's datagrams.
/// **Python:** `asyncio.DatagramTransport` (`_SelectorDatagramTransport`).
class DatagramTransport {
 public:
  DatagramTransport() = default;
  DatagramTransport(const DatagramTransport& o);
  DatagramTransport(DatagramTransport&& o) noexcept : t_(std::exchange(o.t_, nullptr)) {}
  DatagramTransport& operator=(DatagramTransport o) noexcept {
    std::swap(t_, o.t_);
    return *this;
  }
  ~DatagramTransport();

  /// Sends `data` as one datagram (an empty one too, as 3.13) to `addr`, or to the remote
  /// address of a connected endpoint (then `addr` must be absent or equal to it). What the
  /// socket cannot take now is buffered (8 bytes of overhead counted per datagram, as
  /// CPython). A send error (ICMP unreachable, ...) goes to the protocol's
  /// error_received(exc). **Exceptions:** std::invalid_argument("Invalid address: must be
  /// None or ('127.0.0.1', 9999)") (Python's ValueError). No address on an unconnected
  /// endpoint is CPython's fatal TypeError: the exception handler, then connection_lost
  /// with std::invalid_argument("sendto(): AF_INET address must be tuple, not NoneType").
  /// **Python:** `transport.sendto(data, addr=None)`.
  void sendto(std::string_view data, std::optional<Address> addr = std::nullopt);
  /// Stops reading; connection_lost(None) once the buffer is flushed.
  /// **Python:** `transport.close()`.
  void close();
  /// Drops the buffer and closes. **Python:** `transport.abort()`.
  void abort();
  /// **Python:** `transport.is_closing()`.
  bool is_closing() const;
  /// "peername" (the remote address of a connected endpoint), "sockname", "socket".
  /// **Python:** `transport.get_extra_info(name)`.
  ExtraInfo get_extra_info(std::string_view name) const;
  /// `get_extra_info(name)` as a `T`: nullopt when it is not one.
  template <class T>
  std::optional<T> get_extra_info(std::string_view name) const {
    ExtraInfo v = get_extra_info(name);
    if (T* p = std::get_if<T>(&v)) return std::move(*p);
    return std::nullopt;
  }
  /// **Python:** `transport.pause_reading()`.
  void pause_reading();
  /// **Python:** `transport.resume_reading()`.
  void resume_reading();
  /// **Python:** `transport.is_reading()`.
  bool is_reading() const;
  /// As Transport's. **Python:** `transport.set_write_buffer_limits(high=None, low=None)`.
  void set_write_buffer_limits(std::optional<std::size_t> high = std::nullopt,
                               std::optional<std::size_t> low = std::nullopt);
  /// Buffered bytes, plus 8 per buffered datagram. **Python:**
  /// `transport.get_write_buffer_size()`.
  std::size_t get_write_buffer_size() const;
  /// `{low, high}`. **Python:** `transport.get_write_buffer_limits()`.
  std::pair<std::size_t, std::size_t> get_write_buffer_limits() const;
  /// "<_SelectorDatagramTransport fd=6 read=polling write=<idle, bufsize=0>>".
  /// **Python:** `repr(transport)`.
  std::string repr() const;
  /// False for a default-constructed (empty) handle. **Python:** none (C++ handles only).
  bool valid() const noexcept { return t_ != nullptr; }
  /// The same transport. **Python:** `is`.
  bool operator==(const DatagramTransport& o) const noexcept { return t_ == o.t_; }

 private:
  friend struct detail::TransportAccess;
  explicit DatagramTransport(detail::DgramTransport* t);  // adds a reference
  detail::DgramTransport* get() const;                    // throws InvalidStateError when empty
  detail::DgramTransport* t_ = nullptr;
};

template <class Range>
void Transport::writelines(const Range& list_of_data) {
  // The views live on the stack for the common small lists; CPython builds a list too.
  constexpr std::size_t kInline = 16;
  std::string_view inline_views[kInline];
  std::size_t n = 0;
  for (const auto& piece : list_of_data) {
    (void)piece;
    ++n;
  }
  if (n <= kInline) {
    std::size_t i = 0;
    for (const auto& piece : list_of_data) inline_views[i++] = std::string_view(piece);
    writelines_impl(inline_views, n);
    return;
  }
  std::unique_ptr<std::string_view[]> views(new std::string_view[n]);
  std::size_t i = 0;
  for (const auto& piece : list_of_data) views[i++] = std::string_view(piece);
  writelines_impl(views.get(), n);
}

}  // namespace asyncio
