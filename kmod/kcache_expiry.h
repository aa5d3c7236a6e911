/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's expiry: a min-heap of deadlines and the work item armed for the earliest. */
#ifndef _KCACHE_EXPIRY_H
#define _KCACHE_EXPIRY_H

#include "kcache_cache.h"
#include "kcache_entry.h"

void kcache_expiry_add(struct kcache *c, struct kcache_entry *e);
void kcache_expiry_del(struct kcache *c, struct kcache_entry *e);
struct kcache_entry *kcache_expiry_due(struct kcache *c, u64 now);
u64 kcache_expiry_next(struct kcache *c);
void kcache_expiry_uninit(struct kcache *c);
void kcache_expiry_note(struct kcache *c, u64 expires);
void kcache_expiry_arm(struct kcache *c);

#endif /* _KCACHE_EXPIRY_H */
