/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers to read the extensible ioctl structs of uapi/linux/kcache.h: every struct starts
 * with "__u32 size; __u32 flags;" and is read with copy_struct_from_user().
 */
#ifndef _KCACHE_UACCESS_H
#define _KCACHE_UACCESS_H

#include <linux/uaccess.h>

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

#endif /* _KCACHE_UACCESS_H */
