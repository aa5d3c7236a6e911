/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's maintenance: drains the rings into the policy, evicts, expires, frees limbo. */
#ifndef _KCACHE_MAINT_H
#define _KCACHE_MAINT_H

#include "kcache_cache.h"
#include "kcache_entry.h"

int kcache_wq_init(void);
void kcache_wq_uninit(void);
void kcache_maint_init(struct kcache *c);
void kcache_maint_schedule(struct kcache *c);
void kcache_maint_soon(struct kcache *c);
bool kcache_maint_help(struct kcache *c);
void kcache_maint_pass(struct kcache *c);
unsigned long kcache_maint_shrink(struct kcache *c, unsigned long nr);
bool kcache_maint_reclaim(struct kcache *c, unsigned long nr);
void kcache_maint_stop(struct kcache *c);
void kcache_maint_clear(struct kcache *c);

#ifdef KCACHE_TESTS
u64 kcache_test_policy_entries(struct kcache *c);
void kcache_test_stall_work(struct kcache *c, bool stall);
void kcache_test_limbo_settle(struct kcache *c);
#endif

#endif /* _KCACHE_MAINT_H */
