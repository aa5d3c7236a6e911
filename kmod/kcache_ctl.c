// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kcache control device: VERSION, CREATE, OPEN, DESTROY and LIST. It validates
 * and copies arguments, checks permissions and quotas, and calls the exported API of
 * kcache.h (and two of the registry's: the default byte bound, and a destroy that says
 * whether it came first); the caches themselves live in the core.
 *
 * Who may do what (Documentation/userspace-api.rst, "Permissions and quotas"):
 *  - opening /dev/kcache at all: the device's mode, 0660 and group "kcache" once the udev
 *    rule udev/60-kcache.rules has run (0660 root:root without it);
 *  - CREATE and DESTROY change what the device holds: a control fd opened for writing,
 *    so that a node an administrator made readable only lets a group look (VERSION,
 *    OPEN, LIST) and not create or destroy;
 *  - CREATE: anyone who can open the device, within a per-uid quota (kcache_quota.c);
 *    the owner is the caller's fsuid/fsgid;
 *  - OPEN: the cache's mode bits, like a file's; %KCACHE_OPEN_OWNER also requires an
 *    expected owner, which defeats a squatter who created a well-known name first;
 *  - DESTROY: the owner, or CAP_SYS_ADMIN;
 *  - LIST: shows the caches the caller owns or may open for reading.
 *
 * CREATE publishes a name only once the fd it returns can no longer fail to install, so a
 * CREATE that fails never destroys a cache that someone else may have opened meanwhile.
 *
 * Locking: none of its own (the quota has its mutex, the core its registry mutex).
 * Contexts: process context only; every handler may sleep. LIST's callback runs under
 * the core's registry mutex and fills a kernel buffer that is copied out afterwards.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kcache.h"
#include "kcache_ctl.h"
#include "kcache_fd.h"
#include "kcache_internal.h"
#include "kcache_quota.h"
#include "kcache_uaccess.h"

static void kcache_ctl_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_version) != KCACHE_VERSION_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_version, features) != 16);
	BUILD_BUG_ON(sizeof(struct kcache_create_args) != KCACHE_CREATE_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, name) != 8);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, max_entries) != 80);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, policy) != 104);
	BUILD_BUG_ON(sizeof(struct kcache_open_args) != KCACHE_OPEN_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_open_args, owner) != KCACHE_OPEN_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_destroy_args) != KCACHE_DESTROY_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_counters) != 96);
	BUILD_BUG_ON(offsetof(struct kcache_counters, spare_bytes) != 88);
	BUILD_BUG_ON(sizeof(struct kcache_list_record) != KCACHE_LIST_RECORD_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_list_record, default_ttl_ns) != 88);
	BUILD_BUG_ON(offsetof(struct kcache_list_record, counters) != 96);
	BUILD_BUG_ON(sizeof(struct kcache_list_args) != KCACHE_LIST_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_list_args, nr) != 16);
	BUILD_BUG_ON(offsetof(struct kcache_list_args, cursor) != KCACHE_LIST_ARGS_SIZE_VER0);

	BUILD_BUG_ON(KCACHE_NAME_MAX + 1 > KCACHE_NAME_BUF);
	BUILD_BUG_ON(KCACHE_POLICY_TINYLFU_ABI != KCACHE_POLICY_TINYLFU);
	BUILD_BUG_ON(KCACHE_POLICY_LRU_ABI != KCACHE_POLICY_LRU);
	/* OPEN's rights are MAY_READ >> 2 and MAY_WRITE >> 0 (kc_may()) */
	BUILD_BUG_ON(KCACHE_OPEN_READ != MAY_READ >> 2 || KCACHE_OPEN_WRITE != MAY_WRITE);
}

#define KC_OPEN_FLAGS	(KCACHE_OPEN_RDWR | KCACHE_OPEN_OWNER)

/*
 * May the caller use @cfg's cache with the rights in @want (KCACHE_OPEN_* bits)? Like a
 * file: owner, then group, then other bits; CAP_DAC_OVERRIDE or CAP_SYS_ADMIN bypass.
 */
static bool kc_may(const struct kcache_config *cfg, u32 want, bool audit)
{
	umode_t mode = cfg->mode;
	u32 need = ((want & KCACHE_OPEN_READ) ? MAY_READ : 0) |
		   ((want & KCACHE_OPEN_WRITE) ? MAY_WRITE : 0);

	if (uid_eq(current_fsuid(), cfg->uid))
		mode >>= 6;
	else if (in_group_p(cfg->gid))
		mode >>= 3;
	if (!(need & ~mode & (MAY_READ | MAY_WRITE)))
		return true;
	if (audit)
		return capable(CAP_DAC_OVERRIDE) || capable(CAP_SYS_ADMIN);
	return ns_capable_noaudit(&init_user_ns, CAP_DAC_OVERRIDE) ||
	       ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
}

static long kc_ioc_version(void __user *uarg)
{
	struct kcache_version v;
	int ret;

	ret = kcache_copy_struct_in(&v, sizeof(v), KCACHE_VERSION_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (v.flags || v.__pad)
		return -EINVAL;
	v.abi_version = KCACHE_ABI_VERSION;
	v.features = KCACHE_FEATURE_VERSION | KCACHE_FEATURE_CACHES | KCACHE_FEATURE_BATCH |
		     KCACHE_FEATURE_DUMP | KCACHE_FEATURE_STREAMS | KCACHE_FEATURE_LEASES |
		     KCACHE_FEATURE_GET_PAGE | KCACHE_FEATURE_LIST_CONTINUE;
	return kcache_copy_struct_out(uarg, &v, sizeof(v));
}

static long kc_ioc_create(void __user *uarg)
{
	struct kcache_create_args a;
	struct kcache_config cfg = { };
	struct kcache_quota_charge *qc;
	struct kcache_fd_slot slot;
	struct kcache *c;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_CREATE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	ret = kcache_name_field_check(a.name);
	if (ret)
		return ret;
	if (a.policy >= KCACHE_POLICY_NR || a.mode & ~0666)
		return -EINVAL;
	cfg.max_entries = a.max_entries;
	/* the default read once: the bound created is the bound charged */
	cfg.max_bytes = a.max_bytes ?: kcache_default_max_bytes();
	cfg.default_ttl_ns = a.default_ttl_ns;
	cfg.policy = a.policy;
	cfg.uid = current_fsuid();
	cfg.gid = current_fsgid();
	cfg.mode = a.mode;

	qc = kcache_quota_charge(cfg.uid, cfg.max_bytes);
	if (IS_ERR(qc))
		return PTR_ERR(qc);
	ret = kcache_fd_prepare(&slot, KCACHE_OPEN_RDWR);
	if (ret)
		goto err_quota;
	/* from here on nothing fails once the name is published */
	c = kcache_create(a.name, &cfg);
	if (IS_ERR(c)) {
		ret = PTR_ERR(c);
		goto err_fd;
	}
	kcache_get_config(c, &cfg);
	kcache_quota_commit(qc, c, cfg.max_bytes);
	return kcache_fd_install(&slot, c);

err_fd:
	kcache_fd_abort(&slot);
err_quota:
	kcache_quota_cancel(qc);
	return ret;
}

static long kc_ioc_open(void __user *uarg)
{
	struct kcache_open_args a;
	struct kcache_config cfg;
	struct kcache_fd_slot slot;
	struct kcache *c;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_OPEN_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (!(a.flags & KCACHE_OPEN_RDWR) || a.flags & ~KC_OPEN_FLAGS || a.__pad ||
	    (!(a.flags & KCACHE_OPEN_OWNER) && a.owner))
		return -EINVAL;
	/* a struct without @owner would have the cache checked against a zero-filled uid 0 */
	if (a.flags & KCACHE_OPEN_OWNER && a.size < KCACHE_OPEN_ARGS_SIZE_VER1)
		return -EINVAL;
	ret = kcache_name_field_check(a.name);
	if (ret)
		return ret;
	c = kcache_lookup(a.name);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kcache_get_config(c, &cfg);
	ret = -EPERM;
	if (a.flags & KCACHE_OPEN_OWNER &&
	    !uid_eq(cfg.uid, make_kuid(current_user_ns(), a.owner)))
		goto err_put;
	ret = -EACCES;
	if (!kc_may(&cfg, a.flags & KCACHE_OPEN_RDWR, true))
		goto err_put;
	ret = kcache_fd_prepare(&slot, a.flags & KCACHE_OPEN_RDWR);
	if (ret)
		goto err_put;
	return kcache_fd_install(&slot, c);

err_put:
	kcache_put_ref(c);
	return ret;
}

static long kc_ioc_destroy(void __user *uarg)
{
	struct kcache_destroy_args a;
	struct kcache_config cfg;
	struct kcache *c;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_DESTROY_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	ret = kcache_name_field_check(a.name);
	if (ret)
		return ret;
	c = kcache_lookup(a.name);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kcache_get_config(c, &cfg);
	if (uid_eq(current_fsuid(), cfg.uid) || capable(CAP_SYS_ADMIN)) {
		/*
		 * Of two DESTROYs of one name, the second answers -ENOENT. The quota charge
		 * goes when the cache is freed, once no fd holds it (kcache_quota.c).
		 */
		ret = kcache_destroy_once(c);
	} else {
		ret = -EPERM;
	}
	kcache_put_ref(c);
	return ret;
}

/**
 * struct kc_list_ctx - one LIST call
 * @recs: the records, @cap of them
 * @cap: records the caller's array holds, at most %KCACHE_LIST_MAX
 * @count: caches listed, or (without @paged) counted for -EMSGSIZE
 * @paged: %KCACHE_LIST_CONTINUE: stop when @recs is full, list only after @cursor
 * @cursor: in: the serial of the last cache listed before; out: of the last one now
 */
struct kc_list_ctx {
	struct kcache_list_record *recs;
	u32 cap;
	u32 count;
	bool paged;
	u64 cursor;
};

/* Under the core's registry mutex, which keeps the list in serial order. */
static int kc_list_one(struct kcache *c, void *ctx)
{
	struct kc_list_ctx *l = ctx;
	struct kcache_list_record *r;
	struct kcache_config cfg;

	if (l->paged && c->serial <= l->cursor)
		return 0;
	kcache_get_config(c, &cfg);
	if (!uid_eq(current_fsuid(), cfg.uid) && !kc_may(&cfg, KCACHE_OPEN_READ, false))
		return 0;
	if (l->count >= (l->paged ? l->cap : KCACHE_LIST_MAX))
		return 1;
	if (l->paged)
		l->cursor = c->serial;
	if (l->count < l->cap) {
		r = &l->recs[l->count];
		strscpy_pad(r->name, kcache_name(c), sizeof(r->name));
		r->uid = from_kuid_munged(current_user_ns(), cfg.uid);
		r->gid = from_kgid_munged(current_user_ns(), cfg.gid);
		r->mode = cfg.mode;
		r->policy = cfg.policy;
		r->default_ttl_ns = cfg.default_ttl_ns;
		kcache_fd_counters(c, &r->counters);
	}
	l->count++;
	return 0;
}

static long kc_ioc_list(void __user *uarg)
{
	struct kc_list_ctx l = { };
	struct kcache_list_args a;
	size_t rs, ks = sizeof(struct kcache_list_record);
	u8 __user *dst;
	u32 i;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_LIST_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_LIST_CONTINUE)
		return -EINVAL;
	/* a page without a cursor, or of nothing, could never move on */
	l.paged = a.flags & KCACHE_LIST_CONTINUE;
	if (l.paged && (a.size < KCACHE_LIST_ARGS_SIZE_VER1 || !a.nr))
		return -EINVAL;
	/*
	 * A page is short only at the end: one larger than a call fills would come back
	 * short, and its caller would stop with caches left to list. @nr comes before
	 * @record_size in the struct, so its bound is checked first.
	 */
	if (l.paged && a.nr > KCACHE_LIST_MAX)
		return -E2BIG;
	if (a.record_size < KCACHE_LIST_RECORD_SIZE_VER0)
		return -EINVAL;
	if (a.record_size > SZ_4K)	/* the ABI's bound, whatever the page size */
		return -E2BIG;
	rs = a.record_size;
	l.cursor = a.cursor;
	l.cap = min_t(u32, a.nr, KCACHE_LIST_MAX);
	if (l.cap) {
		l.recs = kvcalloc(l.cap, ks, GFP_KERNEL_ACCOUNT);
		if (!l.recs)
			return -ENOMEM;
	}
	kcache_for_each(kc_list_one, &l);
	if (l.count > a.nr) {
		a.nr = l.count;
		ret = kcache_copy_struct_out(uarg, &a, sizeof(a)) ?: -EMSGSIZE;
		goto out;
	}
	dst = u64_to_user_ptr(a.records);
	for (i = 0; i < l.count; i++, dst += rs) {
		if (copy_to_user(dst, &l.recs[i], min(rs, ks)) ||
		    (rs > ks && clear_user(dst + ks, rs - ks))) {
			ret = -EFAULT;
			goto out;
		}
	}
	a.nr = l.count;
	if (l.paged)
		a.cursor = l.cursor;
	ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
out:
	kvfree(l.recs);
	return ret;
}

/* Dispatch on type and number only: the size bits of @cmd are not the struct's size. */
static long kcache_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != KCACHE_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KCACHE_IOC_VERSION):
		return kc_ioc_version(uarg);
	case _IOC_NR(KCACHE_IOC_CREATE):
		return file->f_mode & FMODE_WRITE ? kc_ioc_create(uarg) : -EBADF;
	case _IOC_NR(KCACHE_IOC_OPEN):
		return kc_ioc_open(uarg);
	case _IOC_NR(KCACHE_IOC_DESTROY):
		return file->f_mode & FMODE_WRITE ? kc_ioc_destroy(uarg) : -EBADF;
	case _IOC_NR(KCACHE_IOC_LIST):
		return kc_ioc_list(uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations kcache_ctl_fops = {
	.owner		= THIS_MODULE,
	.open		= nonseekable_open,
	.unlocked_ioctl	= kcache_ctl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * 0660 root:root until udev/60-kcache.rules gives the node to group "kcache": without the
 * rule only root may create caches, never everyone.
 */
static struct miscdevice kcache_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KCACHE_DEVICE_NAME,
	.fops	= &kcache_ctl_fops,
	.mode	= 0660,
};

/**
 * kcache_ctl_init() - register /dev/kcache
 *
 * Return: 0 or a negative errno from misc_register().
 */
int kcache_ctl_init(void)
{
	kcache_ctl_build_check_abi();
	return misc_register(&kcache_miscdev);
}

/**
 * kcache_ctl_uninit() - unregister /dev/kcache
 *
 * Called with no control or cache fd open (each holds the module).
 */
void kcache_ctl_uninit(void)
{
	misc_deregister(&kcache_miscdev);
}
