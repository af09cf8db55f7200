#pragma once
/// \file ssl.hpp
/// TLS configuration and errors on OpenSSL 3: `SSLContext` (a shared handle over an
/// `SSL_CTX`), `create_default_context`, the enums `Purpose`, `VerifyMode`, `TLSVersion`,
/// `SSLProtocol`, and the exceptions `SSLError`, `SSLCertVerificationError`,
/// `SSLZeroReturnError`. **Python:** the parts of the `ssl` module asyncio users touch.
///
/// Available when the library is built with TLS (`ASYNCIO_HAS_TLS` is defined: CMake option
/// `ASYNCIO_WITH_TLS`, OpenSSL 3 found). Messages follow CPython's `str(e)` without the
/// "(_ssl.c:NNNN)" suffix (docs/deviations.md).

#ifndef ASYNCIO_HAS_TLS
#error "asyncio/ssl.hpp: this asyncio was built without TLS (ASYNCIO_WITH_TLS off or no OpenSSL 3)"
#endif

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/transports.hpp"

using SSL_CTX = struct ssl_ctx_st;

namespace asyncio {

/// A TLS error from OpenSSL: `what()` is CPython's "[LIBRARY: REASON] reason text" (or
/// "[LIBRARY] reason text" when OpenSSL has no reason code name), `library()` and
/// `reason()` its parts, `errnum()` the packed OpenSSL error code (Python's `e.errno`).
/// **Python:** `ssl.SSLError` (a subclass of `OSError`).
class SSLError : public OSError {
 public:
  SSLError(int code, std::string msg, std::string library = {}, std::string reason = {})
      : OSError(std::move(msg)),
        code_(code),
        library_(std::move(library)),
        reason_(std::move(reason)) {}
  /// The OpenSSL error code. **Python:** `e.errno`.
  int ssl_errno() const noexcept { return code_; }
  /// "SSL", "X509", ... ("" for None). **Python:** `e.library`.
  const std::string& library() const noexcept { return library_; }
  /// "CERTIFICATE_VERIFY_FAILED", ... ("" for None). **Python:** `e.reason`.
  const std::string& reason() const noexcept { return reason_; }

 private:
  int code_;
  std::string library_;
  std::string reason_;
};

/// The peer's certificate failed verification: `verify_code()` is OpenSSL's X509 verify
/// result, `verify_message()` its text ("Hostname mismatch, certificate is not valid for
/// 'x'." for a hostname mismatch). In Python it is also a `ValueError`; here it derives
/// from `SSLError` only (C++ cannot derive from both `OSError` and `std::invalid_argument`
/// without two `std::exception` bases): catch `SSLError` or `OSError`.
/// **Python:** `ssl.SSLCertVerificationError` (`e.verify_code`, `e.verify_message`).
class SSLCertVerificationError : public SSLError {
 public:
  SSLCertVerificationError(int code, std::string msg, long verify_code, std::string verify_message)
      : SSLError(code, std::move(msg), "SSL", "CERTIFICATE_VERIFY_FAILED"),
        verify_code_(verify_code),
        verify_message_(std::move(verify_message)) {}
  /// **Python:** `e.verify_code`.
  long verify_code() const noexcept { return verify_code_; }
  /// **Python:** `e.verify_message`.
  const std::string& verify_message() const noexcept { return verify_message_; }

 private:
  long verify_code_;
  std::string verify_message_;
};

/// The peer closed the TLS session cleanly (close_notify received).
/// **Python:** `ssl.SSLZeroReturnError` ("TLS/SSL connection has been closed (EOF)").
class SSLZeroReturnError : public SSLError {
 public:
  using SSLError::SSLError;
};

/// What a default context is for. **Python:** `ssl.Purpose.SERVER_AUTH` (a client context
/// that authenticates servers) and `ssl.Purpose.CLIENT_AUTH` (a server context).
enum class Purpose { SERVER_AUTH, CLIENT_AUTH };

/// **Python:** `ssl.PROTOCOL_TLS_CLIENT`, `ssl.PROTOCOL_TLS_SERVER`.
enum class SSLProtocol { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER };
inline constexpr SSLProtocol PROTOCOL_TLS_CLIENT = SSLProtocol::PROTOCOL_TLS_CLIENT;
inline constexpr SSLProtocol PROTOCOL_TLS_SERVER = SSLProtocol::PROTOCOL_TLS_SERVER;

/// **Python:** `ssl.VerifyMode` (`ssl.CERT_NONE`, `ssl.CERT_OPTIONAL`, `ssl.CERT_REQUIRED`).
enum class VerifyMode { CERT_NONE = 0, CERT_OPTIONAL = 1, CERT_REQUIRED = 2 };
inline constexpr VerifyMode CERT_NONE = VerifyMode::CERT_NONE;
inline constexpr VerifyMode CERT_OPTIONAL = VerifyMode::CERT_OPTIONAL;
inline constexpr VerifyMode CERT_REQUIRED = VerifyMode::CERT_REQUIRED;

/// Protocol versions, with the wire values CPython uses (0x0303 is TLS 1.2).
/// **Python:** `ssl.TLSVersion` (`MINIMUM_SUPPORTED` and `MAXIMUM_SUPPORTED` are -2 and -1).
enum class TLSVersion : int {
  MINIMUM_SUPPORTED = -2,
  MAXIMUM_SUPPORTED = -1,
  TLSv1 = 0x0301,
  TLSv1_1 = 0x0302,
  TLSv1_2 = 0x0303,
  TLSv1_3 = 0x0304,
};

/// A TLS configuration shared by the connections made with it: a counted handle (copies
/// share one `SSL_CTX`, as Python objects share one context). A client context
/// (`PROTOCOL_TLS_CLIENT`) starts with `check_hostname` true and `CERT_REQUIRED`, a server
/// one with `check_hostname` false and `CERT_NONE`, as in CPython. Not thread-safe to
/// configure while connections use it (neither is CPython's).
/// **Python:** `ssl.SSLContext`.
class SSLContext {
 public:
  /// **Python:** `ssl.SSLContext(protocol)`.
  explicit SSLContext(SSLProtocol protocol);

  /// Loads the certificate (PEM, may hold the chain) and its private key (`keyfile` empty:
  /// the key is in `certfile`). A missing file throws `FileNotFoundError`, a bad one
  /// `SSLError` ("[SSL] PEM lib"). **Python:** `ctx.load_cert_chain(certfile, keyfile)`.
  void load_cert_chain(const std::string& certfile, const std::string& keyfile = {});
  /// Trusted CA certificates from a PEM file and/or a hashed directory. Both empty throws
  /// `std::invalid_argument` ("cafile, capath and cadata cannot be all omitted"; Python's
  /// TypeError). **Python:** `ctx.load_verify_locations(cafile, capath)`.
  void load_verify_locations(const std::string& cafile, const std::string& capath = {});
  /// OpenSSL's default CA store. **Python:** `ctx.set_default_verify_paths()`.
  void set_default_verify_paths();

  /// **Python:** `ctx.check_hostname`. Setting it true on a `CERT_NONE` context turns
  /// `verify_mode` to `CERT_REQUIRED`, as CPython does.
  bool check_hostname() const noexcept;
  void set_check_hostname(bool on);
  /// **Python:** `ctx.verify_mode`. `CERT_NONE` while `check_hostname` is true throws
  /// `std::invalid_argument` ("Cannot set verify_mode to CERT_NONE when check_hostname is
  /// enabled."; Python's ValueError).
  VerifyMode verify_mode() const noexcept;
  void set_verify_mode(VerifyMode mode);

  /// The ALPN protocols offered (client) or accepted (server), in preference order; each
  /// 1..255 bytes, else `std::invalid_argument`. **Python:** `ctx.set_alpn_protocols(list)`.
  void set_alpn_protocols(const std::vector<std::string>& protocols);

  /// **Python:** `ctx.minimum_version` / `ctx.maximum_version`.
  TLSVersion minimum_version() const noexcept;
  void set_minimum_version(TLSVersion v);
  TLSVersion maximum_version() const noexcept;
  void set_maximum_version(TLSVersion v);

  /// True for a server context. **Python:** `ctx.protocol == PROTOCOL_TLS_SERVER`.
  bool server_side() const noexcept;
  /// The underlying `SSL_CTX` (owned by the context). No Python equivalent.
  SSL_CTX* native_handle() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

/// A context with CPython's secure defaults for `purpose`: `SERVER_AUTH` makes a client
/// context (`check_hostname`, `CERT_REQUIRED`) trusting `cafile`, or the system store when
/// `cafile` is empty; `CLIENT_AUTH` makes a server context (load its certificate with
/// `load_cert_chain`). Minimum version TLS 1.2 and the verify flags
/// `VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT` (a CA certificate without key usage is
/// refused: "CA cert does not include key usage extension"), as CPython 3.13.
/// **Python:** `ssl.create_default_context(purpose=Purpose.SERVER_AUTH, cafile=None)`.
SSLContext create_default_context(Purpose purpose = Purpose::SERVER_AUTH,
                                  const std::string& cafile = {});

/// Options of `start_tls`. **Python:** its keyword arguments `server_side=`,
/// `server_hostname=`, `ssl_handshake_timeout=`, `ssl_shutdown_timeout=`.
struct StartTlsOptions {
  bool server_side = false;  ///< `server_side=`: this end is the TLS server
  /// `server_hostname=`: checked against the certificate and sent as SNI (client side;
  /// ignored on a server, as CPython). Needed when the context checks hostnames.
  std::optional<std::string> server_hostname = std::nullopt;
  double ssl_handshake_timeout = 60.0;  ///< `ssl_handshake_timeout=` (seconds, > 0)
  double ssl_shutdown_timeout = 30.0;   ///< `ssl_shutdown_timeout=` (seconds, > 0)
};

/// Upgrades the plain connection of `transport` to TLS (STARTTLS): what was written
/// before goes out first in clear, then the handshake; returns once it is over, the TLS
/// transport. The protocol stays the transport's own (its `connection_made` is not called
/// again; what it received so far stays received); from now on it gets decrypted data.
/// Here the returned transport is the same object as `transport` (T8): use the returned
/// one, as in CPython. Reading is resumed, as CPython does. On failure (or cancellation)
/// the transport is closed and the protocol gets `connection_lost(exc)`.
/// **Exceptions:** the handshake's (`SSLCertVerificationError`, `SSLError`,
/// `ConnectionAbortedError("SSL handshake is taking longer than 60.0 seconds: aborting the
/// connection")`); std::invalid_argument("transport <...> is not supported by
/// start_tls()") for a transport that already carries TLS (Python's TypeError),
/// ("check_hostname requires server_hostname"), ("ssl_handshake_timeout should be a
/// positive number, got 0.0") (Python's ValueError); ConnectionResetError("Connection
/// lost") on a closing transport (T9).
/// **Python:** `await loop.start_tls(transport, protocol, sslcontext, server_side=False,
/// server_hostname=None, ssl_handshake_timeout=None, ssl_shutdown_timeout=None)`.
Coro<Transport> start_tls(EventLoop& loop, Transport transport, const SSLContext& sslcontext,
                          StartTlsOptions opts = {});

namespace detail {
/// Throws the `SSLError` for OpenSSL's oldest queued error (clearing the queue), with
/// CPython's message; `fallback` when the queue is empty.
[[noreturn]] void throw_ssl_error(std::string_view fallback);
}  // namespace detail

}  // namespace asyncio
