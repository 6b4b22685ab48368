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

Then a kdump with the 32-bit header layout (makedumpfile's struct
disk_dump_header and kdump_sub_header as an i386 writer lays them out:
the timestamp padded to 4 bytes, 64-bit file offsets 4-byte aligned),
built here with known pages: a non-flattened version 6 dump of x86_32
tables, pages zlib-compressed and stored, one page left out, VMCOREINFO
and an i386 NT_PRSTATUS. `ptkit read` gives the bytes, `translate` the
PAs, `info` the registers, `roots` the VMCOREINFO symbol; the same file
with utsname.machine blank (a writer ptkit does not know) still opens
with the 32-bit layout, as its fields only fit that one.

Prints "N passed, N failed".
"""
import json
import lzma
import random
import zlib
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


BLOCK = 4096
P, RW = 1, 2


def kdump32(machine, pages, dumped, vmcoreinfo, note, max_mapnr=4096):
    """A version 6 KDUMP file with the 32-bit header layout.

    @pages: {pfn: (bytes, "zlib" | "raw")}; @dumped: the PFNs whose bit
    the second bitmap sets (a PFN in @dumped not in @pages is left out of
    the bitmap too: it is simply not in the dump).
    """
    hdr = bytearray(BLOCK)
    hdr[0:8] = b"KDUMP   "
    struct.pack_into("<i", hdr, 8, 6)                  # header_version
    uts = [b"Linux", b"test", b"6.1.0", b"#1", machine, b""]
    for k, f in enumerate(uts):                        # new_utsname
        hdr[12 + 65 * k:12 + 65 * k + len(f)] = f
    struct.pack_into("<ii", hdr, 404, 1700000000, 0)   # timeval, 4-aligned
    # status, block_size, sub_hdr_size, bitmap_blocks, max_mapnr,
    # total_ram_blocks, device_blocks, written_blocks, current_cpu,
    # nr_cpus
    struct.pack_into("<IiiIIIIIIi", hdr, 412, 0, BLOCK, 1, 2, max_mapnr,
                     0, 0, 0, 0, 1)
    bm_off = 2 * BLOCK
    bm_len = 2 * BLOCK
    bitmap = bytearray(bm_len)
    present = sorted(p for p in dumped if p in pages)
    for pfn in range(max_mapnr):
        bitmap[pfn // 8] |= 1 << (pfn % 8)             # first: all RAM
    for pfn in present:
        bitmap[bm_len // 2 + pfn // 8] |= 1 << (pfn % 8)
    pd_off = bm_off + bm_len
    data_off = pd_off + 24 * len(present)
    descs, blobs = bytearray(), bytearray()
    for pfn in present:
        content, how = pages[pfn]
        blob = zlib.compress(content) if how == "zlib" else content
        descs += struct.pack("<QIIQ", data_off + len(blobs), len(blob),
                             1 if how == "zlib" else 0, 0)
        blobs += blob
    vmci_off = data_off + len(blobs)
    note_off = vmci_off + len(vmcoreinfo)
    sub = bytearray(BLOCK)
    # phys_base, dump_level, split, start_pfn, end_pfn (4 bytes each),
    # then offset_vmcoreinfo (8, 4-aligned), size_vmcoreinfo (4),
    # offset_note (8), size_note (4), offset_eraseinfo (8),
    # size_eraseinfo (4), start_pfn_64, end_pfn_64, max_mapnr_64.
    struct.pack_into("<IiiII", sub, 0, 0, 1, 0, 0, max_mapnr)
    struct.pack_into("<QIQIQI", sub, 20, vmci_off, len(vmcoreinfo),
                     note_off, len(note), 0, 0)
    struct.pack_into("<QQQ", sub, 56, 0, max_mapnr, max_mapnr)
    return bytes(hdr + sub + bitmap + descs + blobs + vmcoreinfo + note)


def prstatus_i386(pid, eip, esp):
    """An ELF note NT_PRSTATUS with i386's struct elf_prstatus (144
    bytes: pr_pid at 24, pr_reg (17 registers: ..., eip 12th, esp 15th,
    from 0) at 72)."""
    desc = bytearray(144)
    struct.pack_into("<I", desc, 24, pid)
    struct.pack_into("<I", desc, 72 + 12 * 4, eip)
    struct.pack_into("<I", desc, 72 + 15 * 4, esp)
    return struct.pack("<III", 5, len(desc), 1) + b"CORE\0\0\0\0" + desc


def check_kdump32(ptkit, tmp):
    rnd = random.Random(32)
    pt, ps = 0x2000, 0x80
    pages = {}
    dirp, tbl = bytearray(BLOCK), bytearray(BLOCK)
    # VA 0x08048000..0x0804bfff -> PFN 4..7; VA 0xc0000000: a 4 MiB page
    # at PA 0, so 0xc0001000 (what SYMBOL(swapper_pg_dir) names) is the
    # PD at PA 0x1000 itself.
    struct.pack_into("<I", dirp, 4 * (0x08048000 >> 22), pt | P | RW)
    struct.pack_into("<I", dirp, 4 * (0xc0000000 >> 22), P | RW | ps)
    for k in range(4):
        struct.pack_into("<I", tbl, 4 * (0x48 + k), (4 + k) * BLOCK | P | RW)
    pages[1] = (bytes(dirp), "zlib")
    pages[2] = (bytes(tbl), "raw")
    for k, how in zip(range(4, 7), ("zlib", "raw", "zlib")):
        pages[k] = (bytes(rnd.getrandbits(8) for _ in range(BLOCK)), how)
    vmci = b"OSRELEASE=6.1.0\nPAGESIZE=4096\nSYMBOL(swapper_pg_dir)=c0001000\n"
    note = prstatus_i386(4321, 0xc1234567, 0xc7654320)
    want = pages[4][0] + pages[5][0] + pages[6][0]
    for machine, label in ((b"i686", "i686"), (b"", "blank machine")):
        path = os.path.join(tmp, "k32-%s.kdump" % label.replace(" ", "-"))
        open(path, "wb").write(kdump32(machine, pages, range(1, 8), vmci,
                                       note))
        base = ["--format", "x86_32", "--root", "0x1000"]
        p = run([ptkit, "info", path])
        lines = p.stdout.splitlines()
        # The registers' layout is the machine's: named only for i686.
        regs = ("eip=0xc1234567", "esp=0xc7654320") if machine else ()
        result(p.returncode == 0 and "kind      kdump" in p.stdout and
               any("pid 4321" in l and all(r in l for r in regs)
                   for l in lines),
               "32-bit header (%s): info: kdump, cpu 0 pid 4321 %s"
               "from the 32-bit note (exit %d%s)" % (
                   label, " ".join(regs) + " ", p.returncode,
                   ": " + p.stderr.strip()
                   if p.returncode else ""))
        p = subprocess.run([ptkit, "read", path] + base +
                           ["0x08048000", str(3 * BLOCK), "--raw"],
                           capture_output=True)
        result(p.returncode == 0 and p.stdout == want,
               "32-bit header (%s): read of 3 pages (zlib, stored, zlib) "
               "gives their bytes (exit %d, %d bytes%s)" % (
                   label, p.returncode, len(p.stdout),
                   ", equal" if p.stdout == want else ", differ"))
        p = subprocess.run([ptkit, "read", path] + base +
                           ["0x0804bff0", "32"], capture_output=True,
                           text=True)
        result(p.returncode == 2 and "to PA 0x7ff0" in p.stderr and
               "does not hold" in p.stderr,
               "32-bit header (%s): read into the page left out (PFN 7) "
               "stops, naming PA 0x7ff0: %s" % (label, p.stderr.strip()))
        p = run([ptkit, "translate", path] + base +
                ["0x08048010", "0x0804a123", "0x0804c000", "0xc0001000"])
        got = [l.split() for l in p.stdout.splitlines()]
        result(p.returncode == 0 and got == [
            ["0x8048010", "0x4010"], ["0x804a123", "0x6123"],
            ["0x804c000", "-"], ["0xc0001000", "0x1000"]],
               "32-bit header (%s): translate: %s" % (label, got))
        p = run([ptkit, "roots", path, "--format", "x86_32", "--json"])
        doc = json.loads(p.stdout) if p.returncode == 0 else {"roots": []}
        sym = [r.get("symbol") for r in doc["roots"]
               if int(r["root"], 16) == 0x1000]
        result(sym == ["swapper_pg_dir"],
               "32-bit header (%s): roots: VMCOREINFO at the 32-bit "
               "sub-header's offset names root 0x1000 swapper_pg_dir "
               "(%s)" % (label, sym or p.stderr.strip()))


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
    check_kdump32(ptkit, tmp)
    print("%d passed, %d failed" % (PASSED, FAILED))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
