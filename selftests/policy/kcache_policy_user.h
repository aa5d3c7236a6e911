/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's types, lists and allocators for the policy (kmod/kcache_policy.c,
 * kcache_sketch.c, kcache_shadow.c) to build unchanged in userspace (trace replay,
 * benchmarks, generating the KUnit cross-check value).
 */
#ifndef _KCACHE_POLICY_USER_H
#define _KCACHE_POLICY_USER_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX

/* Same values as enum kcache_policy_kind in kmod/kcache.h. */
enum kcache_policy_kind {
	KCACHE_POLICY_TINYLFU = 0,
	KCACHE_POLICY_LRU = 1,
	KCACHE_POLICY_NR,
};

#define GFP_KERNEL_ACCOUNT	0
#define EXPORT_SYMBOL_IF_KCACHE_TESTS(sym)
#define BIT(n)			(1UL << (n))
#define kvcalloc(n, size, gfp)	calloc((n), (size))
#define kvfree(ptr)		free(ptr)

#define __ffs(x)		((unsigned long)__builtin_ctzl(x))
#define hweight64(x)		((unsigned int)__builtin_popcountll(x))
#define ilog2(x)		(63 - __builtin_clzll((u64)(x)))
#define order_base_2(x)		((x) <= 1 ? 0 : ilog2((u64)(x) - 1) + 1)
#define div64_u64(a, b)		((u64)(a) / (u64)(b))

static inline u64 div_u64_rem(u64 dividend, u32 divisor, u32 *remainder)
{
	*remainder = dividend % divisor;
	return dividend / divisor;
}

#define cond_resched()		do { } while (0)

#define likely(x)		__builtin_expect(!!(x), 1)
#define unlikely(x)		__builtin_expect(!!(x), 0)

#define min(a, b)		((a) < (b) ? (a) : (b))
#define max(a, b)		((a) > (b) ? (a) : (b))
#define min_t(t, a, b)		((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)		((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define clamp_t(t, v, lo, hi)	min_t(t, max_t(t, v, lo), hi)

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}

static inline void __list_add(struct list_head *new, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = new;
	new->next = next;
	new->prev = prev;
	prev->next = new;
}

static inline void list_add_tail(struct list_head *new, struct list_head *head)
{
	__list_add(new, head->prev, head);
}

static inline void list_del_init(struct list_head *entry)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	INIT_LIST_HEAD(entry);
}

static inline void list_move_tail(struct list_head *entry, struct list_head *head)
{
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	list_add_tail(entry, head);
}

static inline void list_replace_init(struct list_head *old, struct list_head *new)
{
	new->next = old->next;
	new->next->prev = new;
	new->prev = old->prev;
	new->prev->next = new;
	INIT_LIST_HEAD(old);
}

static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_first_entry_or_null(head, type, member) \
	(list_empty(head) ? NULL : list_entry((head)->next, type, member))

#endif /* _KCACHE_POLICY_USER_H */
