/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels kcache builds against lives here and nowhere else:
 * units that touch a changed API include this header and call the kcache_*() wrappers
 * below; no unit tests LINUX_VERSION_CODE itself.
 *
 * Tested (make check): Debian 12's 6.1, its PREEMPT_RT flavour, and 6.12 from
 * bookworm-backports; the oldest kernel supported is 6.1.
 *
 * Locking: none here; the wrappers take what the wrapped calls take.
 */
#ifndef _KCACHE_COMPAT_H
#define _KCACHE_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "kcache needs Linux 6.1 or later"
#endif

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/shrinker.h>
#include <linux/slab.h>

/* VMA flags: 6.3 made vm_flags writable only through vm_flags_set() and friends. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
static inline void kcache_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				       vm_flags_t clear)
{
	vm_flags_mod(vma, set, clear);
}
#else
static inline void kcache_vm_flags_mod(struct vm_area_struct *vma, vm_flags_t set,
				       vm_flags_t clear)
{
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
}
#endif

/*
 * Shrinkers: 6.7 made them allocated objects (shrinker_alloc(), shrinker_register(),
 * shrinker_free()) so that slab shrinking can walk them without a lock; 6.1 registers a
 * caller-owned struct with register_shrinker(). Both sides give out a pointer.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
static inline struct shrinker *
kcache_shrinker_create(unsigned int flags,
		       unsigned long (*count)(struct shrinker *, struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *, struct shrink_control *),
		       const char *name)
{
	struct shrinker *s = shrinker_alloc(flags, "%s", name);

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
	return s;
}

static inline void kcache_shrinker_destroy(struct shrinker *s)
{
	shrinker_free(s);
}
#else
static inline struct shrinker *
kcache_shrinker_create(unsigned int flags,
		       unsigned long (*count)(struct shrinker *, struct shrink_control *),
		       unsigned long (*scan)(struct shrinker *, struct shrink_control *),
		       const char *name)
{
	struct shrinker *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int ret;

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->flags = flags;
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	ret = register_shrinker(s, "%s", name);
	if (ret) {
		kfree(s);
		return ERR_PTR(ret);
	}
	return s;
}

static inline void kcache_shrinker_destroy(struct shrinker *s)
{
	unregister_shrinker(s);
	kfree(s);
}
#endif

/*
 * Symbol namespaces: from 6.13 EXPORT_SYMBOL_NS*() and MODULE_IMPORT_NS() take a string
 * literal; before, a bare identifier that they stringify. Use KCACHE_NS(name) for both.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define KCACHE_NS(ns)	#ns
#else
#define KCACHE_NS(ns)	ns
#endif

/*
 * Trace events: 6.10 dropped the source argument of __assign_str() (the source is the
 * one given to __string()).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define kcache_assign_str(dst, src)	__assign_str(dst)
#else
#define kcache_assign_str(dst, src)	__assign_str(dst, src)
#endif

/*
 * list_lru: 6.8 made list_lru_add()/list_lru_del() take the node and memcg explicitly and
 * kept the object-derived form as list_lru_add_obj()/list_lru_del_obj().
 */
#include <linux/list_lru.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
#define kcache_list_lru_add_obj(lru, item)	list_lru_add_obj(lru, item)
#define kcache_list_lru_del_obj(lru, item)	list_lru_del_obj(lru, item)
#else
#define kcache_list_lru_add_obj(lru, item)	list_lru_add(lru, item)
#define kcache_list_lru_del_obj(lru, item)	list_lru_del(lru, item)
#endif

#endif /* _KCACHE_COMPAT_H */
