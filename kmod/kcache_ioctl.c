// SPDX-License-Identifier: GPL-2.0
/*
 * kcache ioctl front door: validates and copies arguments, then calls the core API.
 * It holds no cache logic and no locks of its own.
 *
 * Two kinds of files: the /dev/kcache control device (kcache_ctl_ioctl(), wired up in
 * kcache_main.c) and cache fds, anonymous inodes made here whose private data is a
 * &struct kcache_file: a reference to one cache plus the access rights it was opened
 * with. The reference keeps the struct kcache alive after a DESTROY; the core then fails
 * every operation with -ESHUTDOWN.
 *
 * Every handler checks in the order documented at the top of uapi/linux/kcache.h: access
 * right, struct, flags and padding, lengths, user buffers, the operation, results out.
 * Nothing is allocated before every length is bounded.
 *
 * Contexts: process context only; every handler may sleep. No lock is held while copying
 * to or from userspace except in LIST, whose callback runs under the core's registry
 * mutex and so fills a kernel buffer that is copied out afterwards.
 */

#include <linux/anon_inodes.h>
#include <linux/build_bug.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kcache_internal.h"
#include "kcache_load.h"	/* loads: lease handlers */
#include "kcache_uaccess.h"

/* Keys and values up to this long are copied to the stack instead of the heap. */
#define KC_STACK_KEY	64
#define KC_STACK_VAL	128

/* The largest MSET value block (sum of the values). */
#define KC_MSET_VALS_MAX	KCACHE_VAL_LEN_MAX

/**
 * struct kcache_file - private data of a cache fd
 * @cache: the cache; this file holds one reference
 * @access: %KCACHE_OPEN_READ / %KCACHE_OPEN_WRITE rights granted at open
 * @leases: the leases this fd holds (kcache_load.c)
 */
struct kcache_file {
	struct kcache *cache;
	u32 access;
	struct kcache_lease_owner leases;
};

static void __maybe_unused kcache_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_version) != KCACHE_VERSION_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_version, features) != 16);

	BUILD_BUG_ON(sizeof(struct kcache_create_args) != KCACHE_CREATE_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, name) != 8);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, max_entries) != 80);
	BUILD_BUG_ON(offsetof(struct kcache_create_args, policy) != 104);
	BUILD_BUG_ON(sizeof(struct kcache_open_args) != KCACHE_OPEN_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_destroy_args) != KCACHE_DESTROY_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_counters) != 88);
	BUILD_BUG_ON(sizeof(struct kcache_list_record) != KCACHE_LIST_RECORD_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_list_record, default_ttl_ns) != 88);
	BUILD_BUG_ON(offsetof(struct kcache_list_record, counters) != 96);
	BUILD_BUG_ON(sizeof(struct kcache_list_args) != KCACHE_LIST_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_list_args, nr) != 16);

	BUILD_BUG_ON(sizeof(struct kcache_get_args) != KCACHE_GET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_get_args, key_len) != 24);
	BUILD_BUG_ON(offsetof(struct kcache_get_args, version) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_set_args) != KCACHE_SET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_set_args, ttl_ns) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_del_args) != KCACHE_DEL_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_cas_args) != KCACHE_CAS_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_cas_args, expected) != 40);
	BUILD_BUG_ON(sizeof(struct kcache_add_args) != KCACHE_ADD_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_add_args, delta) != 24);
	BUILD_BUG_ON(sizeof(struct kcache_batch_item) != KCACHE_BATCH_ITEM_SIZE);
	BUILD_BUG_ON(offsetof(struct kcache_batch_item, version) != 16);
	BUILD_BUG_ON(sizeof(struct kcache_mget_args) != KCACHE_MGET_ARGS_SIZE_VER1);
	BUILD_BUG_ON(offsetof(struct kcache_mget_args, nr) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_mset_args) != KCACHE_MSET_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_mset_args, ttl_ns) != 48);
	BUILD_BUG_ON(sizeof(struct kcache_invalidate_args) != KCACHE_INVALIDATE_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_stats_args) != KCACHE_STATS_ARGS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kcache_info_args) != KCACHE_INFO_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_info_args, max_entries) != 80);
	BUILD_BUG_ON(offsetof(struct kcache_info_args, access) != 120);
	BUILD_BUG_ON(sizeof(struct kcache_dump_record) != 16);
	BUILD_BUG_ON(sizeof(struct kcache_dump_args) != KCACHE_DUMP_ARGS_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kcache_dump_args, next) != 32);
	BUILD_BUG_ON(sizeof(struct kcache_nop_args) != KCACHE_NOP_ARGS_SIZE_VER0);

	/* the ABI's constants are the core's */
	BUILD_BUG_ON(KCACHE_NAME_MAX + 1 > KCACHE_NAME_BUF);
	BUILD_BUG_ON(KCACHE_KEY_LEN_MAX != KCACHE_KEY_MAX);
	BUILD_BUG_ON(KCACHE_VAL_LEN_MAX != KCACHE_VALUE_MAX_LIMIT);
	BUILD_BUG_ON(KCACHE_POLICY_TINYLFU_ABI != KCACHE_POLICY_TINYLFU);
	BUILD_BUG_ON(KCACHE_POLICY_LRU_ABI != KCACHE_POLICY_LRU);
	BUILD_BUG_ON(KCACHE_SETF_IF_ABSENT != KCACHE_SET_IF_ABSENT);
	BUILD_BUG_ON(KCACHE_SETF_IF_PRESENT != KCACHE_SET_IF_PRESENT);
	BUILD_BUG_ON(KCACHE_SETF_KEEP_TTL != KCACHE_SET_KEEP_TTL);
	BUILD_BUG_ON(KCACHE_SETF_TTL & KCACHE_SET_FLAGS);
	BUILD_BUG_ON(KCACHE_DUMP_BUF_MAX < KCACHE_DUMP_RECORD_LEN(KCACHE_KEY_LEN_MAX,
								  KCACHE_VAL_LEN_MAX));
}

#define KC_SETF_ALL	(KCACHE_SETF_IF_ABSENT | KCACHE_SETF_IF_PRESENT | \
			 KCACHE_SETF_KEEP_TTL | KCACHE_SETF_TTL)

/* ---- helpers ---- */

/* A name field must hold a valid name, NUL-terminated, with only zeros after the NUL. */
static int kc_name_check(const char *name)
{
	size_t len = strnlen(name, KCACHE_NAME_BUF);

	if (len == KCACHE_NAME_BUF || memchr_inv(name + len, 0, KCACHE_NAME_BUF - len) ||
	    !kcache_name_valid(name))
		return -EINVAL;
	return 0;
}

/* Key, prefix and per-item key lengths: 1..KCACHE_KEY_LEN_MAX. */
static int kc_key_len_check(u32 len)
{
	if (!len)
		return -EINVAL;
	if (len > KCACHE_KEY_LEN_MAX)
		return -E2BIG;
	return 0;
}

/*
 * TTL of a store: KCACHE_SETF_TTL selects ttl_ns, else the cache's default and ttl_ns
 * must be 0.
 */
static int kc_ttl(u32 flags, u64 ttl_ns, u64 *ttl)
{
	if (flags & KCACHE_SETF_TTL) {
		*ttl = ttl_ns;
		return 0;
	}
	if (ttl_ns)
		return -EINVAL;
	*ttl = KCACHE_TTL_DEFAULT;
	return 0;
}

/*
 * Copy @len bytes from @uptr into @stack if they fit in @stack_len, else into a new
 * kvmalloc() buffer. Free with kc_buf_free(). @len has been bounded by the caller.
 */
static void *kc_buf_in(void *stack, size_t stack_len, u64 uptr, size_t len)
{
	void *p = stack;

	if (len > stack_len) {
		p = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!p)
			return ERR_PTR(-ENOMEM);
	}
	if (copy_from_user(p, u64_to_user_ptr(uptr), len)) {
		if (p != stack)
			kvfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/* A key (or prefix) from userspace: its length is checked before anything is copied. */
static void *kc_key_in(void *stack, size_t stack_len, u64 uptr, u32 len)
{
	int ret = kc_key_len_check(len);

	return ret ? ERR_PTR(ret) : kc_buf_in(stack, stack_len, uptr, len);
}

static void kc_buf_free(void *p, void *stack)
{
	if (p != stack)
		kvfree(p);
}

/*
 * May the caller use @cfg's cache with the rights in @want (KCACHE_OPEN_* bits, which
 * are MAY_READ >> 2 and MAY_WRITE)? Like a file: owner, then group, then other bits.
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

/* ---- cache fd ---- */

static int kc_get(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_get_args a;
	u8 kbuf[KC_STACK_KEY];
	struct kcache_entry *h;
	const void *val;
	void *key;
	u32 vlen;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_GET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & KCACHE_GETF_LEASE)	/* loads */
		return kcache_lease_ioctl_get(kf->cache, &kf->leases, kf->access, uarg, &a);
	if (a.flags || a.wait_ns || a.lease_ns || a.__pad)
		return -EINVAL;
	key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	/* a handle pins the value, so it is copied out with no lock held and no copy */
	h = kcache_get_handle(kf->cache, key, a.key_len);
	kc_buf_free(key, kbuf);
	if (IS_ERR(h))
		return PTR_ERR(h);
	val = kcache_handle_value(h, &vlen);
	a.version = kcache_handle_version(h);
	ret = 0;
	if (vlen > a.val_len)
		ret = -EMSGSIZE;
	else if (copy_to_user(u64_to_user_ptr(a.val), val, vlen))
		ret = -EFAULT;
	kcache_handle_put(h);
	if (ret == -EFAULT)
		return ret;
	a.val_len = vlen;
	return kcache_copy_struct_out(uarg, &a, sizeof(a)) ?: ret;
}

/* SET and CAS: same layout up to ttl_ns. */
static int kc_store(struct kcache_file *kf, u64 ukey, u32 klen, u64 uval, u32 vlen,
		    u32 flags, u64 ttl, bool cas, u64 expected, u64 *version)
{
	u8 kbuf[KC_STACK_KEY], vbuf[KC_STACK_VAL];
	void *key, *val;
	int ret;

	ret = kc_key_len_check(klen);
	if (ret)
		return ret;
	if (vlen > kcache_value_max())
		return -E2BIG;
	key = kc_buf_in(kbuf, sizeof(kbuf), ukey, klen);
	if (IS_ERR(key))
		return PTR_ERR(key);
	val = kc_buf_in(vbuf, sizeof(vbuf), uval, vlen);
	if (IS_ERR(val)) {
		ret = PTR_ERR(val);
		goto out_key;
	}
	if (cas)
		ret = kcache_cas(kf->cache, key, klen, val, vlen, ttl, expected, version);
	else
		ret = kcache_set(kf->cache, key, klen, val, vlen, ttl,
				 flags & ~KCACHE_SETF_TTL, version);
	kc_buf_free(val, vbuf);
out_key:
	kc_buf_free(key, kbuf);
	return ret;
}

static int kc_set(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_set_args a;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_SET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & KCACHE_SETF_LEASE)	/* loads */
		return kcache_lease_ioctl_set(kf->cache, &kf->leases, kf->access, uarg, &a);
	if (a.flags & ~KC_SETF_ALL || a.token ||
	    (a.flags & KCACHE_SETF_IF_ABSENT && a.flags & KCACHE_SETF_IF_PRESENT))
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	ret = kc_store(kf, a.key, a.key_len, a.val, a.val_len, a.flags, ttl, false, 0,
		       &a.version);
	if (ret)
		return ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

static int kc_cas(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_cas_args a;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_CAS_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_SETF_TTL)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	ret = kc_store(kf, a.key, a.key_len, a.val, a.val_len, 0, ttl, true, a.expected,
		       &a.version);
	if (ret)
		return ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

static int kc_del(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_del_args a;
	u8 kbuf[KC_STACK_KEY];
	void *key;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_DEL_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags || a.__pad)
		return -EINVAL;
	key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kcache_delete(kf->cache, key, a.key_len);
	kc_buf_free(key, kbuf);
	return ret;
}

static int kc_add(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_add_args a;
	u8 kbuf[KC_STACK_KEY];
	void *key;
	u64 ttl;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_ADD_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_SETF_TTL || a.__pad)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	key = kc_key_in(kbuf, sizeof(kbuf), a.key, a.key_len);
	if (IS_ERR(key))
		return PTR_ERR(key);
	ret = kcache_add(kf->cache, key, a.key_len, a.delta, ttl, &a.result);
	kc_buf_free(key, kbuf);
	if (ret)
		return ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

/*
 * The items of a batch: copied in, key lengths checked, the key block copied in.
 * On success *@itemsp and *@keysp are kvmalloc()ed; *@klen_sum is the key block's size.
 */
static int kc_batch_in(u64 uitems, u64 ukeys, u32 nr, struct kcache_batch_item **itemsp,
		       void **keysp)
{
	struct kcache_batch_item *items;
	size_t klen_sum = 0;
	void *keys;
	u32 i;
	int ret;

	items = kvmalloc_array(nr, sizeof(*items), GFP_KERNEL_ACCOUNT);
	if (!items)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(items, u64_to_user_ptr(uitems), nr * sizeof(*items)))
		goto err_items;
	for (i = 0; i < nr; i++) {
		ret = kc_key_len_check(items[i].key_len);
		if (ret)
			goto err_items;
		klen_sum += items[i].key_len;
	}
	keys = kc_buf_in(NULL, 0, ukeys, klen_sum);
	if (IS_ERR(keys)) {
		ret = PTR_ERR(keys);
		goto err_items;
	}
	*itemsp = items;
	*keysp = keys;
	return 0;

err_items:
	kvfree(items);
	return ret;
}

static int kc_mget(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_batch_item *items;
	struct kcache_mget_args a;
	struct kcache_entry *h;
	u32 i, vlen, off = 0;
	size_t koff = 0;
	const void *val;
	void *keys;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_MGET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & KCACHE_MGETF_LEASE)	/* loads */
		return kcache_lease_ioctl_mget(kf->cache, &kf->leases, kf->access, uarg, &a);
	if (a.flags || a.__pad || a.tokens || a.lease_ns)
		return -EINVAL;
	if (a.nr > KCACHE_BATCH_MAX)
		return -E2BIG;
	a.done = 0;
	if (!a.nr)
		return kcache_copy_struct_out(uarg, &a, sizeof(a));
	ret = kc_batch_in(a.items, a.keys, a.nr, &items, &keys);
	if (ret)
		return ret;
	for (i = 0; i < a.nr; i++) {
		struct kcache_batch_item *it = &items[i];

		h = kcache_get_handle(kf->cache, keys + koff, it->key_len);
		koff += it->key_len;
		it->val_off = 0;
		it->val_len = 0;
		it->version = 0;
		if (IS_ERR(h)) {
			it->status = PTR_ERR(h);
			if (it->status == -ESHUTDOWN) {
				ret = -ESHUTDOWN;
				goto out;
			}
			continue;
		}
		val = kcache_handle_value(h, &vlen);
		it->val_len = vlen;
		it->version = kcache_handle_version(h);
		if (vlen > a.vals_len - off) {
			it->status = -EMSGSIZE;
		} else if (copy_to_user(u64_to_user_ptr(a.vals + off), val, vlen)) {
			kcache_handle_put(h);
			ret = -EFAULT;
			goto out;
		} else {
			it->status = 0;
			it->val_off = off;
			off += vlen;
			a.done++;
		}
		kcache_handle_put(h);
	}
	if (copy_to_user(u64_to_user_ptr(a.items), items, a.nr * sizeof(*items)))
		ret = -EFAULT;
	else
		ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
out:
	kvfree(keys);
	kvfree(items);
	return ret;
}

static int kc_mset(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_batch_item *items;
	struct kcache_mset_args a;
	size_t koff = 0, voff = 0;
	u64 vsum = 0, ttl;
	void *keys, *vals;
	u32 i;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_MSET_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KC_SETF_ALL ||
	    (a.flags & KCACHE_SETF_IF_ABSENT && a.flags & KCACHE_SETF_IF_PRESENT) || a.__pad)
		return -EINVAL;
	ret = kc_ttl(a.flags, a.ttl_ns, &ttl);
	if (ret)
		return ret;
	if (a.nr > KCACHE_BATCH_MAX || a.vals_len > KC_MSET_VALS_MAX)
		return -E2BIG;
	a.done = 0;
	if (!a.nr) {
		if (a.vals_len)
			return -EINVAL;
		return kcache_copy_struct_out(uarg, &a, sizeof(a));
	}
	ret = kc_batch_in(a.items, a.keys, a.nr, &items, &keys);
	if (ret)
		return ret;
	for (i = 0; i < a.nr; i++) {
		if (items[i].val_len > kcache_value_max()) {
			ret = -E2BIG;
			goto out_keys;
		}
		vsum += items[i].val_len;
	}
	if (vsum != a.vals_len) {
		ret = -EINVAL;
		goto out_keys;
	}
	vals = kc_buf_in(NULL, 0, a.vals, a.vals_len);
	if (IS_ERR(vals)) {
		ret = PTR_ERR(vals);
		goto out_keys;
	}
	for (i = 0; i < a.nr; i++) {
		struct kcache_batch_item *it = &items[i];

		it->version = 0;
		it->val_off = voff;
		it->status = kcache_set(kf->cache, keys + koff, it->key_len, vals + voff,
					it->val_len, ttl, a.flags & ~KCACHE_SETF_TTL,
					&it->version);
		if (it->status == -ESHUTDOWN) {
			ret = -ESHUTDOWN;
			goto out_vals;
		}
		if (!it->status)
			a.done++;
		koff += it->key_len;
		voff += it->val_len;
	}
	if (copy_to_user(u64_to_user_ptr(a.items), items, a.nr * sizeof(*items)))
		ret = -EFAULT;
	else
		ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
out_vals:
	kvfree(vals);
out_keys:
	kvfree(keys);
	kvfree(items);
	return ret;
}

static int kc_invalidate(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_invalidate_args a;
	u8 kbuf[KC_STACK_KEY];
	void *prefix;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_INVALIDATE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_INVALIDATE_PREFIX || a.__pad)
		return -EINVAL;
	if (!(a.flags & KCACHE_INVALIDATE_PREFIX)) {
		if (a.prefix || a.prefix_len)
			return -EINVAL;
		ret = kcache_invalidate_all(kf->cache);
	} else {
		prefix = kc_key_in(kbuf, sizeof(kbuf), a.prefix, a.prefix_len);
		if (IS_ERR(prefix))
			return PTR_ERR(prefix);
		ret = kcache_invalidate_prefix(kf->cache, prefix, a.prefix_len);
		kc_buf_free(prefix, kbuf);
	}
	if (ret < 0)
		return ret;
	a.removed = ret;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

static void kc_counters(struct kcache *c, struct kcache_counters *out)
{
	struct kcache_stats st;

	kcache_stats(c, &st);
	out->hits = st.hits;
	out->misses = st.misses;
	out->sets = st.sets;
	out->deletes = st.deletes;
	out->evictions_size = st.evictions_size;
	out->evictions_shrink = st.evictions_shrink;
	out->expirations = st.expirations;
	out->entries = st.entries;
	out->bytes = st.bytes;
	out->max_entries = st.max_entries;
	out->max_bytes = st.max_bytes;
}

static int kc_stats(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_stats_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_STATS_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	if (kcache_is_dead(kf->cache))
		return -ESHUTDOWN;
	kc_counters(kf->cache, &a.counters);
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

static int kc_info(struct kcache_file *kf, void __user *uarg)
{
	struct kcache_config cfg;
	struct kcache_info_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_INFO_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags || a.__pad)
		return -EINVAL;
	if (kcache_is_dead(kf->cache))
		return -ESHUTDOWN;
	kcache_get_config(kf->cache, &cfg);
	strscpy_pad(a.name, kcache_name(kf->cache), sizeof(a.name));
	a.max_entries = cfg.max_entries;
	a.max_bytes = cfg.max_bytes;
	a.default_ttl_ns = cfg.default_ttl_ns;
	a.policy = cfg.policy;
	a.uid = from_kuid_munged(current_user_ns(), cfg.uid);
	a.gid = from_kgid_munged(current_user_ns(), cfg.gid);
	a.mode = cfg.mode;
	a.access = kf->access;
	return kcache_copy_struct_out(uarg, &a, sizeof(a));
}

struct kc_dump_ctx {
	u8 *buf;
	size_t cap;
	size_t used;
	u64 skip;
	u64 seen;
	u32 nr;
	u32 needed;
};

/* Under rcu_read_lock(): fills the kernel buffer only. */
static int kc_dump_one(void *ctx, const void *key, u32 klen, const void *val, u32 vlen,
		       u64 version)
{
	struct kc_dump_ctx *d = ctx;
	struct kcache_dump_record rec = { .key_len = klen, .val_len = vlen,
					  .version = version };
	size_t len = KCACHE_DUMP_RECORD_LEN(klen, vlen);
	u8 *p;

	if (d->seen < d->skip) {
		d->seen++;
		return 0;
	}
	if (len > d->cap - d->used) {
		if (!d->nr)
			d->needed = len;
		return 1;
	}
	p = d->buf + d->used;
	memcpy(p, &rec, sizeof(rec));
	memcpy(p + sizeof(rec), key, klen);
	memcpy(p + sizeof(rec) + klen, val, vlen);
	memset(p + sizeof(rec) + klen + vlen, 0, len - sizeof(rec) - klen - vlen);
	d->used += len;
	d->seen++;
	d->nr++;
	return 0;
}

static int kc_dump(struct kcache_file *kf, void __user *uarg)
{
	struct kc_dump_ctx d = { };
	struct kcache_dump_args a;
	struct kcache_stats st;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_DUMP_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	/* every record is smaller than its entry's charge: bytes bounds what one call needs */
	kcache_stats(kf->cache, &st);
	d.cap = min_t(u64, min_t(u64, a.buf_len, KCACHE_DUMP_BUF_MAX), st.bytes + PAGE_SIZE);
	d.skip = a.skip;
	if (d.cap) {
		d.buf = kvmalloc(d.cap, GFP_KERNEL_ACCOUNT);
		if (!d.buf)
			return -ENOMEM;
	}
	ret = kcache_walk(kf->cache, kc_dump_one, &d);
	if (ret < 0)
		goto out;
	a.done = !ret;
	a.nr = d.nr;
	a.next = a.skip + d.nr;
	a.needed = a.done ? 0 : d.needed;
	if (d.used && copy_to_user(u64_to_user_ptr(a.buf), d.buf, d.used)) {
		ret = -EFAULT;
		goto out;
	}
	ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
	if (!ret && !a.nr && !a.done)
		ret = -EMSGSIZE;
out:
	kvfree(d.buf);
	return ret;
}

static int kc_nop(void __user *uarg)
{
	struct kcache_nop_args a;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_NOP_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	return a.flags ? -EINVAL : 0;
}

/* The right each cache-fd command needs; 0 for none. */
static u32 kc_cmd_right(unsigned int cmd)
{
	switch (cmd) {
	case KCACHE_IOC_GET:
	case KCACHE_IOC_MGET:
	case KCACHE_IOC_STATS:
	case KCACHE_IOC_INFO:
	case KCACHE_IOC_DUMP:
	case KCACHE_IOC_LOAD_CONFIG:	/* loads; SET needs write too */
	case KCACHE_IOC_LOAD_STATS:	/* loads */
		return KCACHE_OPEN_READ;
	case KCACHE_IOC_SET:
	case KCACHE_IOC_DEL:
	case KCACHE_IOC_CAS:
	case KCACHE_IOC_ADD:
	case KCACHE_IOC_MSET:
	case KCACHE_IOC_INVALIDATE:
		return KCACHE_OPEN_WRITE;
	default:
		return 0;
	}
}

static long kcache_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kcache_file *kf = file->private_data;
	void __user *uarg = (void __user *)arg;
	u32 right = kc_cmd_right(cmd);

	if (right && !(kf->access & right))
		return -EBADF;
	switch (cmd) {
	case KCACHE_IOC_GET:
		return kc_get(kf, uarg);
	case KCACHE_IOC_SET:
		return kc_set(kf, uarg);
	case KCACHE_IOC_DEL:
		return kc_del(kf, uarg);
	case KCACHE_IOC_CAS:
		return kc_cas(kf, uarg);
	case KCACHE_IOC_ADD:
		return kc_add(kf, uarg);
	case KCACHE_IOC_MGET:
		return kc_mget(kf, uarg);
	case KCACHE_IOC_MSET:
		return kc_mset(kf, uarg);
	case KCACHE_IOC_INVALIDATE:
		return kc_invalidate(kf, uarg);
	case KCACHE_IOC_STATS:
		return kc_stats(kf, uarg);
	case KCACHE_IOC_INFO:
		return kc_info(kf, uarg);
	case KCACHE_IOC_DUMP:
		return kc_dump(kf, uarg);
	case KCACHE_IOC_NOP:
		return kc_nop(uarg);
	/* loads: the handlers check the rights they need */
	case KCACHE_IOC_LEASE_ABORT:
		return kcache_lease_ioctl_abort(kf->cache, &kf->leases, kf->access, uarg);
	case KCACHE_IOC_LOAD_CONFIG:
		return kcache_load_ioctl_config(kf->cache, kf->access, uarg);
	case KCACHE_IOC_LOAD_STATS:
		return kcache_load_ioctl_stats(kf->cache, uarg);
	default:
		return -ENOTTY;
	}
}

static int kcache_file_release(struct inode *inode, struct file *file)
{
	struct kcache_file *kf = file->private_data;

	kcache_lease_owner_release(kf->cache, &kf->leases);	/* loads */
	kcache_put_ref(kf->cache);
	kfree(kf);
	return 0;
}

static const struct file_operations kcache_file_fops = {
	.owner		= THIS_MODULE,
	.release	= kcache_file_release,
	.unlocked_ioctl	= kcache_file_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * Install a cache fd for @c with @access rights. On success the fd owns the caller's
 * reference on @c; on failure the caller keeps it.
 */
static int kc_install_fd(struct kcache *c, u32 access)
{
	struct kcache_file *kf;
	int fd;

	kf = kzalloc(sizeof(*kf), GFP_KERNEL_ACCOUNT);
	if (!kf)
		return -ENOMEM;
	kf->cache = c;
	kf->access = access;
	kcache_lease_owner_init(&kf->leases);	/* loads */
	fd = anon_inode_getfd("[kcache]", &kcache_file_fops, kf, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		kfree(kf);
	return fd;
}

/* ---- control device ---- */

static long kcache_ioc_version(void __user *uarg)
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
		     KCACHE_FEATURE_DUMP |
		     KCACHE_FEATURE_LEASES;	/* loads */
	return kcache_copy_struct_out(uarg, &v, sizeof(v));
}

static long kcache_ioc_create(void __user *uarg)
{
	struct kcache_create_args a;
	struct kcache_config cfg = { };
	struct kcache *c;
	int ret, fd;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_CREATE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags)
		return -EINVAL;
	ret = kc_name_check(a.name);
	if (ret)
		return ret;
	if (a.policy >= KCACHE_POLICY_NR || a.mode & ~0666)
		return -EINVAL;
	cfg.max_entries = a.max_entries;
	cfg.max_bytes = a.max_bytes;
	cfg.default_ttl_ns = a.default_ttl_ns;
	cfg.policy = a.policy;
	cfg.uid = current_fsuid();
	cfg.gid = current_fsgid();
	cfg.mode = a.mode;
	c = kcache_create(a.name, &cfg);
	if (IS_ERR(c))
		return PTR_ERR(c);
	fd = kc_install_fd(c, KCACHE_OPEN_RDWR);
	if (fd < 0) {
		/* nobody could have used it: undo the create */
		kcache_destroy(c);
		kcache_put_ref(c);
	}
	return fd;
}

static long kcache_ioc_open(void __user *uarg)
{
	struct kcache_open_args a;
	struct kcache_config cfg;
	struct kcache *c;
	int ret;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_OPEN_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (!a.flags || a.flags & ~KCACHE_OPEN_RDWR)
		return -EINVAL;
	ret = kc_name_check(a.name);
	if (ret)
		return ret;
	c = kcache_lookup(a.name);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kcache_get_config(c, &cfg);
	if (!kc_may(&cfg, a.flags, true)) {
		ret = -EACCES;
		goto err_put;
	}
	ret = kc_install_fd(c, a.flags);
	if (ret < 0)
		goto err_put;
	return ret;

err_put:
	kcache_put_ref(c);
	return ret;
}

static long kcache_ioc_destroy(void __user *uarg)
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
	ret = kc_name_check(a.name);
	if (ret)
		return ret;
	c = kcache_lookup(a.name);
	if (IS_ERR(c))
		return PTR_ERR(c);
	kcache_get_config(c, &cfg);
	if (uid_eq(current_fsuid(), cfg.uid) || capable(CAP_SYS_ADMIN))
		kcache_destroy(c);
	else
		ret = -EPERM;
	kcache_put_ref(c);
	return ret;
}

struct kc_list_ctx {
	struct kcache_list_record *recs;
	u32 cap;
	u32 count;
};

/* Under the core's registry mutex: fills the kernel buffer only. */
static int kc_list_one(struct kcache *c, void *ctx)
{
	struct kc_list_ctx *l = ctx;
	struct kcache_list_record *r;
	struct kcache_config cfg;

	kcache_get_config(c, &cfg);
	if (!uid_eq(current_fsuid(), cfg.uid) && !kc_may(&cfg, KCACHE_OPEN_READ, false))
		return 0;
	if (l->count >= KCACHE_LIST_MAX)
		return 1;
	if (l->count < l->cap) {
		r = &l->recs[l->count];
		strscpy_pad(r->name, kcache_name(c), sizeof(r->name));
		r->uid = from_kuid_munged(current_user_ns(), cfg.uid);
		r->gid = from_kgid_munged(current_user_ns(), cfg.gid);
		r->mode = cfg.mode;
		r->policy = cfg.policy;
		r->default_ttl_ns = cfg.default_ttl_ns;
		kc_counters(c, &r->counters);
	}
	l->count++;
	return 0;
}

static long kcache_ioc_list(void __user *uarg)
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
	if (a.flags)
		return -EINVAL;
	if (a.record_size < KCACHE_LIST_RECORD_SIZE_VER0)
		return -EINVAL;
	if (a.record_size > PAGE_SIZE)
		return -E2BIG;
	rs = a.record_size;
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
	ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
out:
	kvfree(l.recs);
	return ret;
}

/**
 * kcache_ctl_ioctl() - ioctls of the /dev/kcache control device
 * @file: the control device file
 * @cmd: a KCACHE_IOC_* command
 * @arg: user pointer to the command's struct
 *
 * Return: 0, a new fd (CREATE, OPEN) or a negative errno (see uapi/linux/kcache.h);
 * -ENOTTY for unknown commands.
 */
long kcache_ctl_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case KCACHE_IOC_VERSION:
		return kcache_ioc_version(uarg);
	case KCACHE_IOC_CREATE:
		return kcache_ioc_create(uarg);
	case KCACHE_IOC_OPEN:
		return kcache_ioc_open(uarg);
	case KCACHE_IOC_DESTROY:
		return kcache_ioc_destroy(uarg);
	case KCACHE_IOC_LIST:
		return kcache_ioc_list(uarg);
	default:
		return -ENOTTY;
	}
}
