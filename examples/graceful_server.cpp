// A line echo server on 127.0.0.1 that shuts down gracefully on SIGTERM: it stops
// accepting at once, lets each open connection answer the lines it has already been sent
// (each answer takes 0.5 s), waits for that at most GRACE_SECONDS, closes what is left,
// then exits 0. Port of examples/python/graceful_server.py: loop.add_signal_handler,
// Server.close, wait_for(server.wait_closed(), grace), Server.close_clients.
//
// Usage: graceful_server PORT GRACE_SECONDS   (PORT 0: any free port)
//   e.g. graceful_server 8888 2 & (printf 'a\nb\n'; sleep 3) | nc 127.0.0.1 8888 & kill -TERM %1

#include <asyncio/asyncio.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {
bool stopping = false;
std::vector<asyncio::StreamWriter> idle;  // connections waiting for their next line

void set_idle(const asyncio::StreamWriter& w, bool on) {
  for (auto it = idle.begin(); it != idle.end(); ++it) {
    if (it->transport() == w.transport()) {
      if (!on) idle.erase(it);
      return;
    }
  }
  if (on) idle.push_back(w);
}

void say(const std::string& s) {
  std::printf("%s\n", s.c_str());
  std::fflush(stdout);
}

asyncio::Coro<void> handle(asyncio::StreamReader reader, asyncio::StreamWriter writer) {
  try {
    while (!(stopping && reader.buffered() == 0)) {  // done with what it was sent
      set_idle(writer, true);
      std::string line = co_await reader.readline();
      set_idle(writer, false);
      if (line.empty()) break;
      co_await asyncio::sleep(0.5);
      writer.write(line);
      co_await writer.drain();
    }
  } catch (const asyncio::ConnectionError&) {
  }
  set_idle(writer, false);
  writer.close();
}

asyncio::Coro<int> amain(int port, double grace) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::Future<void> stop = loop.create_future();
  loop.add_signal_handler(SIGTERM, [stop] {
    if (!stop.done()) stop.set_result();
  });
  asyncio::Server server = co_await asyncio::start_server(handle, "127.0.0.1", port);
  say("serving on 127.0.0.1:" + std::to_string(server.sockets()[0].getsockname().port));
  co_await stop;
  stopping = true;
  server.close();  // stop accepting at once
  std::vector<asyncio::StreamWriter> idle_now = idle;
  for (auto& w : idle_now) w.close();  // idle connections have nothing left to answer
  say("SIGTERM: not accepting any more; finishing open connections");
  bool timed_out = false;
  try {
    co_await asyncio::wait_for(server.wait_closed(), grace);
    say("all connections finished");
  } catch (const asyncio::TimeoutError&) {
    say("grace period over: closing the rest");
    timed_out = true;
  }
  if (timed_out) {  // not inside the catch block: C++ cannot co_await there
    server.close_clients();
    co_await server.wait_closed();
  }
  say("bye");
  co_return 0;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PORT GRACE_SECONDS\n", argv[0]);
    return 2;
  }
  return asyncio::run_main(amain(std::atoi(argv[1]), std::atof(argv[2])));
}
