#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`ptkit sim`: hand-written traces whose figures are worked out here by
hand (pages touched, tables a 4-level x86-64 radix table needs for them,
copy-on-write breaks after a fork, TLB hits of a re-touched page), error
lines named, radix and hashed agreeing, and the recorded default trace
replaying into one JSON object.

usage: test_sim.py PTKIT SRCDIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PTKIT = None
TMP = None
PASSED = FAILED = 0

MB2 = 2 << 20
PG = 4096
BASE = 0x10000000  # 2 MiB-aligned (and 1 GiB-aligned: one PDPT entry)


def result(ok, what, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok   {what}")
    else:
        FAILED += 1
        print(f"FAIL {what} {detail}")


def put(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def sim(args):
    p = subprocess.run([PTKIT, "sim"] + args, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def sim_json(args, what):
    rc, out, err = sim(args + ["--json"])
    if rc != 0:
        result(False, what, f"rc {rc}: {err.strip()}")
        return None
    try:
        return json.loads(out)
    except ValueError as e:
        result(False, what, f"not JSON: {e}")
        return None


def check(doc, want, what):
    bad = {k: (doc.get(k), v) for k, v in want.items() if doc.get(k) != v}
    result(not bad, what, f"(got, want): {bad}")


# --- trace lines, as valgrind 3.19 prints them
def mmap(pid, va, length, prot=3, flags=0x22):
    return (f"SYSCALL[{pid},1](9) sys_mmap ( 0x0, {length}, {prot}, {flags}, "
            f"4294967295, 0 ) --> [pre-success] Success({va:#x}) \n")


def munmap(pid, va, length):
    return (f"SYSCALL[{pid},1](11) sys_munmap ( {va:#x}, {length} )[sync] "
            f"--> Success(0x0) \n")


def brk(pid, want, got):
    return (f"SYSCALL[{pid},1](12) sys_brk ( {want:#x} ) --> [pre-success] "
            f"Success({got:#x}) \n")


def fork(parent, child):
    return (f"SYSCALL[{parent},1](56) sys_clone ( 1200011, 0x0, 0x0, 0x0, "
            f"0x0 )   clone(fork): process {parent} created child {child}\n"
            f" --> [pre-success] Success({child:#x})  --> [pre-success] "
            f"Success(0x0) \n")


def other(pid):  # a syscall that makes pid the current process
    return (f"SYSCALL[{pid},1](39) sys_getpid ( ) --> [pre-success] "
            f"Success({pid:#x}) \n")


def store(va, size=8):
    return f" S {va:x},{size}\n"


def load(va, size=8):
    return f" L {va:x},{size}\n"


HEAD = "==100== Lackey, an example Valgrind tool\n"


def group_faults():
    # 10 pages in the first 2 MiB, one in the second: one PML4, PDPT and
    # PD table, two PTs; page 0 touched again (a TLB hit).
    t = HEAD + mmap(100, BASE, 2 * MB2)
    for i in range(10):
        t += store(BASE + i * PG)
    t += load(BASE + MB2 + 5 * PG)
    t += load(BASE + 16)
    path = put("faults.log", t)
    d = sim_json([path], "faults trace replays")
    if d:
        check(d, {"faults": 11, "cow_breaks": 0, "accesses": 12,
                  "untraced_pages": 0, "errors": 0,
                  "table_bytes_peak": 5 * 4096}, "11 pages: 11 faults, 5 tables")
        result(d["at_peak"]["tables_per_level"] == [2, 1, 1, 1],
               "tables per level PT..PML4 = 2,1,1,1",
               str(d["at_peak"]["tables_per_level"]))
        # every fault: a miss, the fault, the retried access's miss
        check(d, {"tlb_hits": 1, "tlb_misses": 22}, "TLB: one hit, 2 misses per fault")
    h = sim_json([path, "--impl", "hashed"], "faults trace, hashed")
    if d and h:
        check(h, {k: d[k] for k in ("faults", "cow_breaks", "tlb_hits",
                                    "tlb_misses")}, "hashed = radix")
        result(sum(h["at_peak"]["records_per_level"]) >= 2,
               "hashed: records counted", str(h["at_peak"]))
    # THP: one 2 MiB page for the first ten, one for the last: a PD leaf
    # needs no PT
    t = sim_json([path, "--thp", "always"], "faults trace, THP")
    if t:
        check(t, {"faults": 2, "table_bytes_peak": 3 * 4096}, "THP: 2 faults, 3 tables")
        result(t["at_peak"]["tables_per_level"] == [0, 1, 1, 1],
               "THP tables per level 0,1,1,1", str(t["at_peak"]))


def group_fork():
    # parent writes page A; fork; the child writes A (a copy), the parent
    # writes A (nobody else maps its frame now: reused), the child reads B
    # (never touched: a plain fault, no break)
    t = (HEAD + mmap(100, BASE, 2 * PG) + store(BASE) + fork(100, 101) +
         other(101) + store(BASE) + other(100) + store(BASE) + other(101) +
         load(BASE + PG))
    path = put("fork.log", t)
    d = sim_json([path], "fork trace replays")
    if d:
        check(d, {"processes": 2, "forks": 1, "cow_copies": 1,
                  "cow_reuses": 1, "cow_breaks": 2}, "fork: one copy, one reuse")
    h = sim_json([path, "--impl", "hashed"], "fork trace, hashed")
    if d and h:
        check(h, {k: d[k] for k in ("faults", "cow_copies", "cow_reuses",
                                    "tlb_misses")}, "fork: hashed = radix")
    # valgrind may print the fork note on a line of its own, after the
    # clone's result (when the child ran first)
    t = (HEAD + mmap(100, BASE, PG) + load(BASE) +
         "SYSCALL[100,1](56) sys_clone ( 1200011, 0x0, 0x0, 0x4a29a10, 0x0 )"
         " --> [pre-success] Success(0x0) \n" + load(BASE + 8) +
         "   clone(fork): process 100 created child 102\n" + other(102) +
         store(BASE) + other(100) + store(BASE))
    d = sim_json([put("fork2.log", t)], "fork note on its own line")
    if d:
        check(d, {"forks": 1, "processes": 2, "cow_copies": 1,
                  "cow_reuses": 1}, "fork note alone: the fork is seen")
    # the child exits; the accesses before the next SYSCALL line are the
    # parent's (the one process left), not a new untraced process
    t = (HEAD + mmap(100, BASE, PG) + store(BASE) + fork(100, 101) +
         other(101) + f"SYSCALL[101,1](231) exit_group( 0 ) --> "
         "[pre-success] Success(0x0) \n" + store(BASE))
    d = sim_json([put("exit.log", t)], "child exits")
    if d:
        check(d, {"processes": 2, "exits": 1, "untraced_pages": 0,
                  "cow_copies": 0, "cow_reuses": 1},
              "after the child's exit the parent writes: a reuse")
    # a write before any fork breaks nothing; one write after one fork: 1
    t = (HEAD + mmap(100, BASE, PG) + load(BASE) + fork(100, 101) +
         other(101) + store(BASE))
    d = sim_json([put("fork1.log", t)], "fork then one write")
    if d:
        check(d, {"cow_breaks": 1}, "fork then a write: exactly one COW break")


def group_errors():
    t = (HEAD + mmap(100, BASE, 4 * PG) + store(BASE + PG) +
         munmap(100, BASE, 4 * PG) + load(BASE + PG) + store(BASE + 2 * PG))
    path = put("unmapped.log", t)
    rc, out, err = sim([path])
    result(rc == 2 and f"unmapped.log:5: read at {BASE + PG:#x}" in err and
           "no mapping" in err, "access after munmap: error with its line",
           f"rc {rc} {err!r}")
    d = sim_json([path, "--on-error", "skip"], "skip goes on")
    if d:
        check(d, {"errors": 2, "skipped_lines": 2, "faults": 1},
              "skip: both bad accesses counted")
    t = HEAD + mmap(100, BASE, PG) + store(BASE) + " L 1000zz,8\n" + load(BASE)
    path = put("bad.log", t)
    rc, out, err = sim([path])
    result(rc == 2 and "bad.log:4: bad address" in err,
           "malformed line: its number", f"rc {rc} {err!r}")
    rc, out, err = sim([put("junk.log", HEAD + "hello world\n")])
    result(rc == 2 and "junk.log:2: not a lackey line" in err,
           "unknown line named", err)
    rc, out, err = sim([put("long.log", HEAD + store(BASE) + " L " +
                            "0" * 70000 + ",8\n")])
    result(rc == 2 and "long.log:3: line longer than" in err,
           "an overlong line named", err)
    # a write to a read-only mapping
    t = HEAD + mmap(100, BASE, PG, prot=1) + load(BASE) + store(BASE)
    rc, out, err = sim([put("ro.log", t)])
    result(rc == 2 and "ro.log:4: write at" in err and "protection" in err,
           "write to a read-only mapping", err)
    for args, msg in ((["--impl", "btree"], "bad --impl 'btree'"),
                      (["--tlb", "100x4"], "bad --tlb '100x4'"),
                      (["--thp", "sometimes"], "bad --thp"),
                      (["--on-error", "retry"], "bad --on-error"),
                      (["--format", "vax"], "unknown format 'vax'")):
        rc, out, err = sim([path] + args)
        result(rc == 1 and msg in err, f"usage error: {msg}", err)
    rc, out, err = sim([os.path.join(TMP, "nonexistent.log")])
    result(rc == 2 and "cannot open" in err, "missing trace", err)


def mremap(pid, old, oldlen, newlen, flags, new):
    return (f"SYSCALL[{pid},1](25) sys_mremap ( {old:#x}, {oldlen}, {newlen}, "
            f"{flags:#x} ) --> [pre-success] Success({new:#x}) \n")


def mprotect(pid, va, length, prot):
    return (f"SYSCALL[{pid},1](10) sys_mprotect ( {va:#x}, {length}, {prot} )"
            f"[sync] --> Success(0x0) \n")


def group_remap_protect_exec():
    # two pages written, moved 64 pages up: reading the new place finds
    # them (no fault), reading the old place is an error (line 7)
    new = BASE + 64 * PG
    t = (HEAD + mmap(100, BASE, 2 * PG) + store(BASE) + store(BASE + PG) +
         mremap(100, BASE, 2 * PG, 2 * PG, 3, new) + load(new + PG) +
         load(BASE) + load(new))
    path = put("mremap.log", t)
    rc, out, err = sim([path])
    result(rc == 2 and f"mremap.log:7: read at {BASE:#x}: no mapping" in err,
           "mremap: the old place is gone", err)
    d = sim_json([path, "--on-error", "skip"], "mremap replays")
    if d:
        check(d, {"faults": 2, "errors": 1}, "mremap: the pages moved, no new fault")
    # grown in place: the new page faults
    t = (HEAD + mmap(100, BASE, PG) + store(BASE) +
         mremap(100, BASE, PG, 2 * PG, 1, BASE) + store(BASE + PG))
    d = sim_json([put("grow.log", t)], "mremap grows in place")
    if d:
        check(d, {"faults": 2, "errors": 0}, "mremap grown: one more fault")
    # mprotect read-only: a write is refused (line 5), a read is not
    t = (HEAD + mmap(100, BASE, 2 * PG) + store(BASE) +
         mprotect(100, BASE, PG, 1) + store(BASE) + load(BASE) +
         store(BASE + PG))
    path = put("mprotect.log", t)
    rc, out, err = sim([path])
    result(rc == 2 and "mprotect.log:5: write at" in err and
           "protection forbids" in err, "mprotect: a write refused", err)
    d = sim_json([path, "--on-error", "skip"], "mprotect replays")
    if d:
        check(d, {"faults": 2, "errors": 1}, "mprotect: reads still allowed")
    # execve empties the space: the old address is untraced again
    t = (HEAD + mmap(100, BASE, PG) + store(BASE) + munmap(100, BASE, PG) +
         "SYSCALL[100,1](59) sys_execve ( 0x4a00(/bin/true), 0x1ffe, 0x1fff )"
         " --> [pre-success] Success(0x0) \n" + load(BASE))
    d = sim_json([put("exec.log", t)], "execve replays")
    if d:
        check(d, {"execs": 1, "faults": 2, "untraced_pages": 1,
                  "errors": 0}, "execve: a new program's memory is untraced")


def group_untraced_brk():
    # no mmap: three pages of the program touched (two adjacent, merged)
    t = (HEAD + "I  00401000,4\n" + load(0x401ff8, 16) + store(0x7ff000) +
         brk(100, 0, 0x600000) + brk(100, 0x603000, 0x603000) +
         store(0x602ff8) + brk(100, 0x601000, 0x601000) + load(0x601000))
    path = put("untraced.log", t)
    rc, out, err = sim([path])
    result(rc == 2 and "untraced.log:9: read at 0x601000" in err,
           "a page brk gave back is not untraced", err)
    d = sim_json([path, "--on-error", "skip"], "untraced replays")
    if d:
        check(d, {"untraced_pages": 3, "untraced_bytes": 3 * PG,
                  "faults": 4, "errors": 1}, "3 untraced pages, 1 heap page")


def group_strace():
    t = ("200   execve(\"/bin/x\", [\"x\"], 0x7ffd /* 3 vars */) = 0\n"
         "200   brk(NULL)                = 0x555555559000\n"
         "200   mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000\n"
         "200   mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000\n"
         "200   brk(0x55555557a000)      = 0x55555557a000\n"
         "200   clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f00) = 201\n"
         "201   mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>\n"
         "200   munmap(0x7f0000000000, 8192) = 0\n"
         "201   <... mmap resumed>)      = 0x7f0000020000\n"
         "201   +++ exited with 0 +++\n"
         "200   mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = -1 ENOMEM (Cannot allocate memory)\n"
         "200   exit_group(0)            = ?\n")
    path = put("prog.strace", t)
    d = sim_json([path], "strace replays")
    if d:
        # touched when added: 2 mmap pages, 0x21 heap pages, the child's 1
        check(d, {"trace_format": "strace", "processes": 2, "forks": 1,
                  "faults": 2 + 0x21 + 1, "accesses": 0, "errors": 0},
              "strace: populate faults counted by hand")


def group_default(srcdir):
    d = sim_json(["--every", "100000"], "default trace --json parses")
    if not d:
        return
    result(d["errors"] == 0 and d["events"] > 1000000 and d["faults"] > 100
           and d["untraced_pages"] > 0 and len(d["series"]) >= 10 and
           d["trace"].endswith("xz.lackey.gz"),
           "default trace: events, faults, untraced, series",
           str({k: d[k] for k in ("errors", "events", "faults",
                                  "untraced_pages")}))
    # x86-64 radix tables are 4 KiB each: the memory the provider holds
    # is the tables counted, at every point
    bad = [p for p in d["series"]
           if sum(p["tables_per_level"]) * 4096 != p["table_bytes"]]
    result(not bad and d["series"][-1]["events"] == d["events"],
           "series: table bytes = 4 KiB x tables, at every point",
           str(bad[:2]))
    h = sim_json(["--impl", "hashed", "--every", "0"], "default trace, hashed")
    if h:
        check(h, {k: d[k] for k in ("faults", "cow_breaks", "untraced_pages",
                                    "accesses")}, "default: hashed = radix")
    svg = os.path.join(TMP, "plot.svg")
    rc, out, err = sim(["--every", "50000", "--svg", svg])
    try:
        root = ET.parse(svg).getroot()
        lines = root.findall("{http://www.w3.org/2000/svg}polyline")
        ok = rc == 0 and len(lines) == 2 and all(
            len(p.get("points").split()) >= 20 for p in lines)
    except (OSError, ET.ParseError) as e:
        ok, err = False, str(e)
    result(ok, "--svg: two plotted lines", err)


def group_help(srcdir):
    p = subprocess.run([PTKIT, "--help"], capture_output=True, text=True)
    result(re.search(r"^  sim +replay", p.stdout, re.M) is not None,
           "ptkit --help lists sim", p.stdout)
    rc, out, err = sim(["--help"])
    src = set(re.findall(r'"(--[a-z][a-z0-9-]*)"', open(
        os.path.join(srcdir, "tools", "ptkit", "sim.c")).read()))
    valgrind = {"--tool", "--trace-mem", "--trace-syscalls", "--log-file"}
    helped = set(re.findall(r"(?<![\w-])(--[a-z0-9-]+)", out)) - {"--help"}
    result(rc == 0 and src <= helped and helped - src <= valgrind,
           "sim --help names exactly the options sim.c takes",
           f"missing {src - helped}, unknown {helped - src - valgrind}")
    man = open(os.path.join(srcdir, "tools", "ptkit", "ptkit.1")).read()
    man = man.replace("\\-", "-")
    sec = man.split(".SS sim\n", 1)[-1].split(".SS ", 1)[0].split(".SH", 1)[0]
    undoc = sorted(o for o in src if o not in sec)
    result(".SS sim\n" in man and not undoc,
           f"ptkit.1 describes sim's options: missing {undoc or 'none'}")


def main():
    global PTKIT, TMP
    PTKIT = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ptk-sim-") as TMP:
        group_faults()
        group_fork()
        group_errors()
        group_untraced_brk()
        group_remap_protect_exec()
        group_strace()
        group_default(sys.argv[2])
        group_help(sys.argv[2])
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
