// Tests for asyncio/ssl.hpp (SSLContext, the SSL exceptions) and the TLS engine under it
// (detail/tls_engine.hpp: CPython's SSLObject over memory BIOs). Certificates are made at
// test time with the `openssl` CLI in a temporary directory; without it those tests skip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/detail/tls_engine.hpp"
#include "asyncio/exceptions.hpp"
#include "asyncio/protocols.hpp"
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
    // What CPython 3.13's VERIFY_X509_STRICT wants: an authority key identifier on the
    // leaf, key usage on the CA.
    std::ofstream(dir / "ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                      "authorityKeyIdentifier=keyid,issuer\n"
                                      "basicConstraints=critical,CA:FALSE\n";
    const std::string cmds[] = {
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/ca.key -out " + d +
            "/ca.pem -days 30 -subj '/CN=asyncio test CA' -addext "
            "'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'",
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/other_ca.key -out " + d +
            "/other_ca.pem -days 30 -subj '/CN=asyncio other CA' -addext "
            "'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'",
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

// CPython 3.13's default context is VERIFY_X509_STRICT: a CA without key usage is refused.
TEST(TlsEngine, StrictVerificationAsCPython313) {
  NEED_CERTS();
  const std::string d = certs().dir.string();
  const std::string cmds[] = {
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/lax_ca.key -out " + d +
          "/lax_ca.pem -days 30 -subj '/CN=lax CA'",
      "openssl x509 -req -in " + d + "/leaf.csr -CA " + d + "/lax_ca.pem -CAkey " + d +
          "/lax_ca.key -CAcreateserial -out " + d + "/lax_leaf.pem -days 30 -extfile " + d +
          "/ext.cnf",
  };
  for (const auto& c : cmds) ASSERT_EQ(std::system((c + " >/dev/null 2>&1").c_str()), 0) << c;
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, d + "/lax_ca.pem");
  expect_verify_failure(cctx, server_context(d + "/lax_leaf.pem"), "localhost",
                        "CA cert does not include key usage extension");
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

// --- TLS transports on loopback sockets ---------------------------------------------------

using asyncio::Coro;
using asyncio::EventLoop;
using asyncio::Future;
using asyncio::Server;
using asyncio::Transport;

void run(Coro<void> main) { asyncio::run(std::move(main)); }
int port_of(const Server& s) { return s.sockets().at(0).getsockname().port; }

std::string what(const std::exception_ptr& e) {
  if (!e) return "None";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "?";
  }
}

// Records its callbacks ("made", "data:<bytes>", "eof", "lost:<exc>"); echoes if asked.
struct Recorder {
  std::vector<std::string>* log;
  Future<void> lost;
  bool echo = false;
  Transport transport;

  void connection_made(Transport t) {
    transport = t;
    log->push_back("made");
  }
  void data_received(std::string_view data) {
    if (!log->empty() && log->back().rfind("data:", 0) == 0)
      log->back() += data;
    else
      log->push_back("data:" + std::string(data));
    if (echo) transport.write(data);
  }
  bool eof_received() {
    log->push_back("eof");
    return false;
  }
  void connection_lost(std::exception_ptr exc) {
    log->push_back("lost:" + what(exc));
    if (lost.valid() && !lost.done()) lost.set_result();
  }
};

template <class P>
Coro<bool> until(P pred, int max_iterations = 100000) {
  for (int i = 0; i < max_iterations; ++i) {
    if (pred()) co_return true;
    co_await asyncio::sleep(0);
  }
  co_return pred();
}

asyncio::SSLContext client_context() {
  return asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().ca());
}

TEST(TlsTransport, ProtocolEchoAndCloseNotify) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, slost, true, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        "127.0.0.1", port_of(server), co);
    Transport t = t_p.first;
    // The handshake is over when create_connection returns.
    EXPECT_EQ(clog, std::vector<std::string>{"made"});
    t.write("ping");
    t.write(std::string(100000, 'x'));
    const std::string want = "data:ping" + std::string(100000, 'x');
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && clog[1] == want; }));
    t.close();  // close_notify: the server reads a clean EOF
    co_await slost;
    co_await clost;
    EXPECT_EQ(slog.front(), "made");
    EXPECT_EQ(slog.size(), 4u);
    EXPECT_EQ(slog[2], "eof");
    EXPECT_EQ(slog[3], "lost:None");
    EXPECT_EQ(clog.back(), "lost:None");
    server.close();
    co_await server.wait_closed();
  }());
}

// CPython 3.13: a TLS peer that goes without close_notify is an EOF (eof_received, then
// connection_lost(None)), not an error.
TEST(TlsTransport, AbortIsAnEofForThePeer) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>(), clost = loop.create_future<void>();
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, slost, true, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        "localhost", port_of(server), co);
    t_p.first.write("a");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    t_p.first.abort();
    co_await slost;
    co_await clost;
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "data:a", "eof", "lost:None"}));
    EXPECT_EQ(clog.back(), "lost:None");
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsTransport, WrongHostnameFailsCreateConnection) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    std::vector<std::string> handler;
    loop.set_exception_handler(
        [&](EventLoop&, const asyncio::ExceptionContext& c) { handler.push_back(c.message); });
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::vector<std::string> slog, clog;
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, {}, false, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "wrong.example";
    std::string err;
    try {
      co_await asyncio::create_connection(
          loop,
          [&] {
            return Recorder{&clog, {}, false, {}};
          },
          "127.0.0.1", port_of(server), co);
    } catch (const asyncio::SSLCertVerificationError& e) {
      err = e.what();
    }
    EXPECT_EQ(err,
              "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
              "certificate is not valid for 'wrong.example'.");
    EXPECT_TRUE(clog.empty());  // the protocol never hears of a failed connection
    for (int i = 0; i < 20; ++i) co_await asyncio::sleep(0);
    EXPECT_TRUE(slog.empty());
    EXPECT_TRUE(handler.empty());  // an SSLError is an OSError: not reported (CPython)
    server.close();
    co_await server.wait_closed();
  }());
}

struct Silent {};  // a plain TCP protocol that never answers

TEST(TlsTransport, HandshakeTimeout) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Server server = co_await asyncio::create_server(
        loop, [] { return Silent{}; }, std::string("127.0.0.1"), 0);
    auto cctx = client_context();
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    co.ssl_handshake_timeout = 0.2;
    std::string err;
    try {
      co_await asyncio::create_connection(
          loop, [] { return Silent{}; }, "127.0.0.1", port_of(server), co);
    } catch (const asyncio::ConnectionAbortedError& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "SSL handshake is taking longer than 0.2 seconds: aborting the connection");
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsTransport, CancelDuringHandshake) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    Server server = co_await asyncio::create_server(
        loop, [] { return Silent{}; }, std::string("127.0.0.1"), 0);
    auto cctx = client_context();
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    bool timed_out = false;
    try {
      co_await asyncio::wait_for(
          asyncio::create_connection(
              loop, [] { return Silent{}; }, "127.0.0.1", port_of(server), co),
          0.1);
    } catch (const asyncio::TimeoutError&) {
      timed_out = true;
    }
    EXPECT_TRUE(timed_out);
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsTransport, ServerHostnameWithoutSsl) {
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    asyncio::ConnectionOptions co;
    co.server_hostname = "x";
    std::string err;
    try {
      co_await asyncio::create_connection(
          loop, [] { return Silent{}; }, "127.0.0.1", 1, co);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "server_hostname is only meaningful with ssl");
  }());
}

TEST(TlsTransport, StreamsEcho) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::vector<std::string> slog;
    Future<void> slost = loop.create_future<void>();
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, slost, true, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    o.server_hostname = "localhost";
    auto rw = co_await asyncio::open_connection("127.0.0.1", port_of(server), o);
    rw.second.write("hello\n");
    rw.second.write("world\n");
    co_await rw.second.drain();
    EXPECT_EQ(co_await rw.first.readline(), "hello\n");
    EXPECT_EQ(co_await rw.first.readline(), "world\n");
    rw.second.close();
    co_await rw.second.wait_closed();
    co_await slost;
    EXPECT_EQ(slog.back(), "lost:None");
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsTransport, StreamsUntrustedCertificate) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().other_ca());
    std::vector<std::string> slog;
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, {}, true, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    o.server_hostname = "localhost";
    std::string err;
    try {
      co_await asyncio::open_connection("127.0.0.1", port_of(server), o);
    } catch (const asyncio::SSLCertVerificationError& e) {
      err = e.what();
    }
    EXPECT_EQ(err,
              "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
              "issuer certificate");
    server.close();
    co_await server.wait_closed();
  }());
}

// Echoes the first chunk, then closes (close_notify): a child-process client then exits.
struct EchoClose {
  Transport transport;
  void connection_made(Transport t) { transport = t; }
  void data_received(std::string_view data) {
    transport.write(data);
    transport.close();
  }
};

// Runs `cmd` in a shell (on the default executor: the loop goes on serving) and returns
// its standard output.
std::string run_shell(std::string cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (f == nullptr) return out;
  char buf[256];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

// (A plain function and an argument: GCC 12 destroyed a capturing lambda temporary of the
// co_await expression twice.)
Coro<std::string> shell_output(std::string cmd) {
  std::string out = co_await asyncio::to_thread(&run_shell, std::move(cmd));
  co_return out;
}

Coro<std::string> against_our_server(const std::string& client_cmd_before_port,
                                     const std::string& client_cmd_after_port) {
  EventLoop& loop = asyncio::get_running_loop();
  auto sctx = server_context(certs().leaf());
  asyncio::ServerOptions so;
  so.ssl = &sctx;
  Server server = co_await asyncio::create_server(
      loop, [] { return EchoClose{}; }, std::string("127.0.0.1"), 0, so);
  std::string out = co_await shell_output(client_cmd_before_port + std::to_string(port_of(server)) +
                                          client_cmd_after_port);
  server.close();
  co_await server.wait_closed();
  co_return out;
}

TEST(TlsInterop, OpensslSClientAgainstOurServer) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    std::string out = co_await against_our_server(
        "printf 'hello\\n' | timeout 10 openssl s_client -connect 127.0.0.1:",
        " -CAfile " + certs().ca() +
            " -verify_hostname localhost -verify_return_error -quiet 2>/dev/null");
    EXPECT_EQ(out, "hello\n");
  }());
}

// CPython 3.13's create_default_context verifies with VERIFY_X509_STRICT: with a CA
// certificate lacking key usage its client fails ("CA cert does not include key usage
// extension") and sends the alert "certificate unknown"; the test CA has it.
TEST(TlsInterop, CPythonSslClientAgainstOurServer) {
  NEED_CERTS();
  if (std::system("PYENV_VERSION=3.13.0 python3 -c 'import ssl' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "needs CPython 3.13 (PYENV_VERSION=3.13.0 python3)";
  run([]() -> Coro<void> {
    std::string out = co_await against_our_server(
        "PYENV_VERSION=3.13.0 timeout 10 python3 -c \"import ssl, socket; c = "
        "ssl.create_default_context(cafile='" +
            certs().ca() + "'); s = c.wrap_socket(socket.create_connection(('127.0.0.1', ",
        ")), server_hostname='localhost'); s.sendall(b'hello'); print(s.recv(100).decode(), "
        "s.version(), s.recv(100))\"");
    EXPECT_EQ(out, "hello TLSv1.3 b''\n");
  }());
}

// --- get_extra_info on TLS transports --------------------------------------------------------

TEST(TlsExtraInfo, ClientAndServerTransports) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    cctx.set_minimum_version(asyncio::TLSVersion::TLSv1_3);
    std::vector<std::string> slog, clog;
    Future<void> slost = loop.create_future<void>();
    Future<void> clost_end = loop.create_future<void>();
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, slost, true, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost_end, false, {}};
        },
        "127.0.0.1", port_of(server), co);
    Transport t = t_p.first;
    auto cert = t.get_extra_info<asyncio::PeerCertificate>("peercert");
    EXPECT_TRUE(cert.has_value());
    if (cert) {
      using Name = asyncio::PeerCertificate::Name;
      EXPECT_EQ(cert->subject, (Name{{{"commonName", "localhost"}}}));
      EXPECT_EQ(cert->issuer, (Name{{{"commonName", "asyncio test CA"}}}));
      EXPECT_EQ(cert->version, 3);
      EXPECT_FALSE(cert->serialNumber.empty());
      EXPECT_EQ(cert->subjectAltName, (std::vector<std::pair<std::string, std::string>>{
                                          {"DNS", "localhost"}, {"IP Address", "127.0.0.1"}}));
      EXPECT_EQ(cert->notAfter.substr(cert->notAfter.size() - 4), " GMT");
      EXPECT_EQ(cert->subject_attribute("commonName"), "localhost");
      EXPECT_FALSE(cert->empty());
    }
    auto cipher = t.get_extra_info<asyncio::CipherInfo>("cipher");
    EXPECT_TRUE(cipher.has_value());
    if (cipher) {
      EXPECT_EQ(std::get<1>(*cipher), "TLSv1.3");
      EXPECT_EQ(std::get<0>(*cipher).rfind("TLS_", 0), 0u);
      EXPECT_GE(std::get<2>(*cipher), 128);
    }
    auto obj = t.get_extra_info<asyncio::SSLObject>("ssl_object");
    EXPECT_TRUE(obj.has_value());
    if (obj) {
      EXPECT_EQ(obj->version(), "TLSv1.3");
      EXPECT_EQ(obj->server_hostname(), "localhost");
      EXPECT_FALSE(obj->server_side());
      EXPECT_EQ(obj->selected_alpn_protocol(), std::nullopt);
      EXPECT_EQ(obj->getpeercert(), cert);
      EXPECT_EQ(obj->cipher(), cipher);
      EXPECT_FALSE(obj->getpeercert_der().empty());
      EXPECT_EQ(obj->compression(), std::nullopt);
    }
    auto ctx = t.get_extra_info<std::shared_ptr<const asyncio::SSLContext>>("sslcontext");
    EXPECT_TRUE(ctx && *ctx && (*ctx)->native_handle() == cctx.native_handle());
    EXPECT_TRUE(std::holds_alternative<std::monostate>(t.get_extra_info("compression")));
    EXPECT_TRUE(t.get_extra_info<asyncio::Address>("peername").has_value());
    EXPECT_TRUE(t.get_extra_info<asyncio::TransportSocket>("socket").has_value());
    // The server's view: no client certificate (None), its own side.
    t.write("x");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    server.close_clients();
    co_await slost;
    t.close();
    co_await clost_end;  // the protocol's log lives in this frame
    server.close();
    co_await server.wait_closed();
    // The SSLObject outlives the connection.
    if (obj) {
      EXPECT_EQ(obj->version(), "TLSv1.3");
    }
  }());
}

TEST(TlsExtraInfo, ServerSideAndStreamWriter) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::optional<asyncio::PeerCertificate> server_peercert{asyncio::PeerCertificate{}};
    std::optional<asyncio::SSLObject> server_obj;
    bool got_none = false;
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::start_server(
        [&](asyncio::StreamReader r, asyncio::StreamWriter w) -> Coro<void> {
          got_none =
              std::holds_alternative<std::monostate>(w.transport().get_extra_info("peercert"));
          server_obj = w.get_extra_info<asyncio::SSLObject>("ssl_object");
          std::string line = co_await r.readline();
          w.write(line);
          co_await w.drain();
          w.close();
          co_await w.wait_closed();
        },
        "127.0.0.1", 0, so);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    o.server_hostname = "localhost";
    auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port_of(server), o);
    auto cert = w.get_extra_info<asyncio::PeerCertificate>("peercert");
    EXPECT_TRUE(cert && cert->subject_attribute("commonName") == "localhost");
    EXPECT_TRUE(w.get_extra_info("peername").has_value());
    w.write("hi\n");
    EXPECT_EQ(co_await r.readline(), "hi\n");
    EXPECT_EQ(co_await r.read(), "");  // the server's close_notify: EOF
    EXPECT_TRUE(got_none);
    EXPECT_TRUE(server_obj && server_obj->server_side());
    if (server_obj) {
      EXPECT_EQ(server_obj->server_hostname(), std::nullopt);
    }
    w.close();
    co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsExtraInfo, UnverifiedCertificateIsTheEmptyDict) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    asyncio::SSLContext cctx(asyncio::PROTOCOL_TLS_CLIENT);
    cctx.set_check_hostname(false);
    cctx.set_verify_mode(asyncio::CERT_NONE);
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::start_server(
        [](asyncio::StreamReader, asyncio::StreamWriter w) -> Coro<void> {
          w.close();
          co_return;
        },
        "127.0.0.1", 0, so);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port_of(server), o);
    auto cert = w.get_extra_info<asyncio::PeerCertificate>("peercert");
    EXPECT_TRUE(cert && cert->empty());
    w.close();
    co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
  }());
}

// --- start_server / start_unix_server with ssl= ------------------------------------------------

Coro<void> echo_lines(asyncio::StreamReader r, asyncio::StreamWriter w) {
  for (;;) {
    std::string line = co_await r.readline();
    if (line.empty()) break;
    w.write(line);
    co_await w.drain();
  }
  w.close();
  co_await w.wait_closed();
}

TEST(TlsStreams, StartServerWithSsl) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    int calls = 0;
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::start_server(
        [&](asyncio::StreamReader r, asyncio::StreamWriter w) -> Coro<void> {
          ++calls;
          co_await echo_lines(std::move(r), std::move(w));
        },
        "127.0.0.1", 0, so);
    // A client that fails the handshake never reaches client_connected_cb.
    auto bad = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().other_ca());
    asyncio::StreamOptions bo;
    bo.ssl = &bad;
    bo.server_hostname = "localhost";
    bool failed = false;
    try {
      co_await asyncio::open_connection("127.0.0.1", port_of(server), bo);
    } catch (const asyncio::SSLCertVerificationError&) {
      failed = true;
    }
    EXPECT_TRUE(failed);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    o.server_hostname = "localhost";
    auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port_of(server), o);
    for (const char* line : {"one\n", "two\n", "three\n"}) {
      w.write(line);
      EXPECT_EQ(co_await r.readline(), line);
    }
    w.write(std::string(50000, 'z') + "\n");
    EXPECT_EQ((co_await r.readline()).size(), 50001u);
    w.close();
    co_await w.wait_closed();
    EXPECT_EQ(calls, 1);
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsStreams, UnixServerAndConnection) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    const std::string path = (certs().dir / "tls.sock").string();
    asyncio::UnixServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::start_unix_server(&echo_lines, path, so);
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    std::string err;
    try {
      co_await asyncio::open_unix_connection(path, o);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "you have to pass server_hostname when using ssl");
    o.server_hostname = "localhost";
    auto [r, w] = co_await asyncio::open_unix_connection(path, o);
    w.write("over unix\n");
    EXPECT_EQ(co_await r.readline(), "over unix\n");
    EXPECT_EQ(w.get_extra_info<asyncio::SSLObject>("ssl_object")->version(), "TLSv1.3");
    w.close();
    co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(TlsTransport, UnixProtocolServerAndConnection) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    const std::string path = (certs().dir / "tls_proto.sock").string();
    std::vector<std::string> slog, clog;
    asyncio::UnixServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_unix_server(
        loop,
        [&] {
          return Recorder{&slog, {}, true, {}};
        },
        path, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    std::string err;
    try {
      co_await asyncio::create_unix_connection(
          loop,
          [&] {
            return Recorder{&clog, {}, false, {}};
          },
          path, co);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "you have to pass server_hostname when using ssl");
    co.server_hostname = "localhost";
    Future<void> clost = loop.create_future<void>();
    auto t_p = co_await asyncio::create_unix_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        path, co);
    EXPECT_EQ(t_p.first.get_extra_info<asyncio::SSLObject>("ssl_object")->version(), "TLSv1.3");
    t_p.first.write("unix tls");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && clog[1] == "data:unix tls"; }));
    t_p.first.close();
    co_await clost;
    EXPECT_EQ(clog.back(), "lost:None");
    server.close();
    co_await server.wait_closed();
  }());
}

// pause_reading() in data_received stops the delivery at once, also of what is already
// decrypted; resume_reading() delivers the rest.
struct PausingServer {
  std::size_t* got;
  int* calls;
  Transport* out;
  Transport transport;
  void connection_made(Transport t) {
    transport = t;
    *out = t;
  }
  void data_received(std::string_view d) {
    *got += d.size();
    ++*calls;
    transport.pause_reading();
  }
};

TEST(TlsTransport, PauseReadingInsideDataReceived) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::size_t got = 0;
    int calls = 0;
    Transport st;
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return PausingServer{&got, &calls, &st, {}};
        },
        std::string("127.0.0.1"), 0, so);
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    std::vector<std::string> clog;
    Future<void> clost_end = loop.create_future<void>();
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost_end, false, {}};
        },
        "127.0.0.1", port_of(server), co);
    t_p.first.write(std::string(100000, 'p'));  // 7 records of at most 16 KiB
    EXPECT_TRUE(co_await until([&] { return calls == 1; }));
    for (int i = 0; i < 200; ++i) co_await asyncio::sleep(0);
    EXPECT_EQ(calls, 1);  // paused: nothing more, though more is decrypted or on the socket
    EXPECT_LE(got, 16384u);
    EXPECT_FALSE(st.is_reading());
    // Each resume_reading() lets exactly one more data_received through.
    for (int i = 0; i < 100 && got < 100000; ++i) {
      const int before = calls;
      st.resume_reading();
      EXPECT_TRUE(co_await until([&] { return calls == before + 1; }));
      for (int k = 0; k < 5; ++k) co_await asyncio::sleep(0);
      EXPECT_EQ(calls, before + 1);
    }
    EXPECT_EQ(got, 100000u);
    t_p.first.close();
    server.close();
    server.abort_clients();
    co_await server.wait_closed();
    co_await clost_end;  // the protocol's log lives in this frame
  }());
}

TEST(TlsStreams, BadTimeoutsAreValueErrors) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    asyncio::ServerOptions so;
    so.ssl = &sctx;
    so.ssl_handshake_timeout = 0;
    std::string err;
    try {
      co_await asyncio::start_server(&echo_lines, "127.0.0.1", 0, so);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "ssl_handshake_timeout should be a positive number, got 0.0");
    so.ssl_handshake_timeout = 1;
    so.ssl_shutdown_timeout = -1;
    err.clear();
    try {
      co_await asyncio::start_server(&echo_lines, "127.0.0.1", 0, so);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "ssl_shutdown_timeout should be a positive number, got -1.0");
  }());
}

// --- the shutdown timeout ----------------------------------------------------------------------

// A TLS server that completes the handshake and then ignores the close_notify (it never
// answers with its own, and keeps the socket open): a plain protocol over our TLS engine.
struct MuteTlsServer {
  std::shared_ptr<TlsEngine> engine;
  Transport transport;
  void connection_made(Transport t) { transport = t; }
  void data_received(std::string_view d) {
    engine->feed(d.data(), d.size());
    (void)engine->do_handshake();
    std::string out;
    if (engine->take_output(out)) transport.write(out);
  }
  bool eof_received() { return true; }
};

TEST(TlsTransport, ShutdownTimeoutAbortsTheConnection) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return MuteTlsServer{std::make_shared<TlsEngine>(sctx, true, ""), {}};
        },
        std::string("127.0.0.1"), 0);
    std::vector<std::string> clog;
    Future<void> clost = loop.create_future<void>();
    asyncio::ConnectionOptions co;
    co.ssl = &cctx;
    co.server_hostname = "localhost";
    co.ssl_shutdown_timeout = 0.2;
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        "127.0.0.1", port_of(server), co);
    const double t0 = loop.time();
    t_p.first.close();
    EXPECT_TRUE(t_p.first.is_closing());
    co_await clost;
    const double dt = loop.time() - t0;
    EXPECT_GE(dt, 0.15);
    EXPECT_LT(dt, 2.0);
    EXPECT_EQ(clog.back(), "lost:SSL shutdown timed out");
    server.close();
    server.abort_clients();
    co_await server.wait_closed();
  }());
}

// --- start_tls
// ------------------------------------------------------------------------------------

// A plain line protocol: "STARTTLS\n" is answered "OK\n" and upgrades (server side); after
// that each chunk is echoed.
struct StartTlsServer {
  const asyncio::SSLContext* ctx;
  std::vector<std::string>* log;
  Transport transport;
  bool tls = false;
  void connection_made(Transport t) {
    transport = t;
    log->push_back("made");
  }
  void data_received(std::string_view d) {
    if (!tls && d == "STARTTLS\n") {
      tls = true;
      transport.write("OK\n");
      asyncio::StartTlsOptions o;
      o.server_side = true;
      asyncio::get_running_loop().create_task([](Transport t, const asyncio::SSLContext* c,
                                                 asyncio::StartTlsOptions o,
                                                 std::vector<std::string>* log) -> Coro<void> {
        try {
          Transport nt = co_await asyncio::start_tls(asyncio::get_running_loop(), t, *c, o);
          log->push_back(
              nt.get_extra_info<asyncio::SSLObject>("ssl_object")->version().value_or("?"));
        } catch (const std::exception& e) {
          log->push_back(std::string("start_tls failed: ") + e.what());
        }
      }(transport, ctx, o, log));
      return;
    }
    transport.write(d);
  }
  void connection_lost(std::exception_ptr e) { log->push_back("lost:" + what(e)); }
};

TEST(StartTls, ProtocolsUpgradeAfterPlaintext) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::vector<std::string> slog, clog;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return StartTlsServer{&sctx, &slog, {}};
        },
        std::string("127.0.0.1"), 0);
    Future<void> clost = loop.create_future<void>();
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        "127.0.0.1", port_of(server));
    Transport plain = t_p.first;
    plain.write("STARTTLS\n");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2 && clog[1] == "data:OK\n"; }));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(plain.get_extra_info("ssl_object")));
    asyncio::StartTlsOptions o;
    o.server_hostname = "localhost";
    Transport tls = co_await asyncio::start_tls(loop, plain, cctx, o);
    auto obj = tls.get_extra_info<asyncio::SSLObject>("ssl_object");
    EXPECT_TRUE(obj && obj->version() == "TLSv1.3");
    clog.clear();
    tls.write("secret");
    EXPECT_TRUE(co_await until([&] { return !clog.empty() && clog.back() == "data:secret"; }));
    EXPECT_EQ(clog, std::vector<std::string>{"data:secret"});  // no second connection_made
    // Already TLS: not again.
    std::string err;
    try {
      co_await asyncio::start_tls(loop, tls, cctx, o);
    } catch (const std::invalid_argument& e) {
      err = e.what();
    }
    EXPECT_EQ(err.rfind("transport <_SelectorSocketTransport", 0), 0u) << err;
    EXPECT_NE(err.find("is not supported by start_tls()"), std::string::npos) << err;
    tls.close();
    co_await clost;
    EXPECT_EQ(clog.back(), "lost:None");
    EXPECT_TRUE(co_await until([&] { return slog.size() == 3; }));
    EXPECT_EQ(slog, (std::vector<std::string>{"made", "TLSv1.3", "lost:None"}));
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(StartTls, Errors) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto cctx = client_context();
    std::vector<std::string> slog, clog;
    // A plain server that only listens: the handshake never gets an answer.
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return Recorder{&slog, {}, false, {}};
        },
        std::string("127.0.0.1"), 0);
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, {}, false, {}};
        },
        "127.0.0.1", port_of(server));
    // (Named options, by reference: GCC 12 mishandles temporaries of a co_await
    // expression through which an exception propagates.)
    auto expect_error = [&](const asyncio::StartTlsOptions& o) -> Coro<std::string> {
      try {
        co_await asyncio::start_tls(loop, t_p.first, cctx, o);
      } catch (const std::exception& e) {
        co_return e.what();
      }
      co_return "no error";
    };
    const asyncio::StartTlsOptions none;
    std::string got = co_await expect_error(none);
    EXPECT_EQ(got, "check_hostname requires server_hostname");
    asyncio::StartTlsOptions o;
    o.server_hostname = "localhost";
    o.ssl_handshake_timeout = 0;
    got = co_await expect_error(o);
    EXPECT_EQ(got, "ssl_handshake_timeout should be a positive number, got 0.0");
    // The peer is not doing TLS: the handshake times out, the transport is closed and the
    // protocol told.
    o.ssl_handshake_timeout = 0.2;
    got = co_await expect_error(o);
    EXPECT_EQ(got, "SSL handshake is taking longer than 0.2 seconds: aborting the connection");
    EXPECT_TRUE(
        co_await until([&] { return !clog.empty() && clog.back().rfind("lost:", 0) == 0; }));
    EXPECT_TRUE(t_p.first.is_closing());
    // On a closing transport.
    Future<void> clost_end = loop.create_future<void>();
    auto t2 = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost_end, false, {}};
        },
        "127.0.0.1", port_of(server));
    t2.first.close();
    std::string err;
    try {
      Transport t3 = co_await asyncio::start_tls(loop, t2.first, cctx, o);
    } catch (const asyncio::ConnectionResetError& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "Connection lost");
    co_await clost_end;  // the protocol's log lives in this frame
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(StartTls, UntrustedCertificateClosesTheTransport) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    EventLoop& loop = asyncio::get_running_loop();
    auto sctx = server_context(certs().leaf());
    auto bad = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, certs().other_ca());
    std::vector<std::string> slog, clog;
    Server server = co_await asyncio::create_server(
        loop,
        [&] {
          return StartTlsServer{&sctx, &slog, {}};
        },
        std::string("127.0.0.1"), 0);
    Future<void> clost = loop.create_future<void>();
    auto t_p = co_await asyncio::create_connection(
        loop,
        [&] {
          return Recorder{&clog, clost, false, {}};
        },
        "127.0.0.1", port_of(server));
    t_p.first.write("STARTTLS\n");
    EXPECT_TRUE(co_await until([&] { return clog.size() == 2; }));
    asyncio::StartTlsOptions o;
    o.server_hostname = "localhost";
    std::string err;
    try {
      Transport t3 = co_await asyncio::start_tls(loop, t_p.first, bad, o);
    } catch (const asyncio::SSLCertVerificationError& e) {
      err = e.what();
    }
    EXPECT_EQ(err,
              "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local "
              "issuer certificate");
    co_await clost;
    EXPECT_TRUE(t_p.first.is_closing());
    EXPECT_EQ(clog.back(), "lost:" + err);
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(StartTls, StreamWriterBothRolesWithBufferedPlaintext) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto sctx = server_context(certs().leaf());
    auto cctx = client_context();
    std::string server_saw;
    Server server = co_await asyncio::start_server(
        [&](asyncio::StreamReader r, asyncio::StreamWriter w) -> Coro<void> {
          server_saw = co_await r.readline();
          w.write("A\nB\n");  // still plain; goes out before the handshake
          co_await w.start_tls(sctx);
          server_saw += w.get_extra_info<asyncio::SSLObject>("ssl_object")->version().value_or("?");
          std::string line = co_await r.readline();
          for (char& ch : line)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
          w.write(line);
          co_await w.drain();
          w.close();
          co_await w.wait_closed();
        },
        "127.0.0.1", 0);
    auto rw = co_await asyncio::open_connection("127.0.0.1", port_of(server));
    asyncio::StreamReader r = rw.first;
    asyncio::StreamWriter w = rw.second;
    w.write("STARTTLS\n");
    EXPECT_EQ(co_await r.readline(), "A\n");
    EXPECT_TRUE(co_await until([&] { return r.buffered() == 2; }));
    co_await w.start_tls(cctx, "localhost");
    EXPECT_EQ(co_await r.readline(), "B\n");  // read in clear before the upgrade
    w.write("hello\n");
    EXPECT_EQ(co_await r.readline(), "HELLO\n");
    EXPECT_EQ(co_await r.read(), "");
    EXPECT_EQ(server_saw, "STARTTLS\nTLSv1.3");
    EXPECT_TRUE(w.get_extra_info<asyncio::PeerCertificate>("peercert").has_value());
    w.close();
    co_await w.wait_closed();
    server.close();
    co_await server.wait_closed();
  }());
}

TEST(StartTls, StreamWriterOnAClosedWriter) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    auto cctx = client_context();
    Server server = co_await asyncio::start_server(&echo_lines, "127.0.0.1", 0);
    auto [r, w] = co_await asyncio::open_connection("127.0.0.1", port_of(server));
    w.close();
    co_await w.wait_closed();
    std::string err;
    try {
      co_await w.start_tls(cctx, "localhost");
    } catch (const asyncio::ConnectionResetError& e) {
      err = e.what();
    }
    EXPECT_EQ(err, "Connection lost");
    server.close();
    co_await server.wait_closed();
  }());
}

// --- peers
// ----------------------------------------------------------------------------------------

TEST(TlsInterop, OurClientAgainstOpensslSServer) {
  NEED_CERTS();
  run([]() -> Coro<void> {
    // A free port: bind, read it, close (s_server binds it right after).
    int port;
    {
      asyncio::Socket s(AF_INET, SOCK_STREAM);
      s.bind(asyncio::Address{"127.0.0.1", 0, AF_INET});
      port = s.getsockname().port;
    }
    const std::string cmd =
        "timeout 20 openssl s_server -quiet -naccept 1 -accept 127.0.0.1:" + std::to_string(port) +
        " -cert " + certs().leaf() + " -key " + certs().key() + " -rev >/dev/null 2>&1";
    auto srv = asyncio::get_running_loop().create_task(shell_output(cmd));
    auto cctx = client_context();
    asyncio::StreamOptions o;
    o.ssl = &cctx;
    o.server_hostname = "localhost";
    std::optional<std::pair<asyncio::StreamReader, asyncio::StreamWriter>> rw;
    for (int i = 0; i < 100 && !rw; ++i) {
      bool refused = false;
      try {
        rw = co_await asyncio::open_connection("127.0.0.1", port, o);
      } catch (const asyncio::ConnectionRefusedError&) {
        refused = true;
      }
      if (refused) co_await asyncio::sleep(0.05);
    }
    EXPECT_TRUE(rw.has_value());
    if (rw) {
      // -rev: each line comes back reversed.
      rw->second.write("hello\n");
      EXPECT_EQ(co_await rw->first.readline(), "olleh\n");
      EXPECT_EQ(rw->second.get_extra_info<asyncio::SSLObject>("ssl_object")->version(), "TLSv1.3");
      rw->second.close();
      co_await rw->second.wait_closed();
    }
    co_await srv;
  }());
}

}  // namespace
