/* SPDX-License-Identifier: GPL-2.0 */
/* The cache fd: an anonymous inode holding one cache reference and access rights. */
#ifndef _KCACHE_FD_H
#define _KCACHE_FD_H

#include <linux/compiler_types.h>
#include <linux/types.h>

struct file;
struct kcache;
struct kcache_counters;
struct kcache_fd_pages;
struct vm_area_struct;

/**
 * struct kcache_fd_slot - a cache fd made ready before its cache is known
 * @fd: the reserved fd number
 * @file: the file, not yet visible to userspace
 */
struct kcache_fd_slot {
	int fd;
	struct file *file;
};

int kcache_fd_prepare(struct kcache_fd_slot *slot, u32 access);
int kcache_fd_install(struct kcache_fd_slot *slot, struct kcache *c);
void kcache_fd_abort(struct kcache_fd_slot *slot);
void kcache_fd_counters(struct kcache *c, struct kcache_counters *out);

/* kcache_dump.c */
int kcache_dump_ioctl(struct kcache *c, void __user *uarg);

/* kcache_getpage.c */
int kcache_get_page_ioctl(struct kcache *c, struct kcache_fd_pages **pages, unsigned long idx);
int kcache_get_pages_mmap(struct kcache_fd_pages **pages, u32 access,
			  struct vm_area_struct *vma);
void kcache_get_pages_free(struct kcache_fd_pages *gp);

#endif /* _KCACHE_FD_H */
