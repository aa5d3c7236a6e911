// SPDX-License-Identifier: GPL-2.0
/*
 * GET through pages that a cache fd shares with its mappings (GET_PAGE and mmap() in
 * uapi/linux/kcache.h). The first mmap() of an fd allocates its pages, with the mm that
 * mapped them, and publishes them once with a release store into the fd's pointer.
 * Mappings fault them in (kc_get_page_fault(), as KVM's vCPU page) and pin the file, so
 * the pages are freed with the fd after its last mapping is gone; a page reference that
 * get_user_pages() took keeps its page beyond that. Only the mm that mapped them first
 * may map or use them: fork() does not copy the mapping, and a process the fd is passed
 * to cannot read this one's keys. Their contents are the process's and may change at any
 * time: the kernel reads the key length once and copies the key before using it.
 *
 * Locking: none of its own. The fd's pointer is set once (cmpxchg_release()) and read
 * with acquire; a fault comes after the mmap() that made its mapping, ordered by the mmap
 * lock. Contexts: process context; GET_PAGE copies the value under RCU (kcache_get()).
 */

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "kcache.h"
#include "kcache_compat.h"
#include "kcache_entry.h"
#include "kcache_fd.h"
#include "kcache_uaccess.h"

/* keys up to this many bytes are copied to the stack, longer ones to kmalloc() */
#define KC_PAGE_STACK_KEY	64

/**
 * struct kcache_fd_pages - the pages a cache fd shares with its mappings
 * @mm: the mm that mapped them first, the only one that may map or use them (mmgrab()ed)
 * @nr: number of pages, 1..%KCACHE_GET_PAGES_MAX
 * @page: the pages, each a &struct kcache_get_page
 */
struct kcache_fd_pages {
	struct mm_struct *mm;
	unsigned int nr;
	struct page *page[];
};

/* room for the key, then the value, in one page */
#define KC_GET_PAGE_DATA	(PAGE_SIZE - sizeof(struct kcache_get_page))

static void kc_get_page_build_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct kcache_get_page) != 16);
}

/**
 * kcache_get_page_ioctl() - GET_PAGE: the key from a page, the value into it
 * @c: the fd's cache
 * @pages: the fd's pages pointer
 * @idx: the page number, the ioctl's argument
 *
 * Nothing crosses the user boundary: the page is the kernel's, mapped into the process
 * too. The caller checked the fd's read right.
 *
 * Return: as kcache_get(); -ENXIO never mapped; -EPERM another mm's pages; -EINVAL @idx
 * or key length 0; -E2BIG key longer than %KCACHE_KEY_LEN_MAX or the page; -ENOMEM.
 */
int kcache_get_page_ioctl(struct kcache *c, struct kcache_fd_pages **pages, unsigned long idx)
{
	/* pairs with the release store of the first mmap() */
	struct kcache_fd_pages *gp = smp_load_acquire(pages);
	u8 kbuf[KC_PAGE_STACK_KEY] __kc_filled;
	struct kcache_get_page *p;
	u32 klen, vlen = KC_GET_PAGE_DATA;
	void *key = kbuf;
	u64 version;
	int ret;

	kc_get_page_build_check_abi();
	if (!gp)
		return -ENXIO;
	if (gp->mm != current->mm)
		return -EPERM;
	if (idx >= gp->nr)
		return -EINVAL;
	/* the caller's number indexes an array of pointers it then reads through */
	p = page_address(gp->page[array_index_nospec(idx, gp->nr)]);
	/* once: the process may change it under us */
	klen = READ_ONCE(p->key_len);
	ret = kcache_key_len_check(klen);
	if (ret)
		return ret;
	if (klen > KC_GET_PAGE_DATA)
		return -E2BIG;
	if (klen > sizeof(kbuf)) {
		key = kmalloc(klen, GFP_KERNEL);
		if (!key)
			return -ENOMEM;
	}
	/* word moves inline: memcpy() is a string copy, an iteration a block under TCG */
	kcache_copy_bytes(key, p->data, klen);
	ret = kcache_get(c, key, klen, p->data, &vlen, &version);
	if (!ret || ret == -EMSGSIZE)
		WRITE_ONCE(p->val_len, vlen);
	if (!ret)
		WRITE_ONCE(p->version, version);
	if (key != kbuf)
		kfree(key);
	return ret;
}

/**
 * kcache_get_pages_free() - free an fd's pages
 * @gp: the pages, or NULL
 *
 * At the fd's release: no mapping is left (each pins the file). A page that
 * get_user_pages() holds stays until it is put.
 */
void kcache_get_pages_free(struct kcache_fd_pages *gp)
{
	unsigned int i;

	if (!gp)
		return;
	for (i = 0; i < gp->nr; i++)
		if (gp->page[i])
			__free_page(gp->page[i]);
	mmdrop(gp->mm);
	kfree(gp);
}

/* The fd's pages, allocated by the first call: as many as @nr. */
static struct kcache_fd_pages *kc_get_pages(struct kcache_fd_pages **pages, unsigned int nr)
{
	/* pairs with the cmpxchg_release() below, as in kcache_get_page_ioctl() */
	struct kcache_fd_pages *gp = smp_load_acquire(pages), *old;
	unsigned int i;

	if (gp)
		return gp;
	gp = kzalloc(struct_size(gp, page, nr), GFP_KERNEL_ACCOUNT);
	if (!gp)
		return ERR_PTR(-ENOMEM);
	mmgrab(current->mm);
	gp->mm = current->mm;
	gp->nr = nr;
	for (i = 0; i < nr; i++) {
		gp->page[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!gp->page[i]) {
			kcache_get_pages_free(gp);
			return ERR_PTR(-ENOMEM);
		}
	}
	/* two first mmap()s at once: one set of pages wins, the other is freed */
	old = cmpxchg_release(pages, NULL, gp);
	if (old) {
		kcache_get_pages_free(gp);
		/* the winner's, read as kcache_get_page_ioctl() reads them */
		gp = smp_load_acquire(pages);
	}
	return gp;
}

/*
 * A page of a mapping, on first touch and again after MADV_DONTNEED. Only in the mm that
 * owns the pages: MADV_DOFORK takes VM_DONTCOPY off, and a child's copy of the mapping
 * must not reach its parent's keys and values.
 */
static vm_fault_t kc_get_page_fault(struct vm_fault *vmf)
{
	struct kcache_fd_pages **pages = vmf->vma->vm_private_data;
	/* stored before mmap() made the mapping visible to any fault */
	struct kcache_fd_pages *gp = READ_ONCE(*pages);

	if (!gp || vmf->pgoff >= gp->nr || vmf->vma->vm_mm != gp->mm)
		return VM_FAULT_SIGBUS;
	vmf->page = gp->page[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

/*
 * Not an anonymous mapping (that is what no vm_ops means): userfaultfd, MADV_DONTNEED and
 * mremap() treat it as the file mapping it is.
 */
static const struct vm_operations_struct kc_get_page_vm_ops = {
	.fault = kc_get_page_fault,
};

/**
 * kcache_get_pages_mmap() - mmap() of a cache fd: its pages of GET_PAGE
 * @pages: the fd's pages pointer (set by the first call); lives as long as the fd
 * @access: the fd's rights
 * @vma: the new mapping
 *
 * Return: 0; -EBADF without read right; -EINVAL not MAP_SHARED, an offset, 0 or more than
 * %KCACHE_GET_PAGES_MAX pages, or more than the fd's; -EPERM executable, or another mm's
 * pages; -ENOMEM.
 */
int kcache_get_pages_mmap(struct kcache_fd_pages **pages, u32 access,
			  struct vm_area_struct *vma)
{
	unsigned long nr = vma_pages(vma);
	struct kcache_fd_pages *gp;

	if (!(access & KCACHE_OPEN_READ))
		return -EBADF;
	if (!(vma->vm_flags & VM_SHARED) || vma->vm_pgoff || !nr || nr > KCACHE_GET_PAGES_MAX)
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	gp = kc_get_pages(pages, nr);
	if (IS_ERR(gp))
		return PTR_ERR(gp);
	if (gp->mm != current->mm)
		return -EPERM;
	if (nr > gp->nr)
		return -EINVAL;
	/*
	 * No mremap() growth, no core dumps of them, never executable, and not in a child
	 * after fork(): its calls would go to the same pages as its parent's.
	 */
	kcache_vm_flags_mod(vma, VM_DONTEXPAND | VM_DONTDUMP | VM_DONTCOPY, VM_MAYEXEC);
	vma->vm_ops = &kc_get_page_vm_ops;
	vma->vm_private_data = pages;
	return 0;
}
