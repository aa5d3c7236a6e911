/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcache's shrinker: gives memory back under pressure by evicting from the cold end of the
 * caches charged to the memory cgroup under reclaim.
 */
#ifndef _KCACHE_SHRINKER_H
#define _KCACHE_SHRINKER_H

struct kcache;

int kcache_shrinker_init(void);
void kcache_shrinker_uninit(void);
int kcache_shrinker_track(struct kcache *c);
void kcache_shrinker_list(struct kcache *c);
void kcache_shrinker_untrack(struct kcache *c);
unsigned long kcache_shrink(unsigned long nr);
unsigned long kcache_test_shrinker_tokens(struct kcache *c, int nid);
unsigned long kcache_test_shrink_count(struct kcache *c, int nid);
unsigned long kcache_test_shrink_scan(struct kcache *c, int nid, unsigned long nr);

#endif /* _KCACHE_SHRINKER_H */
