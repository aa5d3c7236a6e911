// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl end to end: create, set (argument, file, stdin; binary), get, info, stats,
 * list, dump, load into another cache, flush, destroy, exit codes and messages; JSON
 * output is checked with jq (a real JSON parser, copied into the VM by
 * selftests/vm/guest-bins).
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

static const char *ctl_path(void)
{
	static const char *const cands[] = { "/bin/kcachectl", "../userlib/kcachectl",
					     "./kcachectl" };
	const char *e = getenv("KCACHECTL");
	unsigned int i;

	if (e)
		return e;
	for (i = 0; i < 3; i++)
		if (!access(cands[i], X_OK))
			return cands[i];
	return NULL;
}

static int have_jq(void)
{
	return !access("/usr/bin/jq", X_OK);
}

/* Run a shell command; return its exit status, its stdout in @out (may be NULL). */
static int run(char *out, size_t outlen, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	size_t n = 0;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	if (out) {
		n = fread(out, 1, outlen - 1, f);
		out[n] = 0;
	} else {
		char sink[4096];

		while (fread(sink, 1, sizeof(sink), f) > 0)
			;
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FIXTURE(cli) {
	const char *kc;
	char name[64];
	char name2[64];
	char dir[64];
};

FIXTURE_SETUP(cli)
{
	self->kc = ctl_path();
	if (!self->kc)
		SKIP(return, "kcachectl not found");
	snprintf(self->name, sizeof(self->name), "cli-%d", getpid());
	snprintf(self->name2, sizeof(self->name2), "cli-%d-b", getpid());
	snprintf(self->dir, sizeof(self->dir), "/tmp/kccli-%d", getpid());
	mkdir(self->dir, 0700);
}

FIXTURE_TEARDOWN(cli)
{
	if (!self->kc)
		return;
	run(NULL, 0, "%s destroy %s 2>/dev/null", self->kc, self->name);
	run(NULL, 0, "%s destroy %s 2>/dev/null", self->kc, self->name2);
	run(NULL, 0, "rm -rf %s", self->dir);
}

TEST_F(cli, create_set_get_binary_dump_load)
{
	char out[8192], path[128], path2[128];
	unsigned char bin[256];
	FILE *f;
	int i;

	ASSERT_EQ(0, run(NULL, 0, "%s create -b 1048576 -m 0640 %s", self->kc, self->name));
	ASSERT_EQ(5, run(NULL, 0, "%s create %s 2>/dev/null", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "%s create %s 2>&1", self->kc, self->name) == 5 ?
		     0 : 1);
	/* value from an argument */
	ASSERT_EQ(0, run(NULL, 0, "%s set %s greeting hello", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "%s get %s greeting", self->kc, self->name));
	ASSERT_STREQ("hello", out);
	/* value from a file: all 256 byte values */
	for (i = 0; i < 256; i++)
		bin[i] = i;
	snprintf(path, sizeof(path), "%s/bin", self->dir);
	f = fopen(path, "wb");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(256, fwrite(bin, 1, 256, f));
	fclose(f);
	ASSERT_EQ(0, run(NULL, 0, "%s set %s bin -f %s", self->kc, self->name, path));
	snprintf(path2, sizeof(path2), "%s/bin.out", self->dir);
	ASSERT_EQ(0, run(NULL, 0, "%s get %s bin > %s", self->kc, self->name, path2));
	ASSERT_EQ(0, run(NULL, 0, "cmp %s %s", path, path2));
	/* value from stdin, binary key with -e */
	ASSERT_EQ(0, run(NULL, 0, "%s -e set %s 'k\\x00\\xff' < %s", self->kc, self->name, path));
	ASSERT_EQ(0, run(NULL, 0, "%s -e get %s 'k\\x00\\xff' | cmp - %s", self->kc, self->name,
			 path));
	/* misses and messages */
	ASSERT_EQ(3, run(NULL, 0, "%s get %s nokey 2>/dev/null", self->kc, self->name));
	run(out, sizeof(out), "%s get nosuchcache k 2>&1", self->kc);
	ASSERT_NE(NULL, strstr(out, "cache 'nosuchcache' not found")) TH_LOG("%s", out);
	ASSERT_EQ(3, run(NULL, 0, "%s stats nosuchcache 2>/dev/null", self->kc));
	/* dump, then load into a second cache and compare the dumps */
	snprintf(path, sizeof(path), "%s/dump", self->dir);
	ASSERT_EQ(0, run(NULL, 0, "%s dump %s > %s", self->kc, self->name, path));
	ASSERT_EQ(3, run(out, sizeof(out), "wc -l < %s", path) == 0 ? atoi(out) : -1);
	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name2));
	ASSERT_EQ(0, run(out, sizeof(out), "%s load %s %s", self->kc, self->name2, path));
	ASSERT_STREQ("loaded 3 entries\n", out);
	ASSERT_EQ(0, run(NULL, 0, "%s dump %s | sort > %s.a; %s dump %s | sort > %s.b; "
			 "cmp %s.a %s.b", self->kc, self->name, path, self->kc, self->name2,
			 path, path, path));
	ASSERT_EQ(0, run(NULL, 0, "%s get %s bin | cmp - %s/bin", self->kc, self->name2,
			 self->dir));
	/* flush with a prefix, then all */
	ASSERT_EQ(0, run(out, sizeof(out), "%s flush %s gr", self->kc, self->name2));
	ASSERT_STREQ("removed 1 entries\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s flush %s", self->kc, self->name2));
	ASSERT_STREQ("removed 2 entries\n", out);
	ASSERT_EQ(0, run(NULL, 0, "%s del %s greeting", self->kc, self->name));
	ASSERT_EQ(3, run(NULL, 0, "%s del %s greeting 2>/dev/null", self->kc, self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s destroy %s", self->kc, self->name2));
	ASSERT_EQ(3, run(NULL, 0, "%s destroy %s 2>/dev/null", self->kc, self->name2));
	ASSERT_EQ(2, run(NULL, 0, "%s frobnicate 2>/dev/null", self->kc));
}

TEST_F(cli, json_output_parses)
{
	char out[8192];

	if (!have_jq())
		SKIP(return, "jq not available");
	ASSERT_EQ(0, run(NULL, 0, "%s create -p lru -n 100 %s", self->kc, self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s -e set %s 'q\"\\x01\\xfe' 'v\\\\\\x00'", self->kc,
			 self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s set %s plain text", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j version | /usr/bin/jq -r .abi_version",
			 self->kc));
	ASSERT_STREQ("1\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j info %s | /usr/bin/jq -r '.policy, .max_entries'",
			 self->kc, self->name));
	ASSERT_STREQ("lru\n100\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j stats %s | /usr/bin/jq -r .entries", self->kc,
			 self->name));
	ASSERT_STREQ("2\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j list | /usr/bin/jq -r '.[] | select(.name == \"%s\")"
			 " | .counters.entries'", self->kc, self->name));
	ASSERT_STREQ("2\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j dump %s | /usr/bin/jq -r 'sort_by(.key_hex) | "
			 ".[] | .key_hex + \" \" + .value_hex'", self->kc, self->name));
	ASSERT_STREQ("706c61696e 74657874\n712201fe 765c00\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j get %s plain | /usr/bin/jq -r '.value, .version > 0'",
			 self->kc, self->name));
	ASSERT_STREQ("text\ntrue\n", out);
	/* "v\\\0" as code points: v, backslash, NUL */
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j dump %s | /usr/bin/jq -r 'map(.value) | sort | .[1] | "
			 "explode | map(tostring) | join(\",\")'", self->kc, self->name));
	ASSERT_STREQ("118,92,0\n", out);
}

TEST_F(cli, permission_message_and_exit_code)
{
	char out[1024];
	pid_t pid;
	int st;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, run(NULL, 0, "%s create -m 0600 %s", self->kc, self->name));
	/* run it as an unprivileged user: expect exit code 4 and the message */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct stat dev;
		gid_t g;

		/* in the device's group, as udev/60-kcache.rules arranges for users of kcache */
		if (stat("/dev/kcache", &dev))
			_exit(13);
		g = dev.st_gid;
		if (setgroups(1, &g) || setresgid(1000, 1000, 1000) ||
		    setresuid(1000, 1000, 1000))
			_exit(10);
		/* the guest's root directory may not be searchable by other users */
		if (access(self->kc, X_OK) || access("/bin/sh", X_OK))
			_exit(77);
		st = run(out, sizeof(out), "%s get %s k 2>&1", self->kc, self->name);
		if (st != 4) {
			fprintf(stderr, "# exit %d: %s\n", st, out);
			_exit(11);
		}
		_exit(strstr(out, "permission denied") ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		SKIP(return, "kcachectl not executable by uid 1000 (initramfs root mode?)");
	ASSERT_EQ(0, WEXITSTATUS(st));
}

TEST_HARNESS_MAIN
