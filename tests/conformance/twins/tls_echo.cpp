// Twin of tls_echo.py: TLS on 127.0.0.1 over streams — start_server / open_connection with
// ssl=, a TLS transport's extra info, verification failures, close_notify as EOF, and a
// STARTTLS upgrade with StreamWriter::start_tls, on real sockets (no virtual clock).
#include <stdlib.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "asyncio/asyncio.hpp"
#include "asyncio/ssl.hpp"
#include "twin.hpp"

using asyncio::Coro;
using asyncio::StreamReader;
using asyncio::StreamWriter;
using twin::py_repr;
using twin::say;

namespace {

// Python's repr(bytes) for printable ASCII plus \n.
std::string b(const std::string& s) {
  std::string out = "b'";
  for (char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\'' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out + "'";
}

// Python's repr of a tuple of already-repr'd items (a 1-tuple has its trailing comma).
std::string tuple(const std::vector<std::string>& items) {
  std::string out = "(";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
  return out + (items.size() == 1 ? ",)" : ")");
}

std::string pair_repr(const std::pair<std::string, std::string>& p) {
  return tuple({py_repr(p.first), py_repr(p.second)});
}

// CPython's getpeercert()['subject'] layout: a tuple of RDNs, each a tuple of pairs.
std::string name_repr(const asyncio::PeerCertificate::Name& name) {
  std::vector<std::string> rdns;
  for (const auto& rdn : name) {
    std::vector<std::string> attrs;
    for (const auto& a : rdn) attrs.push_back(pair_repr(a));
    rdns.push_back(tuple(attrs));
  }
  return tuple(rdns);
}

std::string opt(const std::optional<std::string>& s) { return s ? *s : "None"; }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void make_certs(const std::string& d) {
  std::ofstream(d + "/ext.cnf") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                   "authorityKeyIdentifier=keyid,issuer\n"
                                   "basicConstraints=critical,CA:FALSE\n";
  const std::string ca_ext =
      "-addext 'basicConstraints=critical,CA:TRUE' "
      "-addext 'keyUsage=critical,keyCertSign,cRLSign'";
  const std::string cmds[] = {
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/ca.key -out " + d +
          "/ca.pem -days 2 -subj '/CN=twin CA' " + ca_ext,
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + d + "/other.key -out " + d +
          "/other.pem -days 2 -subj '/CN=other CA' " + ca_ext,
      "openssl req -newkey rsa:2048 -nodes -keyout " + d + "/leaf.key -out " + d +
          "/leaf.csr -subj '/O=asyncio twins/CN=localhost'",
      "openssl x509 -req -in " + d + "/leaf.csr -CA " + d + "/ca.pem -CAkey " + d +
          "/ca.key -CAcreateserial -out " + d + "/leaf.pem -days 2 -extfile " + d + "/ext.cnf",
  };
  for (const auto& c : cmds)
    if (std::system((c + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error(c);
}

asyncio::Event* server_eof = nullptr;  // set when the handler has read EOF

Coro<void> handler(StreamReader reader, StreamWriter writer) {
  bool first = true;
  for (;;) {
    std::string line = co_await reader.readline();
    if (line.empty()) break;
    if (first) {
      auto obj = writer.get_extra_info<asyncio::SSLObject>("ssl_object");
      bool no_cert =
          std::holds_alternative<std::monostate>(writer.transport().get_extra_info("peercert"));
      say("server: ", opt(obj->version()), ", server_side=", obj->server_side(),
          ", peercert=", no_cert ? "None" : "?");
      first = false;
    }
    say("server: got ", b(line));
    writer.write(upper(line));
    co_await writer.drain();
  }
  say("server: eof");
  server_eof->set();
  writer.close();
  co_await writer.wait_closed();
}

struct StartTlsServer {
  const asyncio::SSLContext* sctx;
  Coro<void> operator()(StreamReader reader, StreamWriter writer) {
    std::string line = co_await reader.readline();
    say("starttls server: got ", b(line), " in clear");
    writer.write("OK\n");
    co_await writer.start_tls(*sctx);
    line = co_await reader.readline();
    auto version = writer.get_extra_info<asyncio::SSLObject>("ssl_object")->version();
    say("starttls server: got ", b(line), " over ", opt(version));
    writer.write("secret received\n");
    co_await writer.drain();
    writer.close();
    co_await writer.wait_closed();
  }
};

Coro<void> amain(std::string d) {
  asyncio::Event eof_event;
  server_eof = &eof_event;
  auto sctx = asyncio::create_default_context(asyncio::Purpose::CLIENT_AUTH);
  sctx.load_cert_chain(d + "/leaf.pem", d + "/leaf.key");
  auto cctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, d + "/ca.pem");
  auto other = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, d + "/other.pem");

  asyncio::ServerOptions so;
  so.ssl = &sctx;
  asyncio::Server server = co_await asyncio::start_server(handler, "127.0.0.1", 0, so);
  int port = server.sockets()[0].getsockname().port;
  asyncio::StreamOptions o;
  o.ssl = &cctx;
  o.server_hostname = "localhost";
  auto rw = co_await asyncio::open_connection("127.0.0.1", port, o);
  StreamReader reader = rw.first;
  StreamWriter writer = rw.second;
  auto cert = *writer.get_extra_info<asyncio::PeerCertificate>("peercert");
  say("client: subject ", name_repr(cert.subject));
  say("client: issuer ", name_repr(cert.issuer));
  std::vector<std::string> sans;
  for (const auto& s : cert.subjectAltName) sans.push_back(pair_repr(s));
  say("client: version ", cert.version, ", subjectAltName ", tuple(sans));
  auto [name, proto, bits] = *writer.get_extra_info<asyncio::CipherInfo>("cipher");
  say("client: cipher ", name, " ", proto, " ", bits);
  auto obj = *writer.get_extra_info<asyncio::SSLObject>("ssl_object");
  bool no_compression =
      std::holds_alternative<std::monostate>(writer.transport().get_extra_info("compression"));
  say("client: ", opt(obj.version()), ", server_side=", obj.server_side(),
      ", server_hostname=", opt(obj.server_hostname()),
      ", alpn=", opt(obj.selected_alpn_protocol()),
      ", compression=", no_compression ? "None" : "?");
  auto ctx = writer.get_extra_info<std::shared_ptr<const asyncio::SSLContext>>("sslcontext");
  say("client: sslcontext is ours: ", ctx && (*ctx)->native_handle() == cctx.native_handle());
  for (std::string line : {"hello\n", "world\n"}) {
    writer.write(line);
    co_await writer.drain();
    say("client: echo ", b(co_await reader.readline()));
  }
  writer.close();
  co_await writer.wait_closed();
  say("client: closed");
  co_await eof_event.wait();
  eof_event.clear();

  // A client that goes without close_notify: an EOF for the server, not an error.
  auto rw_abort = co_await asyncio::open_connection("127.0.0.1", port, o);
  rw_abort.second.write("abort next\n");
  say("client: echo ", b(co_await rw_abort.first.readline()));
  rw_abort.second.abort();
  co_await eof_event.wait();
  say("client: aborted");

  struct Case {
    const char* label;
    const asyncio::SSLContext* ctx;
    const char* host;
  };
  for (Case c :
       {Case{"wrong name", &cctx, "example.com"}, Case{"untrusted", &other, "localhost"}}) {
    asyncio::StreamOptions bo;
    bo.ssl = c.ctx;
    bo.server_hostname = c.host;
    std::string line;
    try {
      co_await asyncio::open_connection("127.0.0.1", port, bo);
    } catch (const asyncio::SSLCertVerificationError& e) {
      line = twin::str("client: ", c.label, ": SSLCertVerificationError ", e.reason(), ": ",
                       e.verify_message());
    }
    say(line);
  }
  server.close();
  co_await server.wait_closed();

  server = co_await asyncio::start_server(StartTlsServer{&sctx}, "127.0.0.1", 0);
  port = server.sockets()[0].getsockname().port;
  auto rw2 = co_await asyncio::open_connection("127.0.0.1", port);
  reader = rw2.first;
  writer = rw2.second;
  bool none =
      std::holds_alternative<std::monostate>(writer.transport().get_extra_info("ssl_object"));
  say("client: plain ssl_object ", none ? "None" : "?");
  writer.write("STARTTLS\n");
  say("client: reply ", b(co_await reader.readline()));
  co_await writer.start_tls(cctx, std::string("localhost"));
  say("client: upgraded to ",
      opt(writer.get_extra_info<asyncio::SSLObject>("ssl_object")->version()));
  writer.write("the secret\n");
  say("client: reply ", b(co_await reader.readline()));
  say("client: then ", b(co_await reader.read()));
  writer.close();
  co_await writer.wait_closed();
  server.close();
  co_await server.wait_closed();
  say("done");
}
}  // namespace

int main() {
  char tmpl[] = "/tmp/twin_tls_XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string d = tmpl;
  int rc = 0;
  try {
    make_certs(d);
    asyncio::run(amain(d));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    rc = 1;
  }
  std::error_code ec;
  std::filesystem::remove_all(d, ec);
  return rc;
}
