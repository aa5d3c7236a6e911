// SPDX-License-Identifier: GPL-2.0
/*
 * kcache change streams, the file side: %KCACHE_IOC_SUBSCRIBE on a cache fd, and the
 * stream fd it returns (read(), poll(), close()). Each call checks and copies its
 * arguments and goes through the functions of kcache_stream.c and kcache_stream_ring.c;
 * the subscriber, its ring and its locks are theirs alone.
 *
 * Locks: none of its own. The stream fd owns its subscription and its quota charge (the
 * ring's bytes, to the subscriber's fsuid; kcache_quota.c): its release ends both. The
 * subscription charges the same fsuid for each snapshot until it is delivered.
 */

#include <linux/anon_inodes.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kcache_cache.h"
#include "kcache_quota.h"
#include "kcache_stream.h"
#include "kcache_uaccess.h"

/**
 * struct kc_stream_file - what a stream fd owns
 * @s: the subscription
 * @qc: its ring's quota charge
 */
struct kc_stream_file {
	struct kcache_stream *s;
	struct kcache_quota_charge *qc;
};

static ssize_t kc_stream_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kc_stream_file *sf = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_flags & IOCB_NOWAIT) || (iocb->ki_filp->f_flags & O_NONBLOCK);

	return kcache_stream_read_iter(sf->s, to, nonblock);
}

static __poll_t kc_stream_poll(struct file *file, poll_table *pt)
{
	struct kc_stream_file *sf = file->private_data;

	return kcache_stream_poll(sf->s, file, pt);
}

static int kc_stream_release(struct inode *inode, struct file *file)
{
	struct kc_stream_file *sf = file->private_data;

	kcache_unsubscribe_async(sf->s);
	kcache_quota_cancel(sf->qc);
	kfree(sf);
	return 0;
}

static const struct file_operations kcache_stream_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= kc_stream_read_iter,
	.poll		= kc_stream_poll,
	.release	= kc_stream_release,
	.llseek		= noop_llseek,
};

/**
 * kcache_streams_subscribe_ioctl() - %KCACHE_IOC_SUBSCRIBE on a cache fd
 * @c: the fd's cache (the caller checked the fd's read right)
 * @uarg: user pointer to &struct kcache_subscribe_args
 *
 * Return: a new stream fd or a negative errno (uapi/linux/kcache.h).
 */
long kcache_streams_subscribe_ioctl(struct kcache *c, void __user *uarg)
{
	struct kcache_subscribe_args a;
	struct kcache_stream_opts o = { };
	struct kc_stream_file *sf;
	struct kcache_stream *s;
	struct file *f;
	u8 kbuf[64];
	void *prefix = NULL;
	int ret, fd;

	ret = kcache_copy_struct_in(&a, sizeof(a), KCACHE_SUBSCRIBE_ARGS_SIZE_VER0, uarg);
	if (ret)
		return ret;
	if (a.flags & ~KCACHE_SUBSCRIBE_FLAGS || a.__pad || a.cutoff)
		return -EINVAL;
	if (a.format != KCACHE_STREAM_FORMAT_V1 || (a.prefix && !a.prefix_len))
		return -EINVAL;
	if (a.prefix_len > KCACHE_KEY_LEN_MAX)
		return -E2BIG;
	if (a.ring_size && a.ring_size < KCACHE_STREAM_RING_MIN)
		return -EINVAL;
	if (a.prefix_len) {
		prefix = a.prefix_len <= sizeof(kbuf) ? kbuf :
			 kvmalloc(a.prefix_len, GFP_KERNEL_ACCOUNT);
		if (!prefix)
			return -ENOMEM;
		if (copy_from_user(prefix, u64_to_user_ptr(a.prefix), a.prefix_len)) {
			ret = -EFAULT;
			goto out;
		}
	}
	o.prefix = prefix;
	o.prefix_len = a.prefix_len;
	o.flags = a.flags;
	o.ring_size = a.ring_size;
	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf) {
		ret = -ENOMEM;
		goto out;
	}
	/* the quota before the ring and the snapshot: over it, nothing is allocated */
	sf->qc = kcache_quota_charge_stream(current_fsuid(),
					    kcache_stream_ring_bytes(a.ring_size));
	if (IS_ERR(sf->qc)) {
		ret = PTR_ERR(sf->qc);
		goto out_sf;
	}
	s = kcache_subscribe_charged(c, &o, &a.cutoff);
	if (IS_ERR(s)) {
		ret = PTR_ERR(s);
		goto out_charge;
	}
	sf->s = s;
	a.ring_size = kcache_stream_ring_size(s);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		ret = fd;
		goto out_unsub;
	}
	/* no fd is installed before the results are out: nothing to undo in userspace */
	ret = kcache_copy_struct_out(uarg, &a, sizeof(a));
	if (ret)
		goto out_fd;
	f = anon_inode_getfile("[kcache-stream]", &kcache_stream_fops, sf,
			       O_RDONLY | ((a.flags & KCACHE_SUBSCRIBE_NONBLOCK) ? O_NONBLOCK : 0));
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto out_fd;
	}
	/* the file owns @sf from here; its release ends the subscription */
	fd_install(fd, f);
	ret = fd;
	goto out;

out_fd:
	put_unused_fd(fd);
out_unsub:
	kcache_unsubscribe(s);
out_charge:
	kcache_quota_cancel(sf->qc);
out_sf:
	kfree(sf);
out:
	if (prefix != kbuf)
		kvfree(prefix);
	return ret;
}
