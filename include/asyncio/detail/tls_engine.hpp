#pragma once
/// \file detail/tls_engine.hpp
/// The TLS state machine over memory BIOs, with no I/O of its own: ciphertext in
/// (`feed`), ciphertext out (`take_output`), plaintext in and out (`write`, `read`).
/// What CPython's `ssl.SSLObject` over two `ssl.MemoryBIO`s is, for the TLS wrapper
/// transport (CPython's `asyncio.sslproto.SSLProtocol`). Errors throw with CPython's
/// messages (`SSLCertVerificationError` for a failed verification).

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "asyncio/ssl.hpp"
#include "asyncio/transports.hpp"

using SSL = struct ssl_st;
using BIO = struct bio_st;

namespace asyncio::detail {

class TlsEngine {
 public:
  /// What a step needs next.
  enum class Status {
    ok,         ///< done (handshake complete, bytes read or written)
    want_read,  ///< more ciphertext from the peer (`feed`) first
    closed,     ///< the peer sent close_notify (read: EOF)
  };

  /// A client engine verifies `server_hostname` when the context's `check_hostname` is on
  /// (empty then: `std::invalid_argument` "check_hostname requires server_hostname", as
  /// CPython) and sends it as SNI unless it is an IP address.
  TlsEngine(const SSLContext& ctx, bool server_side, const std::string& server_hostname);
  ~TlsEngine();
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;

  /// Ciphertext received from the peer.
  void feed(const char* data, std::size_t n);
  /// Appends the ciphertext to send to the peer to `out`; true when there was any.
  bool take_output(std::string& out);

  /// One handshake step: `ok` once complete. Throws `SSLError` (or
  /// `SSLCertVerificationError`) when it fails.
  Status do_handshake();
  /// Decrypted bytes into `buf` (at most `cap`), their count in `n`.
  Status read(char* buf, std::size_t cap, std::size_t& n);
  /// Encrypts `data` (all of it: partial writes are retried here). `want_read` during a
  /// renegotiation-like state (TLS 1.3 never asks).
  Status write(const char* data, std::size_t n);
  /// Sends close_notify (its bytes go to `take_output`); `ok` once the peer's arrived too.
  Status shutdown();

  bool handshake_done() const noexcept { return handshake_done_; }
  bool server_side() const noexcept { return server_side_; }
  /// The ALPN protocol agreed on, "" when none. **Python:** `selected_alpn_protocol()`.
  std::string selected_alpn_protocol() const;
  /// "TLSv1.3", ... **Python:** `SSLObject.version()`.
  std::string version() const;
  /// The cipher's name, protocol and secret bits. **Python:** `SSLObject.cipher()`.
  std::string cipher_name() const;
  int cipher_bits() const;
  /// The cipher's protocol version ("TLSv1.3"), the middle of CPython's cipher() tuple.
  std::string cipher_version() const;
  /// The peer certificate's subject and issuer ("CN=localhost" one-line form), notAfter
  /// ("Jan  1 00:00:00 2030 GMT", as CPython's), and its DNS/IP subjectAltNames.
  struct PeerCert {
    bool present = false;
    std::string subject, issuer, not_before, not_after;
    std::vector<std::string> subject_alt_names;  // "DNS:localhost", "IP Address:127.0.0.1"
  };
  PeerCert peer_cert() const;
  /// CPython's `getpeercert()`: nullopt without a peer certificate, the empty dict when
  /// the context does not verify (`CERT_NONE`), else the decoded certificate.
  std::optional<PeerCertificate> getpeercert() const;
  /// The peer certificate's DER bytes ("" when none). **Python:** `getpeercert(True)`.
  std::string peer_der() const;
  const std::string& server_hostname() const noexcept { return hostname_; }
  SSL* native_handle() const noexcept { return ssl_; }

 private:
  [[noreturn]] void fail(int ret);

  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // ciphertext from the peer (owned by ssl_)
  BIO* out_ = nullptr;  // ciphertext to the peer (owned by ssl_)
  std::string hostname_;
  bool server_side_;
  bool handshake_done_ = false;
};

}  // namespace asyncio::detail
