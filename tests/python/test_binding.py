#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_binding.py FIXTURES_DIR: the Python binding (python/ptkit) over the
shared library ($PTKIT_LIB), checked against QEMU's own answers.

  - open the x86_64 fixture's ELF core: its kind, segments and the CPU
    notes' CR3 (fixture.json has it);
  - translate every probe VA of QEMU's gva2gpa list (cpu0.xlate.txt);
  - walk the whole table: as many leaves as QEMU's `info tlb` has lines
    (one a leaf), and the first ones equal;
  - read the root table through the direct map: the bytes the ELF holds
    at that PA (parsed here); a VA mapped outside the image raises
    Error naming the VA and PA;
  - build tables: create an x86_64 table, map 2 MiB + 4 KiB (one 2M and
    one 4K leaf), translate and walk it, refuse an overlapping map
    (PTK_EEXIST), unmap;
  - an image that cannot be opened raises Error with the reason.

Prints "N passed, N failed".
"""
import gzip
import lzma
import os
import struct
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "python"))
import ptkit  # noqa: E402

PASSED = 0
FAILED = 0


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what)


def main():
    fixtures = sys.argv[1]
    d = os.path.join(fixtures, "x86_64")
    tmp = tempfile.mkdtemp(prefix="ptk-py-")
    elf = os.path.join(tmp, "x86_64.elf")
    with gzip.open(os.path.join(d, "tables.elf.gz")) as g:
        data = g.read()
    open(elf, "wb").write(data)
    root = 0x29bc000  # fixture.json, cpu 0

    with ptkit.Image(elf) as img:
        segs = img.segments()
        result(img.kind == "elf" and len(segs) == 70 and
               img.cpus()[0]["cr3"] == root,
               "image: kind %s, %d segments, cpu 0 cr3 0x%x" % (
                   img.kind, len(segs), img.cpus()[0]["cr3"]))
        t = img.table("x86_64", root)
        bad = []
        n = 0
        for line in open(os.path.join(d, "cpu0.xlate.txt")):
            va, pa = line.split()
            x = t.translate(int(va, 16))
            got = "-" if x is None else "0x%x" % x.pa
            n += 1
            if got != ("-" if pa == "-" else "0x%x" % int(pa, 16)):
                bad.append("%s: %s, QEMU %s" % (va, got, pa))
        result(not bad, "translate: %d probes as QEMU's gva2gpa%s" % (
            n, "" if not bad else ": " + "; ".join(bad[:3])))
        leaves = t.walk()
        pages = sum(lf.count for lf in leaves)
        with lzma.open(os.path.join(d, "cpu0.tlb.txt.xz"), "rt") as f:
            tlb = [line.split() for line in f if line.strip()]
        first = ["%016x:" % leaves[0].va, "%016x" % leaves[0].pa]
        result(pages == len(tlb) and tlb[0][:2] == first,
               "walk: %d leaves in %d runs, QEMU's info tlb has %d lines "
               "(first %s)" % (pages, len(leaves), len(tlb), tlb[0][:2]))
        # The root table through the direct map (pa2va gives the VA too).
        va = [lf for lf in leaves if lf.pa <= root < lf.pa +
              lf.count * lf.size and lf.va >= 1 << 63][0]
        va = va.va + (root - va.pa)
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
        want = None
        for i in range(phnum):
            typ, _, off, _, pa, sz = struct.unpack_from(
                "<IIQQQQ", data, phoff + i * phentsize)
            if typ == 1 and pa <= root < pa + sz:
                want = data[off + root - pa:off + root - pa + 4096]
        got = t.read(va, 4096)
        result(got == want and img.read(root, 4096) == want,
               "read: the root table at VA 0x%x and at PA 0x%x equal the "
               "ELF's bytes" % (va, root))
        try:
            t.read(0x401000, 16)
            result(False, "read of a VA mapped outside the image raised")
        except ptkit.Error as e:
            result(e.code == ptkit.ERANGE and e.va == 0x401000 and
                   e.pa == 0xf0f8000 and "0x401000" in str(e),
                   "read outside the image: %s" % e)

    t = ptkit.Table.create("x86_64")
    rw = ptkit.PROT_READ | ptkit.PROT_WRITE
    t.map(0x400000, (2 << 20) + 4096, 0x80000000, rw)
    w = t.walk()
    result([(lf.va, lf.pa, lf.size, lf.count, ptkit.prot_str(lf.prot))
            for lf in w] == [(0x400000, 0x80000000, 2 << 20, 1, "rw-k"),
                             (0x600000, 0x80200000, 4096, 1, "rw-k")],
           "build: 2M + 4K mapped as one 2M and one 4K leaf: %s" % w)
    x = t.translate(0x600123)
    result(x is not None and x.pa == 0x80200123 and x.level == 0,
           "build: translate 0x600123 -> %s" % x)
    try:
        t.map(0x600000, 4096, 0x90000000, rw)
        result(False, "build: an overlapping map was refused")
    except ptkit.Error as e:
        result(e.name == "PTK_EEXIST", "build: overlapping map: %s" % e)
    t.unmap(0x400000, (2 << 20) + 4096)
    result(t.walk() == [] and t.translate(0x400000) is None,
           "build: unmapped, nothing left")
    t.close()
    try:
        ptkit.Image(os.path.join(tmp, "no-such-file"))
        result(False, "open of a missing file raised")
    except ptkit.Error as e:
        result(e.name == "PTK_EFILE" and "No such file" in str(e),
               "open of a missing file: %s" % e)
    result(("x86_64", 4, 48) in ptkit.formats(),
           "formats: %d built in" % len(ptkit.formats()))
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
