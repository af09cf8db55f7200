#pragma once
/// \file sendfile.hpp
/// Sending a file over a stream socket or a transport with the kernel's zero-copy
/// `sendfile(2)`, falling back to reading and sending. **Python:** `loop.sendfile` and
/// `loop.sock_sendfile` (`base_events.py`, `selector_events.py`, `unix_events.py`).
///
/// **The file** is a file descriptor open for reading (Python's `file.fileno()`; the
/// caller keeps it open and closes it). Its file position is Python's `file.tell()` /
/// `file.seek()`: the fallback reads from it after `lseek(offset)`, and on return — or on
/// an error once something was sent — it is left just after the last byte sent, as
/// CPython leaves it. The native path reads at explicit offsets (`sendfile(2)` with an
/// offset pointer) and only moves the position at the end.
///
///     int fd = ::open("index.html", O_RDONLY);
///     std::size_t sent = co_await asyncio::sendfile(loop, transport, fd);
///     ::close(fd);

#include <cstddef>
#include <cstdint>
#include <optional>

#include "asyncio/coro.hpp"
#include "asyncio/event_loop.hpp"
#include "asyncio/sockets.hpp"
#include "asyncio/transports.hpp"

namespace asyncio {

/// Sends `count` bytes (all, up to the end of the file, when nullopt) of `file` from
/// `offset` on `transport` and returns how many were sent. The native path (CPython
/// `_sendfile_native`) pauses reading, waits until the transport's write buffer is empty,
/// sends with `sendfile(2)` (waiting for the socket between chunks), then resumes reading
/// if it was reading; meanwhile `transport.write()` is refused. When the native path is
/// not available (SendfileNotAvailableError: the file is not a regular file, sendfile(2)
/// refuses it) and `fallback` is true, the file is read in 16 KiB blocks on the default
/// executor and written to the transport, waiting when the transport pauses writing
/// (CPython `_sendfile_fallback`: the protocol is set aside meanwhile; its
/// connection_lost is still called, and its resume_writing at the end if it was paused).
/// **Exceptions:** RuntimeError("Transport is closing"),
/// std::invalid_argument("offset must be a non-negative integer (got -1)"),
/// ("count must be a positive integer (got 0)") (Python's ValueError);
/// SendfileNotAvailableError("not a regular file"), ("os.sendfile call failed") with
/// `fallback` false; OSError (e.g. "[Errno 29] Illegal seek" when the file position of a
/// pipe cannot be set); ConnectionError("Connection closed by peer"),
/// ("Connection is closed by peer"). **Cancellation:** stops sending; the file position
/// is set after what was sent. **Python:** `await loop.sendfile(transport, file,
/// offset=0, count=None, *, fallback=True)`.
Coro<std::size_t> sendfile(EventLoop& loop, Transport transport, int file, std::int64_t offset = 0,
                           std::optional<std::int64_t> count = std::nullopt, bool fallback = true);

/// As `sendfile`, on a connected non-blocking SOCK_STREAM socket: `sendfile(2)`, or with
/// `fallback`, reading 256 KiB blocks on the default executor and `sock_sendall`.
/// **Exceptions:** std::invalid_argument("only SOCK_STREAM type sockets are supported"),
/// the offset / count errors of `sendfile`; SendfileNotAvailableError with `fallback`
/// false; OSError from the socket (once something was sent, or in the fallback).
/// **Python:** `await loop.sock_sendfile(sock, file, offset=0, count=None, *,
/// fallback=True)`.
Coro<std::size_t> sock_sendfile(EventLoop& loop, Socket& sock, int file, std::int64_t offset = 0,
                                std::optional<std::int64_t> count = std::nullopt,
                                bool fallback = true);

}  // namespace asyncio
