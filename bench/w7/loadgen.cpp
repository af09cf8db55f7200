// W7 load generator: N clients on loopback, each sending a SIZE-byte message and waiting
// for its echo before sending the next (one request in flight per client), until TOTAL
// echoes or SECONDS have passed. One thread, epoll, plain POSIX: no part of the library.
// Prints one JSON line: requests, seconds, req_per_s, p50_us, p99_us, errors.
//
//   bench_w7_loadgen PORT [CLIENTS=100] [TOTAL=200000] [SIZE=64] [SECONDS=10] [HOST=127.0.0.1]
//
// Built with W7_TLS (bench_w7_loadgen_tls, OpenSSL 3): every client is a TLS 1.3 client
// (no certificate verification: the handshakes are done before the clock starts, so only
// the per-message cost of the encryption is measured), one SSL_write per message and
// SSL_read per readiness event.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef W7_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

namespace {
double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Client {
  int fd = -1;
#ifdef W7_TLS
  SSL* ssl = nullptr;
#endif
  std::size_t got = 0;  // bytes of the current echo received
  double sent_at = 0;
  bool busy = false;
};
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PORT [CLIENTS] [TOTAL] [SIZE] [SECONDS] [HOST]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int nclients = argc > 2 ? std::atoi(argv[2]) : 100;
  const long total = argc > 3 ? std::atol(argv[3]) : 200000;
  const std::size_t size = argc > 4 ? std::strtoul(argv[4], nullptr, 10) : 64;
  const double seconds = argc > 5 ? std::atof(argv[5]) : 10.0;
  const char* host = argc > 6 ? argv[6] : "127.0.0.1";
  const long warmup = std::min<long>(total / 20, 2000);  // not timed

  std::string msg(size, 'x');
  msg.back() = '\n';
  std::vector<char> buf(1 << 16);

  int ep = epoll_create1(0);
  std::vector<Client> clients(nclients);
#ifdef W7_TLS
  SSL_CTX* tls_ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(tls_ctx, TLS1_3_VERSION);
  SSL_CTX_set_verify(tls_ctx, SSL_VERIFY_NONE, nullptr);
#endif
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<std::uint16_t>(port));
  inet_pton(AF_INET, host, &sa.sin_addr);
  for (int i = 0; i < nclients; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      std::perror("connect");
      return 1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef W7_TLS
    clients[i].ssl = SSL_new(tls_ctx);
    SSL_set_fd(clients[i].ssl, fd);
    SSL_set_tlsext_host_name(clients[i].ssl, "localhost");
    if (SSL_connect(clients[i].ssl) != 1) {  // blocking: before the clock starts
      ERR_print_errors_fp(stderr);
      return 1;
    }
#endif
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    clients[i].fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<std::uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }

  std::vector<std::uint32_t> lat_ns;
  lat_ns.reserve(static_cast<std::size_t>(total));
  long started = 0, done = 0, errors = 0;
  auto send_one = [&](Client& c) {
    c.sent_at = now();
    c.got = 0;
    c.busy = true;
    ++started;
    std::size_t off = 0;
#ifdef W7_TLS
    while (off < size) {
      std::size_t w = 0;
      if (SSL_write_ex(c.ssl, msg.data() + off, size - off, &w) == 1) {
        off += w;
      } else if (SSL_get_error(c.ssl, 0) != SSL_ERROR_WANT_WRITE &&
                 SSL_get_error(c.ssl, 0) != SSL_ERROR_WANT_READ) {
        ++errors;
        c.busy = false;
        return;
      }
    }
    return;
#endif
    while (off < size) {
      ssize_t n = send(c.fd, msg.data() + off, size - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        ++errors;
        c.busy = false;
        return;
      }
    }
  };
  const double t_begin = now();
  double t0 = t_begin;
  for (auto& c : clients)
    if (started < total + warmup) send_one(c);
  epoll_event events[256];
  bool timed_out = false;
  while (done < total + warmup) {
    int n = epoll_wait(ep, events, 256, 1000);
    if (now() - t_begin > seconds + 5) {
      timed_out = true;
      break;
    }
    for (int i = 0; i < n; ++i) {
      Client& c = clients[events[i].data.u32];
      // One recv per readiness event: epoll is level-triggered, so anything left is
      // reported again (no extra recv returning EAGAIN per echo).
      for (;;) {
#ifdef W7_TLS
        std::size_t got = 0;
        ssize_t r;
        if (SSL_read_ex(c.ssl, buf.data(), buf.size(), &got) == 1) {
          r = static_cast<ssize_t>(got);
        } else {
          const int e = SSL_get_error(c.ssl, 0);
          if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;  // tickets ...
          r = 0;
        }
#else
        ssize_t r = recv(c.fd, buf.data(), buf.size(), 0);
#endif
        if (r > 0) {
          c.got += static_cast<std::size_t>(r);
          if (c.got >= size && c.busy) {
            double t = now();
            c.busy = false;
            ++done;
            if (done == warmup) t0 = t;
            if (done > warmup)
              lat_ns.push_back(static_cast<std::uint32_t>(std::min(4e9, (t - c.sent_at) * 1e9)));
            if (started < total + warmup && t - t0 < seconds) send_one(c);
          }
        } else if (r == 0) {
          ++errors;
          epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
        }
#ifdef W7_TLS
        if (r > 0 && SSL_pending(c.ssl) > 0) continue;  // decrypted bytes epoll cannot see
#endif
        break;
      }
    }
    if (now() - t0 >= seconds && done > warmup) {
      bool any = false;
      for (auto& c : clients) any = any || c.busy;
      if (!any) break;
    }
  }
  const double elapsed = now() - t0;
  for (auto& c : clients) close(c.fd);
  std::sort(lat_ns.begin(), lat_ns.end());
  auto pct = [&](double p) {
    if (lat_ns.empty()) return 0.0;
    std::size_t k = std::min(lat_ns.size() - 1, static_cast<std::size_t>(p * lat_ns.size()));
    return lat_ns[k] / 1e3;
  };
  const long measured = static_cast<long>(lat_ns.size());
  std::printf(
      "{\"requests\": %ld, \"seconds\": %.4f, \"req_per_s\": %.1f, \"p50_us\": %.1f, "
      "\"p99_us\": %.1f, \"errors\": %ld, \"timed_out\": %s}\n",
      measured, elapsed, measured / elapsed, pct(0.50), pct(0.99), errors,
      timed_out ? "true" : "false");
  return errors || timed_out ? 1 : 0;
}
