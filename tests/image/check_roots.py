#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
check_roots.py PTKIT FIXTURES_DIR: `ptkit roots` finds every real root.

For every tests/fixtures/<variant>/ (fixture.json names the root registers
each vCPU held when QEMU stopped it: CR3, TTBR0 + TTBR1, satp), run

  ptkit roots tables.elf --no-notes --json --max 0   (the scan alone)

with the fixture's format and without any --format, and require every
distinct real root table among the first N candidates listed, N the number
of distinct real roots (so: exactly at the top, in some order). The table
addresses are decoded here from the raw register values, independently of
ptkit: CR3 bits 51:12 (PAE: bits 31:5), TTBR bits 47:0 with the low bits
below the root table's alignment clear, satp PPN (43:0) << 12.

Then, on the same images:
  - with the notes (x86: QEMU's per-CPU note carries CR3) every CPU's
    root must carry cpu=K for the first CPU naming it;
  - `ptkit translate --root auto` must give what `--root <best>` gives
    (on Arm stage 1, the best root with user pages: TTBR0's);
  - an image with no plausible root (zeros; random bytes) exits 2 and
    says so;
  - on a raw image built here, roots that share a kernel entry rank above
    a larger well-formed tree that shares nothing;
  - with a VMCOREINFO note added to the x86_64 core, the root that maps
    SYMBOL(init_top_pgt) to itself carries symbol=init_top_pgt.

Prints found / total and the seconds per image, then "N passed, N failed".
"""
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time

PASSED = 0
FAILED = 0


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what)


# Root table size (bytes) of an Arm format: its granule G decodes
# log2(G) - 3 VA bits per level, the top level what is left.
def top_bytes(fmt):
    f = FORMATS[fmt]
    g = f["page_sizes"][0].bit_length() - 1
    per = g - 3
    top = (f["va_bits"] - g) % per or per
    return (1 << top) * f["entry_bytes"]


def table_of(fmt, reg):
    """The root table address a raw register value points to."""
    if fmt == "x86_pae":
        return reg & 0xFFFFFFE0
    if fmt == "x86_32":
        return reg & 0xFFFFF000
    if fmt.startswith("x86_"):
        return reg & 0x000FFFFFFFFFF000
    if fmt.startswith("riscv_sv32"):
        return (reg & ((1 << 22) - 1)) << 12
    if fmt.startswith("riscv_"):
        return (reg & ((1 << 44) - 1)) << 12
    if fmt.startswith("armv8"):
        return reg & ((1 << 48) - 1) & ~(top_bytes(fmt) - 1)
    raise ValueError(fmt)


def shared_half_image():
    """
    A raw x86-64 image (base 0) built here: roots at 0x1000, 0x2000 and
    0x3000 whose entry 511 points to one kernel PDPT (PD, two full PTs)
    and entry 0 to a user PDPT of their own (PD, one PT, 4 pages); a
    decoy root at 0x4000 with a larger tree of its own (PDPT, PD, six
    full PTs) and no entry in common with anyone.
    """
    img = bytearray(0x40000)
    tbl = 0x27  # present, writable, user, accessed

    def put(table, idx, value):
        img[table + idx * 8:table + idx * 8 + 8] = value.to_bytes(8, "little")

    page = [0x10000]

    def new():
        page[0] += 0x1000
        return page[0]

    def chain(root, idx, pts, leaves):
        pdpt, pd = new(), new()
        put(root, idx, pdpt | tbl)
        put(pdpt, 0, pd | tbl)
        for k in range(pts):
            pt = new()
            put(pd, k, pt | tbl)
            for j in range(leaves):
                put(pt, j, 0x100000000 + (k * 512 + j) * 0x1000 | tbl)
        return pdpt
    kernel = chain(0x1000, 511, 2, 512)
    for r in (0x2000, 0x3000):
        put(r, 511, kernel | tbl)
    for r in (0x1000, 0x2000, 0x3000):
        chain(r, 0, 1, 4)
    chain(0x4000, 5, 6, 512)
    return bytes(img)


def with_vmcoreinfo(elf, text):
    """The ELF64 core @elf rewritten with one more PT_NOTE: VMCOREINFO."""
    import struct
    phoff, = struct.unpack_from("<Q", elf, 32)
    phentsize, phnum = struct.unpack_from("<HH", elf, 54)
    phdrs = [elf[phoff + i * phentsize:phoff + (i + 1) * phentsize]
             for i in range(phnum)]
    desc = text.encode() + b"\0"
    desc += b"\0" * (-len(desc) % 4)
    note = struct.pack("<III", 11, len(desc), 0) + b"VMCOREINFO\0\0" + desc
    hdr = bytearray(elf[:64])
    struct.pack_into("<Q", hdr, 32, 64)
    struct.pack_into("<H", hdr, 56, phnum + 1)
    body_off = 64 + (phnum + 1) * 56
    out_ph = [struct.pack("<IIQQQQQQ", 4, 0, body_off, 0, 0, len(note),
                          len(note), 4)]
    data = bytearray(note)
    for ph in phdrs:
        ph = bytearray(ph)
        off, = struct.unpack_from("<Q", ph, 8)
        size, = struct.unpack_from("<Q", ph, 32)
        struct.pack_into("<Q", ph, 8, body_off + len(data))
        data += b"\0" * (-(body_off + len(data)) % 8)
        struct.pack_into("<Q", ph, 8, body_off + len(data))
        data += elf[off:off + size]
        out_ph.append(bytes(ph))
    return bytes(hdr) + b"".join(out_ph) + bytes(data)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def main():
    global FORMATS
    ptkit, fixtures = sys.argv[1], sys.argv[2]
    FORMATS = {}
    for f in json.loads(run([ptkit, "formats", "--json"]).stdout):
        FORMATS[f["name"]] = f
    tmp = tempfile.mkdtemp(prefix="ptk-roots-")
    summary = []
    for variant in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, variant)
        if not os.path.exists(os.path.join(d, "fixture.json")):
            continue
        fx = json.load(open(os.path.join(d, "fixture.json")))
        fmt = fx["format"]
        img = os.path.join(tmp, variant + ".elf")
        with gzip.open(os.path.join(d, "tables.elf.gz")) as g, \
                open(img, "wb") as o:
            o.write(g.read())
        real = {}
        for c in fx["cpus"]:
            for key in ("root", "root1"):
                if key in c:
                    real.setdefault(table_of(fmt, int(c[key], 16)),
                                    c["cpu"])
        for fmt_args, label in (([ "--format", fmt], fmt),
                                ([], "no --format")):
            t0 = time.monotonic()
            p = run([ptkit, "roots", img, "--no-notes", "--json",
                     "--max", "0"] + fmt_args)
            secs = time.monotonic() - t0
            if p.returncode != 0:
                result(False, "%s (%s): exit %d: %s" % (
                    variant, label, p.returncode, p.stderr.strip()))
                continue
            doc = json.loads(p.stdout)
            top = [(int(r["table"], 16), r["format"])
                   for r in doc["roots"][:len(real)]]
            found = sum(1 for t in real if (t, fmt) in top)
            ranks = []
            for t in sorted(real):
                for i, r in enumerate(doc["roots"]):
                    if int(r["table"], 16) == t and r["format"] == fmt:
                        ranks.append(i + 1)
                        break
                else:
                    ranks.append(None)
            summary.append((variant, label, found, len(real), secs,
                            doc["plausible"], doc["candidates"],
                            doc["positions"]))
            result(found == len(real),
                   "%s (%s): %d/%d real roots in the top %d (ranks %s), "
                   "%.3f s (in ptkit: %.3f s), %d plausible, %d "
                   "candidates of %d positions" % (
                       variant, label, found, len(real), len(real), ranks,
                       secs, doc["seconds"], doc["plausible"],
                       doc["candidates"], doc["positions"]))
        # Roots named by the notes (x86 QEMU note: CR3).
        p = run([ptkit, "roots", img, "--format", fmt, "--json",
                 "--max", "0"])
        doc = json.loads(p.stdout) if p.returncode == 0 else {"roots": []}
        if fmt.startswith("x86"):
            named = {int(r["table"], 16): r["cpu"] for r in doc["roots"]
                     if r["from_notes"]}
            want = {t: c for t, c in real.items()}
            result(named == want,
                   "%s: the notes name every CPU's root (cpu=K on %d of %d)"
                   % (variant, len(named), len(want)))
        # --root auto is --root <the best root>.
        if doc["roots"]:
            # Arm stage 1 has two roots: --root (TTBR0) takes the best
            # with user pages, --root1 (TTBR1) the best without.
            best = doc["roots"][0]["root"]
            if fmt.startswith("armv8_") and "_s2_" not in fmt:
                best = [r["root"] for r in doc["roots"]
                        if not r["kernel_only"]][0]
            probe = ["0", "401000", "ffffffff81000000",
                     "ffff800008000000", "ffffffff80000000", "c1000000"]
            a = run([ptkit, "translate", img, "--format", fmt, "--root",
                     "auto"] + probe)
            b = run([ptkit, "translate", img, "--format", fmt, "--root",
                     best] + probe)
            result(a.stdout == b.stdout and "--root auto: " + best in
                   a.stderr,
                   "%s: translate --root auto is --root %s (%s)" % (
                       variant, best, a.stderr.strip().splitlines()[-1]
                       if a.stderr.strip() else "nothing on stderr"))

    # VMCOREINFO: the root that maps SYMBOL(init_top_pgt) to itself is the
    # kernel's own (here a VA of the direct map naming cpu 0's root; the
    # other roots share that kernel half, so they map it to 0x29bc000
    # too, but not to themselves).
    with gzip.open(os.path.join(fixtures, "x86_64", "tables.elf.gz")) as g:
        elf = g.read()
    vm = os.path.join(tmp, "vmcoreinfo.elf")
    with open(vm, "wb") as o:
        o.write(with_vmcoreinfo(elf, "OSRELEASE=6.1.0-test\nPAGESIZE=4096\n"
                                "SYMBOL(init_top_pgt)=ffff8933829bc000\n"))
    p = run([ptkit, "roots", vm, "--format", "x86_64", "--json"])
    doc = json.loads(p.stdout) if p.returncode == 0 else {"roots": []}
    named = [(r["table"], r.get("symbol")) for r in doc["roots"]
             if r.get("symbol")]
    result(named == [("0x29bc000", "init_top_pgt")] and
           doc["roots"][0]["table"] == "0x29bc000",
           "VMCOREINFO: SYMBOL(init_top_pgt) names 0x29bc000 alone: %s" %
           named)
    p = run([ptkit, "roots", vm, "--format", "x86_64", "--no-notes"])
    result(p.returncode == 0 and "symbol=" not in p.stdout,
           "VMCOREINFO ignored with --no-notes")

    # The kernel half decides: three roots sharing one kernel entry rank
    # above a larger well-formed tree that shares nothing.
    syn = os.path.join(tmp, "shared.raw")
    with open(syn, "wb") as o:
        o.write(shared_half_image())
    p = run([ptkit, "roots", syn, "--format", "x86_64", "--json"])
    doc = json.loads(p.stdout) if p.returncode == 0 else {"roots": []}
    order = [r["table"] for r in doc["roots"]]
    result(order[:3] and sorted(order[:3]) == ["0x1000", "0x2000", "0x3000"]
           and order[3:4] == ["0x4000"],
           "synthetic x86_64: the three roots sharing a kernel entry "
           "before the larger decoy that shares none: %s" % order)

    # No plausible root: refused with exit 2, not guessed.
    zeros = os.path.join(tmp, "zeros.raw")
    with open(zeros, "wb") as o:
        o.write(bytes(1 << 20))
    rnd = os.path.join(tmp, "random.raw")
    r = random.Random(1)
    with open(rnd, "wb") as o:
        o.write(bytes(r.getrandbits(8) for _ in range(1 << 18)))
    for path, fmt in ((zeros, "x86_64"), (rnd, "x86_64"),
                      (rnd, "armv8_4k_48"), (zeros, None)):
        args = [ptkit, "roots", path] + (["--format", fmt] if fmt else [])
        p = run(args)
        result(p.returncode == 2 and "no plausible page-table root" in
               p.stderr and not p.stdout,
               "%s %s: exit %d, %s" % (os.path.basename(path), fmt or
                                        "(every format)", p.returncode,
                                        p.stderr.strip()))
        p = run([ptkit, "dump", path, "--format", fmt or "x86_64",
                 "--root", "auto"])
        result(p.returncode == 2 and "--root auto: no plausible" in p.stderr,
               "dump %s --root auto: exit %d, %s" % (
                   os.path.basename(path), p.returncode, p.stderr.strip()))

    print()
    print("%-16s %-14s %7s %8s %10s %10s" % (
        "fixture", "formats", "found", "seconds", "candidates",
        "positions"))
    for v, label, found, total, secs, _, cands, pos in summary:
        print("%-16s %-14s %3d/%-3d %8.3f %10d %10d" % (
            v, label, found, total, secs, cands, pos))
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
