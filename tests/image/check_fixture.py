#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""
check_fixture.py PTKIT FIXTURE_DIR: ptkit against QEMU on a real page table.

FIXTURE_DIR is one of tests/fixtures/<variant>/ (see its README.md and
tests/fixtures/mkfixture.py). For every CPU in fixture.json, and for the
same physical memory presented three ways (the ELF core as made, a LiME
file and a sparse raw file, both rebuilt here from the ELF's segments):

  - `ptkit dump --style qemu-tlb` must equal QEMU's `info tlb`;
  - `ptkit dump --style qemu-mem` must equal QEMU's `info mem`;
  - `ptkit translate` must give QEMU's gva2gpa answer for every probe;
  - the default and --json styles must run clean (exit 0, empty stderr).

The only differences allowed are QEMU's own known mistakes, each applied as
a named normalisation of QEMU's text (the kit README's pitfall numbers):

  qemu-pae-tlb-nx-in-pa (pitfall 5): under PAE, `info tlb` masks leaves
      with ~0xfff / ~((1 << 20) - 1) only, so the NX bit (63) shows in the
      physical-address column; it is cleared from QEMU's column here.

  qemu-gva2gpa-user-mode-permission: on Arm and RISC-V, QEMU's gva2gpa
      translates with the permission checks of the privilege level the
      vCPU is stopped at, so for a vCPU at EL0 / in U-mode it answers
      "Unmapped" for pages only the kernel may access (kernel text). A
      probe where QEMU says unmapped and ptkit maps the VA is accepted
      only when fixture.json marks the vCPU user_mode and ptkit's leaf is
      not user-accessible (`translate -v` prints prot=...k); the count is
      printed.

(QEMU's `info mem` under LA57, pitfall 1, prints nothing; the LA57
fixture carries no `info mem` listing, so there is nothing to compare.)

Prints one line per comparison with its match count, and a final
"N passed, N failed" line; exits non-zero on any failure.
"""
import gzip
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


def elf_loads(data):
    is64 = data[4] == 2
    if is64:
        phoff, = struct.unpack_from("<Q", data, 32)
        phentsize, phnum = struct.unpack_from("<HH", data, 54)
    else:
        phoff, = struct.unpack_from("<I", data, 28)
        phentsize, phnum = struct.unpack_from("<HH", data, 42)
    out = []
    for i in range(phnum):
        o = phoff + i * phentsize
        if is64:
            t, _f, off, _v, pa, n = struct.unpack_from("<IIQQQQ", data, o)
        else:
            t, off, _v, pa, n = struct.unpack_from("<IIIII", data, o)
        if t == 1:
            out.append((pa, data[off:off + n]))
    return out


def make_lime(path, loads):
    with open(path, "wb") as f:
        for pa, b in loads:
            f.write(struct.pack("<IIQQQ", 0x4C694D45, 1, pa,
                                pa + len(b) - 1, 0))
            f.write(b)


def make_raw(path, loads):
    base = min(pa for pa, _ in loads) & ~0xfffff
    with open(path, "wb") as f:
        for pa, b in loads:
            f.seek(pa - base)
            f.write(b)
    return base


def run(args, stdin=None):
    p = subprocess.run(args, input=stdin, capture_output=True)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def norm_pae_tlb(text):
    out = []
    for line in text.splitlines():
        va, rest = line.split(": ", 1)
        pa, flags = rest.split(" ", 1)
        pa = int(pa, 16) & 0x000ffffffffff000
        out.append(f"{va}: {pa:016x} {flags}")
    return "\n".join(out) + ("\n" if out else "")


def compare(label, got, want):
    g, w = got.splitlines(), want.splitlines()
    same = sum(1 for a, b in zip(g, w) if a == b)
    ok = g == w
    msg = f"{label}: {same}/{len(w)} QEMU lines equal"
    if not ok:
        for i, (a, b) in enumerate(zip(g, w)):
            if a != b:
                msg += f"\n     first difference at line {i + 1}:" \
                       f"\n       ptkit: {a}\n       qemu:  {b}"
                break
        else:
            msg += f"\n     ptkit printed {len(g)} lines"
    result(ok, msg)


def main():
    ptkit, fdir = sys.argv[1], sys.argv[2]
    fx = json.load(open(os.path.join(fdir, "fixture.json")))
    fmt = fx["format"]
    name = fx["variant"]
    tmp = tempfile.mkdtemp(prefix="ptk-fixture-")
    elf = os.path.join(tmp, "tables.elf")
    with gzip.open(os.path.join(fdir, "tables.elf.gz")) as f:
        data = f.read()
    open(elf, "wb").write(data)
    loads = elf_loads(data)
    lime = os.path.join(tmp, "tables.lime")
    raw = os.path.join(tmp, "tables.raw")
    make_lime(lime, loads)
    base = make_raw(raw, loads)
    images = [("elf", elf, []), ("lime", lime, []),
              ("raw", raw, ["--base", hex(base)])]

    rc, out, err = run([ptkit, "info", elf])
    result(rc == 0 and "kind      elf" in out, f"{name}: info on the ELF")
    rc, out, err = run([ptkit, "info", lime, "--json"])
    result(rc == 0 and json.loads(out)["kind"] == "lime",
           f"{name}: info --json on LiME")

    for cpu in fx["cpus"]:
        c = cpu["cpu"]
        root = ["--root", cpu["root"]]
        if "root1" in cpu:
            root += ["--root1", cpu["root1"]]
        for kind, img, extra in images:
            base_args = [img, "--format", fmt] + root + extra
            for style, key in (("qemu-tlb", "tlb"), ("qemu-mem", "mem")):
                if key not in cpu:
                    continue
                with lzma.open(os.path.join(fdir, cpu[key])) as f:
                    want = f.read().decode()
                if style == "qemu-tlb" and fmt == "x86_pae":
                    want = norm_pae_tlb(want)  # qemu-pae-tlb-nx-in-pa
                rc, got, err = run([ptkit, "dump"] + base_args +
                                   ["--style", style])
                if rc or err:
                    result(False, f"{name} cpu{c} {kind} {style}: "
                           f"exit {rc}: {err.strip()}")
                    continue
                compare(f"{name} cpu{c} {kind} dump --style {style}",
                        got, want)
            if "xlate" in cpu:
                probes = [l.split() for l in
                          open(os.path.join(fdir, cpu["xlate"]))]
                vas = "\n".join(p[0] for p in probes) + "\n"
                rc, got, err = run([ptkit, "translate", "-v"] + base_args,
                                   vas.encode())
                lines = [l.split() for l in got.splitlines()]
                same = allowed = 0
                first_bad = None
                for a, b in zip(lines, probes):
                    if a[:2] == b:
                        same += 1
                    elif (cpu.get("user_mode") and b[1] == "-" and
                          len(a) > 4 and a[4].startswith("prot=") and
                          a[4].endswith("k")):
                        allowed += 1  # qemu-gva2gpa-user-mode-permission
                    elif first_bad is None:
                        first_bad = (a, b)
                mapped = sum(1 for p in probes if p[1] != "-")
                ok = (rc == 0 and not err and len(lines) == len(probes)
                      and first_bad is None)
                result(ok, f"{name} cpu{c} {kind} translate: {same}/"
                       f"{len(probes)} QEMU gva2gpa answers equal "
                       f"({mapped} mapped)" +
                       (f", {allowed} differ as "
                        f"qemu-gva2gpa-user-mode-permission" if allowed
                        else "") +
                       (f"\n     first difference: ptkit {first_bad[0]}"
                        f", qemu {first_bad[1]}" if first_bad else "") +
                       (f" stderr: {err.strip()}" if err else ""))
            if kind == "elf":
                for extra_style in (["--json"], []):
                    rc, out, err = run([ptkit, "dump"] + base_args +
                                       extra_style)
                    ok = rc == 0 and not err and out
                    if ok and extra_style:
                        try:
                            n = sum(1 for r in json.loads(out)["runs"]
                                    if r["pages"] > 0)
                        except ValueError:
                            ok = False
                    result(bool(ok), f"{name} cpu{c} dump "
                           f"{' '.join(extra_style) or '(ptdump style)'}"
                           f": {len(out.splitlines())} runs" +
                           (f" stderr: {err.strip()}" if err else ""))
        if fmt.startswith("x86"):
            # The root from the ELF notes must be the recorded register.
            rc, a, _ = run([ptkit, "dump", elf, "--format", fmt,
                            "--cpu", str(c), "--style", "qemu-tlb"])
            rc2, b, _ = run([ptkit, "dump", elf, "--format", fmt,
                             "--root", cpu["root"], "--style", "qemu-tlb"])
            result(rc == 0 and rc2 == 0 and a == b,
                   f"{name} cpu{c}: --cpu {c} (root from the QEMU note) "
                   f"equals --root")
    for p in (elf, lime, raw):
        os.unlink(p)
    os.rmdir(tmp)
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
