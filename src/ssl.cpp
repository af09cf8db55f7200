#include "asyncio/ssl.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace asyncio {

namespace {

// CPython's short library names (Modules/_ssl_data_*.h), for the libraries TLS errors come from.
const char* library_name(int lib) {
  switch (lib) {
    case ERR_LIB_SSL:
      return "SSL";
    case ERR_LIB_X509:
      return "X509";
    case ERR_LIB_PEM:
      return "PEM";
    case ERR_LIB_EVP:
      return "EVP";
    case ERR_LIB_ASN1:
      return "ASN1";
    case ERR_LIB_SYS:
      return "SYS";
    case ERR_LIB_BIO:
      return "BIO";
    case ERR_LIB_X509V3:
      return "X509V3";
    default:
      return nullptr;
  }
}

// The reason codes' names CPython shows, for the errors a TLS connection commonly meets.
const char* reason_name(int lib, int reason) {
  if (lib == ERR_LIB_SSL) {
    switch (reason) {
      case SSL_R_CERTIFICATE_VERIFY_FAILED:
        return "CERTIFICATE_VERIFY_FAILED";
      case SSL_R_WRONG_VERSION_NUMBER:
        return "WRONG_VERSION_NUMBER";
      case SSL_R_TLSV1_ALERT_UNKNOWN_CA:
        return "TLSV1_ALERT_UNKNOWN_CA";
      case SSL_R_SSLV3_ALERT_BAD_CERTIFICATE:
        return "SSLV3_ALERT_BAD_CERTIFICATE";
      case SSL_R_SSLV3_ALERT_CERTIFICATE_EXPIRED:
        return "SSLV3_ALERT_CERTIFICATE_EXPIRED";
      case SSL_R_SSLV3_ALERT_HANDSHAKE_FAILURE:
        return "SSLV3_ALERT_HANDSHAKE_FAILURE";
      case SSL_R_NO_APPLICATION_PROTOCOL:
        return "NO_APPLICATION_PROTOCOL";
      case SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL:
        return "TLSV1_ALERT_NO_APPLICATION_PROTOCOL";
      case SSL_R_UNEXPECTED_EOF_WHILE_READING:
        return "UNEXPECTED_EOF_WHILE_READING";
      case SSL_R_NO_SHARED_CIPHER:
        return "NO_SHARED_CIPHER";
      case SSL_R_UNSUPPORTED_PROTOCOL:
        return "UNSUPPORTED_PROTOCOL";
      case SSL_R_HTTP_REQUEST:
        return "HTTP_REQUEST";
      default:
        return nullptr;
    }
  }
  if (lib == ERR_LIB_X509) {
    switch (reason) {
      case X509_R_NO_CERTIFICATE_OR_CRL_FOUND:
        return "NO_CERTIFICATE_OR_CRL_FOUND";
      case X509_R_KEY_VALUES_MISMATCH:
        return "KEY_VALUES_MISMATCH";
      default:
        return nullptr;
    }
  }
  return nullptr;
}

// Python's FileNotFoundError & co. for a file OpenSSL cannot open, before OpenSSL tries.
void check_readable(const std::string& path) {
  if (::access(path.c_str(), R_OK) != 0) throw_os_error(errno);
}

}  // namespace

namespace detail {

void throw_ssl_error(std::string_view fallback) {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) throw SSLError(0, std::string(fallback));
  const int lib = ERR_GET_LIB(e);
  const int reason = ERR_GET_REASON(e);
  const char* lname = library_name(lib);
  const char* rname = reason_name(lib, reason);
  const char* rtext = ERR_reason_error_string(e);
  std::string text = rtext != nullptr ? rtext : std::string(fallback);
  std::string msg;
  if (lname != nullptr && rname != nullptr) {
    msg = std::string("[") + lname + ": " + rname + "] " + text;
  } else if (lname != nullptr) {
    msg = std::string("[") + lname + "] " + text;
  } else {
    msg = text;
  }
  throw SSLError(static_cast<int>(e), std::move(msg), lname != nullptr ? lname : "",
                 rname != nullptr ? rname : "");
}

}  // namespace detail

struct SSLContext::State {
  SSL_CTX* ctx = nullptr;
  bool server = false;
  bool check_hostname = false;
  VerifyMode mode = CERT_NONE;
  std::string alpn;  // a server's ALPN protocols, wire format (the select callback's arg)
  ~State() { SSL_CTX_free(ctx); }
};

namespace {

void apply_verify(SSL_CTX* ctx, VerifyMode mode, bool server) {
  int flags = SSL_VERIFY_NONE;
  if (mode == CERT_OPTIONAL) flags = SSL_VERIFY_PEER;
  if (mode == CERT_REQUIRED) {
    flags = SSL_VERIFY_PEER;
    if (server) flags |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  SSL_CTX_set_verify(ctx, flags, nullptr);
}

}  // namespace

SSLContext::SSLContext(SSLProtocol protocol) : state_(std::make_shared<State>()) {
  state_->server = protocol == PROTOCOL_TLS_SERVER;
  state_->ctx = SSL_CTX_new(state_->server ? TLS_server_method() : TLS_client_method());
  if (state_->ctx == nullptr) detail::throw_ssl_error("failed to allocate SSL context");
  // CPython's defaults: no compression, single DH/ECDH use, no renegotiation for TLS < 1.3,
  // partial writes and a moving write buffer (the wrapper retries with its own buffer).
  SSL_CTX_set_options(state_->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                                       SSL_OP_SINGLE_DH_USE | SSL_OP_SINGLE_ECDH_USE |
                                       SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(state_->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (!state_->server) {
    state_->check_hostname = true;
    state_->mode = CERT_REQUIRED;
  }
  apply_verify(state_->ctx, state_->mode, state_->server);
}

void SSLContext::load_cert_chain(const std::string& certfile, const std::string& keyfile) {
  check_readable(certfile);
  const std::string& key = keyfile.empty() ? certfile : keyfile;
  if (!keyfile.empty()) check_readable(keyfile);
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(state_->ctx, certfile.c_str()) != 1) {
    ERR_clear_error();
    throw SSLError(static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, ERR_R_PEM_LIB)), "[SSL] PEM lib",
                   "SSL");
  }
  if (SSL_CTX_use_PrivateKey_file(state_->ctx, key.c_str(), SSL_FILETYPE_PEM) != 1) {
    ERR_clear_error();
    throw SSLError(static_cast<int>(ERR_PACK(ERR_LIB_SSL, 0, ERR_R_PEM_LIB)), "[SSL] PEM lib",
                   "SSL");
  }
  if (SSL_CTX_check_private_key(state_->ctx) != 1) detail::throw_ssl_error("key values mismatch");
}

void SSLContext::load_verify_locations(const std::string& cafile, const std::string& capath) {
  if (cafile.empty() && capath.empty()) {
    throw std::invalid_argument("cafile, capath and cadata cannot be all omitted");
  }
  if (!cafile.empty()) check_readable(cafile);
  if (!capath.empty()) check_readable(capath);
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(state_->ctx, cafile.empty() ? nullptr : cafile.c_str(),
                                    capath.empty() ? nullptr : capath.c_str()) != 1) {
    detail::throw_ssl_error("unknown error");
  }
}

void SSLContext::set_default_verify_paths() {
  if (SSL_CTX_set_default_verify_paths(state_->ctx) != 1) detail::throw_ssl_error("unknown error");
}

bool SSLContext::check_hostname() const noexcept { return state_->check_hostname; }

void SSLContext::set_check_hostname(bool on) {
  if (on && state_->mode == CERT_NONE) {
    state_->mode = CERT_REQUIRED;
    apply_verify(state_->ctx, state_->mode, state_->server);
  }
  state_->check_hostname = on;
}

VerifyMode SSLContext::verify_mode() const noexcept { return state_->mode; }

void SSLContext::set_verify_mode(VerifyMode mode) {
  if (mode == CERT_NONE && state_->check_hostname) {
    throw std::invalid_argument(
        "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  }
  state_->mode = mode;
  apply_verify(state_->ctx, mode, state_->server);
}

void SSLContext::set_alpn_protocols(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255) {
      throw std::invalid_argument("ALPN protocols must be 1 to 255 in length");
    }
    wire.push_back(static_cast<char>(p.size()));
    wire += p;
  }
  if (state_->server) {
    // The server picks the first of its protocols the client offers (OpenSSL's helper).
    state_->alpn = wire;
    SSL_CTX_set_alpn_select_cb(
        state_->ctx,
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
           unsigned int inlen, void* arg) -> int {
          auto* mine = static_cast<std::string*>(arg);
          unsigned char* sel = nullptr;
          if (SSL_select_next_proto(
                  &sel, outlen, reinterpret_cast<const unsigned char*>(mine->data()),
                  static_cast<unsigned int>(mine->size()), in, inlen) != OPENSSL_NPN_NEGOTIATED) {
            return SSL_TLSEXT_ERR_NOACK;
          }
          *out = sel;
          return SSL_TLSEXT_ERR_OK;
        },
        &state_->alpn);
  } else if (SSL_CTX_set_alpn_protos(state_->ctx,
                                     reinterpret_cast<const unsigned char*>(wire.data()),
                                     static_cast<unsigned int>(wire.size())) != 0) {
    detail::throw_ssl_error("failed to set ALPN protocols");
  }
}

TLSVersion SSLContext::minimum_version() const noexcept {
  long v = SSL_CTX_get_min_proto_version(state_->ctx);
  return v == 0 ? TLSVersion::MINIMUM_SUPPORTED : static_cast<TLSVersion>(v);
}

void SSLContext::set_minimum_version(TLSVersion v) {
  int raw = v == TLSVersion::MINIMUM_SUPPORTED || v == TLSVersion::MAXIMUM_SUPPORTED
                ? 0
                : static_cast<int>(v);
  if (SSL_CTX_set_min_proto_version(state_->ctx, raw) != 1) {
    throw std::invalid_argument("Unsupported TLS/SSL version");
  }
}

TLSVersion SSLContext::maximum_version() const noexcept {
  long v = SSL_CTX_get_max_proto_version(state_->ctx);
  return v == 0 ? TLSVersion::MAXIMUM_SUPPORTED : static_cast<TLSVersion>(v);
}

void SSLContext::set_maximum_version(TLSVersion v) {
  int raw = v == TLSVersion::MINIMUM_SUPPORTED || v == TLSVersion::MAXIMUM_SUPPORTED
                ? 0
                : static_cast<int>(v);
  if (SSL_CTX_set_max_proto_version(state_->ctx, raw) != 1) {
    throw std::invalid_argument("Unsupported TLS/SSL version");
  }
}

bool SSLContext::server_side() const noexcept { return state_->server; }

SSL_CTX* SSLContext::native_handle() const noexcept { return state_->ctx; }

SSLContext create_default_context(Purpose purpose, const std::string& cafile) {
  SSLContext ctx(purpose == Purpose::SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER);
  ctx.set_minimum_version(TLSVersion::TLSv1_2);
  // CPython 3.13: `verify_flags |= VERIFY_X509_PARTIAL_CHAIN | VERIFY_X509_STRICT` (a CA
  // without key usage, a leaf without an authority key identifier ... are refused).
  X509_VERIFY_PARAM_set_flags(SSL_CTX_get0_param(ctx.native_handle()),
                              X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_X509_STRICT);
  if (purpose == Purpose::SERVER_AUTH) {
    if (cafile.empty()) {
      ctx.set_default_verify_paths();
    } else {
      ctx.load_verify_locations(cafile);
    }
  }
  return ctx;
}

}  // namespace asyncio
