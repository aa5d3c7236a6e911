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

/**
 * kcache_copy_struct_in() - read an extensible ioctl argument
 * @dst: kernel copy, @ksize bytes
 * @ksize: size of the struct this module knows
 * @minsize: first published size of the struct
 * @uarg: user pointer to the struct
 *
 * Return: 0, -EFAULT on a bad pointer, -EINVAL if the size is below @minsize, -E2BIG if
 * it is above PAGE_SIZE or has non-zero bytes beyond @ksize.
 */
static inline int kcache_copy_struct_in(void *dst, size_t ksize, size_t minsize,
					const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < minsize)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(dst, ksize, uarg, usize);
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

	return copy_to_user(uarg, src, min_t(size_t, usize, ksize)) ? -EFAULT : 0;
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
 * Return: 0 if it holds 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-], a NUL, and only zeros
 * after it; else -EINVAL.
 */
static inline int kcache_name_field_check(const char *name)
{
	size_t i, len = strnlen(name, KCACHE_NAME_BUF);

	if (!len || len > KCACHE_NAME_MAX ||
	    memchr_inv(name + len, 0, KCACHE_NAME_BUF - len))
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
	if (copy_from_user(p, u64_to_user_ptr(uptr), len)) {
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
