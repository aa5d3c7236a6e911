// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl end to end: create, set (argument, file, stdin; binary), get, info, stats,
 * list, dump, load into another cache, flush, destroy, exit codes and messages; JSON
 * output is checked with jq (a real JSON parser, copied into the VM by
 * selftests/vm/guest-bins); a table of bad arguments, each of which must end in its exit
 * code and message, never in a crash; --help of every command; stats -w; watch and fetch;
 * the commands of "kcachectl help" in the bash completion and kcachectl(8), where found.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "kcache.h"

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
	ASSERT_EQ(0, run(NULL, 0, "%s create -p lru -c 100 %s", self->kc, self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s -e set %s 'q\"\\x01\\xfe' 'v\\\\\\x00'", self->kc,
			 self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s set %s plain text", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j version | /usr/bin/jq -r .abi_version",
			 self->kc));
	ASSERT_STREQ("1\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j version | /usr/bin/jq -r .kcachectl", self->kc));
	ASSERT_EQ(0, run(out + 2048, 2048, "%s --version | sed 's/^kcachectl //'", self->kc));
	ASSERT_STREQ(out + 2048, out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j info %s | /usr/bin/jq -r '.policy, .max_entries'",
			 self->kc, self->name));
	ASSERT_STREQ("lru\n100\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j stats %s | /usr/bin/jq -r .entries", self->kc,
			 self->name));
	ASSERT_STREQ("2\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j list | /usr/bin/jq -r '.[] | select(.name == \"%s\")"
			 " | .counters.entries'", self->kc, self->name));
	ASSERT_STREQ("2\n", out);
	/* not UTF-8 (0xfe): base64 with its encoding; UTF-8: passed through */
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j dump %s | /usr/bin/jq -r 'sort_by(.key) | "
			 ".[] | .key + \" \" + .key_encoding + \" \" + .value_encoding'",
			 self->kc, self->name));
	ASSERT_STREQ("cSIB/g== base64 utf-8\nplain utf-8 utf-8\n", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j get %s plain | /usr/bin/jq -r '.value, .version > 0'",
			 self->kc, self->name));
	ASSERT_STREQ("text\ntrue\n", out);
	/* "v\\\0" as code points: v, backslash, NUL */
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j dump %s | /usr/bin/jq -r 'map(.value) | sort | .[1] | "
			 "explode | map(tostring) | join(\",\")'", self->kc, self->name));
	ASSERT_STREQ("118,92,0\n", out);
	/* the members kcachectl(8) lists, in its order: scripts rely on them */
	ASSERT_EQ(0, run(out, sizeof(out), "%1$s -j version | /usr/bin/jq -c keys_unsorted;"
			 " %1$s -j info %2$s | /usr/bin/jq -c keys_unsorted;"
			 " %1$s -j list | /usr/bin/jq -c '.[0] | keys_unsorted';"
			 " %1$s -j stats %2$s | /usr/bin/jq -c 'del(.loads) | keys_unsorted';"
			 " %1$s -j set %2$s k v | /usr/bin/jq -c keys_unsorted;"
			 " %1$s -j flush %2$s k | /usr/bin/jq -c keys_unsorted",
			 self->kc, self->name));
	ASSERT_STREQ("[\"kcachectl\",\"abi_version\",\"features\"]\n"
		     "[\"name\",\"policy\",\"max_entries\",\"max_bytes\",\"default_ttl_ns\",\"uid\","
		     "\"gid\",\"mode\"]\n"
		     "[\"name\",\"uid\",\"gid\",\"mode\",\"policy\",\"default_ttl_ns\",\"counters\"]\n"
		     "[\"hits\",\"misses\",\"sets\",\"deletes\",\"evictions_size\","
		     "\"evictions_shrink\",\"expirations\",\"entries\",\"bytes\",\"max_entries\","
		     "\"max_bytes\",\"spare_bytes\"]\n"
		     "[\"version\"]\n"
		     "[\"removed\"]\n", out);
}

/*
 * JSON for keys and values of every kind: valid UTF-8 (multi-byte, controls) passes
 * through; overlongs, surrogates, stray continuation bytes, truncated sequences and bytes
 * past U+10FFFF go out as base64. jq must parse every output and give the bytes back.
 */
TEST_F(cli, json_any_bytes)
{
	static const struct {
		const char *key;	/* raw bytes */
		const char *encoding;
		const char *base64;	/* .key when base64; else .key is the key itself */
	} cases[] = {
		{ "plain", "utf-8", NULL },
		{ "\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", "utf-8", NULL },	/* Cyrillic */
		{ "\xf0\x9f\x94\x91", "utf-8", NULL },			/* U+1F511 */
		{ "tab\there\x01", "utf-8", NULL },				/* controls */
		{ "q\"\\", "utf-8", NULL },
		{ "\xc0\x80", "base64", "wIA=" },			/* overlong NUL */
		{ "\xed\xa0\x80", "base64", "7aCA" },			/* surrogate */
		{ "a\x80", "base64", "YYA=" },				/* stray continuation */
		{ "\xe2\x82", "base64", "4oI=" },			/* truncated */
		{ "\xf4\x90\x80\x80", "base64", "9JCAgA==" },		/* U+110000 */
		{ "\xff", "base64", "/w==" },
	};
	char out[1024], want[256], esc[64];
	const char *exp;
	unsigned int i, k;

	if (!have_jq())
		SKIP(return, "jq not available");
	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* every byte as \xHH, so that the shell passes it untouched */
		for (k = 0; cases[i].key[k]; k++)
			sprintf(esc + 4 * k, "\\x%02x", (unsigned char)cases[i].key[k]);
		ASSERT_EQ(0, run(NULL, 0, "%s -e set %s '%s' v%u", self->kc, self->name, esc, i));
		ASSERT_EQ(0, run(out, sizeof(out), "%s -j -e get %s '%s' | /usr/bin/jq -j "
				 "'.key_encoding, \" \", .key'", self->kc, self->name, esc));
		exp = cases[i].base64;
		if (!exp)
			exp = cases[i].key;
		snprintf(want, sizeof(want), "%s %s", cases[i].encoding, exp);
		EXPECT_STREQ(want, out) TH_LOG("case %u (%s)", i, esc);
	}
	/* a whole dump parses, and has every key */
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j dump %s | /usr/bin/jq length", self->kc,
			 self->name));
	EXPECT_EQ((int)(sizeof(cases) / sizeof(cases[0])), atoi(out));
}

/*
 * Bad input: each row must exit with its code and print its message (to stderr), before
 * or after reaching the module; an exit by signal or any other code fails the row.
 * %1$s is kcachectl, %2$s a cache the fixture created.
 */
TEST_F(cli, bad_input_table)
{
	static const struct {
		const char *cmd;
		int exit;
		const char *msg;
	} rows[] = {
		{ "%1$s", 2, "missing command" },
		{ "%1$s frobnicate", 2, "unknown command 'frobnicate'" },
		{ "%1$s --bogus version", 2, "unrecognized option" },
		{ "%1$s -j", 2, "missing command" },
		{ "%1$s create", 2, "missing operand" },
		{ "%1$s create %2$s extra", 2, "unexpected operand" },
		{ "%1$s create -t 30 x", 2, "a number needs a unit" },
		{ "%1$s create -t 30x x", 2, "unknown unit" },
		{ "%1$s create -t 5mss x", 2, "unknown unit" },
		{ "%1$s create -t -5s x", 2, "not a duration" },
		{ "%1$s create -t 1h1 x", 2, "a number needs a unit" },
		{ "%1$s create -t 300000000000000h x", 2, "too long" },
		{ "%1$s create -t '' x", 2, "not a duration" },
		{ "%1$s create -t", 2, "requires an argument" },
		{ "%1$s fetch %2$s", 2, "missing operand" },
		{ "%1$s fetch %2$s k", 2, "missing COMMAND" },
		{ "%1$s fetch %2$s k --", 2, "missing COMMAND" },
		{ "%1$s fetch -w 1x %2$s k true", 2, "unknown unit" },
		/* libkcache stores a TTL of 0 as the cache's default: refused, not "none" */
		{ "%1$s fetch -t 0 %2$s k true", 2, "cannot store without a TTL" },
		{ "%1$s fetch -t 0s %2$s k true", 2, "cannot store without a TTL" },
		{ "%1$s watch", 2, "missing operand" },
		{ "%1$s watch %2$s extra", 2, "unexpected operand" },
		{ "%1$s watch --bogus %2$s", 2, "unrecognized option" },
		{ "%1$s watch %2$s --count abc", 2, "not a count" },
		{ "%1$s watch %2$s -N", 2, "requires an argument" },
		/* 0 would be no bound at all: refused, as stats --iterations 0 (bounded if not) */
		{ "timeout 20 %1$s watch %2$s --count 0", 2, "--count '0': at least 1" },
		{ "%1$s watch --prefix '' %2$s", 2, "--prefix '': empty" },
		{ "%1$s watch %2$s --prefix ''", 2, "--prefix '': empty" },
		{ "%1$s -e watch %2$s --prefix 'k\\q'", 2, "bad escape" },
		{ "%1$s create -b 1Q x", 2, "unknown unit" },
		{ "%1$s create -b 64KB x", 2, "unknown unit" },
		{ "%1$s create -b -1 x", 2, "not a size" },
		{ "%1$s create -b 17179869184G x", 2, "too large" },
		{ "%1$s create -b 99999999999999999999 x", 2, "not a size" },
		{ "%1$s create -c abc x", 2, "not a count" },
		{ "%1$s create -c 10k x", 2, "not a count" },
		{ "%1$s create -m 999 x", 2, "octal mode" },
		{ "%1$s create -m 01777 x", 2, "octal mode" },
		{ "%1$s create -m '' x", 2, "octal mode" },
		/* the kernel takes read and write bits only (-EINVAL) */
		{ "%1$s create -m 0755 x", 2, "at most 0666" },
		{ "%1$s create -m 0700 x", 2, "at most 0666" },
		{ "%1$s create -m 1 x", 2, "at most 0666" },
		{ "%1$s create -p fifo x", 2, "tinylfu or lru" },
		{ "%1$s create -n 10 x", 2, "invalid option" },	/* -n is set's if-absent */
		{ "%1$s create %2$s", 5, "already exists" },
		{ "%1$s create 'bad/name'", 1, "invalid argument" },
		{ "%1$s create "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1,
		  "invalid argument" },
		{ "%1$s destroy", 2, "missing operand" },
		{ "%1$s destroy nosuchcache", 3, "not found" },
		{ "%1$s info %2$s x", 2, "unexpected operand" },
		{ "%1$s list extra", 2, "unexpected operand" },
		{ "%1$s get %2$s", 2, "missing operand" },
		{ "%1$s get nosuchcache k", 3, "cache 'nosuchcache' not found" },
		{ "%1$s get %2$s nokey", 3, "key not found" },
		{ "%1$s get %2$s ''", 1, "invalid argument" },
		{ "%1$s get %2$s $(head -c 5000 /dev/zero | tr '\\0' k)", 1, "too large" },
		{ "%1$s -e get %2$s 'k\\x4'", 2, "bad escape" },
		{ "%1$s -e get %2$s 'k\\q'", 2, "bad escape" },
		{ "%1$s -e set %2$s k 'v\\'", 2, "bad escape" },
		{ "%1$s set %2$s", 2, "missing operand" },
		{ "%1$s set %2$s k v extra", 2, "unexpected operand" },
		{ "%1$s set -n -x %2$s k v", 2, "exclusive" },
		{ "%1$s set -f /proc/version %2$s k v", 2, "exclusive" },
		{ "%1$s set -f /nonexistent %2$s k", 1, "No such file" },
		/* a read that fails says why (read(2)'s errno), not a generic I/O error */
		{ "%1$s set -f / %2$s k", 1, "set: /: Is a directory" },
		{ "%1$s set %2$s k < /", 1, "set: standard input: Is a directory" },
		{ "%1$s load %2$s /", 1, "load: /: Is a directory" },
		{ "%1$s set -t 5 %2$s k v", 2, "a number needs a unit" },
		{ "%1$s set -n %2$s present v", 5, "key already exists" },
		{ "%1$s set -x %2$s absent v", 3, "key not found" },
		{ "%1$s del %2$s", 2, "missing operand" },
		{ "%1$s del %2$s absent", 3, "key not found" },
		{ "%1$s flush %2$s a b", 2, "unexpected operand" },
		{ "%1$s flush %2$s ''", 2, "PREFIX '': empty" },
		{ "%1$s -e flush %2$s ''", 2, "PREFIX '': empty" },
		{ "%1$s stats -w 0 %2$s", 2, "at least 1ms" },
		{ "%1$s stats -w abc %2$s", 2, "not a duration" },
		{ "%1$s stats -w 100000 %2$s", 2, "at most a day" },
		{ "%1$s stats --iterations 3 %2$s", 2, "needs --watch" },
		{ "%1$s stats -w 1 --iterations 0 %2$s", 2, "at least 1" },
		{ "%1$s help nosuch", 2, "unknown command 'nosuch'" },
		{ "%1$s load %2$s /nonexistent", 1, "No such file" },
		{ "printf 'no tab here\n' | %1$s load %2$s", 1, "not KEY<TAB>VALUE" },
		{ "printf 'k\t\\\\xZZ\n' | %1$s load %2$s", 1, "not KEY<TAB>VALUE" },
		/* output that cannot be written: exit 1 with a message, whatever the command */
		{ "%1$s get %2$s present >/dev/full", 1, "standard output: No space left" },
		{ "%1$s info %2$s >/dev/full", 1, "standard output: No space left" },
		{ "%1$s list >/dev/full", 1, "standard output: No space left" },
		{ "%1$s dump %2$s >/dev/full", 1, "standard output: No space left" },
		{ "%1$s stats -w 1 --iterations 2 %2$s >/dev/full", 1,
		  "standard output: No space left" },
		/* a failed load says why: the command's status, not "Input/output error" */
		{ "%1$s fetch %2$s k3 -- sh -c 'exit 3'", 1, "fetch: sh exited with status 3" },
		{ "%1$s fetch %2$s k3 -- sh -c 'kill -9 $$'", 1, "fetch: sh killed by signal 9" },
		{ "%1$s fetch %2$s k3 -- false", 1, "the load failed, nothing was stored" },
	};
	char cmd[8192], out[8192];
	unsigned int i;
	int st;

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s set %s present v", self->kc, self->name));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		snprintf(cmd, sizeof(cmd), rows[i].cmd, self->kc, self->name);
		/* stdout is dropped: the message must be on stderr */
		st = run(out, sizeof(out), "(%s) 2>&1 >/dev/null </dev/null", cmd);
		EXPECT_EQ(rows[i].exit, st) TH_LOG("row %u: %s: %s", i, cmd, out);
		EXPECT_NE(NULL, strstr(out, rows[i].msg)) TH_LOG("row %u: %s: '%s'", i, cmd, out);
	}
	/* none of them created a cache "x" */
	ASSERT_EQ(3, run(NULL, 0, "%s info x 2>/dev/null", self->kc));
}

/* --help and "help COMMAND" for every command: exit 0, usage on stdout */
TEST_F(cli, help_per_command)
{
	static const char *const cmds[] = { "version", "create", "destroy", "list", "info",
					    "stats", "get", "set", "del", "fetch", "watch", "flush",
					    "dump", "load", "help" };
	char out[4096], want[64];
	unsigned int i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		snprintf(want, sizeof(want), "usage: kcachectl %s", cmds[i]);
		ASSERT_EQ(0, run(out, sizeof(out), "%s %s --help 2>/dev/null", self->kc, cmds[i]));
		EXPECT_TRUE(!strncmp(out, want, strlen(want)))
			TH_LOG("%s --help: %s", cmds[i], out);
		ASSERT_EQ(0, run(out, sizeof(out), "%s help %s 2>/dev/null", self->kc, cmds[i]));
		EXPECT_TRUE(!strncmp(out, want, strlen(want))) TH_LOG("help %s: %s", cmds[i], out);
	}
	ASSERT_EQ(0, run(out, sizeof(out), "%s --help", self->kc));
	EXPECT_NE(NULL, strstr(out, "durations: 250ms"));
}

/* units reach the kernel as what they mean */
TEST_F(cli, units_and_stats_watch)
{
	char out[8192];

	if (!have_jq())
		SKIP(return, "jq not available");
	ASSERT_EQ(0, run(NULL, 0, "%s create -c 1000 -b 64K -t 1h30m -m 0640 %s", self->kc,
			 self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "%s -j info %s | /usr/bin/jq -j "
			 "'.max_entries, \" \", .max_bytes, \" \", .default_ttl_ns, \" \", .mode'",
			 self->kc, self->name));
	ASSERT_STREQ("1000 65536 5400000000000 416", out);
	/*
	 * A 1500 ms TTL (in ms: the unit under test): present at once, gone 3 s later. Not
	 * shorter: starting kcachectl took over 250 ms on the debug kernel under TCG.
	 */
	ASSERT_EQ(0, run(NULL, 0, "%s set -t 1500ms %s short v", self->kc, self->name));
	ASSERT_EQ(0, run(NULL, 0, "%s get %s short", self->kc, self->name));
	sleep(3);
	ASSERT_EQ(3, run(NULL, 0, "%s get %s short 2>/dev/null", self->kc, self->name));
	/* stats -w: two rows; the 5 hits made during them add up across the rows */
	ASSERT_EQ(0, run(NULL, 0, "%s set %s k v", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "(%s -j stats %s -w 1 --iterations 2 > %s/w &"
			 " sleep 0.3; for i in 1 2 3 4 5; do %s get %s k >/dev/null; done; wait);"
			 " /usr/bin/jq -s 'length, (map(.hits_per_s * .interval_s | round) | add)'"
			 " %s/w", self->kc, self->name, self->dir, self->kc, self->name,
			 self->dir));
	ASSERT_STREQ("2\n5\n", out);
	/* the human form: a header and two rows, levels last (bytes, then the spares') */
	ASSERT_EQ(0, run(out, sizeof(out), "%s stats %s -w 100ms --iterations 2 | wc -l",
			 self->kc, self->name));
	ASSERT_EQ(3, atoi(out));
	ASSERT_EQ(0, run(out, sizeof(out), "%s stats %s -w 100ms --iterations 1 | "
			 "awk 'NR == 1 { print $(NF - 1), $NF, NF } NR == 2 { print NF }'",
			 self->kc, self->name));
	ASSERT_STREQ("bytes spare 10\n10\n", out);
}

/* fetch: two processes miss at once, the command runs once, both print what it wrote */
TEST_F(cli, fetch_runs_the_command_once_for_concurrent_misses)
{
	char out[4096], runs[256], cmd[512];

	snprintf(runs, sizeof(runs), "/tmp/kc-fetch-%d", getpid());
	unlink(runs);
	snprintf(cmd, sizeof(cmd), "sh -c 'echo run >> %s; sleep 1; printf loaded'", runs);
	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out), "(%s fetch %s k -- %s > %s.a & %s fetch %s k -- %s > %s.b;"
			 " wait); cat %s.a %s.b", self->kc, self->name, cmd, runs, self->kc,
			 self->name, cmd, runs, runs, runs));
	EXPECT_STREQ("loadedloaded", out);
	ASSERT_EQ(0, run(out, sizeof(out), "wc -l < %s", runs));
	EXPECT_EQ(1, atoi(out));
	/* stored: a plain GET sees it, a later fetch does not run the command */
	ASSERT_EQ(0, run(out, sizeof(out), "%s get %s k", self->kc, self->name));
	EXPECT_STREQ("loaded", out);
	ASSERT_EQ(0, run(out, sizeof(out), "%s fetch %s k -- %s", self->kc, self->name, cmd));
	EXPECT_STREQ("loaded", out);
	ASSERT_EQ(0, run(out, sizeof(out), "wc -l < %s", runs));
	EXPECT_EQ(1, atoi(out));
	/* a command that fails: an error, nothing stored */
	EXPECT_NE(0, run(NULL, 0, "%s fetch %s k2 -- false 2>/dev/null", self->kc, self->name));
	EXPECT_EQ(3, run(NULL, 0, "%s get %s k2 2>/dev/null", self->kc, self->name));
	run(NULL, 0, "rm -f %s %s.a %s.b", runs, runs, runs);
}

/*
 * A fetch that waits for another process's load longer than --wait: a message naming the
 * wait, not strerror(ETIMEDOUT)'s "Connection timed out". The holder's command signals
 * through a file that it runs (so that the lease is held), then sleeps past the wait.
 */
TEST_F_TIMEOUT(cli, fetch_wait_timeout_names_the_cause, 120)
{
	char out[4096];
	int st;

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	st = run(out, sizeof(out),
		 "(%1$s fetch %2$s k -- sh -c 'touch %3$s/held; sleep 5; printf x' > /dev/null &"
		 " i=0; until [ -e %3$s/held ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done;"
		 " %1$s fetch -w 100ms %2$s k -- false; rc=$?; wait; exit $rc) 2>&1 >/dev/null",
		 self->kc, self->name, self->dir);
	EXPECT_EQ(1, st) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "did not finish in time (fetch --wait)")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, strerror(ETIMEDOUT))) TH_LOG("%s", out);
}

/*
 * kcachectl(8): exactly one process runs COMMAND while it finishes within the lease
 * deadline (10 s by default); past it a waiter takes the lease over and runs its own, whose
 * value is stored, while the first prints its own. The first command takes 12 s.
 */
TEST_F_TIMEOUT(cli, fetch_longer_than_the_lease_is_run_again, 120)
{
	char out[4096];

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	ASSERT_EQ(0, run(out, sizeof(out),
			 "(%1$s fetch %2$s k -- sh -c 'echo run >> %3$s/runs; touch %3$s/held;"
			 " sleep 12; printf a' > %3$s/a &"
			 " i=0; until [ -e %3$s/held ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i + 1)); done;"
			 " %1$s fetch -w 60s %2$s k -- sh -c 'echo run >> %3$s/runs; printf b' > %3$s/b;"
			 " rc=$?; wait $! && exit $rc); cat %3$s/a %3$s/b; wc -l < %3$s/runs;"
			 " %1$s get %2$s k", self->kc, self->name, self->dir));
	EXPECT_STREQ("ab2\nb", out);
}

/*
 * Run "kcachectl watch NAME @args" in the background, its stdout in DIR/w and stderr in
 * DIR/w.err. Once its SYNC line (text or JSON) is out, stop it (SIGSTOP): what @between
 * does piles up in its ring, and its next read() returns all of it at once. Then let it go
 * on and wait for it (killed after 60 s). Returns its exit status.
 */
static int watch_stopped(FIXTURE_DATA(cli) *self, const char *args, const char *between)
{
	/*
	 * w is emptied before the watcher starts: the watcher's own "> w" runs in the child,
	 * and until it has, the wait below would find the sync line a watcher before left
	 * there and run @between before this one subscribed.
	 */
	return run(NULL, 0,
		   ": > %4$s/w; %1$s watch %2$s %3$s > %4$s/w 2> %4$s/w.err < /dev/null & p=$!; "
		   "(sleep 60; kill -9 $p) > /dev/null 2>&1 & wd=$!; i=0; "
		   "until grep -q -e '^sync' -e '\"type\":\"sync\"' %4$s/w || [ $i -ge 300 ]; "
		   "do sleep 0.1; i=$((i + 1)); done; "
		   "kill -STOP $p; %5$s; kill -CONT $p; wait $p; rc=$?; kill $wd; exit $rc",
		   self->kc, self->name, args, self->dir, between);
}

/* options after NAME; --count N stops after exactly N changes, not after a read's worth */
TEST_F_TIMEOUT(cli, watch_options_after_name_and_exact_count, 120)
{
	char out[4096], sets[1024];

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	snprintf(sets, sizeof(sets), "for i in 1 2 3 4 5; do %s set %s k$i v$i; done", self->kc,
		 self->name);
	/* five changes reach one read(): exactly two are printed, then exit 0 */
	ASSERT_EQ(0, watch_stopped(self, "--live --count 2", sets));
	ASSERT_EQ(0, run(out, sizeof(out), "sed 's/ [0-9]* / /' %s/w", self->dir));
	EXPECT_EQ(0, strncmp(out, "sync", 4)) TH_LOG("%s", out);
	EXPECT_STREQ("store insert k1\tv1\nstore insert k2\tv2\n", strchr(out, '\n') + 1);
	/* the snapshot is not counted; JSON; short options after NAME too */
	ASSERT_EQ(0, watch_stopped(self, "-k -N 1 -j", sets));
	ASSERT_EQ(0, run(out, sizeof(out), "grep -c '\"type\":\"snapshot\"' %s/w", self->dir));
	EXPECT_EQ(5, atoi(out));
	ASSERT_EQ(0, run(out, sizeof(out), "grep -c '\"type\":\"store\"' %s/w", self->dir));
	EXPECT_EQ(1, atoi(out));
	/* a bad option: getopt's message, not a second one of kcachectl's own */
	ASSERT_EQ(2, run(out, sizeof(out), "%s watch %s --bogus 2>&1", self->kc, self->name));
	EXPECT_NE(NULL, strstr(out, "unrecognized option")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "unknown option")) TH_LOG("%s", out);
}

/* a watcher that fell behind (LAGGED, then the end of the stream) exits 1, not 0 */
TEST_F_TIMEOUT(cli, watch_lagged_exits_nonzero, 120)
{
	char out[4096], load[512], path[128];
	FILE *f;
	int i;

	ASSERT_EQ(0, run(NULL, 0, "%s create -b 4M %s", self->kc, self->name));
	/* 200 values of 4000 bytes: 800 KB of STORE records, over the 256 KiB ring */
	snprintf(path, sizeof(path), "%s/big.dump", self->dir);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	for (i = 0; i < 200; i++)
		fprintf(f, "k%d\t%04000d\n", i, i);
	ASSERT_EQ(0, fclose(f));
	snprintf(load, sizeof(load), "%s load %s %s > /dev/null", self->kc, self->name, path);
	EXPECT_EQ(1, watch_stopped(self, "--live", load));
	ASSERT_EQ(0, run(out, sizeof(out), "tail -n 1 %s/w", self->dir));
	EXPECT_EQ(0, strncmp(out, "lagged ", 7)) TH_LOG("last line: %s", out);
	ASSERT_EQ(0, run(out, sizeof(out), "cat %s/w.err", self->dir));
	EXPECT_NE(NULL, strstr(out, "records dropped")) TH_LOG("stderr: %s", out);
	/* --count is no way around it: the stream ended before N changes */
	EXPECT_EQ(1, watch_stopped(self, "--live --count 1000", load));
}

/*
 * A watcher whose standard output goes away (its reader quit) while SIGPIPE is ignored, as
 * a supervisor may leave it: the next write fails with EPIPE and watch exits 1 with a
 * message, instead of reading the stream on with nowhere to print it.
 */
TEST_F_TIMEOUT(cli, watch_exits_when_its_output_fails, 120)
{
	char line[256], err[4096], errpath[128];
	int p[2], st = 0, i, fd;
	pid_t pid, w = 0;
	size_t n = 0;

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	snprintf(errpath, sizeof(errpath), "%s/w.err", self->dir);
	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0 || dup2(p[1], STDOUT_FILENO) < 0)
			_exit(120);
		close(p[0]);
		close(p[1]);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			_exit(121);
		signal(SIGPIPE, SIG_IGN);	/* kept across execve() */
		execl(self->kc, "kcachectl", "watch", self->name, "--live", (char *)NULL);
		_exit(122);
	}
	close(p[1]);
	/* its SYNC line: the stream is there; then the reader goes away */
	while (n < sizeof(line) - 1 && read(p[0], line + n, 1) == 1 && line[n] != '\n')
		n++;
	line[n] = 0;
	close(p[0]);
	EXPECT_EQ(0, strncmp(line, "sync", 4)) TH_LOG("first line: '%s'", line);
	/* changes to print and nowhere to print them: it must exit, and soon */
	for (i = 0; i < 40 && !w; i++) {
		run(NULL, 0, "%s set %s k%d v", self->kc, self->name, i);
		usleep(100000);
		w = waitpid(pid, &st, WNOHANG);
	}
	if (!w) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	run(err, sizeof(err), "cat %s", errpath);
	ASSERT_EQ(pid, w) TH_LOG("watch still ran after %d stores it could not print", i);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("wait status %d", st);
	EXPECT_EQ(1, WEXITSTATUS(st)) TH_LOG("stderr: %s", err);
	EXPECT_NE(NULL, strstr(err, strerror(EPIPE))) TH_LOG("stderr: %s", err);
}

/*
 * Run "kcachectl fetch NAME KEY -- sh -c SCRIPT" with SIGCHLD ignored as it would be
 * inherited (SIG_IGN survives execve()): stdin /dev/null, stdout into @outpath, stderr
 * into @errpath. Returns its wait status.
 */
static int fetch_sigchld_ignored(const char *kc, const char *name, const char *key,
				 const char *script, const char *outpath, const char *errpath)
{
	pid_t pid;
	int st, fd;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDERR_FILENO) < 0)
			_exit(120);
		fd = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			_exit(121);
		fd = open("/dev/null", O_RDONLY);
		if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
			_exit(121);
		signal(SIGCHLD, SIG_IGN);	/* kept across execve() */
		execl(kc, "kcachectl", "fetch", name, key, "--", "sh", "-c", script,
		      (char *)NULL);
		_exit(122);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

/*
 * fetch started with SIGCHLD ignored (inherited SIG_IGN: the kernel would reap the command
 * itself and waitpid() would fail with ECHILD): kcachectl owns its signal dispositions and
 * puts SIGCHLD back to SIG_DFL before it runs the command, so it gets the command's exit
 * status. A command that exits 0 is stored; one that fails is not.
 */
TEST_F(cli, fetch_with_sigchld_ignored_gets_exit_status)
{
	char out[4096], err[4096], outpath[128], errpath[128];
	int st;

	ASSERT_EQ(0, run(NULL, 0, "%s create %s", self->kc, self->name));
	snprintf(outpath, sizeof(outpath), "%s/fetch.out", self->dir);
	snprintf(errpath, sizeof(errpath), "%s/fetch.err", self->dir);
	st = fetch_sigchld_ignored(self->kc, self->name, "k", "printf loaded", outpath, errpath);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("wait status %d", st);
	run(out, sizeof(out), "cat %s", outpath);
	run(err, sizeof(err), "cat %s", errpath);
	EXPECT_EQ(0, WEXITSTATUS(st)) TH_LOG("stderr: %s", err);
	EXPECT_STREQ("loaded", out);
	/* stored: a plain GET sees it */
	EXPECT_EQ(0, run(out, sizeof(out), "%s get %s k 2>/dev/null", self->kc, self->name));
	EXPECT_STREQ("loaded", out);
	/* the status is really read: a failing command is a failure, nothing stored */
	st = fetch_sigchld_ignored(self->kc, self->name, "k2", "printf partial; exit 3", outpath,
				   errpath);
	ASSERT_TRUE(WIFEXITED(st)) TH_LOG("wait status %d", st);
	run(err, sizeof(err), "cat %s", errpath);
	EXPECT_EQ(1, WEXITSTATUS(st)) TH_LOG("stderr: %s", err);
	EXPECT_EQ(NULL, strstr(err, strerror(ECHILD))) TH_LOG("stderr: %s", err);
	EXPECT_EQ(3, run(NULL, 0, "%s get %s k2 2>/dev/null", self->kc, self->name));
}

/* the first word of each command line of "kcachectl help", into @cmds (at most @max) */
static int help_commands(const char *kc, char cmds[][16], int max)
{
	char out[8192], *line, *next;
	int n = 0;

	if (run(out, sizeof(out), "%s help", kc))
		return -1;
	/* the usage line, then "  NAME SYNOPSIS" lines until the first unindented one */
	line = strchr(out, '\n');
	for (line = line ? line + 1 : NULL; line && !strncmp(line, "  ", 2); line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (n < max && sscanf(line, "%15s", cmds[n]) == 1)
			n++;
	}
	return n;
}

/*
 * Every command of "kcachectl help" is completed by the bash completion (as the command
 * and after "help") and has its entry in kcachectl(8). The files are looked for next to
 * kcachectl (the source tree: userlib/) or where make install puts them (PREFIX/sbin and
 * PREFIX/share); the VM has neither, and skips.
 */
TEST_F(cli, help_commands_in_completion_and_man)
{
	static const char *const comp_rel[] = { "kcachectl.bash-completion",
						"../share/bash-completion/completions/kcachectl" };
	static const char *const man_rel[] = { "man/kcachectl.8",
					       "../share/man/man8/kcachectl.8" };
	char cmds[32][16], dirbuf[256], comp[512] = "", man[512] = "", out[4096], line[512];
	char word[24], *helped;
	int n, i, checked = 0, in_cmds = 0, found;
	const char *dir, *w;
	unsigned int k;
	FILE *f;

	n = help_commands(self->kc, cmds, 32);
	ASSERT_LT(10, n) TH_LOG("kcachectl help: %d commands", n);
	snprintf(dirbuf, sizeof(dirbuf), "%s", self->kc);
	dir = dirname(dirbuf);
	for (k = 0; k < 2 && !*comp; k++) {
		snprintf(comp, sizeof(comp), "%s/%s", dir, comp_rel[k]);
		if (access(comp, R_OK))
			*comp = 0;
	}
	for (k = 0; k < 2 && !*man; k++) {
		snprintf(man, sizeof(man), "%s/%s", dir, man_rel[k]);
		if (access(man, R_OK))
			*man = 0;
	}
	if (*comp && !access("/bin/bash", X_OK)) {
		/* complete "kcachectl <TAB>" and "kcachectl help <TAB>", one word a line */
		ASSERT_EQ(0, run(out, sizeof(out), "/bin/bash -c '"
				 "_init_completion() { words=(\"${COMP_WORDS[@]}\"); "
				 "cword=$COMP_CWORD; cur=${words[cword]}; prev=${words[cword - 1]}; }; "
				 "_filedir() { :; }; . %s; "
				 "for c in \"\" help; do COMP_WORDS=(kcachectl $c \"\"); "
				 "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _kcachectl; "
				 "echo \"[$c] ${COMPREPLY[*]} \"; done'", comp));
		helped = strchr(out, '\n');
		ASSERT_NE(NULL, helped);
		*helped++ = 0;
		for (i = 0; i < n; i++) {
			snprintf(word, sizeof(word), " %.15s ", cmds[i]);
			EXPECT_NE(NULL, strstr(out, word)) TH_LOG("%s: '%s' not completed: %s",
								  comp, cmds[i], out);
			EXPECT_NE(NULL, strstr(helped, word))
				TH_LOG("%s: '%s' not completed after help: %s", comp, cmds[i],
				       helped);
		}
		checked++;
	}
	if (*man) {
		/* an entry of the Commands section: ".B[IR] [\"]COMMAND" */
		for (i = 0; i < n; i++) {
			f = fopen(man, "r");
			ASSERT_NE(NULL, f);
			in_cmds = 0;
			found = 0;
			while (fgets(line, sizeof(line), f)) {
				if (!strncmp(line, ".S", 2))
					in_cmds = !strcmp(line, ".SS Commands\n");
				if (!in_cmds || strncmp(line, ".B", 2))
					continue;
				w = strchr(line, ' ');
				if (!w)
					continue;
				w += 1 + (w[1] == '"');
				if (!strncmp(w, cmds[i], strlen(cmds[i])) &&
				    strchr(" \"\n", w[strlen(cmds[i])]))
					found = 1;
			}
			fclose(f);
			EXPECT_TRUE(found) TH_LOG("%s: no entry for '%s'", man, cmds[i]);
		}
		checked++;
	}
	if (!checked)
		SKIP(return, "no bash completion (with bash) nor kcachectl.8 next to %s", self->kc);
}

/*
 * In a child: become uid 1000 in the device's group, as udev/60-kcache.rules arranges for
 * users of kcache. 0, or the exit status the child should end with (77: cannot run @kc).
 */
static int become_user(const char *kc)
{
	struct stat dev;
	gid_t g;

	if (stat("/dev/kcache", &dev))
		return 13;
	g = dev.st_gid;
	if (setgroups(1, &g) || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 10;
	/* the guest's root directory may not be searchable by other users */
	if (access(kc, X_OK) || access("/bin/sh", X_OK))
		return 77;
	return 0;
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
		st = become_user(self->kc);
		if (st)
			_exit(st);
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

/*
 * fetch by a user who may only read: a hit prints the value as get would (it opened the
 * cache read-write, so every hit failed with exit 4); a miss exits 4 without running the
 * command, which could not store what it made.
 */
TEST_F(cli, fetch_read_only_user_gets_hits)
{
	char out[1024], ran[128];
	pid_t pid;
	int st;

	if (geteuid())
		SKIP(return, "needs root");
	snprintf(ran, sizeof(ran), "/tmp/kc-ro-fetch-%d", getpid());
	unlink(ran);
	ASSERT_EQ(0, run(NULL, 0, "%s create -m 0644 %s && %s set %s k v1",
			 self->kc, self->name, self->kc, self->name));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		st = become_user(self->kc);
		if (st)
			_exit(st);
		st = run(out, sizeof(out), "%s fetch %s k -- echo loaded 2>&1", self->kc,
			 self->name);
		if (st || strcmp(out, "v1")) {
			fprintf(stderr, "# hit: exit %d: %s\n", st, out);
			_exit(11);
		}
		st = run(out, sizeof(out), "%s fetch %s k2 -- touch %s 2>&1", self->kc,
			 self->name, ran);
		if (st != 4 || !strstr(out, "needs write permission")) {
			fprintf(stderr, "# miss: exit %d: %s\n", st, out);
			_exit(12);
		}
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77)
		SKIP(return, "kcachectl not executable by uid 1000 (initramfs root mode?)");
	EXPECT_EQ(0, WEXITSTATUS(st));
	EXPECT_NE(0, access(ran, F_OK)) TH_LOG("the command ran for a user who cannot store");
	unlink(ran);
}

/* Read @path's first line into @buf, or write @val to it; 0 or -1. */
static int param(const char *path, char *buf, size_t len, const char *val)
{
	FILE *f = fopen(path, val ? "w" : "r");
	int ret;

	if (!f)
		return -1;
	ret = val ? (fputs(val, f) < 0 ? -1 : 0) : (fgets(buf, len, f) ? 0 : -1);
	return fclose(f) || ret ? -1 : 0;
}

/*
 * list shows every cache, past the KCACHE_LIST_MAX (1024) one LIST call fills: it lists a
 * page at a time (it used to print the first 1024 and stop).
 */
TEST_F_TIMEOUT(cli, list_shows_caches_past_one_call, 300)
{
	static const char mc[] = "/sys/module/kcache/parameters/max_caches";
	int n = KCACHE_LIST_MAX + 8, made = 0, listed = 0, ctl, fd, i, err = 0;
	char saved[32], name[96], line[256];
	size_t pre;
	FILE *f;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, param(mc, saved, sizeof(saved), NULL));
	ASSERT_EQ(0, param(mc, NULL, 0, "4096"));
	ctl = kcache_ctl_open();
	ASSERT_LE(0, ctl);
	for (; made < n; made++) {
		snprintf(name, sizeof(name), "%s-l%d", self->name, made);
		fd = kcache_create(ctl, name, 16, 4096, 0, KCACHE_POLICY_TINYLFU_ABI, 0600);
		if (fd < 0) {
			err = fd;
			break;
		}
		close(fd);
	}
	snprintf(name, sizeof(name), "%s-l", self->name);
	pre = strlen(name);
	snprintf(line, sizeof(line), "%s list -q", self->kc);
	f = made == n ? popen(line, "r") : NULL;
	while (f && fgets(line, sizeof(line), f))
		listed += !strncmp(line, name, pre);
	if (f)
		pclose(f);
	for (i = 0; i < made; i++) {
		snprintf(name, sizeof(name), "%s-l%d", self->name, i);
		kcache_destroy(ctl, name);
	}
	close(ctl);
	param(mc, NULL, 0, saved);
	ASSERT_EQ(n, made) TH_LOG("create %d: %s", made, strerror(-err));
	EXPECT_EQ(n, listed);
}

TEST_HARNESS_MAIN
