#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
hostile.py PTKIT: `ptkit dump` / `translate` / `info` on hostile images.

Small raw x86-64 images (base 0) hold one good mapping (four 4 KiB pages
at VA 0 -> PA 0x100000) and one kind of damage each. Every case must:
end quickly; report the damage on stderr; still list the good pages
(default mode: report, skip, go on); and with --strict exit with status 2.
The budget case must stop with status 2 and say the listing is
incomplete. Malformed ELF and LiME headers must be refused cleanly.

Ends with "N passed, N failed".
"""
import os
import struct
import subprocess
import sys
import tempfile
import time

PASSED = 0
FAILED = 0
P, RW, US, PS = 1, 2, 4, 0x80
ROOT, PDPT, PD, PT = 0x1000, 0x2000, 0x3000, 0x4000


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what)


def image(entries, size=0x8000):
    """entries: {(table_pa, index): value}"""
    b = bytearray(size)
    base = {(ROOT, 0): PDPT | P | RW | US, (PDPT, 0): PD | P | RW | US,
            (PD, 0): PT | P | RW | US}
    for i in range(4):
        base[(PT, i)] = (0x100000 + i * 0x1000) | P | RW | US
    base.update(entries)
    for (t, i), v in base.items():
        struct.pack_into("<Q", b, t + 8 * i, v)
    return bytes(b)


GOOD = ["0000000000000000: 0000000000100000 -------UW",
        "0000000000003000: 0000000000103000 -------UW"]

CASES = {
    # PD[1] points back to the PDPT, an ancestor on the path.
    "cycle": ({(PD, 1): PDPT | P | RW}, "cycle"),
    # PML4[511] points to the PML4 itself (a self-map).
    "self-map": ({(ROOT, 511): ROOT | P | RW}, "self-map"),
    # PD[2] points to a table far outside the 32 KiB image.
    "table-outside": ({(PD, 2): 0x7f000000 | P | RW}, "outside the image"),
    # A 2 MiB leaf with reserved bit 13 set (between PAT and the frame).
    "reserved-bits": ({(PD, 3): 0x200000 | (1 << 13) | PS | P | RW},
                      "malformed"),
    # A 1 GiB leaf whose frame is not 1 GiB aligned.
    "misaligned-huge": ({(PDPT, 1): 0x40200000 | PS | P | RW}, "malformed"),
    # PS in a PML4 entry: no leaf is allowed at that level.
    "leaf-not-allowed": ({(ROOT, 1): 0x8000000000 | PS | P | RW},
                         "malformed"),
}


def run(args, stdin=None):
    t = time.monotonic()
    p = subprocess.run(args, input=stdin, capture_output=True, timeout=60)
    return (p.returncode, p.stdout.decode(), p.stderr.decode(),
            time.monotonic() - t)


def main():
    ptkit = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="ptk-hostile-")
    files = []

    def put(name, data):
        path = os.path.join(tmp, name)
        open(path, "wb").write(data)
        files.append(path)
        return path

    for name, (ent, word) in CASES.items():
        img = put(name + ".raw", image(ent))
        args = [ptkit, "dump", img, "--format", "x86_64", "--root",
                hex(ROOT), "--style", "qemu-tlb"]
        rc, out, err, dt = run(args)
        lines = out.splitlines()
        result(rc == 0 and all(g in lines for g in GOOD) and
               "bad entry" in err and word in err and dt < 10,
               f"{name}: reported ({err.splitlines()[0] if err else '-'})"
               f", good pages still listed, exit {rc}")
        rc, out, err, dt = run(args + ["--strict"])
        result(rc == 2 and word in err, f"{name}: --strict exits {rc}")
        rc, out, err, dt = run([ptkit, "dump", img, "--format", "x86_64",
                                "--root", hex(ROOT)])
        result(rc == 0 and out.startswith("0000000000000000-") and
               "bad entry" in err, f"{name}: ptdump style reports too")
        rc, out, err, dt = run([ptkit, "translate", img, "--format",
                                "x86_64", "--root", hex(ROOT), "0x1000"])
        result(rc == 0 and out == "0x1000 0x101000\n",
               f"{name}: translate of a good page")

    # Every PML4, PDPT and PD entry points to the same next table: a DAG of
    # 512^3 paths. The walk must stop at the budget and say so.
    ent = {}
    for i in range(512):
        ent[(ROOT, i)] = PDPT | P | RW
        ent[(PDPT, i)] = PD | P | RW
        ent[(PD, i)] = PT | P | RW
    img = put("dag.raw", image(ent))
    for budget, limit in ((["--budget", "100000"], 10), ([], 60)):
        rc, out, err, dt = run([ptkit, "dump", img, "--format", "x86_64",
                                "--root", hex(ROOT), "--style", "qemu-tlb"]
                               + budget)
        result(rc == 2 and "budget" in err and "incomplete" in err and
               dt < limit,
               f"dag {' '.join(budget) or 'default budget'}: stops with "
               f"exit {rc} after {dt:.2f} s")
    rc, out, err, dt = run([ptkit, "dump", img, "--format", "x86_64",
                            "--root", hex(ROOT), "--style", "qemu-tlb",
                            "--budget", "100000000000", "--va-start", "0",
                            "--va-end", "0x400000"])
    result(rc == 0 and len(out.splitlines()) == 8,
           f"dag with --va-end: {len(out.splitlines())} leaves, exit {rc}")

    # Root outside the image, and a translate through a missing table.
    rc, out, err, dt = run([ptkit, "dump", put("small.raw", image({})),
                            "--format", "x86_64", "--root", "0x100000"])
    result(rc == 2 and "not in the image" in err,
           f"root outside the image: exit {rc}")
    img = put("outside2.raw", image({(PD, 2): 0x7f000000 | P | RW}))
    rc, out, err, dt = run([ptkit, "translate", img, "--format", "x86_64",
                            "--root", hex(ROOT), "0x400000"])
    result(rc == 2 and out == "0x400000 -\n" and "outside" in err,
           f"translate through a table outside the image: exit {rc}")

    # Malformed containers.
    elf = bytearray(64)
    elf[0:4] = b"\x7fELF"
    elf[4], elf[5] = 2, 1
    struct.pack_into("<QHH", elf, 32, 1 << 40, 0, 0)
    struct.pack_into("<HH", elf, 54, 56, 3)
    lime = struct.pack("<IIQQQ", 0x4C694D45, 1, 0x1000, 0x1fff, 0) + \
        b"\0" * 100  # claims 4 KiB, holds 100 bytes
    for name, data in (("bad.elf", bytes(elf)), ("trunc.lime", lime),
                       ("bad2.lime", struct.pack("<IIQQQ", 0x4C694D45, 1,
                                                 0x2000, 0x1000, 0))):
        rc, out, err, dt = run([ptkit, "info", put(name, data)])
        result(rc == 2 and "cannot open" in err,
               f"{name}: refused ({err.strip()})")

    for p in files:
        os.unlink(p)
    os.rmdir(tmp)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
