#pragma once
// Command-line options shared by the seed programs: --seed N, --virtual-time, --cancel X.
// (Example support code.)

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "support/py_random.hpp"

struct SeedArgs {
  std::optional<unsigned long long> seed;  ///< repeatable delays (same as Python's random.seed)
  bool virtual_time = false;               ///< run instantly on the virtual clock
  std::string cancel;                      ///< seed_gather: "group2" or "all"

  static SeedArgs parse(int argc, char** argv, bool allow_cancel) {
    SeedArgs a;
    for (int i = 1; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) {
        a.seed = std::strtoull(argv[++i], nullptr, 10);
      } else if (!std::strcmp(argv[i], "--virtual-time")) {
        a.virtual_time = true;
      } else if (allow_cancel && !std::strcmp(argv[i], "--cancel") && i + 1 < argc) {
        a.cancel = argv[++i];
      } else {
        std::fprintf(stderr, "usage: %s [--seed N] [--virtual-time]%s\n", argv[0],
                     allow_cancel ? " [--cancel group2|all]" : "");
        std::exit(2);
      }
    }
    return a;
  }
  pyrandom::Random rng() const {
    return seed ? pyrandom::Random(*seed) : pyrandom::Random::from_entropy();
  }
};
