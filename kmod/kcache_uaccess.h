/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copy and check helpers shared by the control device (kcache_ctl.c) and the cache fd
 * (kcache_fd.c): the extensible ioctl structs of uapi/linux/kcache.h (every one starts
 * with "__u32 size; __u32 flags;" and is read with copy_struct_from_user()), the name
 * field, key lengths and user buffers. They only copy and check; none takes a lock.
 */
#ifndef _KCACHE_UACCESS_H
#define _KCACHE_UACCESS_H

#include <linux/err.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kcache.h"

/*
 * The argument struct and key buffer of the data path's ioctls live on the stack and are
 * filled before any byte of them is read or written back: kcache_copy_struct_in() writes
 * the whole struct or fails, and only the key bytes copied in are read. Automatic stack
 * initialization (CONFIG_INIT_STACK_ALL_ZERO) would add a string store of them to every
 * call, a tenth of a GET under an emulator; this opts them out.
 */
#if __has_attribute(__uninitialized__)
#define __kc_filled	__attribute__((__uninitialized__))
#else
#define __kc_filled
#endif

/**
 * kcache_copy_struct_in() - read an extensible ioctl argument
 * @dst: kernel copy, @ksize bytes
 * @ksize: size of the struct this module knows
 * @minsize: first published size of the struct
 * @uarg: user pointer to the struct
 *
 * The size field of @dst is the size read and checked, whatever a second read of it in
 * copying the struct found.
 *
 * Return: 0, -EFAULT on a bad pointer, -EINVAL if the size is below @minsize, -E2BIG if
 * it is above PAGE_SIZE or has non-zero bytes beyond @ksize.
 */
static __always_inline int kcache_copy_struct_in(void *dst, size_t ksize, size_t minsize,
						 const void __user *uarg)
{
	const u64 __user *src = uarg;
	u64 *d = dst;
	u32 usize;
	size_t i;
	int ret;

	BUILD_BUG_ON(ksize % sizeof(u64));
	/*
	 * The common case, the caller's struct being this module's: the size and the struct as
	 * word loads in one user-access window, where get_user() and copy_from_user() would
	 * be a call each and a string copy whose start-up costs more than these few words.
	 */
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS) &&
	    !IS_ALIGNED((unsigned long)uarg, sizeof(u64))) {
		if (get_user(usize, (const u32 __user *)uarg))
			return -EFAULT;
	} else {
		if (!user_read_access_begin(uarg, sizeof(usize)))
			return -EFAULT;
		unsafe_get_user(usize, (const u32 __user *)uarg, efault);
		if (usize == ksize && access_ok(src, ksize)) {
			for (i = 0; i < ksize / sizeof(u64); i++)
				unsafe_get_user(d[i], &src[i], efault);
			user_read_access_end();
			*(u32 *)dst = usize;	/* as below */
			return 0;
		}
		user_read_access_end();
	}
	if (usize < minsize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	ret = copy_struct_from_user(dst, ksize, uarg, usize);
	if (ret)
		return ret;
	/*
	 * The size checked above, not the copy's second read of it: another thread of the
	 * caller may have changed it since, and kcache_copy_struct_out() writes back as many
	 * bytes as it says.
	 */
	*(u32 *)dst = usize;
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * copy_to_user() as word stores in one user-access window: ioctl structs written back and
 * a batch's item array, where the string copy's start-up costs more than the copy.
 */
static inline int kcache_words_out(void __user *dst, const void *src, size_t len)
{
	if (!user_write_access_begin(dst, len))
		return -EFAULT;
	unsafe_copy_to_user(dst, src, len, efault);
	user_write_access_end();
	return 0;
efault:
	user_write_access_end();
	return -EFAULT;
}

/**
 * kcache_copy_struct_out() - write back an extensible ioctl argument
 * @uarg: user pointer to the struct
 * @src: kernel copy; its size field holds the caller's size
 * @ksize: size of the struct this module knows
 *
 * Copies min(caller's size, @ksize) bytes; the caller's size field is left as it was.
 *
 * Return: 0 or -EFAULT.
 */
static inline int kcache_copy_struct_out(void __user *uarg, const void *src, size_t ksize)
{
	u32 usize = *(const u32 *)src;

	return kcache_words_out(uarg, src, min_t(size_t, usize, ksize));
}

/* A name byte: ASCII letters and digits, '.', '_', '-'; never isalnum() (Latin-1). */
static inline bool kcache_name_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

/**
 * kcache_name_field_check() - check the name field of an ioctl struct
 * @name: %KCACHE_NAME_BUF bytes
 *
 * Return: 0 if it holds 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-], not "." or "..",
 * a NUL, and only zeros after it; else -EINVAL.
 */
static inline int kcache_name_field_check(const char *name)
{
	size_t i, len = strnlen(name, KCACHE_NAME_BUF);

	if (!len || len > KCACHE_NAME_MAX ||
	    memchr_inv(name + len, 0, KCACHE_NAME_BUF - len))
		return -EINVAL;
	/* as kcache_name_valid(): the names no statistics file can have */
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!kcache_name_char_ok(name[i]))
			return -EINVAL;
	return 0;
}

/**
 * kcache_key_len_check() - check a key, prefix or item key length
 * @len: the length
 *
 * Return: 0 for 1..%KCACHE_KEY_LEN_MAX, -EINVAL for 0, -E2BIG above.
 */
static inline int kcache_key_len_check(u32 len)
{
	if (!len)
		return -EINVAL;
	if (len > KCACHE_KEY_LEN_MAX)
		return -E2BIG;
	return 0;
}

/* bytes up to which kcache_bytes_in() copies word by word */
#define KCACHE_BYTES_IN_WORDS	256
/* bytes up to which a batch's item array and key block move word by word */
#define KCACHE_BATCH_WORDS	(KCACHE_BATCH_MAX * KCACHE_BATCH_ITEM_SIZE)

/*
 * kc_unsafe_words_in() - copy @len bytes from userspace as word loads, inside a user-access
 * window the caller opened for them, on an architecture with efficient unaligned access.
 * A length that is not a multiple of 8 takes its last word again, overlapping the word
 * before it (under 8 bytes: two 4-byte halves, under 4 bytes one at a time): no byte loop
 * for any key of 4 bytes or more. Inline moves: no FORTIFY_SOURCE call with user access
 * on. Returns false if a load faulted.
 */
static __always_inline bool kc_unsafe_words_in(void *dst, const void __user *src, size_t len)
{
	const u8 __user *s = src;
	u8 *d = dst;
	size_t i;
	u64 w;
	u32 h;

	if (len >= sizeof(w)) {
		for (i = 0; i + sizeof(w) < len; i += sizeof(w)) {
			unsafe_get_user(w, (const u64 __user *)(s + i), efault);
			__builtin_memcpy(d + i, &w, sizeof(w));
		}
		i = len - sizeof(w);
		unsafe_get_user(w, (const u64 __user *)(s + i), efault);
		__builtin_memcpy(d + i, &w, sizeof(w));
	} else if (len >= sizeof(h)) {
		unsafe_get_user(h, (const u32 __user *)s, efault);
		__builtin_memcpy(d, &h, sizeof(h));
		i = len - sizeof(h);
		unsafe_get_user(h, (const u32 __user *)(s + i), efault);
		__builtin_memcpy(d + i, &h, sizeof(h));
	} else {
		for (i = 0; i < len; i++)
			unsafe_get_user(d[i], s + i, efault);
	}
	return true;
efault:
	return false;
}

/*
 * copy_from_user() as word loads in one user-access window: for the keys and small values
 * of every GET and SET, and a batch's item array and keys, where the string copy's start-up
 * (and, under an emulator, its byte-by-byte execution) costs more than the copy. Returns 0
 * or -EFAULT.
 */
static inline int kcache_words_in(void *dst, const void __user *src, size_t len)
{
	if (!IS_ENABLED(CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS))
		return copy_from_user(dst, src, len) ? -EFAULT : 0;
	if (!user_read_access_begin(src, len))
		return -EFAULT;
	if (!kc_unsafe_words_in(dst, src, len)) {
		user_read_access_end();
		return -EFAULT;
	}
	user_read_access_end();
	return 0;
}

/* kcache_words_in() up to %KCACHE_BYTES_IN_WORDS bytes, copy_from_user() beyond */
static inline int kcache_bytes_in(void *dst, const void __user *src, size_t len)
{
	if (len > KCACHE_BYTES_IN_WORDS)
		return copy_from_user(dst, src, len) ? -EFAULT : 0;
	return kcache_words_in(dst, src, len);
}

/**
 * kcache_buf_in() - copy a user buffer in
 * @stack: a caller's buffer of @stack_len bytes, used if @len fits
 * @stack_len: its size
 * @uptr: user pointer
 * @len: bytes to copy, bounded by the caller
 *
 * Return: @stack or a kvmalloc()ed copy (free it with kcache_buf_free()), or
 * ERR_PTR(-ENOMEM) or ERR_PTR(-EFAULT).
 */
static inline void *kcache_buf_in(void *stack, size_t stack_len, u64 uptr, size_t len)
{
	void *p = stack;

	if (len > stack_len) {
		p = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!p)
			return ERR_PTR(-ENOMEM);
	}
	if (kcache_bytes_in(p, u64_to_user_ptr(uptr), len)) {
		if (p != stack)
			kvfree(p);
		return ERR_PTR(-EFAULT);
	}
	return p;
}

/* Free what kcache_buf_in() returned. */
static inline void kcache_buf_free(void *p, void *stack)
{
	if (p != stack)
		kvfree(p);
}

#endif /* _KCACHE_UACCESS_H */
