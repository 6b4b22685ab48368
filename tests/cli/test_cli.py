#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_cli.py PTKIT SRCDIR: the ptkit command's contract (issue #12).

Every case checks an exit status and a message: usage errors exit 1,
data and runtime errors exit 2, and each error names its cause on stderr.
Images are made here (small raw x86-64 tables written byte by byte, so
the expected answers are independent of ptkit) or are the QEMU fixtures
under SRCDIR/tests/fixtures (QEMU's own answers).

Groups (run one with PTK_CLI_ONLY=word):
  usage     exit codes, help texts against the options in the source,
            numbers (hex without 0x, never octal), write errors
  empty     a dump or translate that found nothing usable says why
  stdin     translate reads lines of any length
  cycle     translate and dump agree on a self-mapping entry
  json      dump --json and translate --json are one document each
  progress  the progress line (on a pseudo-terminal)
  budget    the default walk budget follows the image's size
  linux     --style linux and the W+X check
  svg       ptkit map --svg, parsed and checked against the dump
  listing   qemu-tlb's P flag on a 4 KiB leaf with PAT set; the default
            translate output against QEMU's gva2gpa answers
  messages  every message is one string literal in the source

Ends with "N passed, N failed".
"""
import gzip
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PASSED = 0
FAILED = 0
P, RW, US, PS, PAT4K = 1, 2, 4, 0x80, 0x80
NX = 1 << 63
PTKIT = SRC = TMP = None


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what)


def run(args, stdin=None, stdout=None):
    p = subprocess.run([PTKIT] + args, input=stdin, timeout=300,
                       stdout=stdout if stdout is not None
                       else subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode() if p.stdout is not None else ""
    return p.returncode, out, p.stderr.decode()


def expect(args, rc, err_has, what, stdin=None, out_has=None, stdout=None):
    """One case: exit status @rc and @err_has in stderr."""
    got_rc, out, err = run(args, stdin, stdout)
    ok = got_rc == rc and all(s in err for s in
                              ([err_has] if isinstance(err_has, str)
                               else err_has))
    if out_has is not None:
        ok = ok and out_has in out
    result(ok, f"{what}: exit {got_rc} (want {rc}); "
           f"stderr: {err.strip()[:300] or '-'}")
    return out, err


def put(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def x86_image(entries, size=0x10000):
    """A raw x86-64 image, base 0: {(table_pa, index): entry}."""
    b = bytearray(size)
    for (t, i), v in entries.items():
        struct.pack_into("<Q", b, t + 8 * i, v)
    return bytes(b)


ROOT, PDPT, PD, PT = 0x1000, 0x2000, 0x3000, 0x4000
TBL = P | RW | US


def small_table():
    """VA 0: four 4 KiB pages at PA 0x100000."""
    e = {(ROOT, 0): PDPT | TBL, (PDPT, 0): PD | TBL, (PD, 0): PT | TBL}
    for i in range(4):
        e[(PT, i)] = (0x100000 + i * 0x1000) | P | RW | US
    return e


def fixture(name):
    """The fixture's ELF core (unpacked once) and its fixture.json."""
    d = os.path.join(SRC, "tests", "fixtures", name)
    fx = json.load(open(os.path.join(d, "fixture.json")))
    path = os.path.join(TMP, name + ".elf")
    if not os.path.exists(path):
        with gzip.open(os.path.join(d, "tables.elf.gz")) as f:
            put(name + ".elf", f.read())
    return path, fx, d


def root_args(cpu):
    a = ["--root", cpu["root"]]
    if "root1" in cpu:
        a += ["--root1", cpu["root1"]]
    return a


def elf_bytes_at(data, pa, n):
    """@n bytes at physical address @pa of an ELF64 core, or None."""
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    for i in range(phnum):
        o = phoff + i * phentsize
        ptype, = struct.unpack_from("<I", data, o)
        off, _, paddr, filesz = struct.unpack_from("<QQQQ", data, o + 8)
        if ptype == 1 and paddr <= pa and pa + n <= paddr + filesz:
            return data[off + pa - paddr:off + pa - paddr + n]
    return None


def elf_to_raw(elf):
    data = open(elf, "rb").read()
    phoff, = struct.unpack_from("<Q", data, 32)
    phentsize, phnum = struct.unpack_from("<HH", data, 54)
    loads = []
    for i in range(phnum):
        t, _f, off, _v, pa, n = struct.unpack_from("<IIQQQQ", data,
                                                   phoff + i * phentsize)
        if t == 1:
            loads.append((pa, data[off:off + n]))
    base = min(pa for pa, _ in loads) & ~0xfffff
    path = os.path.join(TMP, os.path.basename(elf) + ".raw")
    with open(path, "wb") as f:
        for pa, b in loads:
            f.seek(pa - base)
            f.write(b)
    return path, base


# --- usage: exit codes, help texts, numbers, write errors

def source_options(files):
    opts = set()
    for f in files:
        text = open(os.path.join(SRC, f)).read()
        opts |= set(re.findall(r'"(--[a-z0-9-]+)"', text))
    return opts - {"--help"}


def help_options(cmd):
    rc, out, err = run([cmd, "--help"])
    # `ptkit dump --style ...` quoted in bench's help is another command's
    text = re.sub(r"`ptkit[^`]*`", "", out.replace("`ptkit dump\n", "`ptkit dump "))
    return rc, set(re.findall(r"(?<![\w-])(--[a-z0-9-]+)", text)), out


def group_usage():
    img = put("small.raw", x86_image(small_table()))
    base = [img, "--format", "x86_64"]
    for opt, val in (("--root", "zzz"), ("--root", "0x"),
                     ("--root", "12345678901234567"), ("--base", "-1"),
                     ("--cpu", "x1")):
        args = ["dump"] + base + ([opt, val] if opt == "--root" else
                                  ["--root", "0x1000", opt, val])
        expect(args, 1, f"bad {opt} '{val}'", f"dump {opt} {val}")
    expect(["dump", img, "--format", "armv8_4k_48", "--root", "0",
            "--root1", "g"], 1, "bad --root1 'g'", "dump --root1 g")
    expect(["translate"] + base + ["--root", "0x1000", "0xzz"], 1,
           "bad address '0xzz'", "translate with a bad VA argument")
    expect(["dump"] + base + ["--root"], 1, "option --root needs a value",
           "dump --root without its value")
    expect(["dump"] + base + ["--root", "0x1000", "--va-start", "12g"], 1,
           "bad --va-start '12g'", "dump --va-start 12g")
    expect(["dump"] + base + ["--root", "0x1000", "--budget", "0"], 1,
           "bad --budget '0'", "dump --budget 0")
    expect(["dump"] + base + ["--root", "0x1000", "--frobnicate"], 1,
           "unexpected argument '--frobnicate'", "dump --frobnicate")
    expect(["dump"] + base, 1, "give exactly one of --root and --cpu",
           "dump without a root")
    expect(["dump", "--format", "x86_64"], 1, "no IMAGE given",
           "dump without an image")
    expect(["dump"] + base + ["--root", "0x1000", "--json", "--style",
                               "qemu-tlb"], 1,
           "--json is for the ptdump and tables styles",
           "dump --json --style qemu-tlb")
    expect(["dump"] + base + ["--root", "0x1000", "--style", "fancy"], 1,
           "unknown style 'fancy'", "dump --style fancy")
    expect(["dump"] + base + ["--root", "0x1000", "--style", "linux"], 0,
           [], "dump --style linux on an x86_64 raw image")
    expect(["dump", img, "--format", "riscv_sv39", "--root",
            "0x8000000000000001", "--style", "linux"], 1,
           "needs Linux's layout",
           "dump --style linux with a RISC-V format")
    expect(["map"] + base + ["--root", "0x1000"], 1,
           "--svg FILE is required", "map without --svg")
    expect(["nosuch"], 1, "unknown command 'nosuch'", "ptkit nosuch")
    expect([], 1, [], "ptkit without a command")

    # help
    for args in (["help", "--help"], ["help", "-h"], ["help"], ["--help"]):
        out, _ = expect(args, 0, [], "ptkit " + " ".join(args))
        result(out.startswith("usage: ptkit <command>"),
               f"ptkit {' '.join(args)} prints the command list")
    out, _ = expect(["help", "dump"], 0, [], "ptkit help dump")
    result(out.startswith("usage: ptkit dump"), "help dump is dump's help")
    expect(["help", "nosuch"], 1, "unknown command 'nosuch'",
           "ptkit help nosuch")

    # Every option a command's source accepts is in its --help, and every
    # option its --help names is one the source knows.
    shared = ["tools/ptkit/imgcmd.c"]
    sources = {
        "formats": ["tools/ptkit/formats.c"],
        "info": ["tools/ptkit/info.c"],
        "dump": ["tools/ptkit/dump.c", "tools/ptkit/scan.c"] + shared,
        "translate": ["tools/ptkit/translate.c"] + shared,
        "map": ["tools/ptkit/map.c", "tools/ptkit/scan.c"] + shared,
        "bench": ["bench/bench.c"],
        "roots": ["tools/ptkit/roots.c"],
        "read": ["tools/ptkit/read.c"] + shared,
        "pa2va": ["tools/ptkit/pa2va.c", "tools/ptkit/scan.c"] + shared,
    }
    for cmd, files in sources.items():
        rc, in_help, text = help_options(cmd)
        src = source_options(files)
        if cmd == "info":
            src |= {"--base"}  # the one shared option info takes
        missing = sorted(src - in_help)
        unknown = sorted(in_help - src - {"--help"})
        result(rc == 0 and not missing and not unknown,
               f"{cmd} --help: exit {rc}, options missing from it: "
               f"{missing or 'none'}, named but unknown: {unknown or 'none'}")
        # ... and the man page describes each in the command's section.
        man = open(os.path.join(SRC, "tools", "ptkit", "ptkit.1")).read()
        man = man.replace("\\-", "-")
        sec = man.split(f".SS {cmd}\n", 1)[-1].split(".SS ", 1)[0]
        undoc = sorted(o for o in in_help if o != "--help" and o not in sec)
        result(f".SS {cmd}\n" in man and not undoc,
               f"ptkit.1 describes {cmd}'s options: missing {undoc or 'none'}")

    # Numbers: addresses are hexadecimal with or without 0x, never octal.
    ref = run(["dump"] + base + ["--root", "0x1000", "--style", "qemu-tlb"])
    got = run(["dump"] + base + ["--root", "1000", "--style", "qemu-tlb"])
    result(ref[0] == 0 and got == ref,
           "--root 1000 is 0x1000 (unprefixed hex, as QEMU prints CR3)")
    got = run(["dump"] + base + ["--root", "0000000000001000", "--style",
                                 "qemu-tlb"])
    result(got == ref, "--root 0000000000001000 (QEMU's info registers)")
    rc, out, err = run(["dump"] + base + ["--root", "0x1000", "--style",
                                          "qemu-tlb", "--va-start",
                                          "02000"])
    result(rc == 0 and out.splitlines()[0].startswith("0000000000002000:"),
           f"--va-start 02000 is 0x2000, not octal 1024 (exit {rc}: "
           f"{out.splitlines()[:1]})")
    rc, out, err = run(["translate"] + base + ["--root", "1000", "1234",
                                               "0x3000", "00003fff"])
    result(rc == 0 and out == "0x1234 0x101234\n0x3000 0x103000\n"
           "0x3fff 0x103fff\n",
           f"translate reads unprefixed and zero-led hex VAs: {out!r}")
    rc, out, err = run(["translate"] + base + ["--root", "1000"],
                       b"0000000000001000: 0000000000101000 -------UW\n")
    result(rc == 0 and out == "0x1000 0x101000\n",
           f"translate takes a line of QEMU's info tlb on stdin: {out!r}")
    elf, fx, _ = fixture("x86_64")
    expect(["dump", elf, "--format", "x86_64", "--cpu", "010"], 2,
           "describes 4 CPUs, no CPU 10", "--cpu 010 is CPU 10 (decimal)")
    expect(["dump"] + base + ["--root", "0x1000", "--budget", "0x10"], 2,
           "walk budget of 16 table entries",
           "--budget 0x10 is 16 (hex after 0x)")

    # Write errors: stdout on a full device fails with the system's reason.
    if os.path.exists("/dev/full"):
        full = open("/dev/full", "wb")
        for args in (["info", img], ["formats"], ["formats", "--json"],
                     ["--help"], ["dump"] + base + ["--root", "0x1000"],
                     ["dump"] + base + ["--root", "0x1000", "--json"],
                     ["translate"] + base + ["--root", "0x1000", "0x0"],
                     ["map"] + base + ["--root", "0x1000", "--svg", "-"]):
            expect(args, 2, "cannot write to standard output: No space "
                   "left on device", f"{' '.join(args[:1])} > /dev/full",
                   stdout=full)
        full.close()
    expect(["map"] + base + ["--root", "0x1000", "--svg",
                             "/nonexistent/dir/x.svg"], 2,
           "map: cannot create /nonexistent/dir/x.svg: No such file",
           "map --svg into a missing directory")


# --- a dump or translate that found nothing usable

def group_empty():
    elf, fx, _ = fixture("x86_64")
    cpu = fx["cpus"][0]
    # The format names what does not fit: the image's machine, or the
    # root register (a CR3 is no EPTP).
    for fmt, why in (("x86_ept", "does not fit format x86_ept: EPTP bits "
                      "5:3 (page-walk length - 1)"),
                     ("armv8_4k_48", "format armv8_4k_48 does not fit this "
                      "x86-64 image (ELF machine 62)")):
        expect(["dump", elf, "--format", fmt] + root_args(cpu), 2, [why],
               f"dump --format {fmt} of an x86-64 core")
    expect(["translate", elf, "--format", "x86_ept"] + root_args(cpu) +
           ["0xffffffffa0801d32", "0x400000"], 2,
           "does not fit format x86_ept: EPTP bits 5:3",
           "translate --format x86_ept of an x86-64 core")
    raw, base = elf_to_raw(elf)
    expect(["dump", raw, "--format", "x86_64"] + root_args(cpu), 2,
           "for a raw image, is --base right?",
           "dump of a raw image without --base")
    expect(["translate", raw, "--format", "x86_64"] + root_args(cpu) +
           ["0xffffffffa0801d32"], 2, "for a raw image, is --base right?",
           "translate of a raw image without --base")
    expect(["dump", raw, "--format", "x86_64", "--base", hex(base)] +
           root_args(cpu) + ["--style", "qemu-mem"], 0, [],
           "dump of the raw image with --base")
    img = put("small.raw", x86_image(small_table()))
    expect(["dump", img, "--format", "x86_64", "--root", "0x1000",
            "--va-start", "0x100000", "--va-end", "0x200000"], 2,
           "nothing is mapped between --va-start and --va-end",
           "dump of an empty VA range")
    expect(["dump", put("empty.raw", x86_image({(ROOT, 5): PDPT | TBL})),
            "--format", "x86_64", "--root", "0x1000"], 2,
           "the tables under root 0x1000 hold no leaf",
           "dump of tables without leaves")


# --- translate's stdin

def group_stdin():
    img = put("small.raw", x86_image(small_table()))
    args = ["translate", img, "--format", "x86_64", "--root", "0x1000"]
    line = " " * 300 + "0x2345" + " " * 300 + "trailing words\n"
    rc, out, err = run(args, (line + "0x1000\n").encode())
    result(rc == 0 and out == "0x2345 0x102345\n0x1000 0x101000\n",
           f"a 600-byte stdin line is one address: exit {rc}, {out!r}")
    rc, out, err = run(args, ("1" * 5000 + "\n0x1000\n").encode())
    result(rc == 2 and "stdin line 1: bad address" in err and
           out == "0x1000 0x101000\n",
           f"a 5000-digit line is a bad address: exit {rc}, {err.strip()}")
    rc, out, err = run(args, b"\n# comment\n   \n0x3000\n")
    result(rc == 0 and out == "0x3000 0x103000\n",
           f"empty lines and comments are skipped: {out!r}")


# --- translate and dump agree on a self-map

def group_cycle():
    e = small_table()
    e[(ROOT, 511)] = ROOT | P | RW  # PML4[511] points to the PML4 itself
    img = put("selfmap.raw", x86_image(e))
    base = [img, "--format", "x86_64", "--root", "0x1000"]
    va = "0xffffff8000000000"
    rc, out, err = run(["translate"] + base + [va, "0x1000"])
    result(rc == 2 and out == f"{va} -\n0x1000 0x101000\n" and
           "its own ancestor" in err,
           f"translate does not follow the self-map: exit {rc}, {out!r}, "
           f"{err.strip()[:200]}")
    rc, out, err = run(["dump"] + base + ["--json"])
    runs = json.loads(out)["runs"] if rc == 0 else []
    result(rc == 0 and "its own ancestor" in err and runs and
           all(int(r["va"], 16) < int(va, 16) for r in runs),
           f"dump reports and skips it too: exit {rc}, {len(runs)} runs")
    rc, out, err = run(["translate"] + base + ["--json", va])
    doc = json.loads(out) if out else {}
    result(rc == 2 and doc.get("translations", [{}])[0].get("pa", 1) is None
           and doc["translations"][0].get("error"),
           f"translate --json says why: {out.strip()[:200]}")


# --- JSON documents

def group_json():
    e = small_table()
    # the last page of the address space: PML4[511] PDPT[511] PD[511] PT[511]
    e.update({(ROOT, 511): 0x5000 | TBL, (0x5000, 511): 0x6000 | TBL,
              (0x6000, 511): 0x7000 | TBL,
              (0x7000, 511): 0x200000 | P | RW})
    img = put("top.raw", x86_image(e))
    base = [img, "--format", "x86_64", "--root", "0x1000"]
    rc, out, err = run(["dump"] + base + ["--json"])
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    runs = doc.get("runs", [])
    top = runs[-1] if runs else {}
    result(rc == 0 and len(runs) == 2 and doc.get("complete") is True and
           doc.get("leaves") == 5 and
           top.get("end") == "0x10000000000000000" and
           top.get("last") == "0xffffffffffffffff" and
           top.get("va") == "0xfffffffffffff000" and top.get("size") == 4096,
           f"dump --json: one document, top run {top}")
    rc, out, err = run(["dump"] + base + ["--json", "--style", "tables"])
    doc = json.loads(out) if rc == 0 else {}
    result(rc == 0 and len(doc.get("tables", [])) == 7,
           f"dump --json --style tables: {len(doc.get('tables', []))} "
           "tables (7 made)")
    rc, out, err = run(["dump"] + base + ["--json", "--budget", "600"])
    doc = json.loads(out) if out else {}
    result(rc == 2 and doc.get("complete") is False and "budget" in
           doc.get("stopped", "") and "budget" in err,
           f"dump --json stopped by the budget is still one document: "
           f"exit {rc}, {doc.get('stopped')}")
    rc, out, err = run(["translate"] + base + ["--json", "0x1234",
                                               "0x5000", "-v"])
    doc = json.loads(out) if rc == 0 else {}
    t = doc.get("translations", [])
    result(rc == 0 and len(t) == 2 and t[0]["pa"] == "0x101234" and
           t[0]["page_size"] == 4096 and t[0]["level_name"] == "PT" and
           t[1]["pa"] is None and doc.get("translated") == 1,
           f"translate --json: {out.strip()[:300]}")


# --- progress line

def pty_run(args, stdout_on_pty):
    """Run with stderr on a pseudo-terminal; stdout on it too, or a pipe."""
    master, slave = pty.openpty()
    out_f = slave if stdout_on_pty else subprocess.PIPE
    p = subprocess.Popen([PTKIT] + args, stdout=out_f, stderr=slave,
                         stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    piped = []
    while True:
        fds = [master] + ([p.stdout] if p.stdout else [])
        r, _, _ = select.select(fds, [], [], 60)
        if not r:
            break
        done = False
        for f in r:
            if f == master:
                try:
                    d = os.read(master, 65536)
                except OSError:
                    d = b""
                if not d:
                    done = True
                chunks.append(d)
            else:
                d = p.stdout.read1(65536)
                if d:
                    piped.append(d)
        if done:
            break
    if p.stdout:
        piped.append(p.stdout.read())
    p.wait()
    os.close(master)
    return p.returncode, b"".join(chunks).decode(errors="replace"), \
        b"".join(piped).decode()


def group_progress():
    # Everything in the upper half: a progress that followed the VA would
    # start above 50%. 256 PD entries -> one PT each (a DAG of 256 visits
    # of the same PT and many distinct PTs), to give the work some length.
    e = {(ROOT, 256): PDPT | P | RW, (PDPT, 0): PD | P | RW}
    for i in range(512):
        e[(PD, i)] = (0x10000 + (i % 64) * 0x1000) | P | RW
    for t in range(64):
        for j in range(0, 512, 7):
            e[(0x10000 + t * 0x1000, j)] = (0x200000 + j * 0x1000) | P | RW
    img = put("progress.raw", x86_image(e, 0x60000))
    args = ["dump", img, "--format", "x86_64", "--root", "0x1000",
            "--style", "qemu-tlb"]
    rc, tty, piped = pty_run(args, stdout_on_pty=False)
    pcts = [int(x) for x in re.findall(r"ptkit: dump +(\d+)%", tty)]
    mono = all(a <= b for a, b in zip(pcts, pcts[1:]))
    result(rc == 0 and len(pcts) >= 5 and pcts[0] <= 10 and mono and
           pcts[-1] == 100 and tty.endswith("\r\033[K") and
           len(piped.splitlines()) == 512 * 74,
           f"progress on stderr follows the work: exit {rc}, {len(pcts)} "
           f"updates, first {pcts[:3]}, last {pcts[-2:]}, monotonic {mono}, "
           f"cleared {tty.endswith(chr(13) + chr(27) + '[K')}")
    rc, tty, _ = pty_run(args, stdout_on_pty=True)
    result(rc == 0 and "%" not in tty and "\r\033[K" not in tty and
           len(tty.splitlines()) == 512 * 74,
           f"no progress when the listing shares the terminal: exit {rc}, "
           f"{len(tty.splitlines())} lines")


# --- the default budget follows the image's size

def group_budget():
    # A DAG: PDPT[0..299] -> one PD, whose 512 entries -> one PT of 512
    # leaves: 300 * 512 * 512 = 78.6 M entries to visit, above 2^26.
    e = {(ROOT, 0): PDPT | TBL, (PD, 0): PT | TBL}
    for i in range(300):
        e[(PDPT, i)] = PD | TBL
    for i in range(512):
        e[(PD, i)] = PT | TBL
        e[(PT, i)] = (0x100000 + i * 0x1000) | P | RW
    data = x86_image(e, 0x8000)
    small = put("dag-small.raw", data)
    big = put("dag-1g.raw", data)
    with open(big, "r+b") as f:
        f.truncate(1 << 30)  # sparse: 1 GiB of memory as far as ptkit sees
    args = ["--format", "x86_64", "--root", "0x1000", "--style", "tables"]
    expect(["dump", small] + args, 2,
           "walk budget of 67108864 table entries exhausted",
           "a 32 KiB image: the default budget (2^26) stops the DAG",
           stdout=subprocess.DEVNULL)
    expect(["dump", big] + args, 0, [],
           "a 1 GiB image: the budget (2^28) lets the same DAG finish",
           stdout=subprocess.DEVNULL)
    expect(["dump", big] + args + ["--budget", "1000000"], 2,
           "walk budget of 1000000 table entries exhausted",
           "an explicit --budget still applies", stdout=subprocess.DEVNULL)


# --- Linux's ptdump view and the W+X check

LINE = re.compile(r"^0x([0-9a-f]{16})-0x([0-9a-f]{16}) +(\S+)  +(.*)$")


def size_str(n):
    for unit in "KMGTPE":
        n >>= 10
        if n & 1023:
            return f"{n}{unit}"
    return f"{n}E"


def parse_linux(text):
    lines, sections = [], []
    for l in text.splitlines():
        m = LINE.match(l)
        if m:
            lines.append((int(m.group(1), 16), int(m.group(2), 16),
                          m.group(4).split()))
        elif l.startswith("---[ "):
            sections.append(l[5:-5])
    return lines, sections


def group_linux():
    for name, want_sections in (
            ("x86_64", ["User space", "Direct map of all physical memory "
                        "(page_offset_base)", "ESPFIX stacks (%esp fixup)",
                        "Kernel image (text, data, bss)", "Modules"]),
            ("x86_64-la57", ["User space", "Kernel space: guard hole "
                             "(reserved for a hypervisor)", "CPU entry area",
                             "Kernel image (text, data, bss)"]),
            ("aarch64-nokpti", ["User space (TTBR0)", "Linear map of "
                                "physical memory (TTBR1)", "vmalloc",
                                "vmemmap (struct page array)"]),
            ("aarch64-64k-52", ["User space (TTBR0)", "Linear map of "
                                "physical memory (TTBR1)", "vmalloc",
                                "vmemmap (struct page array)"])):
        elf, fx, _ = fixture(name)
        cpu = fx["cpus"][0]
        args = ["dump", elf, "--format", fx["format"]] + root_args(cpu)
        rc, out, err = run(args + ["--style", "linux"])
        lines, sections = parse_linux(out)
        rc2, jout, _ = run(args + ["--json", "--all-errors"])
        runs = json.loads(jout)["runs"]
        # The mapped lines cover exactly the dump's runs, and holes the
        # rest, in order, without gaps (ESPFIX's section is cut short).
        mapped = [(a, b) for a, b, f in lines if f != ["hole"]]
        covered = sum(b - a + 1 for a, b in mapped)
        in_runs = sum(int(r["size"]) for r in runs)
        skipped = "more lines in this section not shown" in out
        contiguous = all(b + 1 == c for (_, b, _), (c, _, _) in
                         zip(lines, lines[1:]))
        # each mapped line is made of whole runs (Linux merges equal
        # permissions whatever the OA)
        # with the permissions and page size the line shows
        spans = sorted((int(r["va"], 16), int(r["last"], 16), r)
                       for r in runs)
        inside = True
        for a, b, f in [l for l in lines if l[2] != ["hole"]][:300]:
            want = ("w" if "RW" in f else "-") + ("x" if "x" in f else "-") \
                + ("u" if "USR" in f else "k")
            got = sum(z - y + 1 for y, z, r in spans if y >= a and z <= b
                      and r["prot"][1:] == want and
                      size_str(r["page_size"]) in f)
            inside = inside and got == b - a + 1
        order = [s for s in sections if s in want_sections] == want_sections
        result(rc == 0 and order and "W+X check: passed, no W+X pages found"
               in out and "---[ Legend ]---" in out and inside and
               (covered == in_runs or (skipped and covered < in_runs)) and
               (contiguous or skipped) and lines[0][0] == 0,
               f"{name} --style linux: {len(lines)} lines, sections in "
               f"order {order}, mapped bytes {covered} of {in_runs}, "
               f"holes shown, W+X passed")
        expect(args + ["--check-wx"], 0,
               [], f"{name} --check-wx passes",
               out_has="W+X check: passed, no W+X pages found")

    elf, fx, _ = fixture("x86_64")
    rc, out, err = run(["dump", elf, "--format", "x86_64"] +
                       root_args(fx["cpus"][0]) +
                       ["--style", "linux", "--va-start", "ffffffff80000000",
                        "--va-end", "ffffffffc0000000"])
    lines, sections = parse_linux(out)
    result(rc == 0 and sections[:1] == ["Kernel image (text, data, bss)"]
           and lines[0][0] == 0xffffffff80000000 and
           lines[-1][1] == 0xffffffffbfffffff,
           f"--style linux over a range: sections {sections[:2]}, "
           f"{len(lines)} lines")

    # A kernel page that is writable and executable; then the same page
    # behind a PML4 entry with NX, which makes it safe (the permissions in
    # effect across levels count).
    def wx_image(pml4_nx):
        e = small_table()
        e.update({(ROOT, 511): 0x5000 | P | RW | (NX if pml4_nx else 0),
                  (0x5000, 510): 0x6000 | P | RW,
                  (0x6000, 0): 0x7000 | P | RW,
                  (0x7000, 0): 0x300000 | P | RW,  # W+X, kernel
                  (0x7000, 1): 0x301000 | P | NX})  # read-only, NX
        return x86_image(e)
    img = put("wx.raw", wx_image(False))
    base = ["dump", img, "--format", "x86_64", "--root", "0x1000"]
    rc, out, err = run(base + ["--style", "linux"])
    wx_lines = [l for l in out.splitlines() if l.endswith("W+X")]
    result(rc == 0 and len(wx_lines) == 1 and
           wx_lines[0].startswith("0xffffffff80000000-0xffffffff80000fff")
           and "W+X check: FAILED, 1 W+X pages found in 1 mappings" in out
           and "---[ Kernel image (text, data, bss) ]---" in out,
           f"--style linux marks the W+X page: {wx_lines}")
    expect(base + ["--check-wx"], 2, [], "--check-wx finds it (exit 2)",
           out_has="W+X mapping 0xffffffff80000000-0xffffffff80000fff "
           "(1 pages)\nW+X check: FAILED, 1 W+X pages found in 1 mappings")
    img = put("wx-nx.raw", wx_image(True))
    expect(["dump", img, "--format", "x86_64", "--root", "0x1000",
            "--check-wx"], 0, [], "NX in the PML4 entry makes it pass",
           out_has="W+X check: passed")


# --- ptkit map --svg

def group_svg():
    for name in ("x86_64", "aarch64-nokpti"):
        elf, fx, _ = fixture(name)
        cpu = fx["cpus"][0]
        args = [elf, "--format", fx["format"]] + root_args(cpu)
        svg = os.path.join(TMP, name + ".svg")
        rc, out, err = run(["map"] + args + ["--svg", svg])
        if rc:
            result(False, f"{name} map: exit {rc}: {err.strip()}")
            continue
        root = ET.parse(svg).getroot()
        ns = "{http://www.w3.org/2000/svg}"
        bands = [r.attrib for r in root.iter(ns + "rect")
                 if r.get("class") == "band"]
        tables = [r.attrib for r in root.iter(ns + "rect")
                  if r.get("class") == "tables"]
        runs = json.loads(run(["dump"] + args + ["--json"])[1])["runs"]
        rc, tout, _ = run(["dump"] + args + ["--json", "--style", "tables"])
        want_tables = {}
        for t in json.loads(tout)["tables"]:
            want_tables[t["level"]] = want_tables.get(t["level"], 0) + 1
        # The bands tile the address space in order, top to bottom.
        va = [int(b["data-va"], 16) for b in bands]
        last = [int(b["data-last"], 16) for b in bands]
        ys = [float(b["y"]) for b in bands]
        hs = [float(b["height"]) for b in bands]
        tiled = va[0] == 0 and last[-1] == 2**64 - 1 and all(
            l + 1 == v for l, v in zip(last, va[1:])) and all(
            abs(y + h - ny) < 0.01 for y, h, ny in zip(ys, hs, ys[1:]))
        # Mapped bytes per band equal the dump's runs inside it; holes
        # hold none; a plain region band is exactly a union of runs with
        # its permission and page size.
        starts = sorted((int(r["va"], 16), int(r["last"], 16), r)
                        for r in runs)
        bad = []
        ri = 0
        for b, v, l in zip(bands, va, last):
            got = 0
            kinds = set()
            while ri < len(starts) and starts[ri][0] <= l:
                a, z, r = starts[ri]
                if a < v or z > l:
                    bad.append(f"run {a:#x}-{z:#x} crosses band {v:#x}")
                got += z - a + 1
                kinds.add((r["prot"], r["page_size"]))
                ri += 1
            mapped = int(b.get("data-mapped", 0))
            if b["data-kind"] in ("hole", "outside") and got:
                bad.append(f"hole {v:#x} holds {got} mapped bytes")
            if b["data-kind"] in ("mapped", "mixed") and got != mapped:
                bad.append(f"band {v:#x}: {mapped} bytes, dump {got}")
            if b["data-kind"] == "mapped" and (
                    got != l - v + 1 or kinds != {(b["data-prot"],
                                                   int(b["data-page"]))}):
                bad.append(f"band {v:#x} {b['data-prot']} is {kinds}")
        # Heights follow log2 of the size: 4 KiB is 3 px, 1.25 px more
        # per doubling, so both a page and 128 TiB show.
        import math
        hbad = [(v, h) for v, l, h in zip(va, last, hs)
                if abs(h - (3 + 1.25 * (max(math.log2(l - v + 1), 12) -
                                        12))) > 0.01]
        page = min(hs)
        got_tables = {}
        for t in tables:
            lv = int(t["data-level"])
            got_tables[lv] = got_tables.get(lv, 0) + int(t["data-count"])
        scale = {int(r.get("data-bytes")): float(r.get("height"))
                 for r in root.iter(ns + "rect") if r.get("class") == "scale"}
        result(tiled and not bad and not hbad and page >= 3 and
               got_tables == want_tables and scale.get(4096) == 3 and
               scale.get(2**47) == 46.75 and ri == len(starts),
               f"{name} map --svg: {len(bands)} bands tile the space "
               f"({tiled}), regions match the dump ({bad[:3] or 'yes'}), "
               f"heights {hbad[:3] or 'log2'}, tables per level "
               f"{got_tables} (dump {want_tables}), scale {scale}")
    expect(["map", fixture("x86_64")[0], "--format", "x86_64", "--root",
            "0x29bc000", "--svg", "-", "--max-bands", "5"], 1,
           "bad --max-bands '5'", "map --max-bands 5")


# --- two listing bugs no test caught

def group_listing():
    # qemu-tlb's P is the leaf's size (PS), not bit 7 of a 4 KiB entry,
    # which is PAT there. QEMU's flag order: X G P D A C T U W.
    e = small_table()
    e[(PT, 0)] = 0x100000 | P | RW | US | PAT4K  # PAT, 4 KiB
    e[(PD, 1)] = 0x200000 | P | RW | PS  # a 2 MiB leaf
    e[(PD, 2)] = 0x400000 | P | RW | PS | (1 << 12)  # 2 MiB, PAT (bit 12)
    img = put("pat.raw", x86_image(e))
    rc, out, err = run(["dump", img, "--format", "x86_64", "--root",
                        "0x1000", "--style", "qemu-tlb"])
    want = ["0000000000000000: 0000000000100000 -------UW",
            "0000000000001000: 0000000000101000 -------UW",
            "0000000000002000: 0000000000102000 -------UW",
            "0000000000003000: 0000000000103000 -------UW",
            "0000000000200000: 0000000000200000 --P-----W",
            "0000000000400000: 0000000000400000 --P-----W"]
    result(rc == 0 and out.splitlines() == want,
           f"qemu-tlb: P only on large leaves, a 4K PAT leaf shows none: "
           f"{out.splitlines()[:1]}")
    rc, out, err = run(["translate", img, "--format", "x86_64", "--root",
                        "0x1000", "0x212345", "0x5fffff"])
    result(rc == 0 and out == "0x212345 0x212345\n0x5fffff 0x5fffff\n",
           f"translate keeps the offset inside a 2 MiB page: {out!r}")

    # The default translate output (not only -v) against QEMU's gva2gpa
    # answers, on every fixture and CPU; the probes include kernel
    # addresses inside 2 MiB pages at offsets above 4 KiB.
    fdir = os.path.join(SRC, "tests", "fixtures")
    for name in sorted(os.listdir(fdir)):
        if not os.path.exists(os.path.join(fdir, name, "fixture.json")):
            continue
        if name == "i386-pae":
            continue  # known failure, see tests/fixtures/README.md
        elf, fx, d = fixture(name)
        same = total = deep = 0
        first_bad = None
        for cpu in fx["cpus"]:
            probes = [l.split() for l in open(os.path.join(d, cpu["xlate"]))]
            mapped = [p for p in probes if p[1] != "-"]
            rc, out, err = run(["translate", elf, "--format", fx["format"]]
                               + root_args(cpu),
                               ("\n".join(p[0] for p in mapped) +
                                "\n").encode())
            got = [l.split() for l in out.splitlines()]
            for g, p in zip(got, mapped):
                total += 1
                if int(g[1], 16) == int(p[1], 16) if g[1] != "-" else False:
                    same += 1
                    deep += (int(p[0], 16) & 0x1fffff) >= 0x1000
                elif cpu.get("user_mode") and g[1] == "-":
                    same += 1  # qemu-gva2gpa-user-mode-permission
                elif first_bad is None:
                    first_bad = (g, p)
            total += abs(len(mapped) - len(got))
        result(same == total and total > 0,
               f"{name}: default translate equals QEMU on {same}/{total} "
               f"mapped probes ({deep} at an offset of 4 KiB or more in a "
               f"2 MiB window){'' if not first_bad else f', first difference: ptkit {first_bad[0]}, qemu {first_bad[1]}'}")


# --- control registers (--ctrl)

def xlate_lines(out):
    """translate's default output as {VA: PA or None}."""
    got = {}
    for line in out.splitlines():
        w = line.split()
        if len(w) >= 2:
            got[int(w[0], 16)] = None if w[1] == "-" else int(w[1], 16)
    return got


def group_ctrl():
    elf, fx, d = fixture("aarch64-nokpti")
    cpu = fx["cpus"][0]
    tcr = int(cpu["tcr"], 16)
    # QEMU's own answers for one user and one kernel address.
    probes = dict((int(a, 16), int(b, 16)) for a, b in
                  (l.split() for l in open(os.path.join(d, cpu["xlate"])))
                  if b != "-")
    user = min(v for v in probes if v < 1 << 48)
    kern = min(v for v in probes if v >= 0xffff000000000000)
    # The same addresses with a tag in the top byte (bits 63:56).
    tag_user = user | 0x5a << 56
    tag_kern = (kern & ~(0xff << 56)) | 0x3c << 56
    va_in = f"{tag_user:#x}\n{tag_kern:#x}\n{user:#x}\n".encode()
    base = ["translate", elf, "--format", fx["format"]] + root_args(cpu)
    tbi0, tbi1 = 1 << 37, 1 << 38   # TCR_EL1.TBI0 / TBI1 (Arm ARM D19.2)

    # The fixture's TCR sets both: a tagged address is the untagged one.
    rc, out, err = run(base + ["--ctrl", hex(tcr | tbi0 | tbi1)], va_in)
    result(rc == 0, f"ctrl: translate with TBI0 and TBI1 exits 0 "
           f"(got {rc}; {err.strip()[:200]})")
    got = xlate_lines(out)
    result(got.get(tag_user) == probes[user] and
           got.get(tag_kern) == probes[kern] and
           got.get(user) == probes[user],
           f"ctrl: TBI: tagged {tag_user:#x} and {tag_kern:#x} translate "
           f"as QEMU translates the untagged ones: {got}")
    # Without the TCR the top byte counts: both are outside every root.
    rc, out, err = run(base, va_in)
    got = xlate_lines(out)
    result(rc == 0 and got.get(tag_user, 1) is None and
           got.get(tag_kern, 1) is None and got.get(user) == probes[user],
           f"ctrl: without --ctrl the tagged addresses are not mapped "
           f"(exit {rc}): {got}")
    # TBI0 only: the TTBR1 range keeps its top byte.
    rc, out, err = run(base + ["--ctrl", hex((tcr | tbi0) & ~tbi1)], va_in)
    got = xlate_lines(out)
    result(rc == 0 and got.get(tag_user) == probes[user] and
           got.get(tag_kern, 1) is None,
           f"ctrl: TBI0 alone ignores the top byte below, not above "
           f"(exit {rc}): {got}")
    # read: the bytes at a tagged address are those at the untagged one.
    # The core holds the table pages only: read the TTBR0 table through
    # a kernel address pa2va names for it, tagged (TBI1).
    table = int(cpu["root"], 16) & ((1 << 48) - 1) & ~1
    rc, out, _ = run(["pa2va", elf, "--format", fx["format"]] +
                     root_args(cpu) + [hex(table)])
    kvas = [int(l.split()[0], 16) for l in out.splitlines()
            if l.startswith("0xffff")]
    result(rc == 0 and kvas, f"ctrl: pa2va names a kernel VA of the "
           f"TTBR0 table {table:#x} (exit {rc})")
    tagged = ((kvas[0] if kvas else 0) & ~(0xff << 56)) | 0xa5 << 56
    want = elf_bytes_at(open(elf, "rb").read(), table, 32)
    rd = ["read", elf, "--format", fx["format"]] + root_args(cpu)
    p = subprocess.run([PTKIT] + rd + ["--ctrl", hex(tcr | tbi1),
                                       hex(tagged), "32", "--raw"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    result(p.returncode == 0, f"ctrl: read at tagged {tagged:#x} with "
           f"TBI1 exits 0 (got {p.returncode}; "
           f"{p.stderr.decode().strip()[:200]})")
    result(want is not None and p.stdout == want,
           f"ctrl: read at the tagged address gives the 32 bytes the core "
           f"holds at PA {table:#x}")
    p = subprocess.run([PTKIT] + rd + [hex(tagged), "32", "--raw"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    result(p.returncode == 2 and not p.stdout,
           f"ctrl: without --ctrl the read at {tagged:#x} stops, status 2 "
           f"(got {p.returncode}, {len(p.stdout)} bytes)")

    # A TCR for another granule (TG0 = 16 KiB, bits 15:14 = 0b10).
    bad = (tcr & ~(3 << 14)) | 2 << 14
    expect(base + ["--ctrl", hex(bad), hex(user)], 2,
           ["TCR_EL1.TG0 (granule)", "lower root", "expected 4096",
            "found 16384"], "ctrl: a 16K TCR for a 4K format")
    out, _ = expect(["dump", elf, "--format", fx["format"], "--ctrl",
                     "zz"] + root_args(cpu), 1, "bad --ctrl 'zz'",
                    "ctrl: a value that is not hexadecimal")
    result(out == "", "ctrl: nothing on stdout for a bad --ctrl")

    # roots: only the formats the TCR selects (4K granule, 48-bit VA).
    rc, out, err = run(["roots", elf, "--ctrl", hex(tcr), "--json"])
    j = json.loads(out) if rc == 0 else {}
    ttbr1_table = int(cpu["root1"], 16) & ((1 << 48) - 1) & ~1
    result(rc == 0 and j.get("formats") == ["armv8_4k_48"] and
           any(int(r["table"], 16) == ttbr1_table for r in j["roots"]),
           f"ctrl: roots --ctrl reads armv8_4k_48 alone and finds the "
           f"TTBR1 table {ttbr1_table:#x} (exit {rc}, formats "
           f"{j.get('formats')})")
    expect(["roots", elf, "--ctrl", "0x20"], 2, "selects none",
           "ctrl: roots with a value no AArch64 format takes")
    expect(["roots", elf, "--ctrl", hex(bad), "--format", "armv8_4k_48"],
           2, "TCR_EL1.TG0 (granule)",
           "ctrl: roots --format with a TCR for another granule")

    # x86: CR4. PAE (bit 5) and LA57 (bit 12) select 5-level paging (or
    # PAE outside long mode), not 4-level (SDM vol. 3A, 4.1.1).
    x64, fx64, d64 = fixture("x86_64")
    c0 = fx64["cpus"][0]
    expect(["dump", x64, "--format", "x86_64", "--ctrl", "0x1020"] +
           root_args(c0), 2,
           ["CR4.LA57 (bit 12)", "formats that fit: x86_pae, x86_64_la57"],
           "ctrl: an LA57 CR4 for x86_64")
    xp = [l.split() for l in open(os.path.join(d64, c0["xlate"]))]
    va, pa = next((a, b) for a, b in xp if b != "-")
    rc, out, err = run(["translate", x64, "--format", "x86_64", "--ctrl",
                        "0x6f0", va] + root_args(c0))
    result(rc == 0 and xlate_lines(out).get(int(va, 16)) == int(pa, 16),
           f"ctrl: a 4-level CR4 is taken; {va} -> {pa} as QEMU says "
           f"(exit {rc}: {out.strip()})")
    rv, fxr, _ = fixture("riscv64")
    expect(["dump", rv, "--format", fxr["format"], "--ctrl", "0"] +
           root_args(fxr["cpus"][0]), 1, "has no control register",
           "ctrl: a format without a control register")
    expect(["info", x64, "--ctrl", "0x20"], 1, "only --base and --json",
           "ctrl: info takes no --ctrl")


# --- messages

def group_messages():
    # One string literal per message: no "a" "b" fragments to grep for.
    split = []
    for f in sorted(os.listdir(os.path.join(SRC, "tools", "ptkit"))):
        if not f.endswith(".c"):
            continue
        text = open(os.path.join(SRC, "tools", "ptkit", f)).read()
        for m in re.finditer(r"ptk_tool_err\(\s*(\"(?:[^\"\\]|\\.)*\")"
                             r"\s*\"", text):
            split.append(f"{f}: {m.group(1)[:40]}")
    result(not split, f"every ptk_tool_err message is one literal: "
           f"{split or 'yes'}")


GROUPS = [("usage", group_usage), ("empty", group_empty),
          ("stdin", group_stdin), ("cycle", group_cycle),
          ("json", group_json), ("progress", group_progress),
          ("budget", group_budget), ("linux", group_linux),
          ("svg", group_svg), ("listing", group_listing),
          ("ctrl", group_ctrl),
          ("messages", group_messages)]


def main():
    global PTKIT, SRC, TMP
    PTKIT, SRC = os.path.abspath(sys.argv[1]), sys.argv[2]
    only = os.environ.get("PTK_CLI_ONLY")
    with tempfile.TemporaryDirectory(prefix="ptk-cli-") as TMP:
        for name, fn in GROUPS:
            if only and only not in name:
                continue
            print(f"--- {name}")
            fn()
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
