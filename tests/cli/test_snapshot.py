#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
test_snapshot.py PTKIT: `ptkit snapshot` against /proc/PID/pagemap.

A child (a Python interpreter driven through ctypes) makes known mappings
and then waits on a pipe, stopped in place:
  anon      64 pages, written in a pattern, some only read, some untouched
  file      a shared read-only mapping of a 16-page file, half read
  prot      16 written pages: 4..11 mprotect'ed read-only, 12..15 PROT_NONE
  remap     16 written pages mremap'ped (moved, grown to 32), 20..23 written
  huge      4 MiB, 2 MiB aligned, MADV_HUGEPAGE, every page written

The test reads the child's maps and pagemap itself and checks EVERY page
of every region through `ptkit translate IMAGE --json` (format and root
from the image's PTKIT note, no other argument): a present page with
access translates to exactly pagemap's frame (PFN << 12) with the
region's r/w/x and user; a page that is not present, or present in a
region without access (---p), does not translate. Then the summary's
counts against the same pagemap read, transparent huge pages against
/proc/kpageflags (when the kernel gave any), other formats, the image
commands without arguments, and the errors (no such process, a format
too small for the address space, a write failure that leaves no file).

Without CAP_SYS_ADMIN, pagemap hides the PFNs: then the test checks that
snapshot refuses and says why, builds with --allow-hidden-pfns and checks
presence and permissions only, and says that the PFN comparison was
skipped (it is never counted as passed).

Ends with "N passed, N failed, N skipped".
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

PASSED = FAILED = SKIPPED = 0
PTKIT = TMP = None
PAGE = os.sysconf("SC_PAGE_SIZE")
PRESENT, SWAPPED, PFN_MASK = 1 << 63, 1 << 62, (1 << 55) - 1
KPF_THP, KPF_HEAD = 1 << 22, 1 << 15

CHILD = r"""
import ctypes, json, os, sys
P = os.sysconf("SC_PAGE_SIZE")
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mremap.restype = ctypes.c_void_p
libc.mremap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t,
                        ctypes.c_int, ctypes.c_void_p]
libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
R, W, PRIV, SHARED, ANON, FIXED = 1, 2, 2, 1, 0x20, 0x10
MAYMOVE, MFIXED, HUGEPAGE = 1, 2, 14

def mmap(n, prot=R | W, flags=PRIV | ANON, fd=-1):
    a = libc.mmap(None, n, prot, flags, fd, 0)
    if a in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap")
    return a

def write(a):
    ctypes.memset(a, 0x5a, 1)

def read(a):
    return ctypes.c_char.from_address(a).value

out = {}
a = mmap(64 * P)
for i in range(64):
    if i % 3 == 0:
        write(a + i * P)
    elif i % 5 == 1:
        read(a + i * P)
out["anon"] = a
path = sys.argv[1]
with open(path, "wb") as f:
    f.write(bytes(range(256)) * (16 * P // 256))
fd = os.open(path, os.O_RDONLY)
b = mmap(16 * P, R, SHARED, fd)
for i in range(0, 16, 2):
    read(b + i * P)
out["file"] = b
c = mmap(16 * P)
for i in range(16):
    write(c + i * P)
libc.mprotect(c + 4 * P, 8 * P, R)
libc.mprotect(c + 12 * P, 4 * P, 0)
out["prot"] = c
d = mmap(16 * P)
for i in range(16):
    write(d + i * P)
dst = mmap(32 * P, 0)
d2 = libc.mremap(d, 16 * P, 32 * P, MAYMOVE | MFIXED, dst)
if d2 in (None, ctypes.c_void_p(-1).value):
    raise OSError(ctypes.get_errno(), "mremap")
for i in range(20, 24):
    write(d2 + i * P)
out["remap_from"] = d
out["remap"] = d2
H = 2 << 20
e = mmap(3 * H)
e2 = (e + H - 1) & ~(H - 1)
libc.madvise(e2, 2 * H, HUGEPAGE)
for i in range(0, 2 * H, P):
    write(e2 + i)
out["huge"] = e2
print(json.dumps(out), flush=True)
sys.stdin.read()
"""


def result(ok, what):
    global PASSED, FAILED
    if ok:
        PASSED += 1
    else:
        FAILED += 1
    print(("ok   " if ok else "FAIL ") + what, flush=True)


def skip(what):
    global SKIPPED
    SKIPPED += 1
    print("SKIP " + what, flush=True)


def run(args, stdin=None):
    p = subprocess.run([PTKIT] + args, input=stdin, timeout=300,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def maps_of(pid):
    rg = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            w = line.split()
            lo, hi = (int(x, 16) for x in w[0].split("-"))
            rg.append((lo, hi, w[1], w[5] if len(w) > 5 else ""))
    return rg


def pagemap_of(pid, rg):
    """{va: entry} for every page of every region (0 past pagemap's end)."""
    pm = {}
    with open("/proc/%d/pagemap" % pid, "rb") as f:
        for lo, hi, _, _ in rg:
            n = (hi - lo) // PAGE
            f.seek(lo // PAGE * 8)
            data = f.read(n * 8)
            data += b"\0" * (n * 8 - len(data))
            for i, e in enumerate(struct.unpack("<%dQ" % n, data)):
                pm[lo + i * PAGE] = e
    return pm


def expect_prot(perms):
    return (perms[0] if perms[0] == "r" else "-") + \
        (perms[1] if perms[1] == "w" else "-") + \
        (perms[2] if perms[2] == "x" else "-") + "u"


def translate_all(image, vas, extra=()):
    rc, out, err = run(["translate", image, "--json"] + list(extra),
                       stdin="".join("%x\n" % v for v in vas).encode())
    if rc != 0:
        return None, err
    doc = json.loads(out)
    return {int(t["va"], 16): t for t in doc["translations"]}, err


def check_pages(name, image, rg, pm, pfns):
    """Every page of every region against pagemap; pfns: compare PAs."""
    vas = sorted(pm)
    tr, err = translate_all(image, vas)
    result(tr is not None and len(tr) == len(vas),
           "%s: translate --json answered all %d pages (%s)" %
           (name, len(vas), err.strip()[:200]))
    if tr is None:
        return
    perms = {}
    for lo, hi, p, _ in rg:
        for va in range(lo, hi, PAGE):
            perms[va] = p
    bad = []
    present = mapped = 0
    for va in vas:
        e, t = pm[va], tr.get(va)
        want = bool(e & PRESENT) and perms[va][:3] != "---"
        present += bool(e & PRESENT)
        if not want:
            if t is None or t["pa"] is not None:
                bad.append("%x: not present (or ---p) but translates: %s" %
                           (va, t))
            continue
        mapped += 1
        if t is None or t["pa"] is None:
            bad.append("%x: present (pfn %x) but does not translate" %
                       (va, e & PFN_MASK))
            continue
        if t["prot"] != expect_prot(perms[va]):
            bad.append("%x: prot %s, maps says %s" % (va, t["prot"],
                                                      perms[va]))
        if pfns and int(t["pa"], 16) != (e & PFN_MASK) * PAGE:
            bad.append("%x: pa %s, pagemap pfn 0x%x" % (va, t["pa"],
                                                        e & PFN_MASK))
        if not pfns and int(t["pa"], 16) != 0:
            bad.append("%x: pa %s with hidden PFNs (expected 0)" %
                       (va, t["pa"]))
    result(not bad and mapped > 0,
           "%s: %d pages (%d present, %d with access): presence, "
           "permissions%s as pagemap and maps say%s" %
           (name, len(vas), present, mapped,
            " and frames" if pfns else "",
            "" if not bad else ": " + "; ".join(bad[:5]) +
            (" (and %d more)" % (len(bad) - 5) if len(bad) > 5 else "")))
    return tr


def thp_heads(pm, lo, hi):
    """VAs of [lo, hi) that kpageflags says head a THP, or None."""
    try:
        f = open("/proc/kpageflags", "rb")
    except OSError:
        return None
    heads = []
    with f:
        for va in range(lo, hi, PAGE):
            e = pm.get(va, 0)
            if not e & PRESENT or not e & PFN_MASK:
                continue
            f.seek((e & PFN_MASK) * 8)
            fl = struct.unpack("<Q", f.read(8))[0]
            if fl & KPF_THP and fl & KPF_HEAD and va % (2 << 20) == 0:
                heads.append(va)
    return heads


def main():
    global PTKIT, TMP
    PTKIT = os.path.abspath(sys.argv[1])
    TMP = tempfile.mkdtemp(prefix="ptk_snap_")
    data = os.path.join(TMP, "data")
    child = subprocess.Popen([sys.executable, "-c", CHILD, data],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        lay = json.loads(child.stdout.readline())
        body(child.pid, lay)
    finally:
        child.stdin.close()
        child.wait(timeout=60)
        shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (PASSED, FAILED, SKIPPED))
    return 1 if FAILED else 0


def body(pid, lay):
    image = os.path.join(TMP, "child.core")
    rg = maps_of(pid)
    pm = pagemap_of(pid, rg)
    pfns = any(e & PFN_MASK for e in pm.values() if e & PRESENT)
    rc, out, err = run(["snapshot", str(pid), "-o", image, "--json"])
    if not pfns:
        result(rc == 2 and "CAP_SYS_ADMIN" in err and
               not os.path.exists(image),
               "hidden PFNs: snapshot refuses, naming the cause (%s)" %
               err.strip()[:200])
        skip("PFN comparison: pagemap hides the PFNs from uid %d (no "
             "CAP_SYS_ADMIN); presence and permissions are checked with "
             "--allow-hidden-pfns, frames are NOT" % os.getuid())
        rc, out, err = run(["snapshot", str(pid), "-o", image, "--json",
                            "--allow-hidden-pfns"])
    result(rc == 0, "snapshot %d exits 0 (%s)" % (pid, err.strip()[:200]))
    if rc:
        return
    summ = json.loads(out)
    # The child waits on its pipe: its pages do not change meanwhile.
    pm2 = pagemap_of(pid, rg)
    # (Only what a snapshot reads: presence, swap, frame. Bit 56, "mapped
    # once", flips when another process maps the same file page.)
    keep = PRESENT | SWAPPED | PFN_MASK
    result(all(pm2[v] & keep == pm[v] & keep for v in pm),
           "the child's pagemap did not change during snapshot")
    n_present = sum(1 for e in pm.values() if e & PRESENT)
    n_swapped = sum(1 for e in pm.values()
                    if not e & PRESENT and e & SWAPPED)
    n_noacc = sum(1 for lo, hi, p, _ in rg if p[:3] == "---"
                  for va in range(lo, hi, PAGE) if pm[va] & PRESENT)
    result(summ["pages_present"] == n_present and
           summ["pages_swapped"] == n_swapped and
           summ["pages_no_access"] == n_noacc and
           summ["pages_mapped"] == n_present - n_noacc and
           summ["regions"] == len(rg) and
           summ["pfns_hidden"] == (not pfns),
           "summary counts agree with pagemap: present %d, swapped %d, "
           "no access %d, regions %d (got %s)" %
           (n_present, n_swapped, n_noacc, len(rg),
            {k: summ[k] for k in ("pages_present", "pages_swapped",
                                  "pages_no_access", "pages_mapped",
                                  "regions", "pfns_hidden")}))
    result(summ["image_size"] == os.path.getsize(image) and
           summ["format"] == "x86_64",
           "summary: image size %d and format (snapshot took %.3f s; "
           "tables %s)" % (summ["image_size"], summ["seconds"],
                           summ["tables"]))

    # The regions the child made are where it said, with the state it made.
    P = PAGE
    a, c, d2 = lay["anon"], lay["prot"], lay["remap"]
    ok = all((pm[a + i * P] & PRESENT) == (PRESENT if i % 3 == 0 or
                                           i % 5 == 1 else 0)
             for i in range(64))
    ok = ok and all(pm[c + i * P] & PRESENT for i in range(16))
    ok = ok and all(bool(pm[d2 + i * P] & PRESENT) == (i < 16 or
                                                       20 <= i < 24)
                    for i in range(32))
    result(ok, "the child's mappings hold the pattern it made "
           "(an independent check of the test itself)")
    tr = check_pages("x86_64", image, rg, pm, pfns)
    if tr:
        ok = all(tr[c + i * P]["prot"] == "r--u" for i in range(4, 12)) \
            and all(tr[c + i * P]["pa"] is None for i in range(12, 16)) \
            and all(tr[c + i * P]["prot"] == "rw-u" for i in range(4))
        result(ok, "mprotect'ed part: rw, then read-only, then PROT_NONE "
               "pages present but not mapped")
        old = lay["remap_from"]
        ok = all(tr[d2 + i * P]["pa"] is not None for i in range(16)) \
            and (old not in tr or tr[old]["pa"] is None)
        result(ok, "mremap'ped part translates at its new address only")

    # Transparent huge pages: kpageflags, when the kernel gave any.
    heads = thp_heads(pm, lay["huge"], lay["huge"] + (4 << 20))
    if heads is None:
        skip("THP: /proc/kpageflags unreadable; the summary must say so")
        result(summ["kpageflags"] is False and summ["huge_leaves"] == 0,
               "no kpageflags: no huge leaves claimed")
    elif not heads:
        skip("THP: the kernel gave the MADV_HUGEPAGE region no huge page "
             "(checked as small pages)")
        result(all(tr[lay["huge"] + i]["page_size"] == PAGE
                   for i in range(0, 4 << 20, PAGE)) if tr else False,
               "MADV_HUGEPAGE region without THP: small leaves")
    else:
        ok = tr is not None and all(
            tr[h + i]["page_size"] == 2 << 20 and
            int(tr[h + i]["pa"], 16) == (pm[h + i] & PFN_MASK) * PAGE
            for h in heads for i in range(0, 2 << 20, PAGE))
        result(ok and summ["huge_leaves"] >= len(heads),
               "THP: %d huge page(s) kpageflags names in the "
               "MADV_HUGEPAGE region are 2M leaves (summary: %d huge "
               "leaves)" % (len(heads), summ["huge_leaves"]))

    # The image commands with no other argument, --root auto, --cpu 0.
    rc, out, err = run(["info", image, "--json"])
    info = json.loads(out) if rc == 0 else {}
    result(rc == 0 and info.get("table", {}).get("format") == "x86_64" and
           info["table"]["root"] == summ["root"] and
           info["table"]["pid"] == pid,
           "info --json names the note's format, root and pid")
    rc, out, err = run(["dump", image])
    leaves = sum(1 for l in out.splitlines() if "->" in l)
    result(rc == 0 and leaves > 0, "dump IMAGE with no other argument "
           "(%d lines; %s)" % (leaves, err.strip()[:200]))
    probe = [v for v in sorted(pm) if pm[v] & PRESENT][:3]
    answers = []
    for extra in ([], ["--root", "auto"], ["--cpu", "0"],
                  ["--format", "x86_64", "--cpu", "0"]):
        t, err = translate_all(image, probe, extra)
        answers.append(t and [t[v]["pa"] for v in probe])
    result(answers[0] is not None and all(x == answers[0] for x in answers),
           "translate: no argument, --root auto, --cpu 0 agree: %s" %
           answers)

    # Other formats build the same address space.
    for fmt in ("riscv_sv48", "x86_64_la57", "armv8_4k_48"):
        img2 = os.path.join(TMP, fmt + ".core")
        rc, out, err = run(["snapshot", str(pid), "-o", img2, "--format",
                            fmt, "--json"] +
                           ([] if pfns else ["--allow-hidden-pfns"]))
        result(rc == 0, "snapshot --format %s (%s)" % (fmt,
                                                      err.strip()[:200]))
        if rc == 0:
            check_pages(fmt, img2, rg, pm, pfns)

    # Errors name their cause and leave nothing behind.
    rc, out, err = run(["snapshot", str(pid), "-o",
                        os.path.join(TMP, "sv39.core"), "--format",
                        "riscv_sv39"])
    result(rc == 2 and "riscv_sv39" in err and "VA 0x" in err and
           not os.path.exists(os.path.join(TMP, "sv39.core")),
           "a format too small for the address space names the address: "
           + err.strip()[:200])
    rc, out, err = run(["snapshot", "999999999", "-o",
                        os.path.join(TMP, "none.core")])
    result(rc == 2 and "no such process" in err,
           "no such process: " + err.strip()[:120])
    blocker = os.path.join(TMP, "adir")
    os.mkdir(blocker)
    before = sorted(os.listdir(TMP))
    rc, out, err = run(["snapshot", str(pid), "-o", blocker] +
                       ([] if pfns else ["--allow-hidden-pfns"]))
    result(rc == 2 and "cannot write" in err and
           sorted(os.listdir(TMP)) == before and os.path.isdir(blocker),
           "a write failure leaves no file behind: " + err.strip()[:120])
    # Permission denied: another user's process (the child, from an
    # unprivileged ptkit when we are root; pid 1 when we are not).
    if os.getuid() == 0 and shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                            "--clear-groups", PTKIT, "snapshot", str(pid),
                            "-o", os.path.join(TMP, "denied.core")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300)
        rc, err = p.returncode, p.stderr.decode()
    elif os.getuid() != 0 and os.stat("/proc/1").st_uid != os.getuid():
        rc, out, err = run(["snapshot", "1", "-o",
                            os.path.join(TMP, "denied.core")])
    else:
        rc = None
    if rc is None:
        skip("permission denied: no other user's process to try")
    else:
        result(rc == 2 and "permission denied" in err and
               not os.path.exists(os.path.join(TMP, "denied.core")),
               "another user's process: " + err.strip()[:160])
    rc, out, err = run(["snapshot"])
    result(rc == 1 and "no PID" in err, "no PID: usage error")
    rc, out, err = run(["snapshot", "--help"])
    result(rc == 0 and "--allow-hidden-pfns" in out and
           "simulated" in out, "snapshot --help")


if __name__ == "__main__":
    sys.exit(main())
