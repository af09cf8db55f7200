// A TCP echo client: sends each argument as a line and prints what comes back.
// Port of examples/python/echo_client.py:
//
//   async def main(port, messages):
//       reader, writer = await asyncio.open_connection("127.0.0.1", port)
//       for m in messages:
//           writer.write(m.encode() + b"\n")
//           await writer.drain()
//           print("echo:", (await reader.readline()).decode().rstrip())
//       writer.close()
//       await writer.wait_closed()
//
// Usage: echo_client [PORT=8888] [MESSAGE...]

#include <asyncio/asyncio.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

asyncio::Coro<void> amain(int port, std::vector<std::string> messages) {
  try {
    auto [reader, writer] = co_await asyncio::open_connection("127.0.0.1", port);
    for (const std::string& m : messages) {
      writer.write(m + "\n");
      co_await writer.drain();
      std::string line = co_await reader.readline();
      if (!line.empty()) line.pop_back();
      std::printf("echo: %s\n", line.c_str());
    }
    writer.close();
    co_await writer.wait_closed();
  } catch (const asyncio::ConnectionRefusedError& e) {
    std::printf("%s (is echo_server running?)\n", e.what());
  }
}

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 8888;
  std::vector<std::string> messages(argv + std::min(argc, 2), argv + argc);
  if (messages.empty()) messages = {"hello", "world"};
  return asyncio::run_main(amain(port, std::move(messages)));
}
