/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-cache statistics files in debugfs, and the instance of kcache's trace events.
 * See kcache_sysfs.c for the file format.
 */
#ifndef _KCACHE_SYSFS_H
#define _KCACHE_SYSFS_H

struct kcache;

int kcache_sysfs_init(void);
void kcache_sysfs_uninit(void);
void kcache_sysfs_cache_added(struct kcache *c);
void kcache_sysfs_cache_removed(const char *name);
bool kcache_test_sysfs_has(const char *name);

#endif /* _KCACHE_SYSFS_H */
