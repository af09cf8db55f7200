#pragma once
// Python's `random` module, the parts the seed programs use: MT19937 seeded exactly as
// `random.seed(n)` seeds it, so `--seed N` gives the C++ and Python programs the same
// delays. (Example support code, not part of the library.)

#include <cstdint>
#include <random>
#include <vector>

namespace pyrandom {

class Random {
 public:
  /// `random.seed(n)` for a non-negative integer n (Python: init_by_array on its 32-bit words).
  explicit Random(std::uint64_t n) {
    std::vector<std::uint32_t> key;
    do {
      key.push_back(static_cast<std::uint32_t>(n & 0xffffffffu));
      n >>= 32;
    } while (n);
    init_by_array(key);
  }
  /// Seeded from the operating system, as Python does when no seed is given.
  static Random from_entropy() {
    std::random_device rd;
    return Random((std::uint64_t{rd()} << 32) | rd());
  }
  /// `random.random()`: 53 random bits in [0, 1).
  double random() {
    std::uint32_t a = next() >> 5, b = next() >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }
  /// `random.uniform(a, b)`.
  double uniform(double a, double b) { return a + (b - a) * random(); }

 private:
  static constexpr int N = 624, M = 397;
  void init_genrand(std::uint32_t s) {
    mt_[0] = s;
    for (int i = 1; i < N; ++i)
      mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    mti_ = N;
  }
  void init_by_array(const std::vector<std::uint32_t>& key) {
    init_genrand(19650218u);
    int i = 1, j = 0;
    const int len = static_cast<int>(key.size());
    for (int k = N > len ? N : len; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] +
               static_cast<std::uint32_t>(j);
      ++i;
      ++j;
      if (i >= N) {
        mt_[0] = mt_[N - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (int k = N - 1; k; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) -
               static_cast<std::uint32_t>(i);
      if (++i >= N) {
        mt_[0] = mt_[N - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
  }
  std::uint32_t next() {
    static constexpr std::uint32_t mag01[2] = {0u, 0x9908b0dfu};
    if (mti_ >= N) {
      int kk = 0;
      for (; kk < N - M; ++kk) {
        std::uint32_t y = (mt_[kk] & 0x80000000u) | (mt_[kk + 1] & 0x7fffffffu);
        mt_[kk] = mt_[kk + M] ^ (y >> 1) ^ mag01[y & 1u];
      }
      for (; kk < N - 1; ++kk) {
        std::uint32_t y = (mt_[kk] & 0x80000000u) | (mt_[kk + 1] & 0x7fffffffu);
        mt_[kk] = mt_[kk + (M - N)] ^ (y >> 1) ^ mag01[y & 1u];
      }
      std::uint32_t y = (mt_[N - 1] & 0x80000000u) | (mt_[0] & 0x7fffffffu);
      mt_[N - 1] = mt_[M - 1] ^ (y >> 1) ^ mag01[y & 1u];
      mti_ = 0;
    }
    std::uint32_t y = mt_[mti_++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= (y >> 18);
    return y;
  }
  std::uint32_t mt_[N];
  int mti_ = N + 1;
};

}  // namespace pyrandom
