#!/usr/bin/env python3
"""Toolkit extension of the differential fuzzer (gen.py): adds wait_for, shield,
TaskGroup and timeout() nodes to gen.py's scenario trees. Same commands as gen.py
(cpp / py / run-py), same seeds syntax, a scenario family of its own: gen.py's seeds are
left untouched.

This module does not change gen.py. It subclasses its Scenario (a toolkit node is drawn
before gen.py's own choice at every inner position), then hooks its emitters: gen.py's
writers skip node types they do not know, so the definitions of the toolkit nodes are
spliced in before `main` (C++: declared at the top of the scenario's namespace, defined
after gen.py's nodes). Every toolkit node is a coroutine function returning a string, so
gen.py's gathers, waits and sequences take them as children unchanged.

The nodes (NAME is F/H/T/M + a number):
  * wait_for   F: `await wait_for(child, timeout)` (timeout None, 0 or a duration);
                  TimeoutError is caught and reported;
  * shield     H: `await shield(child)` (the child keeps running if H is cancelled);
  * TaskGroup  T: children created with tg.create_task (leaves are cancel targets), and
                  sometimes a body awaiting a leaf inline; an ExceptionGroup is reported
                  and turned into ValueError('T..'). At most one child reacts visibly to
                  its cancellation: CPython cancels the children in set order, the
                  library in creation order;
  * timeout    M: `async with timeout(d) as cm: await child` (d None, 0 or a duration,
                  sometimes rescheduled at once); TimeoutError is caught and reported.
Each reports `cancelled` and re-raises when its task is cancelled.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import gen  # noqa: E402
from gen import UNIT, Leaf, Gather, cpp_child, cpp_leaf_call, cpp_str, py_child, py_leaf_call, secs  # noqa: E402


class WaitFor:
    def __init__(self, name, child, timeout):
        self.name, self.child, self.timeout = name, child, timeout


class Shield:
    def __init__(self, name, child):
        self.name, self.child = name, child


class Group:
    def __init__(self, name, children, body):
        self.name, self.children, self.body = name, children, body


class Scope:
    def __init__(self, name, child, delay, resched):
        self.name, self.child = name, child
        self.delay, self.resched = delay, resched


TK_TYPES = (WaitFor, Shield, Group, Scope)


def is_loud(n):
    """Does `n` print anything when cancelled (or make something else print)?"""
    return not (isinstance(n, Leaf) and n.kind in ("ok", "fail"))


class TkScenario(gen.Scenario):
    def node(self, depth):
        r = self.rng
        if depth < 3 and self.count < 18 and r.chance(35):
            return self.tk_node(depth)
        return super().node(depth)

    def silent_leaf(self):
        kind = self.rng.choice(["ok", "ok", "fail"])
        n = Leaf(self.name("L"), kind, self.dur(1, UNIT), 0)
        self.nodes.append(n)
        return n

    def any_leaf(self):
        r = self.rng
        kind = r.choice(["ok", "ok", "fail", "swallow", "slow"])
        n = Leaf(self.name("L"), kind, self.dur(1, UNIT), self.dur(1, UNIT // 2))
        self.nodes.append(n)
        return n

    def maybe_task(self, child):
        if isinstance(child, Leaf) and self.rng.chance(40):
            child.as_task = True
        return child

    def tk_node(self, depth):
        r = self.rng
        kind = r.choice(["wait_for", "wait_for", "shield", "group", "group", "timeout", "timeout"])
        if kind == "wait_for":
            name = self.name("F")
            child = self.maybe_task(self.node(depth + 1))
            timeout = None if r.chance(25) else (0 if r.chance(12) else self.dur(1, UNIT))
            n = WaitFor(name, child, timeout)
        elif kind == "shield":
            name = self.name("H")
            n = Shield(name, self.maybe_task(self.node(depth + 1)))
        elif kind == "group":
            name = self.name("T")
            children = [self.node(depth + 1)]  # the only child allowed to be loud
            for _ in range(r.below(3)):
                children.insert(r.below(len(children) + 1), self.silent_leaf())
            for c in children:
                if isinstance(c, Leaf):
                    c.as_task = True  # created by tg.create_task: a cancel target
            body = self.any_leaf() if r.chance(50) else None
            n = Group(name, children, body)
        else:
            name = self.name("M")
            child = self.maybe_task(self.node(depth + 1))
            delay = None if r.chance(15) else (0 if r.chance(10) else self.dur(1, UNIT))
            resched = self.dur(1, UNIT) if r.chance(20) else None
            n = Scope(name, child, delay, resched)
        self.nodes.append(n)
        return n


# ---- CPython --------------------------------------------------------------------------------


def py_cancelled(name, indent, extra=""):
    pad = " " * indent
    return [f"{pad}except asyncio.CancelledError as e:",
            f"{pad}    R.say({name!r}, 'cancelled', erepr(e){extra})",
            f"{pad}    raise"]


def py_node(n):
    nm = repr(n.name)
    out = [f"async def {n.name}():", f"    R.started({nm})"]
    if isinstance(n, WaitFor):
        timeout = "None" if n.timeout is None else secs(n.timeout)
        out += ["    try:",
                f"        r = await asyncio.wait_for({py_child(n.child)}, timeout={timeout})",
                "    except TimeoutError:",
                f"        R.say({nm}, 'timeout')",
                f"        return '{n.name}:T'"]
        out += py_cancelled(n.name, 4)
        out += [f"    R.say({nm}, '->', pyrepr(r))", f"    return '{n.name}:ok'"]
    elif isinstance(n, Shield):
        out += [f"    inner = {py_child(n.child)}",
                "    try:",
                "        r = await asyncio.shield(inner)"]
        out += py_cancelled(n.name, 4)
        out += [f"    R.say({nm}, '->', pyrepr(r))", f"    return '{n.name}:ok'"]
    elif isinstance(n, Group):
        out += ["    try:", "        async with asyncio.TaskGroup() as tg:"]
        for c in n.children:
            if isinstance(c, Leaf):
                out.append(f"            tk_track({c.name!r}, tg.create_task({py_leaf_call(c)}))")
            elif isinstance(c, Gather):
                out.append(f"            tg.create_task(tk_await(mk_{c.name}()))")
            else:
                out.append(f"            tg.create_task({c.name}())")
        if n.body is not None:
            out += [f"            r = await {py_leaf_call(n.body)}",
                    f"            R.say({nm}, 'body ->', pyrepr(r))"]
        out += ["    except ExceptionGroup as eg:",
                f"        R.say({nm}, 'EG', tk_eg(eg))",
                f"        raise ValueError({nm})"]
        out += py_cancelled(n.name, 4)
        out += [f"    R.say({nm}, 'end')", f"    return '{n.name}:ok'"]
    else:
        delay = "None" if n.delay is None else secs(n.delay)
        out += ["    loop = asyncio.get_running_loop()",
                f"    cm = asyncio.timeout({delay})",
                "    try:",
                "        async with cm:"]
        if n.resched is not None:
            out.append(f"            cm.reschedule(loop.time() + {secs(n.resched)})")
        out += [f"            r = await {py_child(n.child)}",
                "    except TimeoutError:",
                f"        R.say({nm}, 'timeout', cm.expired())",
                f"        return '{n.name}:T'"]
        out += py_cancelled(n.name, 4, extra=", cm.expired()")
        out += [f"    R.say({nm}, '->', pyrepr(r), cm.expired())", f"    return '{n.name}:ok'"]
    return out + [""]


def py_scenario(sc):
    text = BASE_PY_SCENARIO(sc)
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("from fuzz_rt import"))
    lines.insert(at + 1, "from tk_rt import tk_await, tk_eg, tk_track")
    text = "\n".join(lines)
    defs = []
    for n in sc.nodes:
        if isinstance(n, TK_TYPES):
            defs += py_node(n)
    head, sep, tail = text.partition("async def main():\n")
    return head + "\n".join(defs) + "\n" + sep + tail


# ---- C++ --------------------------------------------------------------------------------------


def cpp_cancelled(name, extra=""):
    return ["  } catch (const CancelledError&) {",
            f"    R.say({cpp_str(name)}, \"cancelled\", erepr(std::current_exception()){extra});",
            "    throw;",
            "  }"]


def cpp_node(n):
    nm = cpp_str(n.name)
    out = [f"Coro<std::string> {n.name}() {{", f"  R.started({nm});"]
    if isinstance(n, WaitFor):
        timeout = "std::nullopt" if n.timeout is None else secs(n.timeout)
        out += ["  try {",
                f"    auto r = co_await asyncio::wait_for({cpp_child(n.child)}, {timeout});",
                f"    R.say({nm}, \"->\", gw::repr(r));",
                "  } catch (const asyncio::TimeoutError&) {",
                f"    R.say({nm}, \"timeout\");",
                f"    co_return \"{n.name}:T\";"]
        out += cpp_cancelled(n.name)
    elif isinstance(n, Shield):
        out += [f"  auto inner = {cpp_child(n.child)};",
                "  try {",
                "    auto r = co_await asyncio::shield(std::move(inner));",
                f"    R.say({nm}, \"->\", gw::repr(r));"]
        out += cpp_cancelled(n.name)
    elif isinstance(n, Group):
        out += ["  try {",
                "    co_await asyncio::TaskGroup::run([](asyncio::TaskGroup& tg) -> Coro<void> {"]
        for c in n.children:
            if isinstance(c, Leaf):
                out.append(f"      tk::track({cpp_str(c.name)}, tg.create_task({cpp_leaf_call(c)}));")
            elif isinstance(c, Gather):
                out.append(f"      tg.create_task(mk_{c.name}());")
            else:
                out.append(f"      tg.create_task({c.name}());")
        if n.body is not None:
            out += [f"      auto r = co_await {cpp_leaf_call(n.body)};",
                    f"      R.say({nm}, \"body ->\", gw::repr(r));"]
        else:
            out.append("      co_return;")
        out += ["    });",
                "  } catch (const asyncio::ExceptionGroup& eg) {",
                f"    R.say({nm}, \"EG\", tk::eg(eg));",
                f"    throw std::invalid_argument({nm});"]
        out += cpp_cancelled(n.name)
        out.append(f"  R.say({nm}, \"end\");")
    else:
        delay = "std::nullopt" if n.delay is None else secs(n.delay)
        resched = "std::nullopt" if n.resched is None else secs(n.resched)
        out += [f"  asyncio::Timeout cm = asyncio::timeout({delay});",
                "  try {",
                f"    auto r = co_await tk::scoped(cm, [] {{ return {cpp_child(n.child)}; }}, {resched});",
                f"    R.say({nm}, \"->\", gw::repr(r), cm.expired());",
                "  } catch (const asyncio::TimeoutError&) {",
                f"    R.say({nm}, \"timeout\", cm.expired());",
                f"    co_return \"{n.name}:T\";"]
        out += cpp_cancelled(n.name, extra=", cm.expired()")
    out += [f"  co_return \"{n.name}:ok\";", "}", ""]
    return out


def cpp_scenario(sc):
    text = BASE_CPP_SCENARIO(sc)
    tk = [n for n in sc.nodes if isinstance(n, TK_TYPES)]
    if not tk:
        return text
    first, nl, rest = text.partition("\n")  # "namespace sS_A {"
    decls = "".join(f"Coro<std::string> {n.name}();\n" for n in tk)
    defs = []
    for n in tk:
        defs += cpp_node(n)
    head, sep, tail = rest.partition("Coro<void> main_() {\n")
    return first + nl + decls + head + "\n".join(defs) + "\n" + sep + tail


def cpp_file(scenarios):
    text = BASE_CPP_FILE(scenarios)
    assert '#include "fuzz_rt.hpp"\n' in text
    text = text.replace('#include "fuzz_rt.hpp"\n', '#include "fuzz_rt.hpp"\n#include "tk_rt.hpp"\n', 1)
    return text.replace("// Generated by tests/conformance/fuzz/gen.py",
                        "// Generated by tests/conformance/fuzz/gen_tk.py", 1)


# gen.py's writers and runner look these names up when called: the toolkit family.
BASE_PY_SCENARIO, BASE_CPP_SCENARIO, BASE_CPP_FILE = gen.py_scenario, gen.cpp_scenario, gen.cpp_file
gen.Scenario = TkScenario
gen.py_scenario = py_scenario
gen.cpp_scenario = cpp_scenario
gen.cpp_file = cpp_file

if __name__ == "__main__":
    sys.exit(gen.main())
