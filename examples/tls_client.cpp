// A TLS line client: connects to HOST:PORT, verifying the server's certificate against
// CAFILE and its name against HOST, sends each LINE and prints what comes back.
// Port of examples/python/tls_client.py:
//
//   async def main(host, port, cafile, lines):
//       ctx = ssl.create_default_context(cafile=cafile)
//       reader, writer = await asyncio.open_connection(host, port, ssl=ctx)
//       for line in lines:
//           writer.write(line.encode() + b"\n")
//           await writer.drain()
//           print((await reader.readline()).decode().rstrip("\n"))
//       writer.close()
//       await writer.wait_closed()
//
// Usage: tls_client HOST PORT CAFILE LINE...   (HOST: a name the certificate has, e.g.
// localhost)

#include <asyncio/asyncio.hpp>
#include <asyncio/ssl.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

asyncio::Coro<void> amain(std::string host, int port, std::string cafile,
                          std::vector<std::string> lines) {
  asyncio::SSLContext ctx = asyncio::create_default_context(asyncio::Purpose::SERVER_AUTH, cafile);
  asyncio::StreamOptions opts;
  opts.ssl = &ctx;  // server_hostname: host
  auto [reader, writer] = co_await asyncio::open_connection(host, port, opts);
  for (const std::string& line : lines) {
    writer.write(line + "\n");
    co_await writer.drain();
    std::string echo = co_await reader.readline();
    if (!echo.empty() && echo.back() == '\n') echo.pop_back();
    std::printf("%s\n", echo.c_str());
    std::fflush(stdout);
  }
  writer.close();
  co_await writer.wait_closed();
}

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: tls_client HOST PORT CAFILE LINE...\n");
    return 2;
  }
  std::vector<std::string> lines(argv + 4, argv + argc);
  return asyncio::run_main(amain(argv[1], std::atoi(argv[2]), argv[3], std::move(lines)));
}
