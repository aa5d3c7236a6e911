// SPDX-License-Identifier: GPL-2.0
/*
 * kcache's shrinker. count_objects sums the caches' entry counts under RCU without a lock;
 * scan_objects evicts from each cache's cold end and never blocks: a busy registry or
 * maintenance mutex, or a subscriber registering, makes it skip (kcache_registry.c,
 * kcache_maint.c). No locks of its own.
 */

#include <linux/mm.h>
#include <linux/shrinker.h>

#include "kcache_compat.h"
#include "kcache_internal.h"
#include "kcache_registry.h"
#include "kcache_shrinker.h"

static unsigned long kc_shrink_count(struct shrinker *s, struct shrink_control *sc)
{
	return kcache_registry_count_entries() ?: SHRINK_EMPTY;
}

static unsigned long kc_shrink_scan(struct shrinker *s, struct shrink_control *sc)
{
	return kcache_registry_shrink(sc->nr_to_scan) ?: SHRINK_STOP;
}

/* allocated through kcache_compat.h: 6.7 changed the shrinker API */
static struct shrinker *kcache_shrinker;

/**
 * kcache_shrink() - what the shrinker does, for tests
 * @nr: entries to evict at most
 *
 * Return: entries evicted.
 */
unsigned long kcache_shrink(unsigned long nr)
{
	return kcache_registry_shrink(nr);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_shrink);

int kcache_shrinker_init(void)
{
	kcache_shrinker = kcache_shrinker_create(kc_shrink_count, kc_shrink_scan, "kcache");
	return PTR_ERR_OR_ZERO(kcache_shrinker);
}

void kcache_shrinker_uninit(void)
{
	kcache_shrinker_destroy(kcache_shrinker);
}
