// SPDX-License-Identifier: MIT
/*
 * Reading virtual memory out of an image: translate page by page, copy
 * from the physical memory each page maps (see ptk_image_read_va()).
 */
#include <string.h>

#include <ptkit/errors.h>
#include <ptkit/image.h>
#include <ptkit/table.h>

int ptk_image_read_va(void *buf, const struct ptk_image *img,
		      const struct ptk_table *t, ptk_va_t va, size_t len,
		      struct ptk_image_va_stop *stop)
{
	struct ptk_image_va_stop st = { 0 };
	unsigned char *d = buf;
	int rc = 0;

	if (!img || !t || (len && !buf))
		return PTK_EINVAL;
	while (len) {
		struct ptk_xlate x;
		uint64_t room, n;

		st.va = va;
		rc = ptk_translate(t, va, &x);
		if (rc) {
			/* Outside the VA space maps nothing either. */
			if (rc == PTK_ERANGE)
				rc = PTK_ENOENT;
			break;
		}
		st.pa = x.oa;
		st.size_lg2 = x.size_lg2;
		st.level = x.level;
		/* The rest of this page, at most what is left to read. */
		room = ((uint64_t)1 << x.size_lg2) -
		       (va & (((uint64_t)1 << x.size_lg2) - 1));
		n = room < len ? room : len;
		rc = ptk_image_probe(img, x.oa, n, &st.pa);
		if (rc) {
			/* What the page holds before the first missing byte. */
			n = st.pa - x.oa;
			if (n)
				ptk_image_read(d, img, x.oa, (size_t)n);
			st.done += (size_t)n;
			st.va = va + n;
			break;
		}
		ptk_image_read(d, img, x.oa, (size_t)n);
		d += n;
		st.done += (size_t)n;
		len -= (size_t)n;
		if (va + n < va) { /* the top of the address space */
			if (len) {
				st.va = 0;
				st.pa = 0;
				rc = PTK_ENOENT;
			}
			break;
		}
		va += n;
	}
	if (!rc) {
		st.va = va;
		st.pa = 0;
	}
	st.code = rc;
	if (stop)
		*stop = st;
	return rc;
}
