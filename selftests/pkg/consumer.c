// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest program a libkcache user writes, built by install_test.sh with nothing but
 * `pkg-config --cflags --libs libkcache` against a DESTDIR install. It uses both installed
 * headers (kcache.h and the <linux/kcache.h> it includes) and a library call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <kcache.h>

int main(void)
{
	struct kcache_version v;
	int fd, ret;

	fd = kcache_ctl_open();
	if (fd < 0) {
		/* the build host has no kcache.ko loaded: the library still answered -errno */
		printf("kcache_ctl_open: %s\n", strerror(-fd));
		return fd == -ENOENT || fd == -EACCES || fd == -ENODEV ? 0 : 1;
	}
	ret = kcache_version(fd, &v);
	close(fd);
	if (ret) {
		printf("kcache_version: %s\n", strerror(-ret));
		return 1;
	}
	printf("kcache ABI %u (built against %u)\n", v.abi_version, KCACHE_ABI_VERSION);
	return v.abi_version >= KCACHE_ABI_VERSION ? 0 : 1;
}
