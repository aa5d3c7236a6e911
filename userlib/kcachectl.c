// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl - command-line front end of libkcache.
 * Exit codes: 0 success, 1 operation failed, 2 usage error.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kcache.h"

static int json;

static int usage(void)
{
	fprintf(stderr, "usage: kcachectl [-j] version\n");
	return 2;
}

static int cmd_version(int ctl)
{
	struct kcache_version v;
	int ret = kcache_version(ctl, &v);

	if (ret) {
		fprintf(stderr, "kcachectl: version: %s\n", strerror(-ret));
		return 1;
	}
	if (json)
		printf("{\"abi_version\":%u,\"features\":%llu}\n", v.abi_version,
		       (unsigned long long)v.features);
	else
		printf("kcache ABI version %u, features 0x%llx\n", v.abi_version,
		       (unsigned long long)v.features);
	return 0;
}

int main(int argc, char **argv)
{
	int opt, ctl, ret;

	while ((opt = getopt(argc, argv, "j")) != -1) {
		if (opt == 'j')
			json = 1;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	ctl = kcache_ctl_open();
	if (ctl < 0) {
		fprintf(stderr, "kcachectl: cannot open /dev/%s: %s (is kcache.ko loaded?)\n",
			KCACHE_DEVICE_NAME, strerror(-ctl));
		return 1;
	}
	if (!strcmp(argv[optind], "version"))
		ret = cmd_version(ctl);
	else
		ret = usage();
	close(ctl);
	return ret;
}
