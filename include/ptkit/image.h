/* SPDX-License-Identifier: MIT */
/*
 * ptkit memory images: read real page tables out of a memory dump.
 *
 * DOC: images
 *
 * A struct ptk_image is a read-only view of a machine's physical memory
 * saved in a file or a buffer, and a struct ptk_mem provider over it that
 * ptk_table_attach() accepts. Three kinds are recognised by their content
 * (never by a file name):
 *
 *  - an ELF core (ELFCLASS32 or 64, little endian), as QEMU's
 *    dump-guest-memory and a kdump /proc/vmcore write: every PT_LOAD
 *    segment holds p_filesz bytes of physical memory from p_paddr; holes
 *    between segments are allowed. The notes give the CPUs' registers:
 *    QEMU's per-CPU "QEMU" note (x86: CR0, CR2, CR3, CR4, RIP) and the
 *    NT_PRSTATUS note of every CPU (x86, Arm64 and RISC-V register sets);
 *    and the "PTKIT" note `ptkit snapshot` writes, naming the table the
 *    image holds: its format and root (ptk_image_ptkit());
 *  - LiME: a sequence of ranges, each a 32-byte header (magic 0x4C694D45,
 *    version 1, first and last physical address) followed by its bytes;
 *  - anything else: a raw image whose first byte is physical address
 *    @base (struct ptk_image_opts).
 *
 * Files are memory-mapped, never read whole. Every access is bounds
 * checked: an address outside every segment has no memory (the provider's
 * map returns NULL, which the engine reports as PTK_ECORRUPT or through
 * the walk's invalid hook); it is never read as zeros. The provider is
 * PTK_MEM_READONLY: tables attached to it can be translated, walked and
 * iterated, and every mutation fails with PTK_EROFS, leaving the image
 * (file or buffer) as it was.
 *
 * An image is untrusted input, and nothing in it is dropped without a
 * word. What is refused, with its code (struct ptk_image_error carries
 * a message naming the cause, what was expected and what was found):
 *
 *  - a file that cannot be opened or mapped, a directory, a FIFO, a
 *    device or socket (images are mapped from regular files):
 *    PTK_EFILE, with the system's reason;
 *  - an empty file, malformed ELF or LiME headers, notes that overrun
 *    their segment, more than 65536 CPU notes, and segments (or LiME
 *    ranges) that claim the same physical memory with different bytes:
 *    PTK_EBADIMAGE. Overlaps whose bytes agree lose nothing and are
 *    taken as one;
 *  - a file cut short (a header, the program headers, the notes, or the
 *    memory that PT_LOAD segments or LiME ranges promise): PTK_ETRUNC,
 *    naming the missing physical ranges; with PTK_IMAGE_PARTIAL the
 *    memory the file holds is opened and the rest is listed by
 *    ptk_image_missing();
 *  - gzip, xz, zstd, bzip2 and lz4 files (by their magic numbers):
 *    PTK_ECOMPRESSED, naming the compressor; decompress first, or pass
 *    PTK_IMAGE_FORCE_RAW to take the bytes as they are;
 *  - big-endian ELF: PTK_ENOTSUP.
 *
 * ELF extended numbering (PN_XNUM: more than 65534 program headers,
 * the count in section header 0) is read. A segment whose bytes are not
 * 8-byte aligned in the file relative to its address (an odd p_offset)
 * is copied once into aligned memory, so its tables can be read.
 */
#ifndef PTKIT_IMAGE_H
#define PTKIT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "types.h"
#include "mem.h"
#include "table.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ptk_image;

/**
 * enum ptk_image_kind - What an image file is
 * @PTK_IMAGE_RAW: Flat physical memory from a base address
 * @PTK_IMAGE_ELF: ELF core (QEMU dump-guest-memory, kdump)
 * @PTK_IMAGE_LIME: LiME dump
 * @PTK_IMAGE_KDUMP: Compressed kdump (makedumpfile's "KDUMP" format,
 *                   QEMU's dump-guest-memory -z)
 */
enum ptk_image_kind {
	PTK_IMAGE_RAW = 1,
	PTK_IMAGE_ELF = 2,
	PTK_IMAGE_LIME = 3,
	PTK_IMAGE_KDUMP = 4,
};

/* struct ptk_image_opts.flags */
#define PTK_IMAGE_FORCE_RAW 0x1u /* take the bytes as raw, whatever they hold */
#define PTK_IMAGE_PARTIAL 0x2u /* open a cut file: see ptk_image_missing() */

/* The size of struct ptk_image_error.msg. */
#define PTK_IMAGE_ERROR_MAX 512

/**
 * struct ptk_image_error - Why an image could not be opened
 * @code: What the call returned: 0, or a negative PTK_E* code
 * @sys_errno: The system's error number when a system call failed
 *             (with PTK_EFILE, PTK_ENOMEM), else 0
 * @msg: One line for people, NUL-terminated, without the file's name
 *       (the caller knows it): the cause, with what was expected and
 *       what was found, e.g. "ELF header cut short: an ELF64 header is
 *       64 bytes, the file has 40"; when the file cannot be opened, the
 *       system's reason alone (strerror(), "No such file or
 *       directory"). Empty after success.
 *
 * A failed open returns no image to ask, so the reason is handed back
 * here: point struct ptk_image_opts.error at one.
 */
struct ptk_image_error {
	int code;
	int sys_errno;
	char msg[PTK_IMAGE_ERROR_MAX];
};

/**
 * struct ptk_image_opts - How to open an image
 * @flags: PTK_IMAGE_* flags
 * @base: Physical address of the first byte of a raw image
 * @error: Where to say why the open failed; may be NULL. Set on every
 *         call (code 0 and an empty message on success).
 */
struct ptk_image_opts {
	unsigned int flags;
	ptk_oa_t base;
	struct ptk_image_error *error;
};

/**
 * struct ptk_image_seg - One run of physical memory an image holds
 * @pa: Its first physical address
 * @size: Bytes
 * @file_off: Where its bytes start in the file (or buffer)
 */
struct ptk_image_seg {
	ptk_oa_t pa;
	uint64_t size;
	uint64_t file_off;
};

/* struct ptk_image_cpu.arch: the ELF e_machine value the notes came with */
#define PTK_IMAGE_ARCH_I386 3
#define PTK_IMAGE_ARCH_X86_64 62
#define PTK_IMAGE_ARCH_AARCH64 183
#define PTK_IMAGE_ARCH_RISCV 243

#define PTK_IMAGE_MAX_REGS 12

/**
 * struct ptk_image_reg - One register value found in an image's notes
 * @name: Lower-case register name ("cr3", "rip", "pc", ...); static
 * @value: Its value, zero-extended
 */
struct ptk_image_reg {
	const char *name;
	uint64_t value;
};

/**
 * struct ptk_image_cpu - What an image says about one CPU
 * @index: Position among the CPUs, in note order (0 = first)
 * @arch: PTK_IMAGE_ARCH_* (the ELF machine)
 * @pid: The thread id from NT_PRSTATUS, or 0
 * @nr_regs: Valid entries in @regs
 * @regs: The registers found, in note order: from NT_PRSTATUS the
 *        program counter and stack pointer ("rip"/"rsp", "eip"/"esp",
 *        "pc"/"sp"/"pstate"), from QEMU's x86 note "cr3", "cr0", "cr4",
 *        "cr2" and "rip"; a register two notes carry keeps the first
 *        value
 */
struct ptk_image_cpu {
	unsigned int index;
	unsigned int arch;
	uint64_t pid;
	unsigned int nr_regs;
	struct ptk_image_reg regs[PTK_IMAGE_MAX_REGS];
};

/* Room for a format name in struct ptk_image_ptkit, NUL included. */
#define PTK_IMAGE_FMT_NAME_MAX 32

/**
 * struct ptk_image_ptkit - The table a "PTKIT" note names
 * @format: The format's name (ptk_fmt_lookup()), NUL-terminated
 * @root_reg: The root register value, as the format reads it
 *            (ptk_fmt_root_from_reg())
 * @root_oa: The root table's address, as the writer computed it
 * @pid: The process the table was built from, or 0
 * @cpu: The CPU record the note made (ptk_image_cpu()); it carries
 *       @root_reg as the register "root"
 *
 * `ptkit snapshot` writes the note (name "PTKIT", type 1) into the ELF
 * cores it makes; docs/IMAGES.md gives the layout. With several such
 * notes, the first names the image's table.
 */
struct ptk_image_ptkit {
	char format[PTK_IMAGE_FMT_NAME_MAX];
	uint64_t root_reg;
	ptk_oa_t root_oa;
	uint64_t pid;
	unsigned int cpu;
};

struct ptk_fmt;

/**
 * ptk_image_open() - Open an image file
 * @out: Receives the image
 * @path: The file
 * @opts: Options; NULL for the defaults (raw base 0)
 *
 * Recognises the kind by content, maps the file read-only and indexes its
 * segments and notes.
 *
 * Context: Host builds only; may sleep (file I/O, mmap).
 *
 * Return: 0; PTK_EINVAL (NULL @out or @path); PTK_EFILE (the file
 * cannot be opened or mapped, or is not a regular file); PTK_EBADIMAGE
 * (empty, malformed headers, overlapping segments that differ);
 * PTK_ETRUNC (cut short, without PTK_IMAGE_PARTIAL); PTK_ECOMPRESSED;
 * PTK_ENOTSUP (a big-endian ELF); PTK_ENOMEM. The cause is in
 * @opts->error when given.
 */
int ptk_image_open(struct ptk_image **out, const char *path,
		   const struct ptk_image_opts *opts);

/**
 * ptk_image_open_mem() - Make an image over bytes in memory
 * @out: Receives the image
 * @buf: The image bytes; must outlive the image and not change
 * @size: Bytes in @buf
 * @opts: Options; NULL for the defaults (raw base 0)
 *
 * As ptk_image_open(), without a file. A buffer that is not 8-byte
 * aligned relative to the addresses it holds is copied into aligned
 * memory (as an odd ELF p_offset is).
 *
 * Context: Host builds only.
 *
 * Return: As ptk_image_open() (PTK_EINVAL for a NULL @out, or a NULL
 * @buf with a non-zero @size; never PTK_EFILE).
 */
int ptk_image_open_mem(struct ptk_image **out, const void *buf, size_t size,
		       const struct ptk_image_opts *opts);

/**
 * ptk_image_close() - Release an image
 * @img: The image; NULL is accepted
 *
 * Tables attached to its provider become invalid.
 *
 * Context: Host builds only.
 *
 * Return: Nothing.
 */
void ptk_image_close(struct ptk_image *img);

/**
 * ptk_image_kind() - An image's kind
 * @img: The image
 *
 * Context: Any context.
 *
 * Return: A PTK_IMAGE_* kind.
 */
enum ptk_image_kind ptk_image_kind(const struct ptk_image *img);

/**
 * ptk_image_kind_name() - A kind's name for people
 * @kind: A PTK_IMAGE_* kind
 *
 * Context: Any context.
 *
 * Return: "raw", "elf", "lime", "kdump", or "?"; never NULL.
 */
const char *ptk_image_kind_name(enum ptk_image_kind kind);

/**
 * ptk_image_machine() - The ELF machine of an ELF core
 * @img: The image
 *
 * Context: Any context.
 *
 * Return: e_machine (PTK_IMAGE_ARCH_* for the known ones), or 0 for raw
 * and LiME images.
 */
unsigned int ptk_image_machine(const struct ptk_image *img);

/**
 * ptk_image_nr_segs() - How many physical segments an image holds
 * @img: The image
 *
 * Segments are sorted by address and disjoint; adjacent ones that are
 * also adjacent in the file are merged.
 *
 * Context: Any context.
 *
 * Return: The count (0 for an image that holds no memory).
 */
size_t ptk_image_nr_segs(const struct ptk_image *img);

/**
 * ptk_image_seg() - One of an image's segments
 * @out: The segment
 * @img: The image
 * @i: 0..ptk_image_nr_segs()-1
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_ERANGE when @i is out of range.
 */
int ptk_image_seg(struct ptk_image_seg *out, const struct ptk_image *img,
		  size_t i);

/**
 * ptk_image_nr_missing() - How many ranges a cut image lacks
 * @img: The image
 *
 * Only an image opened with PTK_IMAGE_PARTIAL can lack any: without it,
 * a cut file is refused (PTK_ETRUNC).
 *
 * Context: Any context.
 *
 * Return: The number of physical ranges that the image's headers
 * promise and its file does not hold.
 */
size_t ptk_image_nr_missing(const struct ptk_image *img);

/**
 * ptk_image_missing() - One range a cut image lacks
 * @out: The range: @out->pa and @out->size the memory, @out->file_off
 *       where the file should have held it
 * @img: The image
 * @i: 0..ptk_image_nr_missing()-1; ranges are sorted by address
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_ERANGE when @i is out of range.
 */
int ptk_image_missing(struct ptk_image_seg *out, const struct ptk_image *img,
		      size_t i);

/**
 * ptk_image_nr_cpus() - How many CPUs an image's notes describe
 * @img: The image
 *
 * Context: Any context.
 *
 * Return: The count; 0 for raw and LiME images.
 */
size_t ptk_image_nr_cpus(const struct ptk_image *img);

/**
 * ptk_image_cpu() - What an image says about one CPU
 * @img: The image
 * @i: 0..ptk_image_nr_cpus()-1
 *
 * Context: Any context.
 *
 * Return: The CPU's record, valid until ptk_image_close(), or NULL when
 * @i is out of range.
 */
const struct ptk_image_cpu *ptk_image_cpu(const struct ptk_image *img,
					  size_t i);

/**
 * ptk_image_cpu_reg() - Look a register up by name
 * @out: The value
 * @cpu: A CPU record
 * @name: Its name, e.g. "cr3"
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_ENOENT when the notes did not carry it.
 */
int ptk_image_cpu_reg(uint64_t *out, const struct ptk_image_cpu *cpu,
		      const char *name);

/**
 * ptk_image_ptkit() - The table an image's PTKIT note names
 * @out: The note's contents
 * @img: The image
 *
 * Context: Any context.
 *
 * Return: 0; PTK_ENOENT when the image has no PTKIT note; PTK_EINVAL
 * for NULL arguments.
 */
int ptk_image_ptkit(struct ptk_image_ptkit *out, const struct ptk_image *img);

/**
 * ptk_image_cpu_root() - A CPU's root register for a format
 * @out: The register value (for ptk_fmt_root_from_reg())
 * @img: The image
 * @cpu: 0..ptk_image_nr_cpus()-1
 * @f: The format the root is wanted for
 *
 * The register the format's CPU notes name (struct ptk_fmt_arch
 * .note_root: x86 "cr3"), else, for the CPU record a PTKIT note made,
 * the note's root when the note names @f.
 *
 * Context: Any context.
 *
 * Return: 0; PTK_ENOENT when the CPU's notes carry no root for @f;
 * PTK_EINVAL for NULL arguments or @cpu out of range.
 */
int ptk_image_cpu_root(uint64_t *out, const struct ptk_image *img, size_t cpu,
		       const struct ptk_fmt *f);

/**
 * ptk_image_vmcoreinfo() - The image's VMCOREINFO text
 * @img: The image
 * @len: Its length, when found; may be NULL
 *
 * Linux's VMCOREINFO ("OSRELEASE=...", "SYMBOL(swapper_pg_dir)=...",
 * one KEY=VALUE a line), from an ELF core's VMCOREINFO note or a
 * compressed kdump's header.
 *
 * Context: Any context.
 *
 * Return: The NUL-terminated text, valid until ptk_image_close(), or
 * NULL when the image carries none.
 */
const char *ptk_image_vmcoreinfo(const struct ptk_image *img, size_t *len);

/**
 * struct ptk_image_page_error - A page of a compressed image that does
 * not decompress
 * @pa: Its physical address
 * @file_off: Where its compressed bytes are in the file
 * @file_size: How many there are
 * @msg: Why, for people: the compression and what went wrong, e.g.
 *       "zlib: invalid distance too far back (inflate -3)"
 */
struct ptk_image_page_error {
	ptk_oa_t pa;
	uint64_t file_off;
	uint32_t file_size;
	char msg[160];
};

/**
 * ptk_image_nr_page_errors() - Pages found not to decompress so far
 * @img: The image
 *
 * A compressed kdump's pages are decompressed when first read (a table
 * walk, ptk_image_read()): a page that does not is absent from then on,
 * and recorded here (the first 1024 with their reason).
 *
 * Context: Any context.
 *
 * Return: The count (0 for images that are not compressed).
 */
size_t ptk_image_nr_page_errors(const struct ptk_image *img);

/**
 * ptk_image_page_error() - One page that did not decompress
 * @out: The page and the reason
 * @img: The image
 * @i: 0..ptk_image_nr_page_errors()-1 (at most the first 1024 kept), in
 *     the order they were found
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_ERANGE when @i is out of range.
 */
int ptk_image_page_error(struct ptk_image_page_error *out,
			 const struct ptk_image *img, size_t i);

/**
 * ptk_image_ptr() - Bounds-checked pointer into an image
 * @img: The image
 * @pa: Physical address
 * @len: Bytes wanted, > 0
 *
 * Context: Any context.
 *
 * Return: A read-only pointer to @len bytes of physical memory at @pa,
 * or NULL when they are not all inside one segment.
 */
const void *ptk_image_ptr(const struct ptk_image *img, ptk_oa_t pa,
			  uint64_t len);

/**
 * ptk_image_read() - Copy physical memory out of an image
 * @buf: Destination
 * @img: The image
 * @pa: Physical address
 * @len: Bytes
 *
 * The range may span adjacent segments, not holes.
 *
 * Context: Any context.
 *
 * Return: 0, or PTK_ERANGE when part of the range is in no segment
 * (then @buf is unspecified), PTK_EOVERFLOW when it wraps.
 */
int ptk_image_read(void *buf, const struct ptk_image *img, ptk_oa_t pa,
		   size_t len);

/**
 * ptk_image_probe() - Whether an image can read a physical range
 * @img: The image
 * @pa: First physical address
 * @len: Bytes
 * @at: The first address it cannot read, when it cannot; may be NULL
 *
 * Context: Any context.
 *
 * Return: 0 when every byte can be read; PTK_ERANGE when @at is in no
 * segment (or the range wraps); PTK_EDECOMPRESS when @at is in a page of
 * a compressed image that does not decompress (ptk_image_page_error()
 * says why); PTK_EINVAL for a NULL @img.
 */
int ptk_image_probe(const struct ptk_image *img, ptk_oa_t pa, uint64_t len,
		    ptk_oa_t *at);

/**
 * struct ptk_image_va_stop - Where a read through a table stopped
 * @done: Bytes read (and copied) before it
 * @va: The first address not read
 * @pa: Its physical address, when a leaf maps it (@code is PTK_ERANGE
 *      or PTK_EDECOMPRESS), else 0
 * @size_lg2: log2 of the size of the page that maps it, or 0
 * @level: The level of that leaf
 * @code: Why: PTK_ENOENT (nothing maps @va, or it is outside the
 *        format's VA space), PTK_ECORRUPT (a malformed entry on its way),
 *        PTK_ERANGE (it maps to physical memory the image does not
 *        hold), PTK_EDECOMPRESS (it maps to a page of a compressed image
 *        that does not decompress: ptk_image_page_error() says why)
 */
struct ptk_image_va_stop {
	size_t done;
	ptk_va_t va;
	ptk_oa_t pa;
	unsigned int size_lg2;
	unsigned int level;
	int code;
};

/**
 * ptk_image_read_va() - Copy virtual memory out of an image
 * @buf: Destination
 * @img: The image holding the memory
 * @t: A table whose memory is @img's (attached to ptk_image_mem())
 * @va: First address, as @t translates it
 * @len: Bytes
 * @stop: Where the read stopped, when it did; may be NULL
 *
 * Translates page by page (any page size, as each leaf says) and copies
 * from the physical memory each page maps, until @len bytes are read or
 * an address cannot be: the bytes before it are in @buf.
 *
 * Context: Readers only on @t; host builds.
 *
 * Return: 0 when all @len bytes were read; else the code in @stop->code
 * (PTK_ENOENT, PTK_ECORRUPT, PTK_ERANGE, PTK_EDECOMPRESS), or
 * PTK_EINVAL for NULL arguments.
 */
int ptk_image_read_va(void *buf, const struct ptk_image *img,
		      const struct ptk_table *t, ptk_va_t va, size_t len,
		      struct ptk_image_va_stop *stop);

/**
 * ptk_image_mem() - The image's table-memory provider
 * @img: The image
 *
 * Pass it to ptk_table_attach(). It is PTK_MEM_READONLY (mutations of
 * attached tables fail with PTK_EROFS); its map bounds-checks every
 * table; its alloc always fails with PTK_ENOMEM and free does nothing.
 *
 * Context: Any context.
 *
 * Return: The provider, valid until ptk_image_close().
 */
const struct ptk_mem *ptk_image_mem(const struct ptk_image *img);

#ifdef __cplusplus
}
#endif

#endif /* PTKIT_IMAGE_H */
