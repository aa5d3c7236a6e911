// SPDX-License-Identifier: GPL-2.0
/*
 * The shrinker counts each cache once on a node. A cache has a reclaim token on each node
 * that can hold its memory; a node whose memory is all movable (hotplugged memory onlined
 * movable, CXL expanders) has no slab, and a token asked of it lands on another node,
 * where the cache would then be counted twice. The count is read from the vmscan
 * tracepoint while drop_caches shrinks node by node, on the first node shrunk.
 *
 * Needs a node with movable memory only: `make check` and `make check-stock` boot the stock
 * kernel once more with one (a DIMM on node 2, onlined movable) and KCACHE_MOVABLE_NODE=1,
 * where it fails without the node; elsewhere it skips.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kcache.h"
#include "kselftest_harness.h"
#include "kcache_files.h"

#define NODES	"/sys/devices/system/node"
#define T	"/sys/kernel/tracing"
#define CACHES	4
#define KEYS	2000

/* The cache items of the first kcache count on the first node shrunk, -1 if none. */
static long long first_count(char *trace)
{
	char *l, *p;

	for (l = strtok(trace, "\n"); l; l = strtok(NULL, "\n")) {
		if (!strstr(l, "kc_shrink_scan"))
			continue;
		p = strstr(l, "cache items ");
		if (p)
			return strtoll(p + strlen("cache items "), NULL, 10);
	}
	return -1;
}

TEST(cache_counted_once_per_node)
{
	static char trace[1 << 20];
	char mem[64], normal[64], name[32], key[32], path[64], cpus[64];
	int ctl, fd[CACHES], i, k;
	long long items;
	cpu_set_t set;

	ASSERT_EQ(0, read_file(NODES "/has_memory", mem, sizeof(mem)));
	ASSERT_EQ(0, read_file(NODES "/has_normal_memory", normal, sizeof(normal)));
	if (!strcmp(mem, normal)) {
		/* the boot made for this test must have the node */
		ASSERT_EQ(NULL, getenv("KCACHE_MOVABLE_NODE"))
			TH_LOG("no node with only movable memory: nodes %s", mem);
		SKIP(return, "no node with only movable memory (the movable boot of make check has one)");
	}
	TH_LOG("nodes with memory %.*s, with normal memory %.*s", (int)strcspn(mem, "\n"), mem,
	       (int)strcspn(normal, "\n"), normal);
	if (access(T "/events", F_OK))
		mount("tracefs", T, "tracefs", 0, NULL);
	ASSERT_EQ(0, access(T "/events/vmscan/mm_shrink_slab_start/enable", F_OK));
	/* one CPU: the caches' tokens come from one CPU's slabs */
	snprintf(path, sizeof(path), NODES "/node%d/cpulist", atoi(normal));
	ASSERT_EQ(0, read_file(path, cpus, sizeof(cpus)));
	CPU_ZERO(&set);
	CPU_SET(atoi(cpus), &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));

	ctl = kcache_ctl_open();
	ASSERT_LE(0, ctl);
	/* what other caches hold goes first: then ours are all there is to count */
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2"));
	for (i = 0; i < CACHES; i++) {
		snprintf(name, sizeof(name), "shrinker-count-%d", i);
		kcache_destroy(ctl, name);
		fd[i] = kcache_create(ctl, name, 1 << 14, 4 << 20, 0, 0, 0600);
		ASSERT_LE(0, fd[i]);
		for (k = 0; k < KEYS; k++) {
			snprintf(key, sizeof(key), "key-%d", k);
			ASSERT_EQ(0, kcache_set(fd[i], key, strlen(key), "v", 1, 0, 0, NULL));
		}
	}
	usleep(300000);	/* the write rings reach the policy within a tick */

	write_file(T "/tracing_on", "0");
	write_file(T "/trace", "");
	ASSERT_EQ(0, write_file(T "/events/vmscan/mm_shrink_slab_start/enable", "1"));
	write_file(T "/tracing_on", "1");
	ASSERT_EQ(0, write_file("/proc/sys/vm/drop_caches", "2"));
	write_file(T "/tracing_on", "0");
	write_file(T "/events/vmscan/mm_shrink_slab_start/enable", "0");
	ASSERT_EQ(0, read_file(T "/trace", trace, sizeof(trace)));
	items = first_count(trace);
	TH_LOG("%d caches of %d entries: counted %lld on the first node shrunk", CACHES, KEYS,
	       items);
	EXPECT_LE(CACHES * KEYS, items);
	/* a cache counted twice adds KEYS; others' leftovers are far fewer */
	EXPECT_GT(CACHES * KEYS + KEYS / 2, items);

	for (i = 0; i < CACHES; i++) {
		close(fd[i]);
		snprintf(name, sizeof(name), "shrinker-count-%d", i);
		kcache_destroy(ctl, name);
	}
	close(ctl);
}

TEST_HARNESS_MAIN
