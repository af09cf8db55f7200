#!/usr/bin/env python3
"""Differential fuzzer for gather/wait: one random scenario per seed, written both as a
CPython program (run on a strict virtual-time loop) and as C++ (run on the library's
virtual-time loop). Both print a trace line at every step; the traces must be identical.

A scenario is a random tree of
  * gathers (with or without return_exceptions; children passed as coroutines, as tasks,
    or as nested gathers), reporting their outcome from a done callback,
  * waits (random return_when, optional timeout) over tasks/gathers,
  * sequences (a coroutine awaiting its children one after another, catching ValueError
    and sometimes CancelledError),
over leaf coroutines: ok (sleep, return), fail (sleep, raise ValueError), swallow (catch
CancelledError, sleep a bit more, return) and slow (on CancelledError: sleep, re-raise),
plus cancellations of random gathers/tasks fired at random times with loop.call_later.

Ties: CPython orders timers with equal deadlines arbitrarily (R4). Durations are distinct
multiples of 2**-20 s, so equal deadlines are rare; the Python side runs on a loop that
flags a tie, and `run-py --regenerate` then draws the scenario again (seed:attempt). The
random generator is a self-contained splitmix64, so any Python >= 3.8 generates the same
scenarios (the C++ is generated at build time, the Python side at test time).

Commands (seed lists: "1-60,75,80:1" — a seed or seed:attempt, ranges allowed):
  gen.py cpp SEEDS -o FILE     the C++ scenarios, one switch-on-seed executable
  gen.py py SEED               one scenario as a standalone CPython 3.13 program
  gen.py run-py SEEDS [--regenerate]
                               run the scenarios on CPython 3.13 in this process, print
                               "### seed S:A" and each trace (needs tests/conformance on
                               sys.path: done below)
See README.md for run_fuzz.py, which compares the two sides.
"""

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
UNIT = 2 ** 20  # durations are k / UNIT seconds
MASK = (1 << 64) - 1
RETURN_WHEN = ["FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"]


class Rng:
    """splitmix64: identical output on every Python version."""

    def __init__(self, seed, attempt):
        self.s = self.mix(self.mix(seed + 0x632BE59BD9B4E019) ^ (attempt * 0xD1B54A32D192ED03 & MASK))

    @staticmethod
    def mix(z):
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        return self.mix(self.s)

    def below(self, n):
        return self.next() % n

    def chance(self, percent):
        return self.below(100) < percent

    def choice(self, seq):
        return seq[self.below(len(seq))]


# ---- the scenario tree ---------------------------------------------------------------------


class Leaf:
    def __init__(self, name, kind, d, x):
        self.name, self.kind, self.d, self.x = name, kind, d, x
        self.as_task = False  # spawned with R.task (a cancel target) where it is used


class Gather:
    def __init__(self, name, children, re):
        self.name, self.children, self.re = name, children, re
        self.args = list(range(len(children)))  # child indices passed, in order (repeats)


class Wait:
    def __init__(self, name, children, return_when, timeout):
        self.name, self.children = name, children
        self.return_when, self.timeout = return_when, timeout


class Drain:
    """`while pending: done, pending = await wait(pending, ...)`, at most len(rounds)
    times. A round: (return_when, timeout, gap before it or None, second wait or None); a
    second wait runs concurrently on the same pending set in its own task."""

    def __init__(self, name, children, rounds):
        self.name, self.children, self.rounds = name, children, rounds


class Seq:
    def __init__(self, name, children, catch_cancel):
        self.name, self.children, self.catch_cancel = name, children, catch_cancel


class Scenario:
    def __init__(self, seed, attempt):
        self.seed, self.attempt = seed, attempt
        self.rng = Rng(seed, attempt)
        self.used = set()
        self.count = 0
        self.nodes = []  # post-order: children before parents
        self.total = 0  # sum of every duration, in units
        self.root = self.node(0)
        self.cancels = []
        targets = [n.name for n in self.nodes
                   if not isinstance(n, Leaf) or n.as_task]
        for i in range(self.rng.below(6)):
            when = self.dur(1, UNIT * 3 // 4)
            msg = None if self.rng.chance(25) else f"c{i + 1}"
            self.cancels.append((when, self.rng.choice(targets), msg))
        latest = max([c[0] for c in self.cancels], default=0)
        self.horizon = self.total + latest + UNIT

    def dur(self, lo, hi):
        """A duration in units, never drawn before in this scenario."""
        while True:
            k = lo + self.rng.below(hi - lo)
            if k not in self.used:
                self.used.add(k)
                self.total += k
                return k

    def wait_options(self):
        """(return_when, timeout or None)."""
        r = self.rng
        timeout = None
        if r.chance(45):
            timeout = 0 if r.chance(10) else self.dur(1, UNIT // 2)
        return (r.choice(RETURN_WHEN), timeout)

    def name(self, prefix):
        self.count += 1
        return f"{prefix}{self.count}"

    def node(self, depth):
        r = self.rng
        if depth >= 3 or self.count >= 18 or (depth > 0 and r.chance(45)):
            kind = r.choice(["ok", "ok", "ok", "fail", "fail", "swallow", "slow", "slow"])
            d = 0 if r.chance(10) else self.dur(1, UNIT)
            x = 0 if r.chance(15) else self.dur(1, UNIT // 2)
            n = Leaf(self.name("L"), kind, d, x)
        else:
            kind = r.choice(["gather", "gather", "gather", "wait", "wait", "drain", "seq"])
            name = self.name({"gather": "G", "wait": "W", "drain": "D", "seq": "S"}[kind])
            count = 1 + r.below({"seq": 3, "drain": 5}.get(kind, 4))
            children = [self.node(depth + 1) for _ in range(count)]
            if kind == "gather":
                n = Gather(name, children, r.chance(40))
                for c in children:
                    if isinstance(c, Leaf) and r.chance(30):
                        c.as_task = True
                tasks = [i for i, c in enumerate(children) if isinstance(c, Leaf) and c.as_task]
                if tasks and r.chance(30):  # the same task twice: awaited once (R30)
                    n.args.insert(r.below(len(n.args) + 1), r.choice(tasks))
            elif kind == "wait":
                timeout = None
                if r.chance(45):
                    timeout = 0 if r.chance(10) else self.dur(1, UNIT)
                n = Wait(name, children, r.choice(RETURN_WHEN), timeout)
                for c in children:
                    if isinstance(c, Leaf):
                        c.as_task = True
            elif kind == "drain":
                rounds = []
                for _ in range(2 + r.below(4)):
                    gap = None
                    if r.chance(30):
                        gap = 0 if r.chance(40) else self.dur(1, UNIT // 4)
                    second = self.wait_options() if r.chance(20) else None
                    rounds.append(self.wait_options() + (gap, second))
                n = Drain(name, children, rounds)
                for c in children:
                    if isinstance(c, Leaf):
                        c.as_task = True
            else:
                n = Seq(name, children, r.chance(40))
                for c in children:
                    if isinstance(c, Leaf) and r.chance(25):
                        c.as_task = True
        self.nodes.append(n)
        return n


def secs(k):
    """A duration as a literal both languages read as the same double."""
    return repr(k / UNIT)


# ---- CPython ----------------------------------------------------------------------------------


def py_timeout(t):
    return "None" if t is None else secs(t)


def py_leaf_call(n):
    return f"{n.kind}({n.name!r}, {secs(n.d)}, {secs(n.x)})"


def py_child(c, in_wait=False):
    """The expression passing child `c` to a gather / wait / sequence."""
    if isinstance(c, Leaf):
        call = py_leaf_call(c)
        return f"R.task({c.name!r}, {call})" if c.as_task else call
    if isinstance(c, Gather):
        return f"mk_{c.name}()"
    return f"asyncio.create_task({c.name}())" if in_wait else f"{c.name}()"


def py_scenario(sc):
    out = [f"# seed {sc.seed}:{sc.attempt}", "import asyncio",
           "from fuzz_rt import R, erepr, fail, names, ok, pyrepr, slow, swallow, wait_once",
           ""]
    for n in sc.nodes:
        if isinstance(n, Gather):
            out.append(f"def mk_{n.name}():")
            for i, c in enumerate(n.children):
                out.append(f"    c{i} = {py_child(c)}")
            args = ", ".join(f"c{i}" for i in n.args)
            re = ", return_exceptions=True" if n.re else ""
            out.append(f"    return R.gather({n.name!r}, asyncio.gather({args}{re}))")
            out.append("")
        elif isinstance(n, Wait):
            out.append(f"async def {n.name}():")
            out.append(f"    R.started({n.name!r})")
            out.append("    fs = []")
            for c in n.children:
                out.append(f"    fs.append({py_child(c, in_wait=True)})")
            labels = [c.name for c in n.children]
            out.append(f"    labels = {labels!r}")
            timeout = py_timeout(n.timeout)
            out.append("    try:")
            out.append(f"        done, pending = await asyncio.wait(fs, timeout={timeout}, "
                       f"return_when=asyncio.{n.return_when})")
            out.append("    except asyncio.CancelledError as e:")
            out.append(f"        R.say({n.name!r}, 'cancelled', erepr(e))")
            out.append("        raise")
            out.append("    d = [lab for lab, f in zip(labels, fs) if f in done]")
            out.append("    p = [lab for lab, f in zip(labels, fs) if f in pending]")
            out.append(f"    R.say({n.name!r}, 'done', d, 'pending', p)")
            out.append(f"    return f'{n.name}:{{len(d)}}/{{len(fs)}}'")
            out.append("")
        elif isinstance(n, Drain):
            out.append(f"async def {n.name}():")
            out.append(f"    R.started({n.name!r})")
            out.append("    fs = []")
            for c in n.children:
                out.append(f"    fs.append({py_child(c, in_wait=True)})")
            labels = [c.name for c in n.children]
            out.append(f"    labels = {labels!r}")
            out.append("    pending = fs")
            out.append("    try:")
            for i, (mode, timeout, gap, second) in enumerate(n.rounds):
                out.append("        if pending:")
                if gap is not None:
                    out.append(f"            await asyncio.sleep({secs(gap)})")
                if second is None:
                    out.append("            done, pending = await asyncio.wait("
                               f"pending, timeout={py_timeout(timeout)}, "
                               f"return_when=asyncio.{mode})")
                else:
                    mode2, timeout2 = second
                    out.append("            a = asyncio.create_task(wait_once("
                               f"pending, {py_timeout(timeout)}, asyncio.{mode}))")
                    out.append("            b = asyncio.create_task(wait_once("
                               f"pending, {py_timeout(timeout2)}, asyncio.{mode2}))")
                    out.append("            done, pending = await a")
                    out.append("            d2, p2 = await b")
                    out.append(f"            R.say({n.name!r}, 'round', {i}, 'second', "
                               "names(labels, fs, d2), names(labels, fs, p2))")
                out.append(f"            R.say({n.name!r}, 'round', {i}, 'done', "
                           "names(labels, fs, done), 'pending', names(labels, fs, pending))")
            out.append("    except asyncio.CancelledError as e:")
            out.append(f"        R.say({n.name!r}, 'cancelled', erepr(e))")
            out.append("        raise")
            out.append(f"    return f'{n.name}:{{len(pending)}}'")
            out.append("")
        elif isinstance(n, Seq):
            out.append(f"async def {n.name}():")
            out.append(f"    R.started({n.name!r})")
            out.append("    parts = []")
            for c in n.children:
                out.append("    try:")
                out.append(f"        r = await {py_child(c)}")
                out.append("        parts.append(pyrepr(r))")
                out.append("    except ValueError as e:")
                out.append(f"        R.say({n.name!r}, 'caught', erepr(e))")
                out.append("        parts.append('E')")
                if n.catch_cancel:
                    out.append("    except asyncio.CancelledError as e:")
                    out.append(f"        R.say({n.name!r}, 'caught', erepr(e))")
                    out.append("        parts.append('C')")
            out.append(f"    R.say({n.name!r}, 'end')")
            out.append(f"    return '{n.name}:' + '|'.join(parts)")
            out.append("")
    out.append("async def main():")
    out.append("    loop = asyncio.get_running_loop()")
    out.append("    R.reset(loop)")
    out.append("    loop.set_exception_handler(R.handler)")
    for when, target, m in sc.cancels:
        out.append(f"    loop.call_later({secs(when)}, R.cancel, {target!r}, {m!r})")
    root = sc.root
    if isinstance(root, Gather):
        expr = f"mk_{root.name}()"
    elif isinstance(root, Leaf):
        expr = f"asyncio.create_task({py_leaf_call(root)})"
    else:
        expr = f"asyncio.create_task({root.name}())"
    out.append("    try:")
    out.append(f"        r = await {expr}")
    out.append("        R.say('root ->', pyrepr(r))")
    out.append("    except (ValueError, asyncio.CancelledError) as e:")
    out.append("        R.say('root raised', erepr(e))")
    out.append(f"    await asyncio.sleep({secs(sc.horizon)})")
    out.append("    R.say('end')")
    return "\n".join(out) + "\n"


# ---- C++ ----------------------------------------------------------------------------------------


def cpp_str(s):
    return '"' + s + '"'


def cpp_leaf_call(n):
    return f"{n.kind}({cpp_str(n.name)}, {secs(n.d)}, {secs(n.x)})"


def cpp_child(c, in_wait=False):
    if isinstance(c, Leaf):
        call = cpp_leaf_call(c)
        return f"R.task({cpp_str(c.name)}, {call})" if c.as_task else call
    if isinstance(c, Gather):
        return f"mk_{c.name}()"
    return f"asyncio::create_task({c.name}())" if in_wait else f"{c.name}()"


def cpp_opts(mode, timeout):
    t = "std::nullopt" if timeout is None else secs(timeout)
    return f"wait_options({t}, asyncio::{mode})"


def cpp_ident(sc):
    return f"s{sc.seed}_{sc.attempt}"


def cpp_scenario(sc):
    out = [f"namespace {cpp_ident(sc)} {{", ""]
    for n in sc.nodes:
        if isinstance(n, Gather):
            out.append(f"auto mk_{n.name}() {{")
            for i, c in enumerate(n.children):
                out.append(f"  auto c{i} = {cpp_child(c)};")
            args = ", ".join(f"c{i}" if isinstance(n.children[i], Leaf) and n.children[i].as_task
                             else f"std::move(c{i})" for i in n.args)
            re = "asyncio::return_exceptions, " if n.re else ""
            out.append(f"  return R.gather({cpp_str(n.name)}, asyncio::gather({re}{args}));")
            out.append("}")
            out.append("")
        elif isinstance(n, Wait):
            out.append(f"Coro<std::string> {n.name}() {{")
            out.append(f"  R.started({cpp_str(n.name)});")
            out.append("  std::vector<asyncio::AnyFuture> fs;")
            for c in n.children:
                out.append(f"  fs.push_back({cpp_child(c, in_wait=True)});")
            labels = ", ".join(cpp_str(c.name) for c in n.children)
            out.append(f"  std::vector<std::string> labels = strs({labels});")
            out.append("  asyncio::WaitOptions opts;")
            if n.timeout is not None:
                out.append(f"  opts.timeout = {secs(n.timeout)};")
            out.append(f"  opts.return_when = asyncio::{n.return_when};")
            out.append("  asyncio::WaitResult<asyncio::AnyFuture> r;")
            out.append("  try {")
            out.append("    r = co_await asyncio::wait(fs, opts);")
            out.append("  } catch (const CancelledError&) {")
            out.append(f"    R.say({cpp_str(n.name)}, \"cancelled\", erepr(std::current_exception()));")
            out.append("    throw;")
            out.append("  }")
            out.append("  std::vector<std::string> d, p;")
            out.append("  for (std::size_t i = 0; i < fs.size(); ++i) {")
            out.append("    if (std::find(r.done.begin(), r.done.end(), fs[i]) != r.done.end()) "
                       "d.push_back(labels[i]);")
            out.append("    if (std::find(r.pending.begin(), r.pending.end(), fs[i]) != "
                       "r.pending.end()) p.push_back(labels[i]);")
            out.append("  }")
            out.append(f"  R.say({cpp_str(n.name)}, \"done\", list(d), \"pending\", list(p));")
            out.append(f"  co_return \"{n.name}:\" + std::to_string(d.size()) + \"/\" + "
                       "std::to_string(fs.size());")
            out.append("}")
            out.append("")
        elif isinstance(n, Drain):
            out.append(f"Coro<std::string> {n.name}() {{")
            out.append(f"  R.started({cpp_str(n.name)});")
            out.append("  std::vector<asyncio::AnyFuture> fs;")
            for c in n.children:
                out.append(f"  fs.push_back({cpp_child(c, in_wait=True)});")
            labels = ", ".join(cpp_str(c.name) for c in n.children)
            out.append(f"  std::vector<std::string> labels = strs({labels});")
            out.append("  asyncio::WaitSet<asyncio::AnyFuture> pending;")
            out.append("  bool first = true;  // round 0 waits on fs itself")
            out.append("  try {")
            for i, (mode, timeout, gap, second) in enumerate(n.rounds):
                out.append("    if (first || !pending.empty()) {")
                if gap is not None:
                    out.append(f"      co_await asyncio::sleep({secs(gap)});")
                opts = cpp_opts(mode, timeout)
                if second is None:
                    out.append("      asyncio::WaitResult<asyncio::AnyFuture> r;")
                    out.append("      if (first) {")
                    out.append(f"        r = co_await asyncio::wait(fs, {opts});")
                    out.append("      } else {")
                    out.append(f"        r = co_await asyncio::wait(std::move(pending), {opts});")
                    out.append("      }")
                    out.append("      pending = std::move(r.pending);")
                    out.append("      auto& done = r.done;")
                else:
                    opts2 = cpp_opts(*second)
                    out.append("      asyncio::Task<asyncio::WaitResult<asyncio::AnyFuture>> a, b;")
                    out.append("      if (first) {")
                    out.append(f"        a = asyncio::create_task(wait_once(fs, {opts}));")
                    out.append(f"        b = asyncio::create_task(wait_once(fs, {opts2}));")
                    out.append("      } else {")
                    out.append(f"        a = asyncio::create_task(wait_once(pending, {opts}));")
                    out.append(f"        b = asyncio::create_task(wait_once(pending, {opts2}));")
                    out.append("      }")
                    out.append("      auto ra = co_await a;")
                    out.append("      auto rb = co_await b;")
                    out.append("      pending = std::move(ra.pending);")
                    out.append("      auto& done = ra.done;")
                    out.append(f"      R.say({cpp_str(n.name)}, \"round\", {i}, \"second\", "
                               "names(labels, fs, rb.done), names(labels, fs, rb.pending));")
                out.append("      first = false;")
                out.append(f"      R.say({cpp_str(n.name)}, \"round\", {i}, \"done\", "
                           "names(labels, fs, done), \"pending\", names(labels, fs, pending));")
                out.append("    }")
            out.append("  } catch (const CancelledError&) {")
            out.append(f"    R.say({cpp_str(n.name)}, \"cancelled\", erepr(std::current_exception()));")
            out.append("    throw;")
            out.append("  }")
            out.append("  std::size_t left = first ? fs.size() : pending.size();")
            out.append(f"  co_return \"{n.name}:\" + std::to_string(left);")
            out.append("}")
            out.append("")
        elif isinstance(n, Seq):
            out.append(f"Coro<std::string> {n.name}() {{")
            out.append(f"  R.started({cpp_str(n.name)});")
            out.append("  std::vector<std::string> parts;")
            for c in n.children:
                out.append("  try {")
                out.append(f"    auto r = co_await {cpp_child(c)};")
                out.append("    parts.push_back(gw::repr(r));")
                out.append("  } catch (const std::invalid_argument&) {")
                out.append(f"    R.say({cpp_str(n.name)}, \"caught\", erepr(std::current_exception()));")
                out.append("    parts.push_back(\"E\");")
                if n.catch_cancel:
                    out.append("  } catch (const CancelledError&) {")
                    out.append(f"    R.say({cpp_str(n.name)}, \"caught\", "
                               "erepr(std::current_exception()));")
                    out.append("    parts.push_back(\"C\");")
                out.append("  }")
            out.append(f"  R.say({cpp_str(n.name)}, \"end\");")
            out.append(f"  co_return \"{n.name}:\" + join(parts, \"|\");")
            out.append("}")
            out.append("")
    out.append("Coro<void> main_() {")
    out.append("  auto& loop = asyncio::get_running_loop();")
    out.append("  loop.set_exception_handler(R.handler);")
    for when, target, m in sc.cancels:
        marg = "nullptr" if m is None else cpp_str(m)
        out.append(f"  loop.call_later({secs(when)}, [] {{ R.cancel({cpp_str(target)}, {marg}); }});")
    root = sc.root
    if isinstance(root, Gather):
        expr = f"mk_{root.name}()"
    elif isinstance(root, Leaf):
        expr = f"asyncio::create_task({cpp_leaf_call(root)})"
    else:
        expr = f"asyncio::create_task({root.name}())"
    out.append("  try {")
    out.append(f"    auto r = co_await {expr};")
    out.append("    R.say(\"root ->\", gw::repr(r));")
    out.append("  } catch (const std::invalid_argument&) {")
    out.append("    R.say(\"root raised\", erepr(std::current_exception()));")
    out.append("  } catch (const CancelledError&) {")
    out.append("    R.say(\"root raised\", erepr(std::current_exception()));")
    out.append("  }")
    out.append(f"  co_await asyncio::sleep({secs(sc.horizon)});")
    out.append("  R.say(\"end\");")
    out.append("}")
    out.append("")
    out.append(f"}}  // namespace {cpp_ident(sc)}")
    out.append("")
    return "\n".join(out)


CPP_MAIN = """
namespace {
const std::vector<std::pair<std::string, asyncio::Coro<void> (*)()>> kScenarios = {
%s
};

void run(const std::string& label, asyncio::Coro<void> (*main_)()) {
  std::cout << "### seed " << label << std::endl;
  asyncio::EventLoop loop({.virtual_time = true});
  asyncio::set_event_loop(&loop);
  fuzz::R.reset(loop);
  loop.run_until_complete(main_());
  fuzz::R.clear();
  loop.close();
  asyncio::set_event_loop(nullptr);
  std::cout.flush();
}
}  // namespace

// Usage: gw_fuzz [SEED[:ATTEMPT] ...]   (no argument: every scenario built in)
int main(int argc, char** argv) {
  if (argc == 1) {
    for (const auto& [label, fn] : kScenarios) run(label, fn);
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    std::string want = argv[i];
    if (want.find(':') == std::string::npos) want += ":0";
    bool found = false;
    for (const auto& [label, fn] : kScenarios) {
      if (label == want) {
        run(label, fn);
        found = true;
      }
    }
    if (!found) {
      std::cerr << "gw_fuzz: scenario " << want << " is not built in\\n";
      return 2;
    }
  }
  return 0;
}
"""


def cpp_file(scenarios):
    head = ["// Generated by tests/conformance/fuzz/gen.py: do not edit.",
            "#include <algorithm>", "#include <iostream>", "#include <string>",
            "#include <utility>", "#include <vector>", "", '#include "fuzz_rt.hpp"', "",
            "using asyncio::CancelledError;", "using asyncio::Coro;", "using fuzz::erepr;",
            "using fuzz::fail;", "using fuzz::join;", "using fuzz::list;", "using fuzz::names;",
            "using fuzz::ok;", "using fuzz::R;", "using fuzz::slow;", "using fuzz::strs;",
            "using fuzz::swallow;", "using fuzz::wait_once;", "using fuzz::wait_options;", ""]
    body = [cpp_scenario(sc) for sc in scenarios]
    table = ",\n".join(f'    {{"{sc.seed}:{sc.attempt}", &{cpp_ident(sc)}::main_}}'
                       for sc in scenarios)
    return "\n".join(head) + "\n".join(body) + CPP_MAIN % table


# ---- running the CPython side ---------------------------------------------------------------


def parse_seeds(spec):
    """'1-3,7,9:2' -> [(1, 0), (2, 0), (3, 0), (7, 0), (9, 2)]."""
    out = []
    for tok in spec.replace(" ", "").split(","):
        if not tok:
            continue
        attempt = 0
        if ":" in tok:
            tok, a = tok.split(":")
            attempt = int(a)
        if "-" in tok:
            lo, hi = tok.split("-")
            out += [(s, attempt) for s in range(int(lo), int(hi) + 1)]
        else:
            out.append((int(tok), attempt))
    return out


def run_py(seed, attempt):
    """Runs one scenario on CPython in this process: (trace, tie?)."""
    import asyncio
    import contextlib
    import io

    sys.path[:0] = [HERE, os.path.dirname(HERE)]
    from gw_strict import StrictLoop

    class FuzzLoop(StrictLoop):
        tie = False

        def call_at(self, when, callback, *args, context=None):
            for h in self._scheduled:
                if h._when == when and not h._cancelled:
                    FuzzLoop.tie = True
            return super(StrictLoop, self).call_at(when, callback, *args, context=context)

    src = py_scenario(Scenario(seed, attempt))
    ns = {"__name__": f"scenario_{seed}_{attempt}"}
    exec(compile(src, f"<seed {seed}:{attempt}>", "exec"), ns)
    FuzzLoop.tie = False
    loop = FuzzLoop()
    asyncio.set_event_loop(loop)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            loop.run_until_complete(ns["main"]())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return buf.getvalue(), FuzzLoop.tie


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("cpp")
    c.add_argument("seeds")
    c.add_argument("-o", "--output", required=True)
    p = sub.add_parser("py")
    p.add_argument("seed")
    r = sub.add_parser("run-py")
    r.add_argument("seeds")
    r.add_argument("--regenerate", action="store_true",
                   help="on a tie, draw the scenario again (attempt + 1)")
    args = ap.parse_args()

    if args.cmd == "cpp":
        text = cpp_file([Scenario(s, a) for s, a in parse_seeds(args.seeds)])
        old = None
        if os.path.exists(args.output):
            with open(args.output) as f:
                old = f.read()
        if old != text:  # keep the timestamp when nothing changed
            with open(args.output, "w") as f:
                f.write(text)
        return 0
    if args.cmd == "py":
        (seed, attempt), = parse_seeds(args.seed)
        sys.stdout.write("import sys\n"
                         f"sys.path[:0] = [{HERE!r}, {os.path.dirname(HERE)!r}]\n")
        sys.stdout.write(py_scenario(Scenario(seed, attempt)))
        sys.stdout.write("\nif __name__ == '__main__':\n"
                         "    from gw_strict import new_loop\n"
                         "    loop = new_loop()\n"
                         "    loop.run_until_complete(main())\n"
                         "    loop.close()\n")
        return 0
    status = 0
    for seed, attempt in parse_seeds(args.seeds):
        while True:
            trace, tie = run_py(seed, attempt)
            if tie and args.regenerate:
                attempt += 1
                continue
            break
        print(f"### seed {seed}:{attempt}")
        if tie:
            print(f"!!! TIE: two timers due at the same instant in seed {seed}:{attempt}")
            status = 3
        sys.stdout.write(trace)
        sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
