/* SPDX-License-Identifier: GPL-2.0 */
/* Core functions for kcache's own front doors (the cache fd), beyond the exported API. */
#ifndef _KCACHE_API_H
#define _KCACHE_API_H

#include <linux/compiler_types.h>

#include "kcache.h"

int kcache_get_user(struct kcache *c, const void *key, u32 klen, void __user *ubuf,
		    u32 *vlen, u64 *version);
size_t kcache_entry_overhead(void);

#endif /* _KCACHE_API_H */
