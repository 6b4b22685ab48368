# SPDX-License-Identifier: MIT
"""
ptkit for Python: a ctypes binding over the shared library libptkit.so.

Open a memory image, attach a page table in it and walk, translate and
read through it; or build tables of any built-in format in host memory.
Nothing but the standard library is needed.

    import ptkit
    with ptkit.Image("core.elf") as img:
        t = img.table("x86_64", 0x29bc000)        # the root table's address
        print(hex(t.translate(0x401000).pa))
        for leaf in t.walk():                     # runs of leaves
            ...
        data = t.read(0xffffffff81000000, 64)     # bytes at a VA

    t = ptkit.Table.create("x86_64")              # tables in host memory
    t.map(0x400000, 2 << 20, 0x80000000, ptkit.PROT_READ | ptkit.PROT_WRITE)

The library is found through $PTKIT_LIB (a path to libptkit.so), then
next to this package (an install prefix's lib/), then the system's
linker path. Errors raise ptkit.Error with the library's code, its name
(PTK_E...) and message; an image that cannot be opened says why.
"""
import ctypes
import ctypes.util
import os

__all__ = ["Error", "Image", "Table", "Leaf", "Translation",
           "PROT_READ", "PROT_WRITE", "PROT_EXEC", "PROT_USER", "formats"]

PROT_READ = 0x1
PROT_WRITE = 0x2
PROT_EXEC = 0x4
PROT_USER = 0x8
ATTR_GLOBAL = 0x1
ATTR_ACCESSED = 0x2
ATTR_DIRTY = 0x4

# Caller-allocated library structs whose fields are private: room enough
# for them (struct ptk_table is ~150 bytes, struct ptk_mem_heap ~1.2 KiB).
_TABLE_BYTES = 4096
_HEAP_BYTES = 65536
_MAX_LEVELS = 6


def _load():
    names = []
    if os.environ.get("PTKIT_LIB"):
        names.append(os.environ["PTKIT_LIB"])
    here = os.path.dirname(os.path.abspath(__file__))
    for rel in ("../../lib", "../../../lib", "../../../lib64"):
        names.append(os.path.join(here, rel, "libptkit.so"))
    found = ctypes.util.find_library("ptkit")
    if found:
        names.append(found)
    errors = []
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError as e:
            errors.append("%s: %s" % (n, e))
    raise ImportError("libptkit.so not found (set PTKIT_LIB): " +
                      "; ".join(errors or ["no candidates"]))


_lib = _load()
_u64 = ctypes.c_uint64


class _Attrs(ctypes.Structure):
    _fields_ = [("prot", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("memtype", ctypes.c_uint32), ("sw", ctypes.c_uint32)]


class _Xlate(ctypes.Structure):
    _fields_ = [("oa", _u64), ("pte", _u64), ("level", ctypes.c_uint),
                ("size_lg2", ctypes.c_uint)]


class _WalkLeaf(ctypes.Structure):
    _fields_ = [("va", _u64), ("oa", _u64), ("count", _u64), ("pte", _u64),
                ("attrs", _Attrs), ("level", ctypes.c_uint),
                ("size_lg2", ctypes.c_uint)]


_LEAF_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(_WalkLeaf),
                            ctypes.c_void_p)
_INVALID_FN = ctypes.CFUNCTYPE(ctypes.c_int, _u64, _u64, ctypes.c_uint,
                               _u64, ctypes.c_void_p)


class _WalkOps(ctypes.Structure):
    _fields_ = [("leaf", _LEAF_FN), ("hole", ctypes.c_void_p),
                ("pre_table", ctypes.c_void_p),
                ("post_table", ctypes.c_void_p),
                ("invalid", _INVALID_FN), ("leaves", ctypes.c_void_p),
                ("slots", ctypes.c_void_p)]


class _Fmt(ctypes.Structure):
    # The public head of struct ptk_fmt (include/ptkit/fmt.h).
    _fields_ = [("version", ctypes.c_uint), ("name", ctypes.c_char_p),
                ("desc", ctypes.c_char_p), ("levels", ctypes.c_uint8),
                ("entry_lg2", ctypes.c_uint8), ("va_bits", ctypes.c_uint8),
                ("oa_bits", ctypes.c_uint8),
                ("level_shift", ctypes.c_uint8 * _MAX_LEVELS),
                ("level_bits", ctypes.c_uint8 * _MAX_LEVELS)]


class _ImageError(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("sys_errno", ctypes.c_int),
                ("msg", ctypes.c_char * 512)]


class _ImageOpts(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint), ("base", _u64),
                ("error", ctypes.POINTER(_ImageError))]


class _Seg(ctypes.Structure):
    _fields_ = [("pa", _u64), ("size", _u64), ("file_off", _u64)]


class _Reg(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("value", _u64)]


class _Cpu(ctypes.Structure):
    _fields_ = [("index", ctypes.c_uint), ("arch", ctypes.c_uint),
                ("pid", _u64), ("nr_regs", ctypes.c_uint),
                ("regs", _Reg * 12)]


class _VaStop(ctypes.Structure):
    _fields_ = [("done", ctypes.c_size_t), ("va", _u64), ("pa", _u64),
                ("size_lg2", ctypes.c_uint), ("level", ctypes.c_uint),
                ("code", ctypes.c_int)]


class _PageError(ctypes.Structure):
    _fields_ = [("pa", _u64), ("file_off", _u64),
                ("file_size", ctypes.c_uint32), ("msg", ctypes.c_char * 160)]


def _fn(name, res, *args):
    f = getattr(_lib, name)
    f.restype = res
    f.argtypes = list(args)
    return f


_vp = ctypes.c_void_p
_strerror = _fn("ptk_strerror", ctypes.c_char_p, ctypes.c_int)
_errname = _fn("ptk_errname", ctypes.c_char_p, ctypes.c_int)
_fmt_lookup = _fn("ptk_fmt_lookup", ctypes.POINTER(_Fmt), ctypes.c_char_p)
_fmt_count = _fn("ptk_fmt_count", ctypes.c_size_t)
_fmt_get = _fn("ptk_fmt_get", ctypes.POINTER(_Fmt), ctypes.c_size_t)
_level_name = _fn("ptk_fmt_level_name", ctypes.c_char_p,
                  ctypes.POINTER(_Fmt), ctypes.c_uint)
_image_open = _fn("ptk_image_open", ctypes.c_int, ctypes.POINTER(_vp),
                  ctypes.c_char_p, ctypes.POINTER(_ImageOpts))
_image_close = _fn("ptk_image_close", None, _vp)
_image_kind = _fn("ptk_image_kind", ctypes.c_int, _vp)
_image_kind_name = _fn("ptk_image_kind_name", ctypes.c_char_p, ctypes.c_int)
_image_machine = _fn("ptk_image_machine", ctypes.c_uint, _vp)
_image_nr_segs = _fn("ptk_image_nr_segs", ctypes.c_size_t, _vp)
_image_seg = _fn("ptk_image_seg", ctypes.c_int, ctypes.POINTER(_Seg), _vp,
                 ctypes.c_size_t)
_image_nr_cpus = _fn("ptk_image_nr_cpus", ctypes.c_size_t, _vp)
_image_cpu = _fn("ptk_image_cpu", ctypes.POINTER(_Cpu), _vp, ctypes.c_size_t)
_image_read = _fn("ptk_image_read", ctypes.c_int, _vp, _vp, _u64,
                  ctypes.c_size_t)
_image_read_va = _fn("ptk_image_read_va", ctypes.c_int, _vp, _vp, _vp, _u64,
                     ctypes.c_size_t, ctypes.POINTER(_VaStop))
_image_mem = _fn("ptk_image_mem", _vp, _vp)
_image_vmcoreinfo = _fn("ptk_image_vmcoreinfo", ctypes.c_char_p, _vp,
                        ctypes.POINTER(ctypes.c_size_t))
_image_nr_page_errors = _fn("ptk_image_nr_page_errors", ctypes.c_size_t, _vp)
_image_page_error = _fn("ptk_image_page_error", ctypes.c_int,
                        ctypes.POINTER(_PageError), _vp, ctypes.c_size_t)
_table_attach = _fn("ptk_table_attach", ctypes.c_int, _vp,
                    ctypes.POINTER(_Fmt), _vp, _u64, ctypes.c_uint)
_table_create = _fn("ptk_table_create", ctypes.c_int, _vp,
                    ctypes.POINTER(_Fmt), _vp, ctypes.c_uint)
_table_destroy = _fn("ptk_table_destroy", None, _vp)
_table_root = _fn("ptk_table_root", _u64, _vp)
_translate = _fn("ptk_translate", ctypes.c_int, _vp, _u64,
                 ctypes.POINTER(_Xlate))
_walk = _fn("ptk_walk", ctypes.c_int, _vp, _u64, _u64,
            ctypes.POINTER(_WalkOps), _vp)
_walk_all = _fn("ptk_walk_all", ctypes.c_int, _vp, ctypes.POINTER(_WalkOps),
                _vp)
_map = _fn("ptk_map", ctypes.c_int, _vp, _u64, _u64, _u64,
           ctypes.POINTER(_Attrs), ctypes.c_uint, _vp)
_unmap = _fn("ptk_unmap", ctypes.c_int, _vp, _u64, _u64, ctypes.c_uint, _vp)
_leaf_attrs = _fn("ptk_leaf_attrs", ctypes.c_int, ctypes.POINTER(_Attrs),
                  _vp, ctypes.c_uint, _u64)
_heap_init = _fn("ptk_mem_heap_init", ctypes.c_int, _vp)
_heap_fini = _fn("ptk_mem_heap_fini", None, _vp)

# Codes the binding names (include/ptkit/errors.h).
ENOENT = -7
ERANGE = -3
ECORRUPT = -10
EDECOMPRESS = -34


class Error(Exception):
    """A ptkit call failed: .code (negative PTK_E*), .name, .message."""

    def __init__(self, code, message=None):
        self.code = code
        self.name = _errname(code).decode()
        self.message = message or _strerror(code).decode()
        super().__init__("%s: %s" % (self.name, self.message))


def _check(rc, what=None):
    if rc < 0:
        raise Error(rc, ("%s: %s" % (what, _strerror(rc).decode()))
                    if what else None)
    return rc


def _fmt(name):
    if isinstance(name, ctypes.POINTER(_Fmt)):
        return name
    f = _fmt_lookup(name.encode())
    if not f:
        raise ValueError("unknown format %r (see ptkit.formats())" % name)
    return f


def formats():
    """The built-in formats: [(name, levels, va_bits)]."""
    out = []
    for i in range(_fmt_count()):
        f = _fmt_get(i).contents
        out.append((f.name.decode(), f.levels, f.va_bits))
    return out


def prot_str(prot):
    """"rwxu" as `ptkit dump` prints a protection."""
    return "".join((c if prot & b else "-") for c, b in
                   (("r", PROT_READ), ("w", PROT_WRITE),
                    ("x", PROT_EXEC))) + ("u" if prot & PROT_USER else "k")


class Translation:
    """Where a VA goes: .pa, .pte, .level, .size (the page size)."""

    def __init__(self, x):
        self.pa, self.pte, self.level = x.oa, x.pte, x.level
        self.size = 1 << x.size_lg2

    def __repr__(self):
        return "Translation(pa=0x%x, level=%d, size=0x%x)" % (
            self.pa, self.level, self.size)


class Leaf:
    """A run of leaves: .va, .pa, .count, .size (each), .level, .prot,
    .flags, .memtype, .pte (the first one's entry)."""

    def __init__(self, lf):
        self.va, self.pa, self.count = lf.va, lf.oa, lf.count
        self.size, self.level, self.pte = 1 << lf.size_lg2, lf.level, lf.pte
        self.prot, self.flags = lf.attrs.prot, lf.attrs.flags
        self.memtype = lf.attrs.memtype

    def __repr__(self):
        return "Leaf(va=0x%x, pa=0x%x, count=%d, size=0x%x, %s)" % (
            self.va, self.pa, self.count, self.size, prot_str(self.prot))


class Table:
    """A page table: attached to an image (Image.table()) or built in
    host memory (Table.create())."""

    def __init__(self, fmt, image=None):
        self._buf = ctypes.create_string_buffer(_TABLE_BYTES)
        self._fmt = _fmt(fmt)
        self._image = image
        self._heap = None
        self._live = False

    @classmethod
    def create(cls, fmt):
        """An empty table of format @fmt whose tables live on the heap."""
        t = cls(fmt)
        t._heap = ctypes.create_string_buffer(_HEAP_BYTES)
        _check(_heap_init(t._heap), "heap")
        rc = _table_create(t._buf, t._fmt, t._heap, 0)
        if rc:
            _heap_fini(t._heap)
            _check(rc, "ptk_table_create")
        t._live = True
        return t

    def close(self):
        if self._live:
            _table_destroy(self._buf)
            self._live = False
        if self._heap is not None:
            _heap_fini(self._heap)
            self._heap = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def format(self):
        return self._fmt.contents.name.decode()

    @property
    def root(self):
        """The root table's address (what CR3/TTBR/satp point to)."""
        return _table_root(self._buf)

    def level_name(self, level):
        return _level_name(self._fmt, level).decode()

    def translate(self, va):
        """A Translation, or None when nothing maps @va."""
        x = _Xlate()
        rc = _translate(self._buf, va, ctypes.byref(x))
        if rc in (ENOENT, ERANGE):
            return None
        _check(rc, "translate 0x%x" % va)
        return Translation(x)

    def walk(self, va=0, length=None):
        """Every run of leaves in [va, va + length) (all: length None),
        in VA order, as a list of Leaf. Malformed entries raise Error."""
        out, bad = [], []

        def leaf(p, _arg):
            out.append(Leaf(p.contents))
            return 0

        def invalid(va_, last, level, pte, _arg):
            bad.append((va_, level, pte))
            return 0
        ops = _WalkOps(leaf=_LEAF_FN(leaf), invalid=_INVALID_FN(invalid))
        if length is None and va == 0:
            rc = _walk_all(self._buf, ctypes.byref(ops), None)
        else:
            rc = _walk(self._buf, va, length if length is not None else
                       (1 << 64) - va, ctypes.byref(ops), None)
        if rc not in (0, ERANGE):
            _check(rc, "walk")
        if bad:
            raise Error(ECORRUPT, "%d malformed entries, the first at VA "
                        "0x%x (level %d, entry 0x%x)" % ((len(bad),) +
                                                         bad[0]))
        return out

    def map(self, va, length, pa, prot, flags=0):
        """Map [va, va + length) to [pa, pa + length) with @prot."""
        a = _Attrs(prot=prot)
        _check(_map(self._buf, va, length, pa, ctypes.byref(a), flags,
                    None), "map 0x%x+0x%x" % (va, length))

    def unmap(self, va, length):
        _check(_unmap(self._buf, va, length, 0, None),
               "unmap 0x%x+0x%x" % (va, length))

    def read(self, va, length):
        """The @length bytes at @va of the image this table belongs to.
        A VA that is not mapped (or maps to memory the image lacks, or to
        a page that does not decompress) raises Error with .va and .pa."""
        if self._image is None:
            raise ValueError("read() needs a table attached to an image")
        buf = ctypes.create_string_buffer(length)
        st = _VaStop()
        rc = _image_read_va(buf, self._image._img, self._buf, va, length,
                            ctypes.byref(st))
        if rc:
            what = {ENOENT: "is not mapped",
                    ECORRUPT: "has a malformed entry on its way",
                    ERANGE: "maps to PA 0x%x, which the image does not "
                            "hold" % st.pa,
                    EDECOMPRESS: "maps to PA 0x%x, whose page does not "
                                 "decompress" % st.pa}.get(rc, "")
            e = Error(rc, "VA 0x%x %s (%d bytes read before it)" % (
                st.va, what, st.done))
            e.va, e.pa, e.done = st.va, st.pa, st.done
            e.data = buf.raw[:st.done]
            raise e
        return buf.raw


class Image:
    """A memory image: ELF core, LiME, compressed kdump or raw memory."""

    def __init__(self, path, base=0, partial=False):
        err = _ImageError()
        opts = _ImageOpts(flags=0x2 if partial else 0, base=base,
                          error=ctypes.pointer(err))
        self._img = _vp()
        rc = _image_open(ctypes.byref(self._img), os.fsencode(path),
                         ctypes.byref(opts))
        if rc:
            self._img = None
            raise Error(rc, "%s: %s" % (path, err.msg.decode()))
        self.path = path
        self._tables = []

    def close(self):
        for t in self._tables:
            t.close()
        self._tables = []
        if self._img:
            _image_close(self._img)
            self._img = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def kind(self):
        return _image_kind_name(_image_kind(self._img)).decode()

    @property
    def machine(self):
        return _image_machine(self._img)

    def segments(self):
        """The physical memory it holds: [(pa, size)]."""
        out = []
        for i in range(_image_nr_segs(self._img)):
            s = _Seg()
            _image_seg(ctypes.byref(s), self._img, i)
            out.append((s.pa, s.size))
        return out

    def cpus(self):
        """Per CPU of the notes: {register name: value}."""
        out = []
        for i in range(_image_nr_cpus(self._img)):
            c = _image_cpu(self._img, i).contents
            out.append({c.regs[k].name.decode(): c.regs[k].value
                        for k in range(c.nr_regs)})
        return out

    def vmcoreinfo(self):
        n = ctypes.c_size_t()
        s = _image_vmcoreinfo(self._img, ctypes.byref(n))
        return s.decode(errors="replace") if s else None

    def read(self, pa, length):
        """The @length bytes of physical memory at @pa."""
        buf = ctypes.create_string_buffer(length)
        _check(_image_read(buf, self._img, pa, length),
               "read PA 0x%x+0x%x" % (pa, length))
        return buf.raw

    def page_errors(self):
        """Pages of a compressed image that did not decompress:
        [(pa, file_offset, reason)]."""
        out = []
        for i in range(_image_nr_page_errors(self._img)):
            e = _PageError()
            if _image_page_error(ctypes.byref(e), self._img, i):
                break
            out.append((e.pa, e.file_off, e.msg.decode()))
        return out

    def table(self, fmt, root):
        """The table of format @fmt whose root table is at PA @root."""
        t = Table(fmt, image=self)
        _check(_table_attach(t._buf, t._fmt, _image_mem(self._img), root, 0),
               "root table at 0x%x" % root)
        t._live = True
        self._tables.append(t)
        return t
