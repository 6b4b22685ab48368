#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
check_kdump.py PTKIT FIXTURES_DIR: compressed kdump images made by the
real tools (tests/fixtures/kdump/, see mkkdump.py there):

  i386.qemu-kdump-zlib      QEMU 7.2 dump-guest-memory -z (kdump-zlib,
                            flattened, 32-bit header) of the i386 fixture's
                            memory
  x86_64.makedumpfile-zlib  makedumpfile -c -d 1 of the x86_64 fixture
  x86_64.makedumpfile-lzo   makedumpfile -l -d 1 of the same

For each: `ptkit info` says kdump; for every vCPU root of the source
fixture, `ptkit dump` (default and --style tables) and `ptkit translate`
of QEMU's probe VAs give exactly what they give on the source ELF core
(whose listings image_qemu_* checks against QEMU); `ptkit roots
--no-notes` puts the real roots at the top.

Then, on copies of x86_64.makedumpfile-zlib changed here (the dump
parsed independently, in Python):
  - the compressed data of the page holding root 0x29bc000 is damaged:
    dump exits 2 naming the page (PA, file offset, "zlib"), and read of
    a VA of that page names the VA and the page;
  - the file is cut inside the page data: opening it is refused
    (PTK_ETRUNC, the missing ranges named);
  - the page's descriptor claims the lzo flag on zlib data: named as
    an lzo failure.

Prints "N passed, N failed".
"""
import json
import lzma
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
    return subprocess.run(args, capture_output=True, text=True)


def page_desc_offset(data, pa):
    """File offset of the page descriptor of PA in a 64-bit KDUMP file."""
    block, sub_blocks, bm_blocks, max_mapnr = struct.unpack_from(
        "<iiII", data, 428)
    version, = struct.unpack_from("<i", data, 8)
    if version >= 6:
        max_mapnr, = struct.unpack_from("<Q", data, block + 96)
    bm_off = (1 + sub_blocks) * block
    bm_len = bm_blocks * block
    bm2 = data[bm_off + bm_len // 2:bm_off + bm_len]
    want = pa // block
    idx = sum(bin(b).count("1") for b in bm2[:want // 8])
    idx += bin(bm2[want // 8] & ((1 << (want % 8)) - 1)).count("1")
    assert bm2[want // 8] >> (want % 8) & 1, "page not dumped"
    return bm_off + bm_len + idx * 24


def main():
    ptkit, fixtures = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="ptk-kdump-")
    kdir = os.path.join(fixtures, "kdump")
    for name in sorted(os.listdir(kdir)):
        if not name.endswith(".kdump.xz"):
            continue
        variant = name.split(".")[0]
        src = os.path.join(fixtures, variant)
        fx = json.load(open(os.path.join(src, "fixture.json")))
        fmt = fx["format"]
        kd = os.path.join(tmp, name[:-3])
        with lzma.open(os.path.join(kdir, name)) as i, open(kd, "wb") as o:
            o.write(i.read())
        elf = os.path.join(tmp, variant + ".elf")
        subprocess.run("gunzip -c %s > %s" % (
            os.path.join(src, "tables.elf.gz"), elf), shell=True,
            check=True)
        p = run([ptkit, "info", kd])
        result(p.returncode == 0 and "kind      kdump" in p.stdout,
               "%s: info says kdump (%s)" % (name, p.stderr.strip() or
                                            p.stdout.splitlines()[1]))
        for c in fx["cpus"]:
            base = ["--format", fmt, "--root", c["root"]]
            same = True
            for style in ([], ["--style", "tables"]):
                a = run([ptkit, "dump", elf] + base + style)
                b = run([ptkit, "dump", kd] + base + style)
                same &= a.returncode == b.returncode == 0 and \
                    a.stdout == b.stdout and a.stdout != ""
            vas = [line.split()[0] for line in
                   open(os.path.join(src, c["xlate"]))]
            a = run([ptkit, "translate", elf] + base + vas)
            b = run([ptkit, "translate", kd] + base + vas)
            same &= a.stdout == b.stdout and a.returncode == b.returncode
            result(same, "%s cpu %d: dump, dump --style tables and "
                   "translate of %d VAs as on the ELF core" % (
                       name, c["cpu"], len(vas)))
        p = run([ptkit, "roots", kd, "--format", fmt, "--no-notes",
                 "--json"])
        doc = json.loads(p.stdout) if p.returncode == 0 else {"roots": []}
        real = {c["root"] for c in fx["cpus"]}
        top = {"0x%08x" % int(r["root"], 16) for r in
               doc["roots"][:len(real)]}
        real = {"0x%08x" % int(r, 16) for r in real}
        result(top == real, "%s: roots --no-notes finds the %d real roots "
               "at the top (%.3f s)" % (name, len(real),
                                        doc.get("seconds", -1)))

    # Damaged copies of the makedumpfile zlib dump.
    kd = os.path.join(tmp, "x86_64.makedumpfile-zlib.kdump")
    data = bytearray(open(kd, "rb").read())
    pd = page_desc_offset(data, 0x29bc000)
    off, size, flags = struct.unpack_from("<QII", data, pd)
    bad = bytearray(data)
    for k in range(size // 3, size // 3 + 8):
        bad[off + k] ^= 0x5A
    path = os.path.join(tmp, "damaged.kdump")
    open(path, "wb").write(bad)
    p = run([ptkit, "dump", path, "--format", "x86_64", "--root",
             "29bc000"])
    result(p.returncode == 2 and
           "the page at PA 0x29bc000 (%d bytes at file offset 0x%x) does "
           "not decompress: zlib:" % (size, off) in p.stderr,
           "damaged page: dump names it: %s" % p.stderr.strip())
    p = run([ptkit, "read", path, "--format", "x86_64", "--root",
             "1eba000", "ffff8933829bc000", "16"])
    result(p.returncode == 2 and "VA 0xffff8933829bc000" in p.stderr and
           "does not decompress" in p.stderr and
           "PA 0x29bc000" in p.stderr,
           "damaged page: read names the VA and the page: %s" %
           p.stderr.strip())
    p = run([ptkit, "translate", path, "--format", "x86_64", "--root",
             "1eba000", "ffff8933829bc000", "ffff8933829bd000"])
    result(p.returncode == 0 and
           p.stdout.splitlines()[0] == "0xffff8933829bc000 0x29bc000",
           "damaged page: a table above it still translates: %r %s" % (
               p.stdout, p.stderr.strip()))
    lzo = bytearray(data)
    struct.pack_into("<I", lzo, pd + 12, 0x2)
    path = os.path.join(tmp, "wrongflag.kdump")
    open(path, "wb").write(lzo)
    p = run([ptkit, "dump", path, "--format", "x86_64", "--root",
             "29bc000"])
    result(p.returncode == 2 and "PA 0x29bc000" in p.stderr and
           "lzo" in p.stderr,
           "zlib data flagged lzo: named as an lzo failure: %s" %
           p.stderr.strip())
    cut = os.path.join(tmp, "cut.kdump")
    open(cut, "wb").write(data[:off + size // 2])
    p = run([ptkit, "info", cut])
    result(p.returncode == 2 and "cut short" in p.stderr and
           "0x29bc000" in p.stderr,
           "a dump cut inside its page data is refused, naming what is "
           "missing: %s" % p.stderr.strip())
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
