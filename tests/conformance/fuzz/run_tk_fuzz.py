#!/usr/bin/env python3
"""run_fuzz.py for the toolkit scenario family (gen_tk.py): same options, same modes.

    run_tk_fuzz.py --cxx BUILD/.../tk_fuzz --seeds SEEDS        (CTest)
    run_tk_fuzz.py --local --start 1000 --count 200 [--build-dir build] [--jobs 2]
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import run_fuzz  # noqa: E402

run_fuzz.GEN = os.path.join(HERE, "gen_tk.py")

if __name__ == "__main__":
    sys.exit(run_fuzz.main())
