#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
check_read.py PTKIT FIXTURES_DIR: `ptkit read` and `ptkit pa2va`.

On every fixture (tests/fixtures/<variant>/), for every vCPU's root and
QEMU's own gva2gpa answers (cpuK.xlate.txt, "VA PA" or "VA -"):

  - (every VA whose PA the image holds, a fifth of the others)
    `read VA 16` of a VA QEMU maps to a PA the image holds gives the
    image's bytes at that PA (read here from the ELF's segments);
  - of a VA QEMU maps to a PA the image does not hold: exit 2 and a
    message naming the VA and that PA;
  - of a VA QEMU does not map: exit 2 and a message naming the VA
    (except where QEMU, stopped in user mode, refuses kernel pages:
    see check_fixture.py's qemu-gva2gpa-user-mode-permission);
  - `pa2va PA` lists the VA QEMU translates to it (a sample per vCPU).

On a raw x86-64 image built here, whose tables map a 4 KiB page and a
2 MiB page side by side, a 4 KiB page twice (one alias under a page
directory entry without R/W), and a page whose PA is not in the image:

  - a read across the 4 KiB / 2 MiB boundary gives the bytes of both
    pages (hexdump and --raw);
  - a read that runs into the absent page stops at its first byte and
    names its VA and PA, after printing the bytes before it;
  - an unmapped VA is named;
  - pa2va lists both aliases, with the effective permission (r-xu for
    the one whose PDE denies writes, as dump prints it).

Prints "N passed, N failed".
"""
import gzip
import json
import os
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


def run(args):
    return subprocess.run(args, capture_output=True)


def elf_segments(data):
    """[(pa, bytes)] of an ELF64 or ELF32 core's PT_LOADs."""
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
    else:
        phoff, = struct.unpack_from("<I", data, 28)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
    segs = []
    for i in range(phnum):
        ph = phoff + i * phentsize
        if is64:
            typ, _, off, _, pa, filesz = struct.unpack_from("<IIQQQQ", data,
                                                            ph)
        else:
            typ, off, _, pa, filesz = struct.unpack_from("<IIIII", data, ph)
        if typ == 1 and filesz:
            segs.append((pa, data[off:off + filesz]))
    return segs


def phys(segs, pa, n):
    for base, b in segs:
        if base <= pa and pa + n <= base + len(b):
            return b[pa - base:pa - base + n]
    return None


def fixture_checks(ptkit, d, tmp):
    variant = os.path.basename(d)
    fx = json.load(open(os.path.join(d, "fixture.json")))
    fmt = fx["format"]
    img = os.path.join(tmp, variant + ".elf")
    with gzip.open(os.path.join(d, "tables.elf.gz")) as g:
        data = g.read()
    with open(img, "wb") as o:
        o.write(data)
    segs = elf_segments(data)
    for c in fx["cpus"]:
        roots = ["--root", c["root"]]
        if "root1" in c:
            roots += ["--root1", c["root1"]]
        probes = []
        for line in open(os.path.join(d, c["xlate"])):
            va, pa = line.split()
            probes.append((int(va, 16), None if pa == "-" else int(pa, 16)))
        held = absent = unmapped = 0
        bad = []
        for k, (va, pa) in enumerate(probes):
            # Every VA whose PA the image holds, a fifth of the others.
            if (pa is None or phys(segs, pa, 16) is None) and k % 5:
                continue
            p = run([ptkit, "read", img, "--format", fmt] + roots +
                    ["--raw", "%x" % va, "16"])
            err = p.stderr.decode()
            if pa is not None and phys(segs, pa, 16) is not None:
                held += 1
                if p.returncode or p.stdout != phys(segs, pa, 16):
                    bad.append("0x%x: %r %s" % (va, p.stdout, err))
            elif pa is not None:
                absent += 1
                if p.returncode != 2 or p.stdout or \
                        "VA 0x%x is mapped" % va not in err or \
                        "PA 0x%x, which" % pa not in err:
                    bad.append("0x%x -> 0x%x: %s" % (va, pa, err.strip()))
            else:
                unmapped += 1
                if c.get("user_mode") and (p.returncode == 0 or
                                           "is mapped" in err):
                    # QEMU, stopped in user mode, refuses kernel pages:
                    # accepted when ptkit's leaf is kernel-only.
                    t = run([ptkit, "translate", img, "--format", fmt] +
                            roots + ["-v", "%x" % va])
                    if " prot=" in t.stdout.decode() and \
                            t.stdout.decode().split(" prot=")[1][3] == "k":
                        continue
                if p.returncode != 2 or \
                        "VA 0x%x is not mapped" % va not in err:
                    bad.append("0x%x unmapped: rc %d %s" % (
                        va, p.returncode, err.strip()))
        result(not bad, "%s cpu %d: read %d VAs held, %d mapped outside "
               "the image, %d unmapped%s" % (
                   variant, c["cpu"], held, absent, unmapped,
                   "" if not bad else ": " + "; ".join(bad[:3])))
        # pa2va: the VA QEMU translates to each sampled PA is listed.
        sample = [(va, pa) for va, pa in probes if pa is not None][::25]
        missing = []
        for va, pa in sample:
            p = run([ptkit, "pa2va", img, "--format", fmt] + roots +
                    ["%x" % pa])
            vas = [int(line.split()[0], 16)
                   for line in p.stdout.decode().splitlines()]
            if va not in vas:
                missing.append("0x%x -> 0x%x (%s)" % (va, pa,
                                                     p.stderr.decode()))
        result(not missing, "%s cpu %d: pa2va lists QEMU's VA for %d "
               "sampled PAs%s" % (variant, c["cpu"], len(sample),
                                  "" if not missing else ": " +
                                  "; ".join(missing[:3])))


def synthetic(ptkit, tmp):
    """The raw x86-64 image described in the docstring."""
    img = bytearray(0xA00000)

    def put(table, idx, value):
        img[table + idx * 8:table + idx * 8 + 8] = value.to_bytes(8, "little")
    P, RW, US, PS = 1, 2, 4, 0x80
    put(0x1000, 0, 0x2000 | P | RW | US)        # PML4 -> PDPT
    put(0x2000, 0, 0x3000 | P | RW | US)        # PDPT -> PD
    put(0x3000, 0, 0x4000 | P | RW | US)        # PD 0 -> PT (0-2M)
    put(0x4000, 511, 0x600000 | P | RW | US)    # VA 0x1ff000 -> 0x600000
    put(0x3000, 1, 0x800000 | P | RW | US | PS)  # VA 0x200000: 2M leaf
    put(0x3000, 2, 0x5000 | P | US)             # PD 2 -> PT, no R/W
    put(0x5000, 0, 0x20000000 | P | RW | US)    # VA 0x400000 -> absent PA
    put(0x5000, 1, 0x600000 | P | RW | US)      # VA 0x401000: alias
    for pa in range(0x600000, 0x601000):
        img[pa] = (pa * 7 + 1) & 0xFF
    for pa in range(0x800000, 0xA00000):
        img[pa] = (pa * 13 + 5) & 0xFF
    path = os.path.join(tmp, "synthetic.raw")
    with open(path, "wb") as o:
        o.write(img)
    base = [ptkit, "read", path, "--format", "x86_64", "--root", "1000"]

    want = bytes(img[0x600800:0x601000]) + bytes(img[0x800000:0x800800])
    p = run(base + ["--raw", "1ff800", "0x1000"])
    result(p.returncode == 0 and p.stdout == want,
           "synthetic: --raw across a 4K page and a 2M page (0x1000 "
           "bytes at 0x1ff800): rc %d, %d bytes, %s" % (
               p.returncode, len(p.stdout),
               "equal" if p.stdout == want else "different"))
    p = run(base + ["1ffff8", "16"])
    lines = p.stdout.decode().splitlines()
    hexed = " ".join(lines[0].split()[1:17]) if lines else ""
    expect = " ".join("%02x" % b for b in
                      bytes(img[0x600ff8:0x601000]) +
                      bytes(img[0x800000:0x800008]))
    result(p.returncode == 0 and len(lines) == 1 and
           lines[0].startswith("00000000001ffff8") and hexed == expect,
           "synthetic: hexdump line across the page sizes: %r" % lines)
    p = run(base + ["--raw", "3ffff0", "0x20"])
    err = p.stderr.decode()
    result(p.returncode == 2 and p.stdout == bytes(img[0x9ffff0:0xa00000])
           and "VA 0x400000 is mapped (4K page, PT) to PA 0x20000000" in err
           and "16 of 32 bytes read before it" in err,
           "synthetic: a read into a page the image lacks: %s" %
           err.strip())
    p = run(base + ["600000", "8"])
    err = p.stderr.decode()
    result(p.returncode == 2 and not p.stdout and
           "VA 0x600000 is not mapped" in err,
           "synthetic: unmapped VA: %s" % err.strip())
    p = run(base + ["800000000000", "2"])
    err = p.stderr.decode()
    result(p.returncode == 2 and "VA 0x800000000000 is not mapped" in err,
           "synthetic: a non-canonical VA: %s" % err.strip())
    p = run([ptkit, "pa2va", path, "--format", "x86_64", "--root", "1000",
             "600010"])
    result(p.returncode == 0 and p.stdout.decode().splitlines() == [
        "0x1ff010 rwxu 4K PT", "0x401010 r-xu 4K PT"],
        "synthetic: pa2va lists both aliases with the effective "
        "permission: %r" % p.stdout.decode().splitlines())
    p = run([ptkit, "pa2va", path, "--format", "x86_64", "--root", "1000",
             "--json", "800123"])
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    result(doc.get("count") == 1 and doc["vas"][0]["va"] == "0x200123" and
           doc["vas"][0]["page_size"] == 2 << 20,
           "synthetic: pa2va --json inside a 2M page: %s" % doc)
    p = run([ptkit, "pa2va", path, "--format", "x86_64", "--root", "1000",
             "700000"])
    result(p.returncode == 0 and not p.stdout and
           "no VA maps PA 0x700000" in p.stderr.decode(),
           "synthetic: pa2va of a PA nothing maps: %s" %
           p.stderr.decode().strip())


def main():
    ptkit, fixtures = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="ptk-read-")
    synthetic(ptkit, tmp)
    for variant in sorted(os.listdir(fixtures)):
        d = os.path.join(fixtures, variant)
        if os.path.exists(os.path.join(d, "fixture.json")):
            fixture_checks(ptkit, d, tmp)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
