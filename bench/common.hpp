#pragma once
// Helpers shared by the workload programs (bench_w1 ... bench_w6): command line, clock,
// the suite's PRNG, memory figures and the one JSON line each program prints.
// bench/python/common.py is the twin of this file for the CPython scripts.

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

namespace bench {

/// Monotonic wall clock in ns (Python twin: time.perf_counter_ns()).
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// CPU time of the process in ns: unlike wall time, not stretched when other processes
/// take the CPU (Python twin: time.process_time_ns()).
inline std::int64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

/// mulberry32: the same 32-bit PRNG in every language of the suite, so every system
/// sleeps for identical durations and opens gates in the same order.
class Mulberry32 {
 public:
  explicit Mulberry32(std::uint32_t seed) : a_(seed) {}
  std::uint32_t next() {
    a_ += 0x6D2B79F5u;
    std::uint32_t t = (a_ ^ (a_ >> 15)) * (a_ | 1u);
    t = (t + ((t ^ (t >> 7)) * (t | 61u))) ^ t;
    return t ^ (t >> 14);
  }
  /// Uniform in [0, bound).
  std::uint32_t below(std::uint32_t bound) {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(next()) * bound) >> 32);
  }

 private:
  std::uint32_t a_;
};

/// n durations uniform in [0, max_us) microseconds.
inline std::vector<std::uint32_t> durations_us(std::size_t n, std::uint32_t max_us,
                                               std::uint32_t seed) {
  Mulberry32 g(seed);
  std::vector<std::uint32_t> d(n);
  for (auto& x : d) x = g.below(max_us);
  return d;
}

/// A permutation of 0..n-1 (Fisher-Yates, from the top down).
inline std::vector<std::uint32_t> permutation(std::size_t n, std::uint32_t seed) {
  Mulberry32 g(seed);
  std::vector<std::uint32_t> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = n; i-- > 1;) std::swap(p[i], p[g.below(static_cast<std::uint32_t>(i + 1))]);
  return p;
}

/// Peak resident set size of the process (getrusage, kernel-maintained), MiB.
inline double peak_rss_mib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

/// Current resident set size from /proc/self/statm, bytes.
inline std::int64_t current_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long long size = 0, resident = 0;
  int got = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (got != 2) return -1;
  return static_cast<std::int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

/// Bytes handed out by malloc right now (finer than RSS; no Python twin).
inline std::int64_t malloc_in_use_bytes() {
  struct mallinfo2 mi = mallinfo2();
  return static_cast<std::int64_t>(mi.uordblks + mi.hblkhd);
}

/// The single JSON object a workload program prints: {"workload":..., "n":..., "impl":...,
/// "metric": <name of the headline figure>, "value": <it>, ...extras}.
class JsonLine {
 public:
  JsonLine& add(const char* key, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return raw(key, buf);
  }
  JsonLine& add(const char* key, std::int64_t v) { return raw(key, std::to_string(v)); }
  JsonLine& add(const char* key, std::size_t v) { return raw(key, std::to_string(v)); }
  JsonLine& add(const char* key, const std::string& v) { return raw(key, quote(v)); }
  JsonLine& add(const char* key, const char* v) { return raw(key, quote(v)); }
  JsonLine& null(const char* key) { return raw(key, "null"); }
  void print() const { std::printf("{%s}\n", body_.c_str()); }

 private:
  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      if (static_cast<unsigned char>(c) < 0x20) {
        out += ' ';
        continue;
      }
      out += c;
    }
    return out + "\"";
  }
  JsonLine& raw(const char* key, const std::string& v) {
    if (!body_.empty()) body_ += ", ";
    body_ += quote(key) + ": " + v;
    return *this;
  }
  std::string body_;
};

/// `program N [--seed S] [--variant V]`; N accepts 1e5-style floats.
struct Args {
  std::size_t n = 0;
  std::uint32_t seed = 42;
  std::string variant;
};

inline Args parse_args(int argc, char** argv, std::size_t default_n) {
  Args a;
  a.n = default_n;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
      a.seed = static_cast<std::uint32_t>(std::strtoul(argv[++i], nullptr, 10));
    } else if (!std::strcmp(argv[i], "--variant") && i + 1 < argc) {
      a.variant = argv[++i];
    } else if (argv[i][0] != '-') {
      a.n = static_cast<std::size_t>(std::strtod(argv[i], nullptr));
    } else {
      std::fprintf(stderr, "usage: %s N [--seed S] [--variant V]\n", argv[0]);
      std::exit(2);
    }
  }
  return a;
}

/// Every program's header fields.
inline JsonLine header(const char* workload, std::size_t n, const char* metric) {
  JsonLine j;
  j.add("workload", workload).add("n", n).add("impl", "asyncio-cpp").add("metric", metric);
  return j;
}

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "check failed: %s\n", what);
  std::exit(1);
}

}  // namespace bench
