#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
check_tools.py PTKIT FIXTURES_DIR {perms,errors,bench}: the command on what
the formats now say (struct ptk_fmt_arch), every expectation written here
by hand from the manuals, never produced by ptkit:

perms   Effective permissions. Small raw images (base 0) where table
        entries above a leaf withhold permissions: x86-64 (a PDE without
        R/W, a PDPTE with XD, a PML4E without U/S; SDM 4.6), PAE (a PDE
        without R/W; a PDPTE has no rights), 32-bit paging (a PDE without
        U/S), EPT (a PDE without W; 29.3.3.2), Arm stage 1 (UXNTable,
        APTable[1], PXNTable; D8.4.1.3) and RISC-V (no table-level
        permissions). `dump` and `translate -v` must both print the
        expected effective permission of every leaf.

errors  A format that does not fit the image's machine, a root register
        value that does not fit the format (CR3 reserved bits, satp MODE,
        EPTP walk length), a CR4 from the CPU notes that selects another
        paging mode, and --root1 for a format with one root: each must
        fail with the exit status --help gives and a message naming the
        cause.

bench   `ptkit bench --quick --only none --image IMG --format F --root R`
        on the bundled fixture of every family: exit 0 and every row a
        non-zero value; a dump child that fails (PTKIT_BENCH_DUMP=false(1)),
        cannot run, or a root that does not fit must make it exit 2.

Ends with "N passed, N failed"; exits non-zero on any failure.
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PASSED = 0
FAILED = 0


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what)


def run(args, stdin=None, env=None):
    p = subprocess.run(args, input=stdin, capture_output=True, env=env)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def raw_image(path, entries, width=8, size=0x10000):
    """entries: {physical address: value}, each @width bytes wide."""
    b = bytearray(size)
    for pa, v in entries.items():
        struct.pack_into("<Q" if width == 8 else "<I", b, pa, v)
    open(path, "wb").write(bytes(b))


# --- perms: images whose table entries withhold permissions

X86_P, X86_RW, X86_US, X86_XD = 1, 2, 4, 1 << 63
X86_TABLE = X86_P | X86_RW | X86_US
X86_LEAF = X86_P | X86_RW | X86_US  # read, write, user, executable

EPT_R, EPT_W, EPT_X, EPT_XU = 1, 2, 4, 1 << 10
EPT_WB = 6 << 3

ARM_TABLE = 3
ARM_AF, ARM_AP1, ARM_SH = 1 << 10, 1 << 6, 3 << 8
ARM_PXN, ARM_UXN = 1 << 53, 1 << 54
ARM_UXNT, ARM_PXNT, ARM_APT1 = 1 << 60, 1 << 59, 1 << 62
# EL0 and EL1 read/write, EL0 execute (ptkit's "rwxu" at stage 1).
ARM_USER_RWX = 3 | ARM_AF | ARM_SH | ARM_AP1 | ARM_PXN
# EL1 read/write/execute ("rwxk").
ARM_KERN_RWX = 3 | ARM_AF | ARM_SH | ARM_UXN


def rv(pa):
    return pa >> 2


# name: (format, root register, entry width, {pa: entry}, {va: prot})
PERM_CASES = {
    "x86_64": ("x86_64", 0x1000, 8, {
        0x1000: 0x2000 | X86_TABLE,            # PML4[0]
        0x1008: 0x6000 | X86_P | X86_RW,       # PML4[1]: no U/S
        0x2000: 0x3000 | X86_TABLE,            # PDPT[0]
        0x2008: 0x4000 | X86_TABLE | X86_XD,   # PDPT[1]: XD
        0x3000: 0x5000 | X86_P | X86_US,       # PD[0]: no R/W
        0x5000: 0x100000 | X86_LEAF,
        0x4000: 0x7000 | X86_TABLE,
        0x7000: 0x101000 | X86_LEAF,
        0x6000: 0x8000 | X86_TABLE,
        0x8000: 0x9000 | X86_TABLE,
        0x9000: 0x102000 | X86_LEAF,
    }, {0x0: "r-xu", 0x40000000: "rw-u", 0x8000000000: "rwxk"}),
    "x86_pae": ("x86_pae", 0x1000, 8, {
        0x1000: 0x2000 | X86_P,                # PDPTE: P only
        0x2000: 0x3000 | X86_P | X86_US,       # PDE: no R/W
        0x2008: 0x4000 | X86_TABLE,
        0x3000: 0x100000 | X86_LEAF,
        0x4000: 0x101000 | X86_LEAF | X86_XD,
    }, {0x0: "r-xu", 0x200000: "rw-u"}),
    "x86_32": ("x86_32", 0x1000, 4, {
        0x1000: 0x2000 | X86_P | X86_RW,       # PDE: no U/S
        0x1004: 0x3000 | X86_TABLE,
        0x2000: 0x100000 | X86_LEAF,
        0x3000: 0x101000 | X86_LEAF,
    }, {0x0: "rwxk", 0x400000: "rwxu"}),
    "x86_ept": ("x86_ept", 0x1000 | 6 | (3 << 3), 8, {  # EPTP: WB, 4 levels
        0x1000: 0x2000 | 7 | EPT_XU,
        0x2000: 0x3000 | 7 | EPT_XU,
        0x3000: 0x4000 | EPT_R | EPT_X | EPT_XU,  # PDE: no W
        0x4000: 0x100000 | 7 | EPT_XU | EPT_WB,
    }, {0x0: "r-xu"}),
    "armv8_4k_48": ("armv8_4k_48", 0x1000, 8, {
        0x1000: 0x2000 | ARM_TABLE,                 # L0[0]
        0x2000: 0x3000 | ARM_TABLE | ARM_UXNT,      # L1[0]: UXNTable
        0x2008: 0x5000 | ARM_TABLE | ARM_APT1,      # L1[1]: APTable[1]
        0x2010: 0x7000 | ARM_TABLE | ARM_PXNT,      # L1[2]: PXNTable
        0x3000: 0x4000 | ARM_TABLE,
        0x4000: 0x100000 | ARM_USER_RWX,
        0x5000: 0x6000 | ARM_TABLE,
        0x6000: 0x101000 | ARM_USER_RWX,
        0x7000: 0x8000 | ARM_TABLE,
        0x8000: 0x102000 | ARM_KERN_RWX,
    }, {0x0: "rw-u", 0x40000000: "r-xu", 0x80000000: "rw-k"}),
    "riscv_sv39": ("riscv_sv39", (8 << 60) | (0x1000 >> 12), 8, {
        0x1000: rv(0x2000) | 1,
        0x2000: rv(0x3000) | 1,
        0x3000: rv(0x100000) | 0xdf,  # V R W X U A D
    }, {0x0: "rwxu"}),
}


def dump_prots(out):
    """{va: prot} from the default dump style."""
    got = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[2] == "->":
            got[int(f[0].split("-")[0], 16)] = f[4]
    return got


def check_perms(ptkit, tmp):
    for name, (fmt, root, width, entries, want) in PERM_CASES.items():
        img = os.path.join(tmp, name + ".raw")
        raw_image(img, entries, width)
        base = [img, "--format", fmt, "--root", hex(root)]
        rc, out, err = run([ptkit, "dump"] + base)
        got = dump_prots(out)
        result(rc == 0 and not err and got == want,
               f"perms {name}: dump prints the effective permissions "
               f"{want}" + ("" if got == want else f", got {got}") +
               (f" (exit {rc}: {err.strip()})" if rc or err else ""))
        vas = "".join(f"{va:#x}\n" for va in want).encode()
        rc, out, err = run([ptkit, "translate", "-v"] + base, vas)
        xl = {}
        for line in out.splitlines():
            f = line.split()
            p = [x[5:] for x in f if x.startswith("prot=")]
            if p:
                xl[int(f[0], 16)] = p[0]
        result(rc == 0 and not err and xl == want == got,
               f"perms {name}: translate -v agrees with dump" +
               ("" if xl == want else f", got {xl}") +
               (f" (exit {rc}: {err.strip()})" if rc or err else ""))


# --- errors: what does not fit, named

def fixture(fdir, name, tmp):
    path = os.path.join(tmp, name + ".elf")
    if not os.path.exists(path):
        with gzip.open(os.path.join(fdir, name, "tables.elf.gz")) as f:
            open(path, "wb").write(f.read())
    return path, json.load(open(os.path.join(fdir, name, "fixture.json")))


def expect_fail(ptkit, args, status, needle, what):
    rc, out, err = run([ptkit] + args)
    ok = rc == status and needle in err and not out
    result(ok, f"errors: {what}: exit {rc}" +
           ("" if ok else f" (want {status} and '{needle}'), stderr: "
            f"{err.strip()}"))


def check_errors(ptkit, fdir, tmp):
    x64, fx = fixture(fdir, "x86_64", tmp)
    root = fx["cpus"][0]["root"]
    for cmd in ("dump", "translate"):
        expect_fail(ptkit, [cmd, x64, "--format", "armv8_4k_48", "--root",
                            root] + (["0x401000"] if cmd == "translate"
                                     else []), 2,
                    "format armv8_4k_48 does not fit this x86-64 image "
                    "(ELF machine 62); formats that fit: x86_32, x86_pae, "
                    "x86_64, x86_64_la57, x86_ept, x86_ept_5",
                    f"{cmd}: an Arm format on an x86-64 core")
    i386, fx32 = fixture(fdir, "i386", tmp)
    expect_fail(ptkit, ["dump", i386, "--format", "x86_64", "--root",
                        fx32["cpus"][0]["root"]], 2,
                "format x86_64 does not fit this i386 image (ELF machine "
                "3); formats that fit: x86_32, x86_pae, x86_ept, "
                "x86_ept_5", "x86_64 on an i386 core")
    expect_fail(ptkit, ["dump", x64, "--format", "x86_64", "--root",
                        "0x10000000029bc000"], 2,
                "--root 0x10000000029bc000 does not fit format x86_64: "
                "CR3 bits 60:52: expected 0 (reserved above a 52-bit "
                "physical address), found 0x10000000000000",
                "CR3 with reserved bits")
    rv, fxr = fixture(fdir, "riscv64", tmp)
    expect_fail(ptkit, ["translate", rv, "--format", "riscv_sv39",
                        "--root", fxr["cpus"][0]["root"], "0x1000"], 2,
                "does not fit format riscv_sv39: satp bits 63:60 (MODE): "
                "expected 8 (the format's mode: 8 Sv39, 9 Sv48, 10 "
                "Sv57), found 10", "an Sv57 satp for riscv_sv39")
    expect_fail(ptkit, ["dump", x64, "--format", "x86_ept", "--root",
                        "0x29bc026"], 2,
                "EPTP bits 5:3 (page-walk length - 1): expected 3 (the "
                "format's levels - 1), found 4",
                "a 5-level EPTP for x86_ept")
    expect_fail(ptkit, ["dump", x64, "--format", "x86_64_la57", "--cpu",
                        "0"], 2,
                "CPU 0's CR4=0x6f0 does not fit format x86_64_la57: "
                "CR4.LA57 (bit 12): expected 1 (5-level paging; 0 selects "
                "4-level paging), found 0; formats that fit: x86_pae, "
                "x86_64", "a 4-level CR4 in the notes for x86_64_la57")
    expect_fail(ptkit, ["dump", i386, "--format", "x86_pae", "--cpu",
                        "0"], 2,
                "does not fit format x86_pae: CR4.PAE (bit 5): expected 1 "
                "(PAE or 4/5-level paging; 0 selects 32-bit paging), "
                "found 0; formats that fit: x86_32",
                "a 32-bit paging CR4 for x86_pae")
    expect_fail(ptkit, ["dump", x64, "--format", "x86_64", "--root", root,
                        "--root1", "0x1000"], 1,
                "--root1 is for formats with a second root (Arm stage 1: "
                "TTBR1); x86_64 has one", "--root1 on x86_64")
    # The right format still works with the same registers.
    rc, out, err = run([ptkit, "dump", x64, "--format", "x86_64", "--cpu",
                        "0", "--style", "qemu-tlb"])
    result(rc == 0 and not err and out,
           f"errors: the right format and CPU notes still dump (exit {rc})")


# --- bench: every family, and a failing child fails the run

def bench(ptkit, img, fmt, root, env=None):
    rc, out, err = run([ptkit, "bench", "--quick", "--only", "none",
                        "--json", "--image", img, "--format", fmt,
                        "--root", root], env=env)
    rows = []
    for line in out.splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            pass
    return rc, rows, err


def check_bench(ptkit, fdir, tmp):
    families = set()
    for name in sorted(os.listdir(fdir)):
        if not os.path.exists(os.path.join(fdir, name, "fixture.json")):
            continue
        img, fx = fixture(fdir, name, tmp)
        cpu = fx["cpus"][0]
        rc, rows, err = bench(ptkit, img, fx["format"], cpu["root"])
        names = sorted(r["name"] for r in rows)
        ok = (rc == 0 and len(rows) == 5 and
              all(r["value"] > 0 for r in rows) and
              any(n.startswith("image_dump") for n in names))
        result(ok, f"bench {name} ({fx['format']}, --root {cpu['root']}): "
               f"exit {rc}, rows " +
               ", ".join(f"{r['name']}={r['value']:.4g}" for r in rows) +
               ("" if ok else f" stderr: {err.strip()}"))
        if ok:
            families.add(fx["format"].split("_")[0])
    result({"x86", "armv8", "riscv"} <= families,
           f"bench: families covered: {sorted(families)}")

    img, fx = fixture(fdir, "i386-pae", tmp)
    root = fx["cpus"][0]["root"]
    false = shutil.which("false") or "/bin/false"
    for child, needle in ((false, "failed (exit status 1): no dump row"),
                          ("/nonexistent/ptkit", "cannot run")):
        env = dict(os.environ, PTKIT_BENCH_DUMP=child)
        rc, rows, err = bench(ptkit, img, "x86_pae", root, env)
        result(rc == 2 and needle in err and not rows,
               f"bench: a dump child that fails ({child}) fails the "
               f"run: exit {rc}" + ("" if rc == 2 and needle in err else
                                   f", stderr: {err.strip()}"))
    img, fx = fixture(fdir, "riscv64", tmp)
    rc, rows, err = bench(ptkit, img, "riscv_sv48", fx["cpus"][0]["root"])
    result(rc == 2 and "does not fit format riscv_sv48: satp bits 63:60 "
           "(MODE): expected 9" in err and not rows,
           f"bench: a root that does not fit fails: exit {rc}")


def main():
    ptkit, fdir, what = sys.argv[1], sys.argv[2], sys.argv[3]
    with tempfile.TemporaryDirectory(prefix="ptk-tools-") as tmp:
        if what == "perms":
            check_perms(ptkit, tmp)
        elif what == "errors":
            check_errors(ptkit, fdir, tmp)
        elif what == "bench":
            check_bench(ptkit, fdir, tmp)
        else:
            print(f"unknown check '{what}'")
            return 1
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED or not PASSED else 0


if __name__ == "__main__":
    sys.exit(main())
