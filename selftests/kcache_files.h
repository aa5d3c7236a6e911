/* SPDX-License-Identifier: GPL-2.0 */
/* Small reads and writes of sysfs, procfs, cgroupfs and tracefs files, for the tests. */
#ifndef _KCACHE_FILES_H
#define _KCACHE_FILES_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Write @s to @path in one write(), as "echo -n s > path" would: 0 or -errno / -EIO. */
static inline int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Read at most @len - 1 bytes of @path into @buf, NUL-terminated: 0 or -errno / -EIO. */
static inline int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = 0;
	return 0;
}

#endif /* _KCACHE_FILES_H */
