/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kcache - an in-kernel key-value cache: userspace ABI.
 *
 * Two kinds of file descriptors:
 *  - the control device /dev/kcache: VERSION, CREATE, OPEN, DESTROY, LIST;
 *  - a cache fd (an anonymous inode, always O_CLOEXEC) returned by CREATE and OPEN: it
 *    holds a reference to one cache and the access rights it was opened with (read,
 *    write), and carries every data operation (GET, SET, DEL, CAS, ADD, MGET, MSET,
 *    INVALIDATE, STATS, INFO, DUMP, NOP); mmap() of it gives the pages of GET_PAGE.
 *
 * Command numbers are _IO(KCACHE_IOC_MAGIC, nr): they carry no size, and the kernel
 * dispatches on the type and the number alone (the direction and size bits are ignored),
 * so a command keeps its number when its struct grows. The size lives in the struct.
 *
 * Every ioctl argument starts with "__u32 size; __u32 flags;". The kernel reads the
 * struct with copy_struct_from_user(): a larger struct from a newer userspace is accepted
 * if its tail is zero (else -E2BIG), a smaller one is accepted if it is at least the first
 * published size of that struct (else -EINVAL). Padding must be zero and unknown flags
 * are rejected with -EINVAL. Pointers are passed as __u64. Output fields are written back
 * (at most "size" bytes of the struct) on success and where a command says so on error.
 *
 * Errors common to every command:
 *  -EFAULT  the argument pointer (or a pointer inside it) is not readable/writable
 *  -EINVAL  size below the first published size, unknown flags, non-zero padding
 *  -E2BIG   size above PAGE_SIZE, or non-zero bytes beyond the struct the kernel knows
 *  -ENOTTY  unknown command (or a cache command on the control device and vice versa)
 *  -ENOMEM  out of memory
 *
 * Checks are made in this order, so that the first failing one decides the errno:
 *  1. the fd's access rights: -EBADF. A cache fd's rights are OPEN's flags (a right
 *     that depends on a flag, a lease or LOAD_CONFIG's SET, is checked once the struct
 *     and its flags are read); CREATE and DESTROY need /dev/kcache opened for writing;
 *  2. reading the struct: -EFAULT, then the size (-EINVAL, -E2BIG);
 *  3. flags, then padding and reserved fields: -EINVAL;
 *  4. lengths, field by field in struct order: zero where not allowed -EINVAL, above the
 *     bound -E2BIG; all of them before anything is allocated or copied (MGET and MSET
 *     read their item array here, -EFAULT, and check every item's lengths before any key
 *     or value is copied);
 *  5. copying the buffers in (key, value, ...), in struct order: -EFAULT;
 *  6. the operation itself (command-specific errors, -ESHUTDOWN, -ENOMEM);
 *  7. copying the results out: -EFAULT.
 *
 * No command waits for anything unbounded: each returns after work bounded by its
 * arguments and by the size of one cache (DUMP, INVALIDATE and DESTROY walk one cache,
 * LIST walks the caches); none waits for another task except for a bounded time.
 *
 * A cache destroyed (KCACHE_IOC_DESTROY) while cache fds are still open stays alive for
 * those fds but is empty and unusable: every cache-fd command except NOP and LOAD_STATS
 * (which still reads the counters) then fails with -ESHUTDOWN. Closing the fd is always
 * safe.
 *
 * Who may create caches: see Documentation/userspace-api.rst, "Permissions and quotas".
 * In short: /dev/kcache is mode 0660, group "kcache" (udev rule 60-kcache.rules); each uid
 * may own at most the module's max_caches_per_uid caches and max_bytes_per_uid reserved
 * bytes (-EDQUOT beyond, unless CAP_SYS_RESOURCE); only the owner or CAP_SYS_ADMIN may
 * destroy a cache; OPEN with %KCACHE_OPEN_OWNER refuses a cache another uid created.
 */
#ifndef _UAPI_LINUX_KCACHE_H
#define _UAPI_LINUX_KCACHE_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define KCACHE_DEVICE_NAME	"kcache"
#define KCACHE_ABI_VERSION	1

#define KCACHE_IOC_MAGIC	0xCA

/* Feature bits reported by KCACHE_IOC_VERSION. */
#define KCACHE_FEATURE_VERSION	_BITULL(0)	/* KCACHE_IOC_VERSION */
#define KCACHE_FEATURE_CACHES	_BITULL(1)	/* CREATE/OPEN/DESTROY/LIST, single-key ops */
#define KCACHE_FEATURE_BATCH	_BITULL(2)	/* MGET/MSET */
#define KCACHE_FEATURE_DUMP	_BITULL(3)	/* DUMP */
#define KCACHE_FEATURE_LEASES	_BITULL(5)	/* leases, refresh ahead, LEASE_ABORT, LOAD_* */
#define KCACHE_FEATURE_GET_PAGE	_BITULL(6)	/* mmap() of a cache fd, GET_PAGE */
#define KCACHE_FEATURE_LIST_CONTINUE _BITULL(7)	/* LIST in pages: %KCACHE_LIST_CONTINUE */

/* Bounds of the ABI. */
/* name field: 1..64 bytes of ASCII [A-Za-z0-9._-] (no other byte), not "." or "..", NUL, zeros */
#define KCACHE_NAME_BUF		72
#define KCACHE_KEY_LEN_MAX	4096	/* largest key */
/* hard bound on a value; the module's value_max parameter (default 1 MiB) may be lower */
#define KCACHE_VAL_LEN_MAX	(64U << 20)
#define KCACHE_BATCH_MAX	256	/* items of one MGET/MSET */
#define KCACHE_LIST_MAX		1024	/* records LIST fills in one call */
#define KCACHE_DUMP_BUF_MAX	((64U << 20) + 8192)	/* DUMP uses at most this much buffer */
#define KCACHE_DUMP_NR_MAX	65536	/* records DUMP returns in one call */

/* Eviction policies (create's policy field). */
#define KCACHE_POLICY_TINYLFU_ABI	0	/* W-TinyLFU, the default */
#define KCACHE_POLICY_LRU_ABI		1

/* Access rights: OPEN's flags, INFO's access field. */
/* read: GET, MGET, STATS, INFO, DUMP, SUBSCRIBE, GET_PAGE and mmap, LOAD_STATS, LOAD_CONFIG */
#define KCACHE_OPEN_READ	_BITUL(0)
#define KCACHE_OPEN_WRITE	_BITUL(1)	/* SET, DEL, CAS, MSET, INVALIDATE; ADD with read */
#define KCACHE_OPEN_RDWR	(KCACHE_OPEN_READ | KCACHE_OPEN_WRITE)
/* OPEN's flags: refuse (-EPERM) a cache whose owner is not the open_args' owner */
#define KCACHE_OPEN_OWNER	_BITUL(2)

/* SET/MSET/CAS/ADD flags (CAS and ADD take only KCACHE_SETF_TTL). */
#define KCACHE_SETF_IF_ABSENT	_BITUL(0)	/* fail with -EEXIST if the key is present */
#define KCACHE_SETF_IF_PRESENT	_BITUL(1)	/* fail with -ENOENT if the key is absent */
#define KCACHE_SETF_KEEP_TTL	_BITUL(2)	/* a replacement keeps the old deadline */
#define KCACHE_SETF_TTL		_BITUL(3)	/* use ttl_ns; without it, the cache's default */

/* INVALIDATE flags. */
#define KCACHE_INVALIDATE_PREFIX _BITUL(0)	/* only keys starting with the prefix */

/* ---------------------------------------------------------------------------------- */
/* Control device /dev/kcache                                                          */

/**
 * struct kcache_version - argument of %KCACHE_IOC_VERSION
 * @size: sizeof(struct kcache_version) as userspace knows it
 * @flags: must be 0
 * @abi_version: out: %KCACHE_ABI_VERSION of the running module
 * @__pad: must be 0
 * @features: out: ``KCACHE_FEATURE_*`` bits the module supports
 */
struct kcache_version {
	__u32 size;
	__u32 flags;
	__u32 abi_version;
	__u32 __pad;
	__u64 features;
};

#define KCACHE_VERSION_SIZE_VER0	24	/* first published size */

/*
 * KCACHE_IOC_VERSION - query the ABI version and features (control device).
 * Errors: only the common ones.
 */
#define KCACHE_IOC_VERSION	_IO(KCACHE_IOC_MAGIC, 0x00)

/**
 * struct kcache_create_args - argument of %KCACHE_IOC_CREATE
 * @size: sizeof(struct kcache_create_args) as userspace knows it
 * @flags: must be 0
 * @name: the new cache's name: 1..64 bytes of [A-Za-z0-9._-], not "." or ".." (each cache
 *	has a statistics file of its name), NUL-terminated, the rest of the field zero
 * @max_entries: bound on the number of entries (0: the module's default)
 * @max_bytes: bound on the bytes charged, metadata included (0: the module's default)
 * @default_ttl_ns: TTL of entries set without %KCACHE_SETF_TTL (0: no expiry)
 * @policy: %KCACHE_POLICY_TINYLFU_ABI or %KCACHE_POLICY_LRU_ABI
 * @mode: permission bits, a subset of 0666; the owner is the caller's fsuid/fsgid
 *
 * The cache's @max_bytes (the default filled in) is charged to the owner's quota.
 */
struct kcache_create_args {
	__u32 size;
	__u32 flags;
	char name[KCACHE_NAME_BUF];
	__u64 max_entries;
	__u64 max_bytes;
	__u64 default_ttl_ns;
	__u32 policy;
	__u32 mode;
};

#define KCACHE_CREATE_ARGS_SIZE_VER0	112

/*
 * KCACHE_IOC_CREATE - create a cache and open it read-write.
 * The name is published only once the fd is ready to be installed: a failed CREATE
 * leaves no cache behind, and a successful one never destroys what others opened.
 * Errors, in this order after the common checks:
 *  -EINVAL  bad name (empty, too long, a byte outside [A-Za-z0-9._-], "." or "..",
 *           garbage after the NUL), policy unknown, mode not a subset of 0666
 *  -EDQUOT  the caller's fsuid would own more than max_caches_per_uid caches or reserve
 *           more than max_bytes_per_uid bytes (module parameters), and the caller lacks
 *           CAP_SYS_RESOURCE
 *  -EMFILE  the process has no free fd; -ENFILE, the system has none
 *  -EEXIST  a cache of that name exists (whoever owns it: a service that then OPENs the
 *           name should pass %KCACHE_OPEN_OWNER to be sure it is its own)
 *  -ENOSPC  the module's max_caches limit is reached
 *  -ENOMEM  max_bytes would exceed the module's max_total_bytes, or out of memory
 */
#define KCACHE_IOC_CREATE	_IO(KCACHE_IOC_MAGIC, 0x01)

/**
 * struct kcache_open_args - argument of %KCACHE_IOC_OPEN
 * @size: sizeof(struct kcache_open_args) as userspace knows it
 * @flags: %KCACHE_OPEN_READ and/or %KCACHE_OPEN_WRITE, at least one; and
 *	%KCACHE_OPEN_OWNER to require @owner
 * @name: the cache's name, as for &struct kcache_create_args
 * @owner: with %KCACHE_OPEN_OWNER: the uid that must own the cache; else must be 0
 * @__pad: must be 0
 */
struct kcache_open_args {
	__u32 size;
	__u32 flags;
	char name[KCACHE_NAME_BUF];
	__u32 owner;
	__u32 __pad;
};

#define KCACHE_OPEN_ARGS_SIZE_VER0	80
#define KCACHE_OPEN_ARGS_SIZE_VER1	88	/* @owner */

/*
 * KCACHE_IOC_OPEN - open an existing cache.
 * The cache's mode is checked like a file's: the owner bits if the caller's fsuid is the
 * owner, else the group bits if the caller is in the owner group, else the other bits.
 * CAP_DAC_OVERRIDE or CAP_SYS_ADMIN bypass the check.
 * Returns: a new cache fd (O_CLOEXEC) with the rights asked for in flags.
 * With %KCACHE_OPEN_OWNER the cache must be owned by @owner (in the caller's user
 * namespace): a service that creates a well-known name and falls back to OPEN on
 * -EEXIST passes its own uid, so a cache another user created first under that name
 * (name squatting) is refused instead of silently used.
 * Errors:
 *  -EINVAL  no access right or an unknown flag in flags, @__pad set, @owner set without
 *           %KCACHE_OPEN_OWNER, %KCACHE_OPEN_OWNER with @size below
 *           %KCACHE_OPEN_ARGS_SIZE_VER1 (no @owner), bad name
 *  -ENOENT  no cache of that name
 *  -EPERM   %KCACHE_OPEN_OWNER and the cache's owner is not @owner (checked before the
 *           mode)
 *  -EACCES  the mode does not grant the rights asked for
 *  -EMFILE  the process has no free fd; -ENFILE, the system has none
 */
#define KCACHE_IOC_OPEN		_IO(KCACHE_IOC_MAGIC, 0x02)

/**
 * struct kcache_destroy_args - argument of %KCACHE_IOC_DESTROY
 * @size: sizeof(struct kcache_destroy_args) as userspace knows it
 * @flags: must be 0
 * @name: the cache's name, as for &struct kcache_create_args
 */
struct kcache_destroy_args {
	__u32 size;
	__u32 flags;
	char name[KCACHE_NAME_BUF];
};

#define KCACHE_DESTROY_ARGS_SIZE_VER0	80

/*
 * KCACHE_IOC_DESTROY - unpublish a cache and drop its entries.
 * The name is free again at once; cache fds still open get -ESHUTDOWN.
 * Errors:
 *  -EINVAL  bad name
 *  -ENOENT  no cache of that name
 *  -EPERM   the caller's fsuid is not the owner and it lacks CAP_SYS_ADMIN
 */
#define KCACHE_IOC_DESTROY	_IO(KCACHE_IOC_MAGIC, 0x03)

/**
 * struct kcache_counters - a snapshot of a cache's counters
 * @hits: lookups that found a live entry
 * @misses: lookups that found nothing or an expired entry
 * @sets: successful stores (set, cas, add)
 * @deletes: successful deletes, invalidations included
 * @evictions_size: entries evicted over the count or byte bound
 * @evictions_shrink: entries evicted under memory pressure
 * @expirations: expired entries reclaimed
 * @entries: entries in the cache now
 * @bytes: bytes charged now
 * @max_entries: the entry bound
 * @max_bytes: the byte bound
 * @spare_bytes: bytes of dead entries' memory kept for the next writes instead of freed,
 *	as the last maintenance pass left them (writes since may have used some); with the
 *	bytes charged then, at most @max_bytes plus a sixteenth. Given back first under
 *	memory pressure. Since %KCACHE_STATS_ARGS_SIZE_VER1 and %KCACHE_LIST_RECORD_SIZE_VER1.
 */
struct kcache_counters {
	__u64 hits;
	__u64 misses;
	__u64 sets;
	__u64 deletes;
	__u64 evictions_size;
	__u64 evictions_shrink;
	__u64 expirations;
	__u64 entries;
	__u64 bytes;
	__u64 max_entries;
	__u64 max_bytes;
	__u64 spare_bytes;
};

/**
 * struct kcache_list_record - one cache in the answer of %KCACHE_IOC_LIST
 * @name: NUL-terminated name, zero-padded
 * @uid: owner
 * @gid: owner group
 * @mode: permission bits
 * @policy: eviction policy
 * @default_ttl_ns: default TTL (0: none)
 * @counters: its counters
 */
struct kcache_list_record {
	char name[KCACHE_NAME_BUF];
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 policy;
	__u64 default_ttl_ns;
	struct kcache_counters counters;
};

#define KCACHE_LIST_RECORD_SIZE_VER0	184
#define KCACHE_LIST_RECORD_SIZE_VER1	192	/* counters.spare_bytes */

/**
 * struct kcache_list_args - argument of %KCACHE_IOC_LIST
 * @size: sizeof(struct kcache_list_args) as userspace knows it
 * @flags: 0 or %KCACHE_LIST_CONTINUE
 * @records: pointer to an array of @nr records of @record_size bytes each
 * @nr: in: records the array holds; out: caches listed, or the number needed
 * @record_size: sizeof(struct kcache_list_record) as userspace knows it, at least
 *	%KCACHE_LIST_RECORD_SIZE_VER0 and at most 4096; bytes beyond the record the
 *	kernel knows are zeroed
 * @cursor: with %KCACHE_LIST_CONTINUE: in, 0 for the first page or what the previous
 *	call returned; out, where the next page starts. Since %KCACHE_LIST_ARGS_SIZE_VER1;
 *	ignored and left as it was without the flag.
 */
struct kcache_list_args {
	__u32 size;
	__u32 flags;
	__u64 records;
	__u32 nr;
	__u32 record_size;
	__u64 cursor;
};

#define KCACHE_LIST_ARGS_SIZE_VER0	24
#define KCACHE_LIST_ARGS_SIZE_VER1	32	/* @cursor */

/* List one page, from @cursor on; never -EMSGSIZE (KCACHE_FEATURE_LIST_CONTINUE). */
#define KCACHE_LIST_CONTINUE	_BITUL(0)

/*
 * KCACHE_IOC_LIST - list the caches the caller may see, with their counters.
 * A cache is listed if the caller owns it or may open it for reading (a caller with
 * CAP_DAC_OVERRIDE or CAP_SYS_ADMIN sees every cache). Caches are listed in the order
 * they were created. At most %KCACHE_LIST_MAX records are filled per call: without
 * %KCACHE_LIST_CONTINUE, a larger @nr is treated as that and the caches past the first
 * %KCACHE_LIST_MAX are left out.
 *
 * With %KCACHE_LIST_CONTINUE, a call fills up to @nr (1 to %KCACHE_LIST_MAX) records
 * with the caches created after those the previous call listed (@cursor), sets @nr to
 * the number filled and @cursor to where the next call starts. The listing is done when
 * a call fills fewer than it was asked for. Each cache that exists throughout is listed
 * exactly once; one created or destroyed meanwhile may or may not be.
 *
 * Errors, in this order after the common checks:
 *  -EINVAL   an unknown flag; %KCACHE_LIST_CONTINUE with @size below
 *            %KCACHE_LIST_ARGS_SIZE_VER1 or @nr 0
 *  -E2BIG    %KCACHE_LIST_CONTINUE with @nr above %KCACHE_LIST_MAX
 *  -EINVAL   record_size below %KCACHE_LIST_RECORD_SIZE_VER0
 *  -E2BIG    record_size above 4096
 *  -EMSGSIZE without %KCACHE_LIST_CONTINUE, the array is too small: nothing was written
 *            to it, @nr holds the number of records needed (it may change before the
 *            next call)
 */
#define KCACHE_IOC_LIST		_IO(KCACHE_IOC_MAGIC, 0x04)

/* ---------------------------------------------------------------------------------- */
/* Cache fd                                                                            */

/*
 * Keys are 1..%KCACHE_KEY_LEN_MAX arbitrary bytes; values are 0..value_max arbitrary
 * bytes (value_max is a module parameter, at most %KCACHE_VAL_LEN_MAX). Versions are the
 * cache's sequence numbers: every store gets a new, larger one.
 *
 * Errors of every cache-fd command besides the common ones:
 *  -EBADF      the fd was not opened with the right the command needs (read: GET, MGET,
 *              STATS, INFO, DUMP, SUBSCRIBE, GET_PAGE, LOAD_STATS, LOAD_CONFIG; write:
 *              SET, DEL, CAS, MSET, INVALIDATE; both: ADD, whose result is the value,
 *              the lease variants of GET, SET and MGET, LEASE_ABORT, and LOAD_CONFIG's
 *              SET)
 *  -ESHUTDOWN  the cache was destroyed
 */

/**
 * struct kcache_get_args - argument of %KCACHE_IOC_GET
 * @size: sizeof(struct kcache_get_args) as userspace knows it
 * @flags: 0 or %KCACHE_GETF_LEASE (see "Single-flight loading and leases" below)
 * @key: pointer to the key
 * @val: pointer to the value buffer (may be 0 if @val_len is 0)
 * @key_len: key length, 1..%KCACHE_KEY_LEN_MAX
 * @val_len: in: size of the value buffer; out: the value's length
 * @version: out: the entry's version
 * @wait_ns: with %KCACHE_GETF_LEASE: how long to wait for another holder's load, in ns
 *	(0: do not wait); else must be 0 (since %KCACHE_GET_ARGS_SIZE_VER1)
 * @lease_ns: with %KCACHE_GETF_LEASE: deadline of a lease granted by this call, in ns from
 *	now, at most %KCACHE_LEASE_NS_MAX (0: the cache's default); else must be 0
 * @token: out, with %KCACHE_GETF_LEASE: the lease token when @result is
 *	%KCACHE_GET_LOAD or %KCACHE_GET_REFRESH, else 0
 * @result: out, with %KCACHE_GETF_LEASE: a ``KCACHE_GET_*`` answer; else 0
 * @__pad: must be 0
 */
struct kcache_get_args {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u64 val;
	__u32 key_len;
	__u32 val_len;
	__u64 version;
	__u64 wait_ns;
	__u64 lease_ns;
	__u64 token;
	__u32 result;
	__u32 __pad;
};

#define KCACHE_GET_ARGS_SIZE_VER0	40
#define KCACHE_GET_ARGS_SIZE_VER1	72	/* wait_ns, lease_ns, token, result */

/*
 * KCACHE_IOC_GET - copy a value out.
 * Errors:
 *  -EINVAL    key_len is 0
 *  -E2BIG     key_len above %KCACHE_KEY_LEN_MAX
 *  -ENOENT    no live entry for the key (an expired entry is absent)
 *  -EMSGSIZE  the buffer is too small: nothing copied, @val_len and @version are set
 * With %KCACHE_GETF_LEASE, see %KCACHE_GETF_LEASE below for the answers and errors.
 */
#define KCACHE_IOC_GET		_IO(KCACHE_IOC_MAGIC, 0x10)

/**
 * struct kcache_set_args - argument of %KCACHE_IOC_SET
 * @size: sizeof(struct kcache_set_args) as userspace knows it
 * @flags: %KCACHE_SETF_IF_ABSENT or %KCACHE_SETF_IF_PRESENT (not both),
 *	%KCACHE_SETF_KEEP_TTL, %KCACHE_SETF_TTL; or %KCACHE_SETF_LEASE with at most
 *	%KCACHE_SETF_TTL
 * @key: pointer to the key
 * @val: pointer to the value (may be 0 if @val_len is 0)
 * @key_len: key length, 1..%KCACHE_KEY_LEN_MAX
 * @val_len: value length, 0..value_max
 * @ttl_ns: with %KCACHE_SETF_TTL: time to live in ns, 0 for none; else must be 0
 * @version: out: the new entry's version
 * @token: with %KCACHE_SETF_LEASE: the lease token this SET completes; else must be 0
 *	(since %KCACHE_SET_ARGS_SIZE_VER1)
 */
struct kcache_set_args {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u64 val;
	__u32 key_len;
	__u32 val_len;
	__u64 ttl_ns;
	__u64 version;
	__u64 token;
};

#define KCACHE_SET_ARGS_SIZE_VER0	48
#define KCACHE_SET_ARGS_SIZE_VER1	56	/* token */

/*
 * KCACHE_IOC_SET - store a value. A GET after it sees the new value.
 * Errors:
 *  -EINVAL  both IF_ABSENT and IF_PRESENT; ttl_ns without %KCACHE_SETF_TTL; key_len 0
 *  -E2BIG   key_len above %KCACHE_KEY_LEN_MAX, val_len above value_max, or the entry
 *           larger than the cache's max_bytes (as counted in bytes: what the allocator
 *           gives it, deadline included, plus its share of the table)
 *  -EEXIST  IF_ABSENT and the key is present
 *  -ENOENT  IF_PRESENT and the key is absent
 *  -ENOMEM  out of memory (also: the table failed an atomic allocation while growing)
 *  -EBUSY   the table could not grow fast enough for this insert: retry
 * With %KCACHE_SETF_LEASE, see %KCACHE_SETF_LEASE below for its own errors.
 */
#define KCACHE_IOC_SET		_IO(KCACHE_IOC_MAGIC, 0x11)

/**
 * struct kcache_del_args - argument of %KCACHE_IOC_DEL
 * @size: sizeof(struct kcache_del_args) as userspace knows it
 * @flags: must be 0
 * @key: pointer to the key
 * @key_len: key length, 1..%KCACHE_KEY_LEN_MAX
 * @__pad: must be 0
 */
struct kcache_del_args {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u32 key_len;
	__u32 __pad;
};

#define KCACHE_DEL_ARGS_SIZE_VER0	24

/*
 * KCACHE_IOC_DEL - remove a key.
 * Errors:
 *  -EINVAL  key_len 0
 *  -E2BIG   key_len above %KCACHE_KEY_LEN_MAX
 *  -ENOENT  no live entry for the key
 */
#define KCACHE_IOC_DEL		_IO(KCACHE_IOC_MAGIC, 0x12)

/**
 * struct kcache_cas_args - argument of %KCACHE_IOC_CAS
 * @size: sizeof(struct kcache_cas_args) as userspace knows it
 * @flags: %KCACHE_SETF_TTL or 0
 * @key: pointer to the key
 * @val: pointer to the new value
 * @key_len: key length
 * @val_len: new value length
 * @ttl_ns: as for &struct kcache_set_args
 * @expected: the version the caller read (GET's @version)
 * @version: out: the new version
 */
struct kcache_cas_args {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u64 val;
	__u32 key_len;
	__u32 val_len;
	__u64 ttl_ns;
	__u64 expected;
	__u64 version;
};

#define KCACHE_CAS_ARGS_SIZE_VER0	56

/*
 * KCACHE_IOC_CAS - replace a value if its version is still @expected.
 * Errors: as SET (but -EEXIST: CAS has no IF_ABSENT), and
 *  -ENOENT  the key is absent
 *  -ESTALE  the entry's version is not @expected
 */
#define KCACHE_IOC_CAS		_IO(KCACHE_IOC_MAGIC, 0x13)

/**
 * struct kcache_add_args - argument of %KCACHE_IOC_ADD
 * @size: sizeof(struct kcache_add_args) as userspace knows it
 * @flags: %KCACHE_SETF_TTL or 0
 * @key: pointer to the key
 * @key_len: key length
 * @__pad: must be 0
 * @delta: signed amount to add, wrapping modulo 2^64
 * @ttl_ns: TTL if the counter is created (an existing counter keeps its deadline)
 * @result: out: the counter's new value
 */
struct kcache_add_args {
	__u32 size;
	__u32 flags;
	__u64 key;
	__u32 key_len;
	__u32 __pad;
	__s64 delta;
	__u64 ttl_ns;
	__u64 result;
};

#define KCACHE_ADD_ARGS_SIZE_VER0	48

/*
 * KCACHE_IOC_ADD - add to a 64-bit counter (a native-endian 8-byte value; a missing key
 * starts from 0). Needs an fd opened read-write: @result is the value.
 * Errors:
 *  -EINVAL  key_len 0, ttl_ns without %KCACHE_SETF_TTL, or the present value is not
 *           8 bytes long
 *  -E2BIG   key_len above %KCACHE_KEY_LEN_MAX or the entry above max_bytes
 *  -ENOMEM  out of memory
 *  -EBUSY   as SET
 */
#define KCACHE_IOC_ADD		_IO(KCACHE_IOC_MAGIC, 0x14)

/**
 * struct kcache_batch_item - one key of %KCACHE_IOC_MGET or %KCACHE_IOC_MSET
 * @key_len: in: length of this item's key, 1..%KCACHE_KEY_LEN_MAX; the keys lie one
 *	after the other in the key block
 * @val_len: MSET in: length of this item's value (values lie one after the other in
 *	the value block); MGET out: length of the value (also when it did not fit)
 * @val_off: MGET out: offset of the value in the value block; ignored by MSET
 * @status: out: 0 or a negative errno for this item (MGET: -ENOENT miss, -EMSGSIZE no
 *	room left in the value block; MSET: as SET)
 * @version: out: the entry's version (MGET: found, also with -EMSGSIZE;
 *	MSET: success)
 */
struct kcache_batch_item {
	__u32 key_len;
	__u32 val_len;
	__u32 val_off;
	__s32 status;
	__u64 version;
};

#define KCACHE_BATCH_ITEM_SIZE	24

/**
 * struct kcache_mget_args - argument of %KCACHE_IOC_MGET
 * @size: sizeof(struct kcache_mget_args) as userspace knows it
 * @flags: 0 or %KCACHE_MGETF_LEASE
 * @items: pointer to @nr &struct kcache_batch_item
 * @keys: pointer to the key block (the keys, back to back)
 * @vals: pointer to the value block
 * @nr: items, 0..%KCACHE_BATCH_MAX
 * @vals_len: size of the value block
 * @done: out: items whose value was copied: status 0 (with %KCACHE_MGETF_LEASE, also
 *	%KCACHE_GET_STALE and %KCACHE_GET_REFRESH)
 * @__pad: must be 0
 * @tokens: with %KCACHE_MGETF_LEASE: pointer to @nr __u64 lease tokens, written (0 where
 *	the item got no lease); else must be 0 (since %KCACHE_MGET_ARGS_SIZE_VER1)
 * @lease_ns: with %KCACHE_MGETF_LEASE: as &struct kcache_get_args.lease_ns; else 0
 */
struct kcache_mget_args {
	__u32 size;
	__u32 flags;
	__u64 items;
	__u64 keys;
	__u64 vals;
	__u32 nr;
	__u32 vals_len;
	__u32 done;
	__u32 __pad;
	__u64 tokens;
	__u64 lease_ns;
};

#define KCACHE_MGET_ARGS_SIZE_VER0	48
#define KCACHE_MGET_ARGS_SIZE_VER1	64	/* tokens, lease_ns */

/*
 * KCACHE_IOC_MGET - look up to %KCACHE_BATCH_MAX keys. Values are packed into the value
 * block in item order, each at the first free offset; an item whose value does not fit
 * gets -EMSGSIZE and later items are still tried. Per-item results are in @items; the
 * command itself succeeds if the arguments are valid.
 * Errors:
 *  -E2BIG   nr above %KCACHE_BATCH_MAX, or an item's key_len above %KCACHE_KEY_LEN_MAX
 *  -EINVAL  an item's key_len is 0
 * With %KCACHE_MGETF_LEASE, see %KCACHE_MGETF_LEASE below.
 */
#define KCACHE_IOC_MGET		_IO(KCACHE_IOC_MAGIC, 0x15)

/**
 * struct kcache_mset_args - argument of %KCACHE_IOC_MSET
 * @size: sizeof(struct kcache_mset_args) as userspace knows it
 * @flags: as for &struct kcache_set_args, applied to every item
 * @items: pointer to @nr &struct kcache_batch_item
 * @keys: pointer to the key block
 * @vals: pointer to the value block
 * @nr: items, 0..%KCACHE_BATCH_MAX
 * @vals_len: size of the value block: the sum of the items' val_len
 * @done: out: items stored (status 0)
 * @__pad: must be 0
 * @ttl_ns: as for &struct kcache_set_args, for every item
 */
struct kcache_mset_args {
	__u32 size;
	__u32 flags;
	__u64 items;
	__u64 keys;
	__u64 vals;
	__u32 nr;
	__u32 vals_len;
	__u32 done;
	__u32 __pad;
	__u64 ttl_ns;
};

#define KCACHE_MSET_ARGS_SIZE_VER0	56

/*
 * KCACHE_IOC_MSET - store up to %KCACHE_BATCH_MAX values. Every item is validated before
 * any is stored; then each is stored independently (not atomically as a whole).
 * Errors: as SET for the flags and lengths, and
 *  -E2BIG   nr above %KCACHE_BATCH_MAX, an item's val_len above value_max, vals_len
 *           above %KCACHE_VAL_LEN_MAX (the value block is copied in whole: a larger
 *           batch goes in several MSETs)
 *  -EINVAL  vals_len is not the sum of the items' val_len
 */
#define KCACHE_IOC_MSET		_IO(KCACHE_IOC_MAGIC, 0x16)

/**
 * struct kcache_invalidate_args - argument of %KCACHE_IOC_INVALIDATE
 * @size: sizeof(struct kcache_invalidate_args) as userspace knows it
 * @flags: 0 (every entry) or %KCACHE_INVALIDATE_PREFIX
 * @prefix: pointer to the prefix (with %KCACHE_INVALIDATE_PREFIX; else must be 0)
 * @prefix_len: 1..%KCACHE_KEY_LEN_MAX (with %KCACHE_INVALIDATE_PREFIX; else must be 0)
 * @__pad: must be 0
 * @removed: out: entries removed
 */
struct kcache_invalidate_args {
	__u32 size;
	__u32 flags;
	__u64 prefix;
	__u32 prefix_len;
	__u32 __pad;
	__u64 removed;
};

#define KCACHE_INVALIDATE_ARGS_SIZE_VER0	32

/*
 * KCACHE_IOC_INVALIDATE - remove every entry, or every entry whose key has a prefix.
 * Entries stored concurrently may survive.
 * Errors:
 *  -EINVAL  prefix fields set without %KCACHE_INVALIDATE_PREFIX; prefix_len 0 with it
 *  -E2BIG   prefix_len above %KCACHE_KEY_LEN_MAX
 */
#define KCACHE_IOC_INVALIDATE	_IO(KCACHE_IOC_MAGIC, 0x17)

/**
 * struct kcache_stats_args - argument of %KCACHE_IOC_STATS
 * @size: sizeof(struct kcache_stats_args) as userspace knows it
 * @flags: must be 0
 * @counters: out: the counters
 */
struct kcache_stats_args {
	__u32 size;
	__u32 flags;
	struct kcache_counters counters;
};

#define KCACHE_STATS_ARGS_SIZE_VER0	96
#define KCACHE_STATS_ARGS_SIZE_VER1	104	/* counters.spare_bytes */

/* KCACHE_IOC_STATS - read the cache's counters. Errors: only the common ones. */
#define KCACHE_IOC_STATS	_IO(KCACHE_IOC_MAGIC, 0x18)

/**
 * struct kcache_info_args - argument of %KCACHE_IOC_INFO
 * @size: sizeof(struct kcache_info_args) as userspace knows it
 * @flags: must be 0
 * @name: out: the cache's name, NUL-terminated, zero-padded
 * @max_entries: out: entry bound (defaults filled in)
 * @max_bytes: out: byte bound (defaults filled in)
 * @default_ttl_ns: out: default TTL (0: none)
 * @policy: out: eviction policy
 * @uid: out: owner
 * @gid: out: owner group
 * @mode: out: permission bits
 * @access: out: the rights of this fd, %KCACHE_OPEN_READ / %KCACHE_OPEN_WRITE
 * @__pad: must be 0
 */
struct kcache_info_args {
	__u32 size;
	__u32 flags;
	char name[KCACHE_NAME_BUF];
	__u64 max_entries;
	__u64 max_bytes;
	__u64 default_ttl_ns;
	__u32 policy;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 access;
	__u32 __pad;
};

#define KCACHE_INFO_ARGS_SIZE_VER0	128

/* KCACHE_IOC_INFO - read the cache's configuration. Errors: only the common ones. */
#define KCACHE_IOC_INFO		_IO(KCACHE_IOC_MAGIC, 0x19)

/**
 * struct kcache_dump_record - one entry in the buffer filled by %KCACHE_IOC_DUMP
 * @key_len: key length
 * @val_len: value length
 * @version: the entry's version
 *
 * The key and the value follow, then zero padding up to a multiple of 8 bytes; the next
 * record starts there (KCACHE_DUMP_RECORD_LEN() bytes after this one).
 */
struct kcache_dump_record {
	__u32 key_len;
	__u32 val_len;
	__u64 version;
};

#define KCACHE_DUMP_RECORD_LEN(klen, vlen) \
	((sizeof(struct kcache_dump_record) + (__u64)(klen) + (vlen) + 7) & ~(__u64)7)

/**
 * struct kcache_dump_args - argument of %KCACHE_IOC_DUMP
 * @size: sizeof(struct kcache_dump_args) as userspace knows it
 * @flags: must be 0
 * @buf: pointer to the buffer records are written to
 * @cursor: 0 to start a dump, else the previous call's @next: the call returns entries
 *	whose version is above @cursor
 * @buf_len: size of the buffer; the kernel uses at most %KCACHE_DUMP_BUF_MAX of it
 * @nr: out: records written, at most %KCACHE_DUMP_NR_MAX
 * @next: out: @cursor for the next call: the largest version returned (@cursor if none)
 * @needed: out: if @nr is 0 and @done is 0, the size of the record that did not fit
 * @done: out: 1 if no entry with a version above @next was left, else 0
 */
struct kcache_dump_args {
	__u32 size;
	__u32 flags;
	__u64 buf;
	__u64 cursor;
	__u32 buf_len;
	__u32 nr;
	__u64 next;
	__u32 needed;
	__u32 done;
};

#define KCACHE_DUMP_ARGS_SIZE_VER0	48

/*
 * KCACHE_IOC_DUMP - copy out live entries in increasing version order: those whose
 * version is above @cursor, as many as fit in the buffer (and %KCACHE_DUMP_NR_MAX).
 * One call returns each entry at most once, whatever the table does meanwhile (resizes
 * included). Across the calls of a dump (each passing the previous @next): an entry
 * neither stored nor removed during the dump is returned exactly once; an entry stored
 * during it may also be returned with its new version (versions are unique: keep the
 * record with the highest version per key); a removed or expired entry may be missing.
 * A call may return no record with @done 0 (what it chose went away, or an entry was
 * stored while it walked the table): call again with @next.
 * Errors:
 *  -EMSGSIZE  not even one record fits: @needed holds its size (also copied out)
 */
#define KCACHE_IOC_DUMP		_IO(KCACHE_IOC_MAGIC, 0x1a)

/**
 * struct kcache_nop_args - argument of %KCACHE_IOC_NOP
 * @size: sizeof(struct kcache_nop_args) as userspace knows it
 * @flags: must be 0
 */
struct kcache_nop_args {
	__u32 size;
	__u32 flags;
};

#define KCACHE_NOP_ARGS_SIZE_VER0	8

/*
 * KCACHE_IOC_NOP - read and check the argument, do nothing: the cost of a cache-fd ioctl,
 * the baseline of the benchmarks. Needs no access right; works after DESTROY.
 * Errors: only the common ones.
 */
#define KCACHE_IOC_NOP		_IO(KCACHE_IOC_MAGIC, 0x1f)

/* ---------------------------------------------------------------------------------- */
/* GET through pages shared with the kernel (Documentation/userspace-api.rst)          */

/*
 * A cache fd can be mmap()ed: MAP_SHARED, offset 0, 1..%KCACHE_GET_PAGES_MAX pages, not
 * executable. The first mmap() of the fd allocates its pages (charged to the caller's
 * memory cgroup) for the calling process; a later one in that process maps the same pages
 * again and may not ask for more. Other processes (a child after fork(), which does not
 * inherit the mapping, or one the fd was passed to) may neither map nor use them: they
 * OPEN the cache for an fd of their own. A child that inherits the mapping all the same
 * (MADV_DOFORK) gets SIGBUS when it touches it.
 *
 * Each page is a &struct kcache_get_page. %KCACHE_IOC_GET_PAGE reads a key from a page
 * and writes the value into the same page: no argument struct, key or value is copied
 * from or to user memory, which makes it cheaper than %KCACHE_IOC_GET. A thread needs a
 * page of its own (the kernel serialises nothing between threads sharing one). The pages
 * live until the fd and its last mapping are gone.
 *
 * mmap() errors: -EINVAL (not MAP_SHARED, an offset, more than %KCACHE_GET_PAGES_MAX
 * pages, or more than the fd's pages), -EPERM (PROT_EXEC, also implied by the
 * READ_IMPLIES_EXEC personality; or another process's pages), -EBADF (fd without read
 * right), -ENOMEM.
 */

#define KCACHE_GET_PAGES_MAX	64

/**
 * struct kcache_get_page - the head of a page that %KCACHE_IOC_GET_PAGE reads and writes
 * @key_len: in: key length, 1..min(%KCACHE_KEY_LEN_MAX, page size - 16)
 * @val_len: out: the value's length (also on -EMSGSIZE)
 * @version: out: the entry's version
 * @data: in: the key; out: the value, over the key (up to page size - 16 bytes)
 *
 * The kernel reads @key_len once and copies the key before it looks it up, so a thread
 * that changes the page during the call changes only its own result.
 */
struct kcache_get_page {
	__u32 key_len;
	__u32 val_len;
	__u64 version;
	__u8 data[];
};

/*
 * KCACHE_IOC_GET_PAGE - GET the key in page N of the fd's mapping, N being the ioctl's
 * argument itself (a number, not a pointer). Needs read right. On success the value is
 * in the page's data, val_len and version are set, and nothing else is written.
 * Errors (besides -EBADF, -ENOMEM and -ESHUTDOWN):
 *  -ENXIO     the fd has no pages: it was never mmap()ed
 *  -EPERM     the pages are another process's
 *  -EINVAL    N is not a page of the fd, or key_len is 0
 *  -E2BIG     key_len above %KCACHE_KEY_LEN_MAX or the page's data
 *  -ENOENT    absent or expired
 *  -EMSGSIZE  the value does not fit the page's data (val_len set; use %KCACHE_IOC_GET)
 */
#define KCACHE_IOC_GET_PAGE	_IO(KCACHE_IOC_MAGIC, 0x1b)

/* ---------------------------------------------------------------------------------- */
/* Change streams (Documentation/streams.rst)                                          */

/*
 * KCACHE_IOC_SUBSCRIBE on a cache fd opened for reading returns a stream fd (an anonymous
 * inode, always O_CLOEXEC). read() on it returns whole records, one after the other: first
 * the snapshot (%KCACHE_REC_SNAPSHOT, every entry of the cache whose version is at most
 * the cutoff), then one %KCACHE_REC_SYNC carrying the cutoff, then every later change of
 * the cache (%KCACHE_REC_STORE, %KCACHE_REC_REMOVE) exactly once, in strictly increasing
 * version order per key. A subscriber that falls more than its ring behind gets one
 * %KCACHE_REC_LAGGED record and then end of file, or (%KCACHE_SUBSCRIBE_RESYNC) a new
 * snapshot. Destroying the cache ends the stream: read() returns the records left, then 0.
 * The stream fd supports poll(), select() and epoll (EPOLLIN: a record or end of file).
 */

#define KCACHE_FEATURE_STREAMS	_BITULL(4)	/* SUBSCRIBE and stream fds */

/* SUBSCRIBE flags. */
#define KCACHE_SUBSCRIBE_LIVE_ONLY	_BITUL(0)	/* no snapshot: SYNC, then live records */
#define KCACHE_SUBSCRIBE_KEYS_ONLY	_BITUL(1)	/* records carry no value bytes */
#define KCACHE_SUBSCRIBE_RESYNC		_BITUL(2)	/* after LAGGED, a new snapshot, not EOF */
#define KCACHE_SUBSCRIBE_NONBLOCK	_BITUL(3)	/* the stream fd is O_NONBLOCK */

/* Record format versions (SUBSCRIBE's format field). */
#define KCACHE_STREAM_FORMAT_V1		1

/* Ring sizes in bytes: the default, the smallest; the module's stream_ring_max caps it. */
#define KCACHE_STREAM_RING_DEFAULT	(256U << 10)
#define KCACHE_STREAM_RING_MIN		(16U << 10)

/**
 * struct kcache_subscribe_args - argument of %KCACHE_IOC_SUBSCRIBE
 * @size: sizeof(struct kcache_subscribe_args) as userspace knows it
 * @flags: ``KCACHE_SUBSCRIBE_*`` bits
 * @prefix: pointer to a key prefix: only keys starting with it are streamed (0 if
 *	@prefix_len is 0)
 * @prefix_len: 0 (every key) or 1..%KCACHE_KEY_LEN_MAX
 * @format: record format, %KCACHE_STREAM_FORMAT_V1
 * @ring_size: in: bytes of the subscriber's ring, 0 for %KCACHE_STREAM_RING_DEFAULT, at
 *	least %KCACHE_STREAM_RING_MIN; rounded up to a power of two and capped by the module's
 *	stream_ring_max parameter, and at 1 GiB; reserved against the module's
 *	max_total_bytes while the stream lives. Out: the size used, which is also the largest
 *	record
 * @__pad: must be 0
 * @cutoff: out: the cutoff of the first snapshot (also in its %KCACHE_REC_SYNC record)
 */
struct kcache_subscribe_args {
	__u32 size;
	__u32 flags;
	__u64 prefix;
	__u32 prefix_len;
	__u32 format;
	__u32 ring_size;
	__u32 __pad;
	__u64 cutoff;
};

#define KCACHE_SUBSCRIBE_ARGS_SIZE_VER0	40

/*
 * KCACHE_IOC_SUBSCRIBE - open a change stream on the cache (needs the read right).
 * Returns: a new stream fd (O_CLOEXEC, and O_NONBLOCK with %KCACHE_SUBSCRIBE_NONBLOCK).
 * Errors:
 *  -EINVAL  prefix set with prefix_len 0, unknown format, cutoff not 0 (it is out only),
 *           ring_size below %KCACHE_STREAM_RING_MIN
 *  -E2BIG   prefix_len above %KCACHE_KEY_LEN_MAX
 *  -EDQUOT  the caller's fsuid would hold more than max_stream_bytes_per_uid bytes of
 *           stream rings and undelivered snapshots (module parameter; a snapshot counts
 *           the bytes of the entries it pins), and the caller lacks %CAP_SYS_RESOURCE
 *  -ENOMEM  out of memory (the ring and the snapshot's array are charged to the
 *           caller's memory cgroup, the pinned entries stay the cache's), or the
 *           ring would take the caches past the module's max_total_bytes
 *  -EMFILE  the process has no free fd; -ENFILE, the system has none
 */
#define KCACHE_IOC_SUBSCRIBE	_IO(KCACHE_IOC_MAGIC, 0x20)

/* Record types. */
#define KCACHE_REC_SNAPSHOT	1	/* an entry of the snapshot; @seq is its version */
#define KCACHE_REC_SYNC		2	/* end of a snapshot; @seq is the cutoff */
#define KCACHE_REC_STORE	3	/* a key was stored; @seq is the new version */
#define KCACHE_REC_REMOVE	4	/* a key was removed; @seq numbers the removal */
#define KCACHE_REC_LAGGED	5	/* @aux records were dropped; then EOF or a new snapshot */

/* Causes of STORE and REMOVE records (the cause field). */
#define KCACHE_CAUSE_INSERT_ABI		1	/* STORE of an absent key */
#define KCACHE_CAUSE_REPLACE_ABI	2	/* STORE over a present key (set, cas, add) */
#define KCACHE_CAUSE_DELETE_ABI		3	/* REMOVE by DEL */
#define KCACHE_CAUSE_INVALIDATE_ABI	4	/* REMOVE by INVALIDATE */
#define KCACHE_CAUSE_EVICT_ABI		5	/* REMOVE by the policy over a bound */
#define KCACHE_CAUSE_SHRINK_ABI		6	/* REMOVE under memory pressure */
#define KCACHE_CAUSE_EXPIRE_ABI		7	/* REMOVE of an expired entry */

/* Record flags. */
#define KCACHE_RECF_VALUE	_BITUL(0)	/* the value's bytes follow the key */

/**
 * struct kcache_stream_rec - header of one record read from a stream fd (format V1)
 * @rec_len: bytes of the whole record: header, key, value, zero padding to a multiple
 *	of 8; the next record starts @rec_len bytes after this one
 * @hdr_len: bytes of this header (48 in V1); the key starts @hdr_len bytes after the
 *	record's start. Later formats only append fields
 * @type: ``KCACHE_REC_*``
 * @cause: STORE and REMOVE: ``KCACHE_CAUSE_*_ABI``; else 0
 * @seq: SNAPSHOT, STORE: the entry's version; REMOVE: the removal's sequence number;
 *	SYNC: the cutoff; LAGGED: 0
 * @expires_ns: SNAPSHOT, STORE: the entry's deadline on CLOCK_MONOTONIC in ns, 0 for
 *	none; else 0
 * @aux: STORE with cause REPLACE: the replaced entry's version; REMOVE: the removed
 *	entry's version; LAGGED: the number of records dropped; else 0
 * @key_len: key length (0 for SYNC and LAGGED)
 * @val_len: SNAPSHOT, STORE: the value's length, also when its bytes are not included;
 *	else 0
 * @flags: %KCACHE_RECF_VALUE if @val_len value bytes follow the key. They are left out
 *	with %KCACHE_SUBSCRIBE_KEYS_ONLY and when the record would exceed the ring size
 * @__pad: 0
 */
struct kcache_stream_rec {
	__u32 rec_len;
	__u16 hdr_len;
	__u8 type;
	__u8 cause;
	__u64 seq;
	__u64 expires_ns;
	__u64 aux;
	__u32 key_len;
	__u32 val_len;
	__u32 flags;
	__u32 __pad;
};

#define KCACHE_STREAM_REC_SIZE_VER0	48

#define KCACHE_STREAM_REC_LEN(hdr, klen, vlen) \
	(((__u64)(hdr) + (klen) + (vlen) + 7) & ~(__u64)7)

/* ---------------------------------------------------------------------------------- */
/* Single-flight loading and leases (Documentation/loading.rst)                        */

/*
 * A lease is the right, and the duty, to load one missing (or stale) key and store it. The
 * first lease GET that misses gets a lease and the answer %KCACHE_GET_LOAD; lease GETs of
 * the key that come while the lease is held wait (killable, at most their @wait_ns) and
 * then receive the value the holder stores. The holder completes the lease with a SET
 * carrying %KCACHE_SETF_LEASE and the token, or ends it with %KCACHE_IOC_LEASE_ABORT.
 *
 * A lease belongs to the cache fd (the open file description) whose GET was granted it. It
 * ends without a value when that fd is closed for the last time (also when its process
 * exits or is killed), on ABORT with error 0, when its deadline (@lease_ns) passes, or when
 * the key is deleted or invalidated meanwhile (the value it would store may predate the
 * delete: it is "revoked"). Then one waiting caller is woken and gets the lease (answer
 * %KCACHE_GET_LOAD with a new token); the others keep waiting. A caller that comes later
 * than the deadline of a lease nobody took over takes it over the same way.
 *
 * A SET, CAS, ADD or MSET of the key without a token while a lease is held completes the
 * lease with that value: waiters receive it, and the holder's own completing SET then
 * fails with -ESTALE and stores nothing.
 *
 * Refresh ahead (stale-while-revalidate): a cache with a refresh margin
 * (%KCACHE_IOC_LOAD_CONFIG) gives every entry with a deadline a soft deadline, its deadline
 * minus the margin, at no cost in the entry (the margin is per cache). A lease GET
 * of an entry past its soft deadline (but before its hard one) copies the value out and
 * answers %KCACHE_GET_REFRESH with a refresh lease to the first caller, %KCACHE_GET_STALE to
 * every other until the lease ends; nobody waits. A plain GET sees a plain hit.
 *
 * Tokens are unique per cache and never 0. Leases need an fd opened read-write. One fd
 * holds at most %KCACHE_LEASES_PER_FD_MAX leases at once; a lease past its deadline that
 * nobody waits for ends at the latest when the fd next asks for a lease, and no longer
 * counts then (one a caller waits for is that caller's to take over).
 */

/* GET flag: take or wait for a lease on a miss; answer stale hits (struct kcache_get_args) */
#define KCACHE_GETF_LEASE	_BITUL(0)
/* MGET flag: lease per item, never waiting (struct kcache_mget_args) */
#define KCACHE_MGETF_LEASE	_BITUL(0)
/* SET flag: complete the lease @token (struct kcache_set_args); only with KCACHE_SETF_TTL */
#define KCACHE_SETF_LEASE	_BITUL(4)

/* Answers of a lease GET (@result) and of an MGET item with a lease (@status, >= 0). */
#define KCACHE_GET_HIT		0	/* value copied */
#define KCACHE_GET_LOAD		1	/* miss: the caller holds the lease, nothing copied */
#define KCACHE_GET_STALE	2	/* value copied, stale; another caller refreshes it */
#define KCACHE_GET_REFRESH	3	/* value copied, stale; the caller holds the refresh */

#define KCACHE_LEASE_NS_DEFAULT	(10ULL * 1000000000ULL)	/* a new cache's default lease */
#define KCACHE_LEASE_NS_MAX	(3600ULL * 1000000000ULL)	/* longest lease */
#define KCACHE_LEASES_PER_FD_MAX	4096	/* leases one cache fd may hold at once */

/*
 * KCACHE_GETF_LEASE - GET with a lease. Answers (@result):
 *  %KCACHE_GET_HIT      the value is copied out (also the value a holder stored while this
 *                       caller waited); @version is its version
 *  %KCACHE_GET_LOAD     the key is absent and the caller now holds its lease: @token
 *  %KCACHE_GET_STALE    / %KCACHE_GET_REFRESH: see refresh ahead above
 * Errors, besides those of GET:
 *  -EBADF      the fd is not open read-write
 *  -EINVAL     unknown flags or __pad non-zero; @size below
 *              %KCACHE_GET_ARGS_SIZE_VER1 (no @token to return); wait_ns or lease_ns
 *              non-zero without %KCACHE_GETF_LEASE
 *  -EFAULT     the struct could not be written back, or a stale value not copied out:
 *              a lease granted (%KCACHE_GET_LOAD, %KCACHE_GET_REFRESH) is given on at
 *              once, as by an ABORT with error 0
 *  -E2BIG      lease_ns above %KCACHE_LEASE_NS_MAX
 *  -ETIMEDOUT  another holder loads the key and wait_ns passed (at once if wait_ns is 0)
 *  -EINTR      the caller was killed while it waited
 *  -EMSGSIZE   the buffer is too small for the value: nothing copied, no lease granted,
 *              @val_len is set
 *  -ENOSPC     the call would be granted a lease (a miss, a stale value to refresh, or a
 *              lease taken over while it waited) but the fd holds
 *              %KCACHE_LEASES_PER_FD_MAX: nothing copied, no lease; complete or abort one
 *  any errno   the holder aborted with that error (%KCACHE_IOC_LEASE_ABORT) or an
 *              in-kernel loader failed with it (-EIO for one LEASE_ABORT refuses), while
 *              the caller waited; errors are not cached: the next lease GET may load again.
 *              An in-kernel loader's -EINTR or restart code is its caller's own:
 *              a waiter gets the lease instead (%KCACHE_GET_LOAD)
 *  -ESHUTDOWN  the cache was destroyed, also while the caller waited
 *
 * KCACHE_MGETF_LEASE - MGET with a lease per item. Each missing item whose key nobody
 * holds gets a lease: status %KCACHE_GET_LOAD and its token in @tokens[i]. Items held
 * elsewhere get -EINPROGRESS (MGET never waits: GET them with %KCACHE_GETF_LEASE).
 * Stale items get %KCACHE_GET_STALE or %KCACHE_GET_REFRESH with their value copied; an
 * item whose lease could not be allocated gets -ENOMEM; one that would be granted a lease
 * while the fd holds %KCACHE_LEASES_PER_FD_MAX gets -ENOSPC (nothing copied).
 * Errors, besides those of MGET: -EBADF (not read-write), -EINVAL (tokens or lease_ns set
 * without the flag, tokens 0 with it), -E2BIG (lease_ns above %KCACHE_LEASE_NS_MAX),
 * -EFAULT (tokens not writable). A call that fails after granting leases gives each of
 * them on at once (as an ABORT with error 0): the caller never learns their tokens.
 *
 * KCACHE_SETF_LEASE - SET that completes the lease @token: stores the value and gives it
 * to every waiter. Errors, besides those of SET:
 *  -EBADF   the fd is not open read-write
 *  -EINVAL  flags other than %KCACHE_SETF_TTL with it; token 0; token without the flag
 *  -ESTALE  @token is not a lease this fd holds on this key now: it completed, was
 *           aborted, expired, was handed over or revoked, or belongs to another fd or key.
 *           Nothing is stored.
 */

/**
 * struct kcache_lease_abort_args - argument of %KCACHE_IOC_LEASE_ABORT
 * @size: sizeof(struct kcache_lease_abort_args) as userspace knows it
 * @flags: must be 0
 * @token: the lease to end
 * @error: 0: hand the lease to one waiting caller; a negative errno (-4095..-1): every
 *	caller waiting now fails with it (not cached; a later lease GET loads again)
 * @__pad: must be 0
 */
struct kcache_lease_abort_args {
	__u32 size;
	__u32 flags;
	__u64 token;
	__s32 error;
	__u32 __pad;
};

#define KCACHE_LEASE_ABORT_ARGS_SIZE_VER0	24

/*
 * KCACHE_IOC_LEASE_ABORT - end a lease this fd holds without storing a value.
 * Errors:
 *  -EBADF   the fd is not open read-write
 *  -EINVAL  token 0, error positive or below -4095, or one the waiters could not be
 *           given: the kernel's own codes (-512 to -530), -EINTR, -EMSGSIZE
 *  -ESTALE  @token is not a lease this fd holds now
 *  -ESHUTDOWN the cache was destroyed (its leases ended with it)
 */
#define KCACHE_IOC_LEASE_ABORT	_IO(KCACHE_IOC_MAGIC, 0x21)

/* LOAD_CONFIG flags */
#define KCACHE_LOAD_CONFIG_SET	_BITUL(0)	/* store @refresh_ns and @lease_ns first */

/**
 * struct kcache_load_config_args - argument of %KCACHE_IOC_LOAD_CONFIG
 * @size: sizeof(struct kcache_load_config_args) as userspace knows it
 * @flags: 0 (read) or %KCACHE_LOAD_CONFIG_SET
 * @refresh_ns: in (SET) / out: refresh margin: an entry with a deadline is stale from
 *	deadline - @refresh_ns on (0: no refresh ahead, the default)
 * @lease_ns: in (SET) / out: the lease deadline a lease GET with lease_ns 0 gets,
 *	1..%KCACHE_LEASE_NS_MAX (default %KCACHE_LEASE_NS_DEFAULT)
 */
struct kcache_load_config_args {
	__u32 size;
	__u32 flags;
	__u64 refresh_ns;
	__u64 lease_ns;
};

#define KCACHE_LOAD_CONFIG_ARGS_SIZE_VER0	24

/*
 * KCACHE_IOC_LOAD_CONFIG - read, or set and read, a cache's loading parameters. Setting
 * affects lease GETs made afterwards; entries keep their hard deadline.
 * Errors:
 *  -EBADF   the fd was not opened for reading; SET, not opened for reading and writing
 *  -EINVAL  unknown flags; SET with lease_ns 0
 *  -E2BIG   SET with lease_ns above %KCACHE_LEASE_NS_MAX
 */
#define KCACHE_IOC_LOAD_CONFIG	_IO(KCACHE_IOC_MAGIC, 0x22)

/**
 * struct kcache_load_counters - single-flight counters of a cache
 * @loads_started: leases granted and in-kernel loads begun (handovers and refreshes too)
 * @loads_succeeded: leases completed by their holder's SET, in-kernel loads stored
 * @loads_failed: in-kernel loader errors and ABORTs with an error
 * @waiters_served: waiting callers that received a value or an error from a load
 * @leases_handed_over: leases that ended without a value (fd closed, holder killed,
 *	ABORT with 0, revoked) and went to a waiting caller
 * @leases_expired: leases whose deadline passed
 * @leases_revoked: leases ended by a delete or invalidate of their key
 * @in_flight: loads and leases in progress now
 */
struct kcache_load_counters {
	__u64 loads_started;
	__u64 loads_succeeded;
	__u64 loads_failed;
	__u64 waiters_served;
	__u64 leases_handed_over;
	__u64 leases_expired;
	__u64 leases_revoked;
	__u64 in_flight;
};

/**
 * struct kcache_load_stats_args - argument of %KCACHE_IOC_LOAD_STATS
 * @size: sizeof(struct kcache_load_stats_args) as userspace knows it
 * @flags: must be 0
 * @counters: out: the counters
 */
struct kcache_load_stats_args {
	__u32 size;
	__u32 flags;
	struct kcache_load_counters counters;
};

#define KCACHE_LOAD_STATS_ARGS_SIZE_VER0	72

/*
 * KCACHE_IOC_LOAD_STATS - read the single-flight counters (also of a destroyed cache).
 * Errors: the common ones, and -EBADF (the fd was not opened for reading).
 */
#define KCACHE_IOC_LOAD_STATS	_IO(KCACHE_IOC_MAGIC, 0x23)

#endif /* _UAPI_LINUX_KCACHE_H */
