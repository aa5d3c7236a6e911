/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's per-CPU read rings: a lossy sample of accesses for the policy. */
#ifndef _KCACHE_RBUF_H
#define _KCACHE_RBUF_H

#include "kcache_cache.h"
#include "kcache_entry.h"

int kcache_rbuf_init(struct kcache *c);
void kcache_rbuf_uninit(struct kcache *c);
size_t kcache_rbuf_footprint(const struct kcache *c);
void kcache_rbuf_hit(struct kcache *c, struct kcache_entry *e);
void kcache_rbuf_miss(struct kcache *c, u32 hash);
unsigned int kcache_rbuf_drain(struct kcache *c);

#endif /* _KCACHE_RBUF_H */
