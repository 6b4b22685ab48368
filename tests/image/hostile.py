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

Files that are no image, or a damaged one, must each be refused with
exit status 2 and a message of their own naming the cause (a missing
file, a directory, an empty file, a FIFO, /dev/zero, a cut ELF header,
an ELF cut in half with its missing ranges, gzip / xz / zstd input,
overlapping PT_LOAD segments or LiME ranges whose bytes differ); and
what is legal must work: overlaps whose bytes agree, a PT_LOAD at an odd
file offset, more than 4096 CPU notes, ELF extended numbering (PN_XNUM).

Ends with "N passed, N failed".
"""
import gzip
import lzma
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


def elf(loads, notes=b"", xnum=False, data_at=0x1000):
    """An x86-64 ELF64 core. loads: [(pa, file_offset or None, bytes)]:
    None places the bytes after the previous ones. With xnum, e_phnum is
    PN_XNUM and the count is in section header 0."""
    nph = len(loads) + (1 if notes else 0)
    shoff = 64 + 56 * nph
    body = bytearray(max(data_at, shoff + 64))
    phs = []
    off = data_at
    if notes:
        phs.append((4, off, 0, len(notes)))
        body[off:off + len(notes)] = notes
        off += len(notes)
    for pa, foff, data in loads:
        if foff is None:
            foff = off
        if len(body) < foff + len(data):
            body.extend(b"\0" * (foff + len(data) - len(body)))
        body[foff:foff + len(data)] = data
        phs.append((1, foff, pa, len(data)))
        off = foff + len(data)
    struct.pack_into("<4sBBBB8xHHIQQQIHHHHHH", body, 0, b"\x7fELF", 2, 1,
                     1, 0, 4, 62, 1, 0, 64, shoff if xnum else 0, 0, 64,
                     56, 0xffff if xnum else nph, 64 if xnum else 0,
                     1 if xnum else 0, 0)
    for i, (t, foff, pa, n) in enumerate(phs):
        struct.pack_into("<IIQQQQQQ", body, 64 + 56 * i, t, 0, foff, pa,
                         pa, n, n, 0)
    if xnum:
        struct.pack_into("<I", body, shoff + 44, nph)
    return bytes(body)


def prstatus_notes(n):
    out = bytearray()
    for i in range(n):
        desc = bytearray(336)
        struct.pack_into("<I", desc, 32, i + 1)
        out += struct.pack("<III", 5, len(desc), 1) + b"CORE\0\0\0\0"
        out += desc
    return bytes(out)


def lime(ranges):
    out = b""
    for pa, data in ranges:
        out += struct.pack("<IIQQQ", 0x4C694D45, 1, pa, pa + len(data) - 1,
                           0) + data
    return out


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

    bad_files(ptkit, tmp, put)
    good_files(ptkit, put)

    for p in files:
        os.unlink(p)
    os.rmdir(tmp)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


def refused(ptkit, path, words, what):
    """`info` and `dump` must both exit 2, naming the cause."""
    for cmd in (["info", path], ["dump", path, "--format", "x86_64",
                                 "--root", hex(ROOT)]):
        rc, out, err, dt = run([ptkit] + cmd)
        ok = (rc == 2 and all(w in err for w in words) and
              "malformed entry or table" not in err and
              "invalid argument" not in err and dt < 10)
        result(ok, f"{what}: {cmd[0]} exits {rc}: {err.strip()}")


def bad_files(ptkit, tmp, put):
    good = image({})
    refused(ptkit, os.path.join(tmp, "missing"),
            ["missing", "No such file or directory"], "missing file")
    refused(ptkit, tmp, ["is a directory"], "directory")
    refused(ptkit, put("empty", b""), ["empty (0 bytes)"], "empty file")
    fifo = os.path.join(tmp, "fifo")
    os.mkfifo(fifo)
    refused(ptkit, fifo, ["is a FIFO"], "FIFO without a writer")
    os.unlink(fifo)
    refused(ptkit, "/dev/zero", ["is a character device"], "/dev/zero")

    whole = elf([(0, None, good[:0x4000]), (0x100000, None, b"\1" * 0x4000),
                 (0x200000, None, b"\2" * 0x2000)])
    refused(ptkit, put("cut-header.elf", whole[:40]),
            ["ELF header cut short", "64 bytes", "has 40"],
            "ELF header cut at 40 bytes")
    refused(ptkit, put("half.elf", whole[:0x1000 + 0x4000 + 0x1000]),
            ["cut short", "2 of 3 PT_LOAD segments",
             "0x101000-0x103fff", "0x200000-0x201fff"], "ELF cut in half")
    refused(ptkit, put("phdrs.elf", whole[:64 + 56]),
            ["program headers cut short"], "ELF program headers cut")

    refused(ptkit, put("tables.raw.gz", gzip.compress(good)),
            ["a gzip file", "decompress it first"], "gzip input")
    refused(ptkit, put("tables.raw.xz", lzma.compress(good)),
            ["an xz file", "decompress it first"], "xz input")
    # A zstd frame: magic, header, one raw block holding the data.
    zst = (b"\x28\xb5\x2f\xfd" + bytes([0x20, len(good[:64])]) +
           struct.pack("<I", (len(good[:64]) << 3) | 1)[:3] + good[:64])
    refused(ptkit, put("tables.raw.zst", zst), ["zstd file"],
            "zstd input")

    # Two PT_LOADs over the same memory with different bytes; one of
    # them holds the tables (the other zeros): which is right is unknown.
    refused(ptkit, put("overlap.elf",
                       elf([(0, None, good[:0x4000]),
                            (0x1000, None, b"\0" * 0x4000)])),
            ["PT_LOAD segments 0 and 1 overlap", "different bytes",
             "0x0-0x3fff", "0x1000-0x4fff"], "overlapping PT_LOADs")
    refused(ptkit, put("overlap.lime",
                       lime([(0, good[:0x4000]),
                             (0x2000, b"\0" * 0x4000)])),
            ["LiME ranges 0 and 1 overlap"], "overlapping LiME ranges")


def dumps_good(ptkit, path, what):
    rc, out, err, dt = run([ptkit, "dump", path, "--format", "x86_64",
                            "--root", hex(ROOT), "--style", "qemu-tlb"])
    lines = out.splitlines()
    result(rc == 0 and all(g in lines for g in GOOD) and not err,
           f"{what}: dump lists the pages, exit {rc}"
           f"{': ' + err.strip() if err else ''}")
    rc, out, err, dt = run([ptkit, "translate", path, "--format", "x86_64",
                            "--root", hex(ROOT), "0x1000"])
    result(rc == 0 and out == "0x1000 0x101000\n",
           f"{what}: translate, exit {rc}")


def good_files(ptkit, put):
    good = image({})
    # The same memory twice: nothing to choose, nothing lost.
    dumps_good(ptkit, put("same.elf", elf([(0, None, good[:0x5000]),
                                           (0x2000, None,
                                            good[0x2000:0x8000])])),
               "overlapping PT_LOADs with the same bytes")
    # Tables at an odd file offset (before: "not in the image").
    path = put("odd.elf", elf([(0, 0x1001, good[:0x5000])]))
    rc, out, err, dt = run([ptkit, "info", path])
    result(rc == 0 and "file offset 0x1001" in out,
           f"PT_LOAD at an odd offset: info exit {rc}")
    dumps_good(ptkit, path, "PT_LOAD at an odd file offset")
    # 5000 CPUs (before: "table allocation failed").
    path = put("cpus.elf", elf([(0, None, good[:0x5000])],
                               notes=prstatus_notes(5000)))
    rc, out, err, dt = run([ptkit, "info", path])
    result(rc == 0 and "cpus      5000" in out and
           "cpu 4999 pid 5000" in out, f"5000 CPU notes: info exit {rc}")
    dumps_good(ptkit, path, "5000 CPU notes")
    # ELF extended numbering: e_phnum = PN_XNUM, count in sh_info.
    path = put("xnum.elf", elf([(0, None, good[:0x3000]),
                                (0x3000, 0x8000, good[0x3000:0x5000])],
                               xnum=True))
    rc, out, err, dt = run([ptkit, "info", path])
    result(rc == 0 and "in 2 segments" in out,
           f"PN_XNUM: info exit {rc}: {out.splitlines()[2:3]}")
    dumps_good(ptkit, path, "PN_XNUM")


if __name__ == "__main__":
    sys.exit(main())
