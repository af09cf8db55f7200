// Tests for asyncio/ssl.hpp (SSLContext, the SSL exceptions) and the TLS engine under it
// (detail/tls_engine.hpp: CPython's SSLObject over memory BIOs). Certificates are made at
// test time with the `openssl` CLI in a temporary directory; without it those tests skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "asyncio/detail/tls_engine.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/ssl.hpp"

namespace {

using asyncio::detail::TlsEngine;

bool have_openssl() { return std::system("openssl version >/dev/null 2>&1") == 0; }

// A CA, a leaf for localhost/127.0.0.1 signed by it, an expired leaf, and a second CA the
// leaves do not chain to. Made once per test binary.
struct Certs {
  std::filesystem::path dir;
  bool ok = false;
  std::string ca() const { return (dir / "ca.pem").string(); }
  std::string other_ca() const { return (dir / "other_ca.pem").string(); }
  std::string leaf() const { return (dir / "leaf.pem").string(); }
  std::string key() const { return (dir / "leaf.key").string(); }
  std::string expired() const { return (dir / "expired.pem").string(); }

  Certs() {
    if (!have_openssl()) return;
    char tmpl[] = "/tmp/asyncio_ssl_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir = tmpl;
    const std::string d = dir.string();
    const std::string q = " >/dev/null 2>&1";
    std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    const std::string cmds[] = {
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/ca.key -out " + d +
            "/ca.pem -days 30 -subj '/CN=asyncio test CA'",
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/other_ca.key -out " + d +
            "/other_ca.pem -days 30 -subj '/CN=asyncio other CA'",
        "openssl req -newkey rsa:2048 -nodes -keyout " + d + "/leaf.key -out " + d +
            "/leaf.csr -subj '/CN=localhost'",
        "openssl x509 -req -in " + d + "/leaf.csr -CA " + d + "/ca.pem -CAkey " + d +
            "/ca.key -CAcreateserial -out " + d + "/leaf.pem -days 30 -extfile " + d + "/ext.cnf",
        "openssl x509 -req -in " + d + "/leaf.csr -CA " + d + "/ca.pem -CAkey " + d +
            "/ca.key -CAcreateserial -out " + d + "/expired.pem -days -1 -extfile " + d +
            "/ext.cnf",
    };
    for (const auto& c : cmds) {
      if (std::system((c + q).c_str()) != 0) return;
    }
    ok = true;
  }
  ~Certs() {
    if (!dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  }
};

const Certs& certs() {
  static Certs c;
  return c;
}

#define NEED_CERTS()                                                        \
  do {                                                                      \
    if (!certs().ok) GTEST_SKIP() << "needs the openssl command line tool"; \
  } while (0)

// Runs both handshakes to completion (or the first exception), shuttling the bytes.
void pump_handshake(TlsEngine& client, TlsEngine& server) {
  std::string buf;
  for (int i = 0; i < 20; ++i) {
    const auto c = client.do_handshake();
    buf.clear();
    if (client.take_output(buf)) server.feed(buf.data(), buf.size());
    const auto s = server.do_handshake();
    buf.clear();
    if (server.take_output(buf)) client.feed(buf.data(), buf.size());
    if (c == TlsEngine::Status::ok && s == TlsEngine::Status::ok) return;
  }
  FAIL() << "handshake did not finish";
}

asyncio::SSLContext server_context(const std::string& cert) {
  auto ctx = asyncio::create_default_context(asyncio::Purpose::CLIENT_AUTH);
  ctx.load_cert_chain(cert, certs().key());
  return ctx;
}

// Expects the client's handshake to fail verification with `message`.
void expect_verify_failure(const asyncio::SSLContext& cctx, const asyncio::SSLContext& sctx,
                           const std::string& host, const std::string& message) {
  TlsEngine client(cctx, false, host);
  TlsEngine server(sctx, true, "");
  try {
    pump_handshake(client, server);
    FAIL() << "no verification error";
  } catch (const asyncio::SSLCertVerificationError& e) {
    EXPECT_EQ(e.what(), "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: " + message);
    EXPECT_EQ(e.verify_message(), message);
    EXPECT_EQ(e.reason(), "CERTIFICATE_VERIFY_FAILED");
    EXPECT_EQ(e.library(), "SSL");
  }
}

TEST(SSLContext, ClientDefaults) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  EXPECT_TRUE(c.check_hostname());
  EXPECT_EQ(c.verify_mode(), asyncio::CERT_REQUIRED);
  EXPECT_FALSE(c.server_side());
  asyncio::SSLContext s(asyncio::PROTOCOL_TLS_SERVER);
  EXPECT_FALSE(s.check_hostname());
  EXPECT_EQ(s.verify_mode(), asyncio::CERT_NONE);
  EXPECT_TRUE(s.server_side());
}

TEST(SSLContext, CertNoneWithCheckHostnameIsValueError) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  try {
    c.set_verify_mode(asyncio::CERT_NONE);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  }
  c.set_check_hostname(false);
  c.set_verify_mode(asyncio::CERT_NONE);
  EXPECT_EQ(c.verify_mode(), asyncio::CERT_NONE);
  // Turning check_hostname back on raises verify_mode to CERT_REQUIRED (CPython).
  c.set_check_hostname(true);
  EXPECT_EQ(c.verify_mode(), asyncio::CERT_REQUIRED);
}

TEST(SSLContext, Versions) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  auto d = asyncio::create_default_context();
  EXPECT_EQ(d.minimum_version(), asyncio::TLSVersion::TLSv1_2);
  c.set_minimum_version(asyncio::TLSVersion::TLSv1_3);
  EXPECT_EQ(c.minimum_version(), asyncio::TLSVersion::TLSv1_3);
  c.set_maximum_version(asyncio::TLSVersion::MAXIMUM_SUPPORTED);
  EXPECT_EQ(c.maximum_version(), asyncio::TLSVersion::MAXIMUM_SUPPORTED);
}

TEST(SSLContext, MissingFilesAreOSErrorENOENT) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  try {
    c.load_cert_chain("/nonexistent/cert.pem");
    FAIL();
  } catch (const asyncio::OSError& e) {
    EXPECT_STREQ(e.what(), "[Errno 2] No such file or directory");
  }
  try {
    c.load_verify_locations("/nonexistent/ca.pem");
    FAIL();
  } catch (const asyncio::OSError& e) {
    EXPECT_EQ(e.errnum(), 2);
  }
  try {
    c.load_verify_locations("");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "cafile, capath and cadata cannot be all omitted");
  }
}

TEST(SSLContext, JunkFilesAreSSLErrorWithCPythonText) {
  char tmpl[] = "/tmp/asyncio_junk_XXXXXX";
  const int fd = ::mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "junk", 4), 4);
  ::close(fd);
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  try {
    c.load_cert_chain(tmpl);
    FAIL();
  } catch (const asyncio::SSLError& e) {
    EXPECT_STREQ(e.what(), "[SSL] PEM lib");
    EXPECT_EQ(e.library(), "SSL");
  }
  try {
    c.load_verify_locations(tmpl);
    FAIL();
  } catch (const asyncio::SSLError& e) {
    EXPECT_STREQ(e.what(), "[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found");
    EXPECT_EQ(e.reason(), "NO_CERTIFICATE_OR_CRL_FOUND");
  }
  ::unlink(tmpl);
}

TEST(SSLContext, ErrorsAreOSErrors) {
  asyncio::SSLCertVerificationError e(1, "m", 10, "certificate has expired");
  const asyncio::OSError& os = e;
  EXPECT_STREQ(os.what(), "m");
  EXPECT_EQ(e.verify_code(), 10);
}

TEST(SSLContext, BadAlpnIsValueError) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  EXPECT_THROW(c.set_alpn_protocols({""}), std::invalid_argument);
  EXPECT_THROW(c.set_alpn_protocols({std::string(256, 'x')}), std::invalid_argument);
}

TEST(TlsEngine, CheckHostnameRequiresServerHostname) {
  asyncio::SSLContext c(asyncio::PROTOCOL_TLS_CLIENT);
  try {
    TlsEngine e(c, false, "");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "check_hostname requires server_hostname");
  }
}

TEST(TlsEngine, HandshakeAndEcho) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
  cctx.set_alpn_protocols({"h2", "http/1.1"});
  auto sctx = server_context(certs().leaf());
  sctx.set_alpn_protocols({"http/1.1"});
  TlsEngine client(cctx, false, "localhost");
  TlsEngine server(sctx, true, "");
  pump_handshake(client, server);
  EXPECT_TRUE(client.handshake_done());
  EXPECT_EQ(client.selected_alpn_protocol(), "http/1.1");
  EXPECT_EQ(server.selected_alpn_protocol(), "http/1.1");
  EXPECT_EQ(client.version(), "TLSv1.3");
  EXPECT_FALSE(client.cipher_name().empty());
  EXPECT_GT(client.cipher_bits(), 0);
  const auto pc = client.peer_cert();
  EXPECT_TRUE(pc.present);
  EXPECT_EQ(pc.subject, "CN=localhost");
  EXPECT_EQ(pc.issuer, "CN=asyncio test CA");
  EXPECT_FALSE(pc.not_after.empty());
  ASSERT_EQ(pc.subject_alt_names.size(), 2u);
  EXPECT_EQ(pc.subject_alt_names[0], "DNS:localhost");
  EXPECT_EQ(pc.subject_alt_names[1], "IP Address:127.0.0.1");
  EXPECT_FALSE(server.peer_cert().present);

  std::string wire;
  ASSERT_EQ(client.write("hello\n", 6), TlsEngine::Status::ok);
  ASSERT_TRUE(client.take_output(wire));
  server.feed(wire.data(), wire.size());
  char buf[64];
  std::size_t n = 0;
  ASSERT_EQ(server.read(buf, sizeof buf, n), TlsEngine::Status::ok);
  EXPECT_EQ(std::string(buf, n), "hello\n");
  EXPECT_EQ(server.read(buf, sizeof buf, n), TlsEngine::Status::want_read);

  // close_notify: the peer reads a clean EOF.
  EXPECT_EQ(client.shutdown(), TlsEngine::Status::want_read);
  wire.clear();
  ASSERT_TRUE(client.take_output(wire));
  server.feed(wire.data(), wire.size());
  EXPECT_EQ(server.read(buf, sizeof buf, n), TlsEngine::Status::closed);
}

TEST(TlsEngine, IpAddressHostname) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
  auto sctx = server_context(certs().leaf());
  TlsEngine client(cctx, false, "127.0.0.1");
  TlsEngine server(sctx, true, "");
  pump_handshake(client, server);
  EXPECT_TRUE(client.handshake_done());
}

TEST(TlsEngine, WrongHostname) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
  expect_verify_failure(cctx, server_context(certs().leaf()), "example.com",
                        "Hostname mismatch, certificate is not valid for 'example.com'.");
}

TEST(TlsEngine, WrongIpAddress) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
  expect_verify_failure(cctx, server_context(certs().leaf()), "127.0.0.2",
                        "IP address mismatch, certificate is not valid for '127.0.0.2'.");
}

TEST(TlsEngine, UntrustedCertificate) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().other_ca());
  expect_verify_failure(cctx, server_context(certs().leaf()), "localhost",
                        "unable to get local issuer certificate");
}

TEST(TlsEngine, ExpiredCertificate) {
  NEED_CERTS();
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
  expect_verify_failure(cctx, server_context(certs().expired()), "localhost",
                        "certificate has expired");
}

TEST(TlsEngine, NoVerification) {
  NEED_CERTS();
  asyncio::SSLContext cctx(asyncio::PROTOCOL_TLS_CLIENT);
  cctx.set_check_hostname(false);
  cctx.set_verify_mode(asyncio::CERT_NONE);
  TlsEngine client(cctx, false, "");
  TlsEngine server(server_context(certs().expired()), true, "");
  pump_handshake(client, server);
  EXPECT_TRUE(client.handshake_done());
}

TEST(TlsEngine, PlaintextPeerIsSSLError) {
  asyncio::SSLContext sctx(asyncio::PROTOCOL_TLS_SERVER);
  TlsEngine server(sctx, true, "");
  const std::string http = "GET / HTTP/1.0\r\n\r\n";
  server.feed(http.data(), http.size());
  try {
    (void)server.do_handshake();
    FAIL();
  } catch (const asyncio::SSLError& e) {
    EXPECT_STREQ(e.what(), "[SSL: HTTP_REQUEST] http request");
  }
}

}  // namespace
