#pragma once
// The HTTP/1.1 server of examples/http_server.cpp, written on the protocol layer as a user
// of the library would write it: one `HttpProtocol` per connection (asyncio/protocols.hpp:
// a plain class, its callbacks found at compile time), an incremental parser over what
// data_received delivers, and the answers written in order (pipelining needs nothing
// more: every handler is synchronous).
//
// What it implements (RFC 9112), and what each violation gets:
//   * request line `METHOD SP target SP HTTP/1.x CRLF` (bare LF accepted; empty lines
//     before it ignored); anything else: 400; another version: 505;
//   * header fields `name: value` (a token name, no space before the colon, no
//     obs-fold): else 400; the header section over `Limits::max_header_bytes` or more
//     than `Limits::max_headers` fields: 431;
//   * the body: `Content-Length` (digits only; several must agree) or
//     `Transfer-Encoding: chunked` (chunk extensions ignored, trailers read and dropped);
//     both, or a bad length: 400; another transfer coding: 501; over
//     `Limits::max_body_bytes`: 413;
//   * HTTP/1.1 without Host: 400;
//   * keep-alive: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
//     `Connection: keep-alive`; an error answer closes the connection;
//   * routes: `GET /plaintext` ("Hello, World!", text/plain), `GET /json`
//     ({"message":"Hello, World!"}, application/json), `POST /echo` (the body back,
//     application/octet-stream), HEAD of the two GET routes; another method on them:
//     405 with Allow; any other target: 404;
//   * timeouts: a request's header section must arrive within
//     `Limits::header_timeout` of its first byte, however slowly it trickles in
//     (slowloris), else 408 and close; a body must make progress every
//     `Limits::idle_timeout`; an idle keep-alive connection is closed after
//     `Limits::idle_timeout`.
// Writes are flow-controlled: while the transport is over its high-water mark
// (pause_writing) the protocol stops reading, so a client that pipelines without reading
// cannot make the server buffer without bound.

#include <asyncio/asyncio.hpp>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <string>
#include <string_view>

namespace http_example {

/// The server's limits (the defaults are those of common servers: nginx's 8 KiB
/// header buffer, 1 MiB body).
struct Limits {
  std::size_t max_header_bytes = 8192;   ///< request line + header fields
  std::size_t max_headers = 100;         ///< header fields per request
  std::size_t max_body_bytes = 1 << 20;  ///< a request body
  double header_timeout = 10.0;          ///< seconds from a request's first byte
  double idle_timeout = 5.0;             ///< seconds of silence (keep-alive, body)
};

/// The Date header's value, formatted once per second (RFC 9110 IMF-fixdate).
inline const std::string& http_date() {
  thread_local std::time_t last = 0;
  thread_local std::string value;
  const std::time_t now = std::time(nullptr);
  if (now != last) {
    last = now;
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    value = buf;
  }
  return value;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

/// RFC 9110 tchar.
inline bool is_tchar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

/// One connection. Invariants: `buf_` holds the bytes received and not yet parsed;
/// `state_` says what they start with; at most one timer (`timer_`) is armed, for the
/// deadline of the current state.
class HttpProtocol {
 public:
  explicit HttpProtocol(const Limits* limits) : lim_(limits) {}

  void connection_made(asyncio::Transport t) {
    transport_ = std::move(t);
    arm(lim_->idle_timeout);
  }

  void data_received(std::string_view data) {
    if (state_ == State::closing) return;
    buf_.append(data);
    parse();
    flush();
  }

  bool eof_received() {
    // A half-closed client still gets the answers already parsed (flushed by close()).
    finish();
    return false;
  }

  void connection_lost(std::exception_ptr) {
    timer_.cancel();
    state_ = State::closing;
  }

  void pause_writing() { transport_.pause_reading(); }
  void resume_writing() {
    if (state_ != State::closing) transport_.resume_reading();
  }

 private:
  enum class State {
    idle,
    head,
    body_length,
    chunk_size,
    chunk_data,
    chunk_crlf,
    trailers,
    closing
  };

  struct Request {
    std::string method, target;
    int minor = 1;  // HTTP/1.<minor>
    bool keep_alive = true;
    bool has_host = false;
    bool chunked = false;
    bool has_length = false;
    std::uint64_t length = 0;
    std::string body;
  };

  // --- parsing ----------------------------------------------------------------------------

  void parse() {
    std::size_t pos = 0;
    while (state_ != State::closing) {
      if (state_ == State::idle || state_ == State::head) {
        // Empty lines before a request line are ignored (RFC 9112 2.2).
        if (state_ == State::idle) {
          while (pos < buf_.size() && (buf_[pos] == '\r' || buf_[pos] == '\n')) ++pos;
          if (pos == buf_.size()) break;
          state_ = State::head;
          arm(lim_->header_timeout);
        }
        const std::size_t end = find_head_end(pos);
        if (end == std::string::npos) {
          if (buf_.size() - pos > lim_->max_header_bytes)
            return error(431, "Request Header Fields Too Large");
          break;
        }
        if (end - pos > lim_->max_header_bytes)
          return error(431, "Request Header Fields Too Large");
        if (!parse_head(std::string_view(buf_).substr(pos, end - pos))) return;
        pos = end;
        if (req_.chunked) {
          state_ = State::chunk_size;
        } else if (req_.length > 0) {
          state_ = State::body_length;
        } else {
          respond();
          continue;
        }
        arm(lim_->idle_timeout);
      } else if (state_ == State::body_length) {
        const std::size_t take =
            std::min<std::uint64_t>(req_.length - req_.body.size(), buf_.size() - pos);
        req_.body.append(buf_, pos, take);
        pos += take;
        if (req_.body.size() < req_.length) break;
        respond();
      } else if (state_ == State::chunk_size) {
        const std::size_t eol = buf_.find('\n', pos);
        if (eol == std::string::npos) {
          if (buf_.size() - pos > 1024) return error(400, "Bad Request");
          break;
        }
        std::string_view line = std::string_view(buf_).substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (const auto semi = line.find(';'); semi != std::string_view::npos)
          line = line.substr(0, semi);
        line = trim_ows(line);
        std::uint64_t n = 0;
        if (line.empty() || line.size() > 15) return error(400, "Bad Request");
        for (char c : line) {
          const int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                        : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
                        : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                                    : -1;
          if (d < 0) return error(400, "Bad Request");
          n = n * 16 + static_cast<std::uint64_t>(d);
        }
        pos = eol + 1;
        if (n == 0) {
          state_ = State::trailers;
        } else {
          if (req_.body.size() + n > lim_->max_body_bytes) return error(413, "Content Too Large");
          chunk_left_ = n;
          state_ = State::chunk_data;
        }
      } else if (state_ == State::chunk_data) {
        const std::size_t take = std::min<std::uint64_t>(chunk_left_, buf_.size() - pos);
        req_.body.append(buf_, pos, take);
        pos += take;
        chunk_left_ -= take;
        if (chunk_left_ > 0) break;
        state_ = State::chunk_crlf;
      } else if (state_ == State::chunk_crlf) {
        if (buf_.size() - pos < 1) break;
        if (buf_[pos] == '\n') {
          pos += 1;
        } else if (buf_[pos] == '\r') {
          if (buf_.size() - pos < 2) break;
          if (buf_[pos + 1] != '\n') return error(400, "Bad Request");
          pos += 2;
        } else {
          return error(400, "Bad Request");
        }
        state_ = State::chunk_size;
      } else if (state_ == State::trailers) {
        const std::size_t eol = buf_.find('\n', pos);
        if (eol == std::string::npos) {
          if (buf_.size() - pos > lim_->max_header_bytes)
            return error(431, "Request Header Fields Too Large");
          break;
        }
        const bool empty = eol == pos || (eol == pos + 1 && buf_[pos] == '\r');
        pos = eol + 1;
        if (empty) respond();  // trailer fields are read and dropped
      }
    }
    if (state_ == State::closing) {
      buf_.clear();
    } else {
      buf_.erase(0, pos);
    }
  }

  /// The end (one past the blank line) of the header section starting at `pos`, or npos.
  std::size_t find_head_end(std::size_t pos) const {
    for (std::size_t i = buf_.find('\n', pos); i != std::string::npos; i = buf_.find('\n', i + 1)) {
      if (i + 1 < buf_.size() && buf_[i + 1] == '\n') return i + 2;
      if (i + 2 < buf_.size() && buf_[i + 1] == '\r' && buf_[i + 2] == '\n') return i + 3;
    }
    return std::string::npos;
  }

  /// Parses the request line and the header fields; false after an error answer.
  bool parse_head(std::string_view head) {
    req_ = Request{};
    auto next_line = [&head]() {
      const std::size_t eol = head.find('\n');
      std::string_view line = head.substr(0, eol);
      head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return line;
    };
    std::string_view line = next_line();
    const std::size_t sp1 = line.find(' ');
    const std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 ||
        line.find(' ', sp2 + 1) != std::string_view::npos)
      return error(400, "Bad Request"), false;
    const std::string_view method = line.substr(0, sp1);
    const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const std::string_view version = line.substr(sp2 + 1);
    for (char c : method)
      if (!is_tchar(c)) return error(400, "Bad Request"), false;
    for (char c : target)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
        return error(400, "Bad Request"), false;
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
        !std::isdigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
        !std::isdigit(static_cast<unsigned char>(version[7])))
      return error(400, "Bad Request"), false;
    if (version[5] != '1') return error(505, "HTTP Version Not Supported"), false;
    req_.method = method;
    req_.target = target;
    req_.minor = version[7] - '0';
    req_.keep_alive = req_.minor >= 1;
    std::size_t fields = 0;
    bool has_te = false;
    while (!head.empty()) {
      line = next_line();
      if (line.empty()) break;  // the blank line ending the section
      if (++fields > lim_->max_headers) return error(431, "Request Header Fields Too Large"), false;
      if (line.front() == ' ' || line.front() == '\t')
        return error(400, "Bad Request"), false;  // obs-fold
      const std::size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos) return error(400, "Bad Request"), false;
      const std::string_view name = line.substr(0, colon);
      for (char c : name)
        if (!is_tchar(c)) return error(400, "Bad Request"), false;  // includes a space before ':'
      const std::string_view value = trim_ows(line.substr(colon + 1));
      for (char c : value)
        if (c == '\0' || c == '\r' || c == '\n') return error(400, "Bad Request"), false;
      if (iequals(name, "host")) {
        if (req_.has_host) return error(400, "Bad Request"), false;
        req_.has_host = true;
      } else if (iequals(name, "content-length")) {
        std::uint64_t n = 0;
        if (value.empty() || value.size() > 18) return error(400, "Bad Request"), false;
        for (char c : value) {
          if (!std::isdigit(static_cast<unsigned char>(c))) return error(400, "Bad Request"), false;
          n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        if (req_.has_length && n != req_.length) return error(400, "Bad Request"), false;
        req_.has_length = true;
        req_.length = n;
      } else if (iequals(name, "transfer-encoding")) {
        has_te = true;
        if (!iequals(value, "chunked")) return error(501, "Not Implemented"), false;
        if (req_.chunked) return error(400, "Bad Request"), false;
        req_.chunked = true;
      } else if (iequals(name, "connection")) {
        // A list of options; "close" and "keep-alive" are the ones that matter here.
        std::string_view rest = value;
        while (!rest.empty()) {
          const std::size_t comma = rest.find(',');
          const std::string_view opt = trim_ows(rest.substr(0, comma));
          if (iequals(opt, "close")) req_.keep_alive = false;
          if (iequals(opt, "keep-alive") && req_.minor == 0) req_.keep_alive = true;
          rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma + 1);
        }
      }
    }
    if (has_te && req_.has_length) return error(400, "Bad Request"), false;  // RFC 9112 6.1
    if (req_.minor >= 1 && !req_.has_host) return error(400, "Bad Request"), false;
    if (req_.has_length && req_.length > lim_->max_body_bytes)
      return error(413, "Content Too Large"), false;
    return true;
  }

  // --- answers ----------------------------------------------------------------------------

  /// The complete request in `req_` gets its answer; the connection goes back to idle.
  void respond() {
    const bool head = req_.method == "HEAD";
    if (req_.target == "/plaintext" || req_.target == "/json") {
      if (req_.method != "GET" && !head) {
        answer(405, "Method Not Allowed", "text/plain", "Method Not Allowed\n", false,
               "Allow: GET, HEAD\r\n");
      } else if (req_.target == "/plaintext") {
        answer(200, "OK", "text/plain", "Hello, World!", head);
      } else {
        answer(200, "OK", "application/json", R"({"message":"Hello, World!"})", head);
      }
    } else if (req_.target == "/echo") {
      if (req_.method != "POST")
        answer(405, "Method Not Allowed", "text/plain", "Method Not Allowed\n", false,
               "Allow: POST\r\n");
      else
        answer(200, "OK", "application/octet-stream", req_.body, false);
    } else {
      answer(404, "Not Found", "text/plain", "Not Found\n", head);
    }
    if (req_.keep_alive) {
      state_ = State::idle;
      arm(lim_->idle_timeout);
    } else {
      finish();
    }
  }

  void answer(int status, std::string_view reason, std::string_view type, std::string_view body,
              bool head_only, std::string_view extra = {}) {
    char num[24];
    out_ += "HTTP/1.1 ";
    out_.append(num,
                static_cast<std::size_t>(std::to_chars(num, num + sizeof num, status).ptr - num));
    out_ += ' ';
    out_ += reason;
    out_ += "\r\nServer: asyncio-cpp\r\nDate: ";
    out_ += http_date();
    out_ += "\r\nContent-Type: ";
    out_ += type;
    out_ += "\r\nContent-Length: ";
    out_.append(
        num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, body.size()).ptr - num));
    out_ += "\r\n";
    out_ += extra;
    if (!req_.keep_alive) out_ += "Connection: close\r\n";
    out_ += "\r\n";
    if (!head_only) out_ += body;
  }

  /// An error answer, then the connection closes (what follows cannot be trusted).
  void error(int status, std::string_view reason) {
    req_.keep_alive = false;
    std::string body(reason);
    body += '\n';
    answer(status, reason, "text/plain", body, false);
    finish();
  }

  void flush() {
    if (!out_.empty()) {
      transport_.write(out_);
      out_.clear();
    }
  }

  /// Sends what is pending and closes (close() flushes the buffer first).
  void finish() {
    if (state_ == State::closing) return;
    flush();
    state_ = State::closing;
    timer_.cancel();
    transport_.close();
  }

  /// Sets the deadline of the current state. One timer per connection, re-armed lazily:
  /// when it fires before the deadline (which moved later) it is scheduled again for the
  /// deadline, so a request costs no timer allocation; only a deadline earlier than the
  /// armed timer replaces it.
  void arm(double seconds) {
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    deadline_ = loop.time() + seconds;
    if (timer_.valid() && !timer_.cancelled() && timer_.when() <= deadline_) return;
    timer_.cancel();
    timer_ = loop.call_at(deadline_, [this] { on_timer(); });
  }

  void on_timer() {
    if (state_ == State::closing) return;
    asyncio::EventLoop& loop = asyncio::get_running_loop();
    if (loop.time() < deadline_) {
      timer_ = loop.call_at(deadline_, [this] { on_timer(); });
      return;
    }
    if (state_ == State::idle) {
      finish();  // an idle keep-alive connection: closed without an answer
    } else {
      error(408, "Request Timeout");
    }
  }

  const Limits* lim_;
  asyncio::Transport transport_;
  asyncio::TimerHandle timer_;
  double deadline_ = 0;
  State state_ = State::idle;
  Request req_;
  std::uint64_t chunk_left_ = 0;
  std::string buf_;
  std::string out_;
};

/// Serves on `host`:`port` until cancelled; `reuse_port` lets several loops (threads)
/// listen on one port. Prints "serving on ADDRESS" once listening (when `announce`).
inline asyncio::Coro<void> serve(std::string host, int port, bool reuse_port, const Limits* limits,
                                 bool announce) {
  asyncio::EventLoop& loop = asyncio::get_running_loop();
  asyncio::ServerOptions opts;
  opts.reuse_port = reuse_port;
  opts.backlog = 1024;
  asyncio::Server server = co_await asyncio::create_server(
      loop, [limits] { return HttpProtocol(limits); }, host, port, opts);
  if (announce) {
    std::printf("serving on %s\n", server.sockets().at(0).getsockname().repr().c_str());
    std::fflush(stdout);
  }
  co_await server.serve_forever();
}

}  // namespace http_example
