// SPDX-License-Identifier: MIT
/*
 * Run a fuzz target without libFuzzer: replay every file named on the
 * command line (directories are read one level deep), then, with
 * --random N, N inputs from a seeded generator (PTK_SEED= to reproduce).
 * Prints "N passed, N failed"; a failing input aborts inside the target.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long runs;

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!fp)
		return -1;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc(n > 0 ? (size_t)n : 1);
	if (!buf || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, (size_t)n);
	free(buf);
	runs++;
	return 0;
}

static int run_path(const char *path)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char sub[4096];

	if (stat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_file(sub)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Random inputs shaped like table memory: mostly zero words, some words
 * pointing back into the input (table pointers), some random.
 */
static void run_random(unsigned long n, uint64_t seed)
{
	static uint8_t buf[1 << 16];
	unsigned long i;
	uint64_t s = seed;

	for (i = 0; i < n; i++) {
		size_t size = 1 + (size_t)(next(&s) % sizeof(buf));
		size_t j;

		memset(buf, 0, size);
		buf[0] = (uint8_t)next(&s);
		for (j = 1; j + 8 <= size; j += 8) {
			uint64_t r = next(&s), v = 0;

			switch (r & 7) {
			case 0:
			case 1:
				v = 0x400000ull + (next(&s) % size & ~0xfffull);
				v |= next(&s) & 0xfff;
				break;
			case 2:
				v = next(&s);
				break;
			case 3:
				v = (next(&s) & 0xff) |
				    ((next(&s) % size) << 12);
				break;
			default:
				break;
			}
			memcpy(buf + j, &v, 8);
		}
		LLVMFuzzerTestOneInput(buf, size);
		runs++;
	}
}

int main(int argc, char **argv)
{
	unsigned long nrand = 0;
	const char *env = getenv("PTK_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eedf00dull;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--random") && i + 1 < argc) {
			nrand = strtoul(argv[++i], NULL, 0);
			continue;
		}
		if (run_path(argv[i])) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			printf("0 passed, 1 failed\n");
			return 1;
		}
	}
	printf("seed 0x%llx\n", (unsigned long long)seed);
	run_random(nrand, seed);
	printf("%lu passed, 0 failed\n", runs);
	return 0;
}
