#include "asyncio/detail/tls_engine.hpp"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace asyncio::detail {

namespace {

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, host.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string one_line(X509_NAME* name) {
  if (name == nullptr) return {};
  BIO* b = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

// CPython's notAfter text: "Jan  1 00:00:00 2030 GMT" (ASN1_TIME_print).
std::string time_text(const ASN1_TIME* t) {
  if (t == nullptr) return {};
  BIO* b = BIO_new(BIO_s_mem());
  ASN1_TIME_print(b, t);
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, static_cast<std::size_t>(n));
  BIO_free(b);
  return s;
}

// CPython _ssl.c `_create_tuple_for_X509_NAME`: the RDNs in order, each a tuple of
// (long attribute name, UTF-8 value), multi-valued RDNs grouped by their set number.
PeerCertificate::Name decode_name(X509_NAME* name) {
  PeerCertificate::Name out;
  if (name == nullptr) return out;
  int last_set = -1;
  for (int i = 0; i < X509_NAME_entry_count(name); ++i) {
    X509_NAME_ENTRY* e = X509_NAME_get_entry(name, i);
    const int set = X509_NAME_ENTRY_set(e);
    if (set != last_set || out.empty()) out.emplace_back();
    last_set = set;
    char buf[256];
    const int n = OBJ_obj2txt(buf, sizeof buf, X509_NAME_ENTRY_get_object(e), 0);
    std::string attr(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(e));
    std::string value;
    if (len >= 0) value.assign(reinterpret_cast<const char*>(utf8), static_cast<std::size_t>(len));
    OPENSSL_free(utf8);
    out.back().emplace_back(std::move(attr), std::move(value));
  }
  return out;
}

std::string asn1_string(const ASN1_STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<std::size_t>(ASN1_STRING_length(s)));
}

// CPython's IP Address text: dotted quad, or eight upper-case hex groups (no "::").
std::string ip_text(const ASN1_OCTET_STRING* s) {
  const unsigned char* p = ASN1_STRING_get0_data(s);
  const int len = ASN1_STRING_length(s);
  char buf[64];
  if (len == 4) {
    std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", p[0], p[1], p[2], p[3]);
    return buf;
  }
  if (len == 16) {
    std::string out;
    for (int i = 0; i < 8; ++i) {
      std::snprintf(buf, sizeof buf, "%X", (p[2 * i] << 8) | p[2 * i + 1]);
      if (i) out += ':';
      out += buf;
    }
    return out;
  }
  return "<invalid>";
}

// Access-description URIs of the authority information access extension for `method`.
std::vector<std::string> aia_uris(X509* cert, int method) {
  std::vector<std::string> out;
  auto* info = static_cast<AUTHORITY_INFO_ACCESS*>(
      X509_get_ext_d2i(cert, NID_info_access, nullptr, nullptr));
  if (info == nullptr) return out;
  for (int i = 0; i < sk_ACCESS_DESCRIPTION_num(info); ++i) {
    ACCESS_DESCRIPTION* ad = sk_ACCESS_DESCRIPTION_value(info, i);
    if (OBJ_obj2nid(ad->method) == method && ad->location->type == GEN_URI)
      out.push_back(asn1_string(ad->location->d.uniformResourceIdentifier));
  }
  AUTHORITY_INFO_ACCESS_free(info);
  return out;
}

std::vector<std::string> crl_uris(X509* cert) {
  std::vector<std::string> out;
  auto* dps = static_cast<STACK_OF(DIST_POINT)*>(
      X509_get_ext_d2i(cert, NID_crl_distribution_points, nullptr, nullptr));
  if (dps == nullptr) return out;
  for (int i = 0; i < sk_DIST_POINT_num(dps); ++i) {
    DIST_POINT* dp = sk_DIST_POINT_value(dps, i);
    if (dp->distpoint == nullptr || dp->distpoint->type != 0) continue;
    GENERAL_NAMES* gns = dp->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(gns); ++j) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(gns, j);
      if (g->type == GEN_URI) out.push_back(asn1_string(g->d.uniformResourceIdentifier));
    }
  }
  sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
  return out;
}

}  // namespace

TlsEngine::TlsEngine(const SSLContext& ctx, bool server_side, const std::string& server_hostname)
    : hostname_(server_hostname), server_side_(server_side) {
  if (!server_side && ctx.check_hostname() && server_hostname.empty()) {
    throw std::invalid_argument("check_hostname requires server_hostname");
  }
  if (server_side && !server_hostname.empty()) {
    throw std::invalid_argument("server_hostname is only meaningful with ssl");
  }
  ssl_ = SSL_new(ctx.native_handle());
  if (ssl_ == nullptr) throw_ssl_error("failed to allocate SSL object");
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  // An empty memory BIO means "retry later", not EOF.
  BIO_set_mem_eof_return(in_, -1);
  BIO_set_mem_eof_return(out_, -1);
  SSL_set_bio(ssl_, in_, out_);
  if (server_side) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    if (!server_hostname.empty()) {
      const bool ip = is_ip_address(server_hostname);
      if (!ip) SSL_set_tlsext_host_name(ssl_, server_hostname.c_str());
      if (ctx.check_hostname()) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (ip) {
          X509_VERIFY_PARAM_set1_ip_asc(param, server_hostname.c_str());
        } else {
          X509_VERIFY_PARAM_set1_host(param, server_hostname.c_str(), 0);
        }
      }
    }
  }
}

TlsEngine::~TlsEngine() { SSL_free(ssl_); }

void TlsEngine::feed(const char* data, std::size_t n) {
  if (n > 0) BIO_write(in_, data, static_cast<int>(n));
}

bool TlsEngine::take_output(std::string& out) {
  const std::size_t pending = BIO_ctrl_pending(out_);
  if (pending == 0) return false;
  const std::size_t at = out.size();
  out.resize(at + pending);
  const int got = BIO_read(out_, out.data() + at, static_cast<int>(pending));
  out.resize(at + static_cast<std::size_t>(got > 0 ? got : 0));
  return got > 0;
}

void TlsEngine::fail(int ret) {
  const int err = SSL_get_error(ssl_, ret);
  if (err == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    throw SSLZeroReturnError(SSL_ERROR_ZERO_RETURN, "TLS/SSL connection has been closed (EOF)");
  }
  const unsigned long e = ERR_peek_error();
  if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
    ERR_clear_error();
    const long code = SSL_get_verify_result(ssl_);
    std::string message;
    if (code == X509_V_ERR_HOSTNAME_MISMATCH) {
      message = "Hostname mismatch, certificate is not valid for '" + hostname_ + "'.";
    } else if (code == X509_V_ERR_IP_ADDRESS_MISMATCH) {
      message = "IP address mismatch, certificate is not valid for '" + hostname_ + "'.";
    } else {
      message = X509_verify_cert_error_string(code);
    }
    throw SSLCertVerificationError(
        static_cast<int>(SSL_ERROR_SSL),
        "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + message, code, message);
  }
  if (e == 0 && err == SSL_ERROR_SYSCALL) {
    throw SSLError(8 /* CPython ssl.SSL_ERROR_EOF */, "EOF occurred in violation of protocol");
  }
  throw_ssl_error("unknown error");
}

TlsEngine::Status TlsEngine::do_handshake() {
  if (handshake_done_) return Status::ok;
  ERR_clear_error();
  const int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    return Status::ok;
  }
  if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_READ) return Status::want_read;
  fail(r);
}

TlsEngine::Status TlsEngine::read(char* buf, std::size_t cap, std::size_t& n) {
  n = 0;
  ERR_clear_error();
  const int r = SSL_read_ex(ssl_, buf, cap, &n);
  if (r == 1) return Status::ok;
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ) return Status::want_read;
  if (err == SSL_ERROR_ZERO_RETURN) return Status::closed;
  fail(r);
}

TlsEngine::Status TlsEngine::write(const char* data, std::size_t n) {
  while (n > 0) {
    ERR_clear_error();
    std::size_t done = 0;
    const int r = SSL_write_ex(ssl_, data, n, &done);
    if (r != 1) {
      if (SSL_get_error(ssl_, r) == SSL_ERROR_WANT_READ) return Status::want_read;
      fail(r);
    }
    data += done;
    n -= done;
  }
  return Status::ok;
}

TlsEngine::Status TlsEngine::shutdown() {
  ERR_clear_error();
  const int r = SSL_shutdown(ssl_);
  if (r == 1) return Status::ok;
  if (r == 0) return Status::want_read;
  const int err = SSL_get_error(ssl_, r);
  if (err == SSL_ERROR_WANT_READ) return Status::want_read;
  fail(r);
}

std::string TlsEngine::selected_alpn_protocol() const {
  const unsigned char* p = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_, &p, &len);
  return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), len);
}

std::string TlsEngine::version() const { return SSL_get_version(ssl_); }

std::string TlsEngine::cipher_name() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c == nullptr ? std::string() : SSL_CIPHER_get_name(c);
}

std::string TlsEngine::cipher_version() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c == nullptr ? std::string() : SSL_CIPHER_get_version(c);
}

int TlsEngine::cipher_bits() const {
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl_);
  return c == nullptr ? 0 : SSL_CIPHER_get_bits(c, nullptr);
}

TlsEngine::PeerCert TlsEngine::peer_cert() const {
  PeerCert pc;
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return pc;
  pc.present = true;
  pc.subject = one_line(X509_get_subject_name(cert));
  pc.issuer = one_line(X509_get_issuer_name(cert));
  pc.not_before = time_text(X509_get0_notBefore(cert));
  pc.not_after = time_text(X509_get0_notAfter(cert));
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      if (g->type == GEN_DNS) {
        const auto* s = g->d.dNSName;
        pc.subject_alt_names.push_back(
            "DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                 static_cast<std::size_t>(ASN1_STRING_length(s))));
      } else if (g->type == GEN_IPADD) {
        const auto* s = g->d.iPAddress;
        char text[INET6_ADDRSTRLEN] = {};
        const int len = ASN1_STRING_length(s);
        ::inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s), text, sizeof text);
        pc.subject_alt_names.push_back(std::string("IP Address:") + text);
      }
    }
    GENERAL_NAMES_free(names);
  }
  X509_free(cert);
  return pc;
}

std::optional<PeerCertificate> TlsEngine::getpeercert() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return std::nullopt;
  PeerCertificate pc;
  if ((SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(ssl_)) & SSL_VERIFY_PEER) == 0) {
    X509_free(cert);
    return pc;  // CPython: {} for a certificate it did not verify
  }
  pc.subject = decode_name(X509_get_subject_name(cert));
  pc.issuer = decode_name(X509_get_issuer_name(cert));
  pc.version = static_cast<int>(X509_get_version(cert)) + 1;
  {
    BIO* b = BIO_new(BIO_s_mem());
    i2a_ASN1_INTEGER(b, X509_get0_serialNumber(cert));
    char* p = nullptr;
    long n = BIO_get_mem_data(b, &p);
    pc.serialNumber.assign(p, static_cast<std::size_t>(n));
    BIO_free(b);
  }
  pc.notBefore = time_text(X509_get0_notBefore(cert));
  pc.notAfter = time_text(X509_get0_notAfter(cert));
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (names != nullptr) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names, i);
      switch (g->type) {
        case GEN_DNS:
          pc.subjectAltName.emplace_back("DNS", asn1_string(g->d.dNSName));
          break;
        case GEN_IPADD:
          pc.subjectAltName.emplace_back("IP Address", ip_text(g->d.iPAddress));
          break;
        case GEN_EMAIL:
          pc.subjectAltName.emplace_back("email", asn1_string(g->d.rfc822Name));
          break;
        case GEN_URI:
          pc.subjectAltName.emplace_back("URI", asn1_string(g->d.uniformResourceIdentifier));
          break;
        default:
          break;  // DirName, othername, Registered ID: not mapped (docs/tls.md)
      }
    }
    GENERAL_NAMES_free(names);
  }
  pc.OCSP = aia_uris(cert, NID_ad_OCSP);
  pc.caIssuers = aia_uris(cert, NID_ad_ca_issuers);
  pc.crlDistributionPoints = crl_uris(cert);
  X509_free(cert);
  return pc;
}

std::string TlsEngine::peer_der() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert, &der);
  std::string out;
  if (n > 0) out.assign(reinterpret_cast<const char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  X509_free(cert);
  return out;
}

}  // namespace asyncio::detail
