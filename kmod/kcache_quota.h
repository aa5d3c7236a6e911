/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-uid quota of caches created through /dev/kcache: how many caches a uid owns and
 * how many bytes (the caches' max_bytes) it reserves, and the rings of its streams. See
 * kcache_quota.c.
 */
#ifndef _KCACHE_QUOTA_H
#define _KCACHE_QUOTA_H

#include <linux/types.h>
#include <linux/uidgid.h>

struct kcache;
struct kcache_quota_charge;

struct kcache_quota_charge *kcache_quota_charge(kuid_t uid, u64 bytes);
struct kcache_quota_charge *kcache_quota_charge_stream(kuid_t uid, u64 bytes);
void kcache_quota_commit(struct kcache_quota_charge *qc, struct kcache *c, u64 bytes);
void kcache_quota_cancel(struct kcache_quota_charge *qc);
void kcache_quota_release(struct kcache *c);
void kcache_quota_uninit(void);

#endif /* _KCACHE_QUOTA_H */
