// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cache statistics without the ioctl: /sys/kernel/debug/kcache/caches/NAME, one file
 * per cache, readable by root (0400), one "counter value" pair a line, in this order:
 *
 *	hits misses sets deletes evictions_size evictions_shrink expirations
 *	entries bytes max_entries max_bytes spare_bytes
 *
 * (the fields of struct kcache_stats; new counters are appended). A read returns the
 * counters of the live cache of that name. Destroy removes the file; a file opened before
 * then reads ENOENT until it is removed, EIO (debugfs's) after. This unit uses the
 * exported API only (kcache_lookup(), kcache_stats(), kcache_for_each()); the core tells
 * it of each cache it publishes and unpublishes.
 *
 * It also instantiates kcache's trace events (kcache_trace.h).
 *
 * Locking: kcache_sysfs_mutex protects kcache_sysfs_files and the debugfs directory. Lock
 * order: kcache_sysfs_mutex -> the core's registry mutex (kcache_lookup(),
 * kcache_for_each()); the hooks are therefore called with no kcache lock held, and
 * kcache_for_each() callbacks here take no lock. Every function may sleep.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kcache.h"
#include "kcache_policy.h"	/* EXPORT_SYMBOL_IF_KCACHE_TESTS */
#include "kcache_sysfs.h"

#define CREATE_TRACE_POINTS
#include "kcache_trace.h"

/**
 * struct kcache_sysfs_file - the statistics file of one cache name
 * @link: in kcache_sysfs_files
 * @dentry: the debugfs file
 * @name: the cache's name (the file reads whichever live cache has it)
 */
struct kcache_sysfs_file {
	struct list_head link;
	struct dentry *dentry;
	char name[KCACHE_NAME_MAX + 1];
};

static DEFINE_MUTEX(kcache_sysfs_mutex);
static LIST_HEAD(kcache_sysfs_files);
static struct dentry *kcache_sysfs_root;
static struct dentry *kcache_sysfs_caches;

static int kcache_sysfs_show(struct seq_file *m, void *v)
{
	struct kcache_sysfs_file *f = m->private;
	struct kcache_stats st;
	struct kcache *c;

	c = kcache_lookup(f->name);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kcache_stats(c, &st);
	kcache_put_ref(c);
	seq_printf(m, "hits %llu\nmisses %llu\nsets %llu\ndeletes %llu\n",
		   st.hits, st.misses, st.sets, st.deletes);
	seq_printf(m, "evictions_size %llu\nevictions_shrink %llu\nexpirations %llu\n",
		   st.evictions_size, st.evictions_shrink, st.expirations);
	seq_printf(m, "entries %llu\nbytes %llu\nmax_entries %llu\nmax_bytes %llu\n",
		   st.entries, st.bytes, st.max_entries, st.max_bytes);
	seq_printf(m, "spare_bytes %llu\n", st.spare_bytes);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kcache_sysfs);

static struct kcache_sysfs_file *kcache_sysfs_find(const char *name)
{
	struct kcache_sysfs_file *f;

	lockdep_assert_held(&kcache_sysfs_mutex);
	list_for_each_entry(f, &kcache_sysfs_files, link)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* Without debugfs (not built, or locked down) kcache works, without these files. */
static void kcache_sysfs_add_locked(const char *name)
{
	struct kcache_sysfs_file *f;

	lockdep_assert_held(&kcache_sysfs_mutex);
	if (IS_ERR_OR_NULL(kcache_sysfs_caches) || kcache_sysfs_find(name))
		return;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return;
	strscpy(f->name, name, sizeof(f->name));
	f->dentry = debugfs_create_file(f->name, 0400, kcache_sysfs_caches, f,
					&kcache_sysfs_fops);
	if (IS_ERR(f->dentry)) {
		kfree(f);
		return;
	}
	list_add_tail(&f->link, &kcache_sysfs_files);
}

/* debugfs_remove() waits for readers in kcache_sysfs_show(): then @f may go */
static void kcache_sysfs_del_locked(struct kcache_sysfs_file *f)
{
	lockdep_assert_held(&kcache_sysfs_mutex);
	list_del(&f->link);
	debugfs_remove(f->dentry);
	kfree(f);
}

/**
 * kcache_sysfs_cache_added() - give a newly published cache its statistics file
 * @c: the cache
 *
 * Called by the core after kcache_create() published @c, with no kcache lock held. A
 * destroy may have come first: its kcache_sysfs_cache_removed() found no file, and @c is
 * dead before that takes the mutex, so this sees it dead and adds none.
 */
void kcache_sysfs_cache_added(struct kcache *c)
{
	mutex_lock(&kcache_sysfs_mutex);
	if (!kcache_is_dead(c))
		kcache_sysfs_add_locked(kcache_name(c));
	mutex_unlock(&kcache_sysfs_mutex);
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_sysfs_cache_added);

#ifdef KCACHE_TESTS
/**
 * kcache_test_sysfs_has() - is there a statistics file of this name?
 * @name: a cache's name
 *
 * Return: true if the file exists.
 */
bool kcache_test_sysfs_has(const char *name)
{
	bool ret;

	mutex_lock(&kcache_sysfs_mutex);
	ret = kcache_sysfs_find(name);
	mutex_unlock(&kcache_sysfs_mutex);
	return ret;
}
EXPORT_SYMBOL_IF_KCACHE_TESTS(kcache_test_sysfs_has);
#endif

static int kcache_sysfs_match(struct kcache *c, void *name)
{
	return !strcmp(kcache_name(c), name);
}

/**
 * kcache_sysfs_cache_removed() - drop the file of an unpublished cache
 * @name: its name
 *
 * Called by the core after kcache_destroy() unpublished the name, with no kcache lock
 * held. A cache created under the same name meanwhile keeps the file.
 */
void kcache_sysfs_cache_removed(const char *name)
{
	struct kcache_sysfs_file *f;

	mutex_lock(&kcache_sysfs_mutex);
	f = kcache_sysfs_find(name);
	if (f && !kcache_for_each(kcache_sysfs_match, (void *)name))
		kcache_sysfs_del_locked(f);
	mutex_unlock(&kcache_sysfs_mutex);
}

/* Before any cache exists: kcache_init() calls it before the control device appears. */
int kcache_sysfs_init(void)
{
	kcache_sysfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
	kcache_sysfs_caches = debugfs_create_dir("caches", kcache_sysfs_root);
	if (IS_ERR(kcache_sysfs_caches))
		pr_info("no debugfs: no per-cache statistics files\n");
	return 0;
}

void kcache_sysfs_uninit(void)
{
	struct kcache_sysfs_file *f, *tmp;

	mutex_lock(&kcache_sysfs_mutex);
	list_for_each_entry_safe(f, tmp, &kcache_sysfs_files, link)
		kcache_sysfs_del_locked(f);
	debugfs_remove(kcache_sysfs_root);
	kcache_sysfs_root = NULL;
	kcache_sysfs_caches = NULL;
	mutex_unlock(&kcache_sysfs_mutex);
}
