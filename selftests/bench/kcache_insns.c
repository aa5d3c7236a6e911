// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_insns: the guest side of `make bench-insns`. Runs each hot-path operation
 * KI_OPS times in a phase of its own, each phase started by a call to ki_mark(), whose
 * address the host hands to the kcache_tbcount QEMU plugin; the plugin counts the guest
 * instructions each phase executes. Prints "insns-phase N NAME OPS" for each phase.
 * Pinned to CPU 0: instructions on the other CPUs (maintenance) are counted apart.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "kcache.h"

#define KI_OPS		1024	/* operations (keys, for MGET) per phase */
#define KI_KEYS		1024
#define KI_KEY_LEN	16
#define KI_VAL_LEN	64
#define KI_ODD_KEY_LEN	20	/* get_k20: a key that is not a multiple of the word */
#define KI_BATCH	64
#define KI_STRIDE	7	/* coprime with KI_KEYS: every key once per phase */
#define KI_WARM_ROUNDS	4	/* rounds of replaces before the steady "set" phase */

/* the plugin's marker: a function of its own, so that a translation block starts there */
__attribute__((noinline, aligned(64))) void ki_mark(void)
{
	__asm__ volatile("" ::: "memory");
}

static unsigned char keys[KI_KEYS][KI_KEY_LEN], miss[KI_KEYS][KI_KEY_LEN];
static unsigned char keys20[KI_KEYS][KI_ODD_KEY_LEN];
static unsigned char batch[KI_OPS / KI_BATCH][KI_BATCH * KI_KEY_LEN];
static unsigned char val[KI_VAL_LEN], out[KI_BATCH * KI_VAL_LEN];
static struct kcache_batch_item items[KI_BATCH];
static int nphase;

static void ki_phase(const char *name)
{
	printf("insns-phase %d %s %d\n", ++nphase, name, KI_OPS);
	fflush(stdout);
	ki_mark();
}

/* a phase the report leaves out: its instructions are nobody's operations */
static void ki_unnamed_phase(void)
{
	++nphase;
	ki_mark();
}

static int ki_fail(const char *what, int ret)
{
	fprintf(stderr, "kcache_insns: %s: %s\n", what, strerror(ret < 0 ? -ret : ret));
	return 1;
}

int main(void)
{
	struct kcache_get_page *pages;
	unsigned int i, k, r, len;
	cpu_set_t cpus;
	const void *v;
	char name[64];
	int ctl, fd, ret, bad = 0;

	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		return ki_fail("sched_setaffinity", errno);
	ctl = kcache_ctl_open();
	if (ctl < 0)
		return ki_fail("open /dev/kcache", ctl);
	snprintf(name, sizeof(name), "kcache_insns.%d", (int)getpid());
	fd = kcache_create(ctl, name, 4 * KI_KEYS, 16u << 20, 0, KCACHE_POLICY_TINYLFU_ABI, 0600);
	if (fd < 0)
		return ki_fail("create", fd);
	for (i = 0; i < KI_VAL_LEN; i++)
		val[i] = (unsigned char)(i * 7 + 1);
	for (i = 0; i < KI_KEYS; i++) {
		snprintf((char *)keys[i], KI_KEY_LEN, "kcins%010u", i);
		snprintf((char *)miss[i], KI_KEY_LEN, "kcmis%010u", i);
		ret = kcache_set(fd, keys[i], KI_KEY_LEN, val, KI_VAL_LEN, 0, 0, NULL);
		if (ret)
			return ki_fail("set", ret);
		snprintf((char *)keys20[i], KI_ODD_KEY_LEN, "kcins20-%010u", i);
		ret = kcache_set(fd, keys20[i], KI_ODD_KEY_LEN, val, KI_VAL_LEN, 0, 0, NULL);
		if (ret)
			return ki_fail("set", ret);
	}
	for (i = 0; i < KI_OPS; i++)
		memcpy(&batch[i / KI_BATCH][i % KI_BATCH * KI_KEY_LEN],
		       keys[i * KI_STRIDE % KI_KEYS], KI_KEY_LEN);
	for (i = 0; i < KI_BATCH; i++)
		items[i].key_len = KI_KEY_LEN;
	ret = kcache_get_pages_map(fd, 1, &pages);
	if (ret)
		return ki_fail("map", ret);
	/* warm: every path translated and every line touched before counting */
	for (i = 0; i < 4 * KI_KEYS; i++) {
		len = sizeof(out);
		kcache_get(fd, keys[i % KI_KEYS], KI_KEY_LEN, out, &len, NULL);
		kcache_get(fd, miss[i % KI_KEYS], KI_KEY_LEN, out, &len, NULL);
		len = sizeof(out);
		kcache_get(fd, keys20[i % KI_KEYS], KI_ODD_KEY_LEN, out, &len, NULL);
		kcache_get_mapped(fd, pages, 0, keys[i % KI_KEYS], KI_KEY_LEN, &v, &len, NULL);
		kcache_nop(fd);
		syscall(SYS_getppid);
	}
	/* and the fd's batch scratch buffer, allocated (and zeroed) by the first batch */
	for (i = 0; i < KI_OPS / KI_BATCH; i++) {
		unsigned int done;

		kcache_mget(fd, items, KI_BATCH, batch[i], out, sizeof(out), &done);
	}

	ki_phase("getppid");
	for (i = 0; i < KI_OPS; i++)
		syscall(SYS_getppid);
	ki_phase("null_ioctl");
	for (i = 0; i < KI_OPS; i++)
		bad |= kcache_nop(fd) != 0;
	ki_phase("get");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS) {
		len = sizeof(out);
		bad |= kcache_get(fd, keys[k], KI_KEY_LEN, out, &len, NULL) != 0;
	}
	ki_phase("get_k20");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS) {
		len = sizeof(out);
		bad |= kcache_get(fd, keys20[k], KI_ODD_KEY_LEN, out, &len, NULL) != 0;
	}
	ki_phase("get_miss");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS) {
		len = sizeof(out);
		bad |= kcache_get(fd, miss[k], KI_KEY_LEN, out, &len, NULL) != -ENOENT;
	}
	ki_phase("get_mapped");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS)
		bad |= kcache_get_mapped(fd, pages, 0, keys[k], KI_KEY_LEN, &v, &len, NULL) != 0;
	ki_phase("get_mapped_einval");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS)
		bad |= kcache_get_mapped(fd, pages, 0, keys[k], 0, &v, &len, NULL) != -EINVAL;
	ki_phase("mget64");
	for (i = 0; i < KI_OPS / KI_BATCH; i++) {
		unsigned int done;

		bad |= kcache_mget(fd, items, KI_BATCH, batch[i], out, sizeof(out), &done) ||
		       done != KI_BATCH;
	}
	/* the first replace of each key: the entries it retires are not spares yet */
	ki_phase("set_first");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS)
		bad |= kcache_set(fd, keys[k], KI_KEY_LEN, val, KI_VAL_LEN, 0, 0, NULL) != 0;
	/*
	 * A write takes the memory of entries retired a grace period before (kcache_spare.c),
	 * as the timed benchmark's SETs do after their first thousands: rounds of replaces,
	 * each followed by a pause in which a grace period passes and the limbo work runs.
	 */
	ki_unnamed_phase();
	for (r = 0; r < KI_WARM_ROUNDS; r++) {
		for (i = 0; i < KI_KEYS; i++)
			bad |= kcache_set(fd, keys[i], KI_KEY_LEN, val, KI_VAL_LEN, 0, 0,
					  NULL) != 0;
		usleep(50000);
	}
	ki_phase("set");
	for (i = 0, k = 0; i < KI_OPS; i++, k = (k + KI_STRIDE) % KI_KEYS)
		bad |= kcache_set(fd, keys[k], KI_KEY_LEN, val, KI_VAL_LEN, 0, 0, NULL) != 0;
	ki_mark();	/* ends the last phase */

	kcache_get_pages_unmap(pages, 1);
	close(fd);
	kcache_destroy(ctl, name);
	if (bad)
		fprintf(stderr, "kcache_insns: an operation failed\n");
	printf("insns-done %s\n", bad ? "FAIL" : "ok");
	return bad;
}
