/* SPDX-License-Identifier: GPL-2.0 */
/* Declarations shared between kcache's own compilation units (not exported). */
#ifndef _KCACHE_INTERNAL_H
#define _KCACHE_INTERNAL_H

#include <linux/fs.h>

#include "kcache.h"

int kcache_core_init(void);
void kcache_core_uninit(void);

bool kcache_name_valid(const char *name);
size_t kcache_entry_overhead(void);
unsigned long kcache_shrink(unsigned long nr);
unsigned int kcache_test_write_buffer_size(unsigned int n);

long kcache_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#ifdef KCACHE_SELFTEST_BUG
void kcache_selftest_bug(void);
#else
static inline void kcache_selftest_bug(void) { }
#endif

#endif /* _KCACHE_INTERNAL_H */
