// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl - command-line front end of libkcache (it uses nothing else of kcache).
 *
 * Exit codes: 0 success, 1 operation failed, 2 usage error, 3 cache or key not found,
 * 4 permission denied, 5 already exists (create, set -n). See kcachectl(8).
 *
 * Dump format (dump, load): one entry a line, the escaped key, a TAB, the escaped value.
 * Escaping keeps the bytes 0x20..0x7e as they are except '\', written "\\"; every other
 * byte is written "\xHH". With -e, KEY and VALUE arguments use the same escapes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcache.h"

enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,
	EXIT_USAGE = 2,
	EXIT_NOTFOUND = 3,
	EXIT_PERM = 4,
	EXIT_EXISTS = 5,
};

static int json;
static int escaped_args;
static const char *prog = "kcachectl";

static int usage(void)
{
	fprintf(stderr,
		"usage: %s [-j] [-e] COMMAND [ARGS]\n"
		"  version\n"
		"  create NAME [-n max_entries] [-b max_bytes] [-t ttl_ns] [-p tinylfu|lru] [-m mode]\n"
		"  destroy NAME\n"
		"  list\n"
		"  info NAME\n"
		"  stats NAME\n"
		"  get NAME KEY\n"
		"  set NAME KEY [VALUE | -f FILE] [-t ttl_ns] [-n | -x]   (no VALUE, no -f: stdin)\n"
		"  del NAME KEY\n"
		"  flush NAME [PREFIX]\n"
		"  dump NAME\n"
		"  load NAME [FILE]\n"
		"  -j: JSON output   -e: KEY, VALUE and PREFIX use \\xHH escapes\n", prog);
	return EXIT_USAGE;
}

/* ---- errors ---- */

static int exit_code(int err)
{
	switch (err) {
	case -ENOENT:
		return EXIT_NOTFOUND;
	case -EACCES:
	case -EPERM:
	case -EBADF:
		return EXIT_PERM;
	case -EEXIST:
		return EXIT_EXISTS;
	default:
		return EXIT_FAIL;
	}
}

/* Report a failed operation on cache @name; @what names the step. */
static int fail(const char *name, const char *what, int err)
{
	const char *msg;

	switch (err) {
	case -ENOENT:
		msg = !strcmp(what, "open") || !strcmp(what, "destroy") ? "not found" :
		      "key not found";
		break;
	case -EACCES:
		msg = "permission denied";
		break;
	case -EPERM:
		msg = "permission denied (only the owner or CAP_SYS_ADMIN may do this)";
		break;
	case -EBADF:
		msg = "permission denied (cache not opened for this access)";
		break;
	case -EEXIST:
		msg = !strcmp(what, "create") ? "already exists" : "key already exists";
		break;
	case -ENOSPC:
		msg = "too many caches (module parameter max_caches)";
		break;
	case -ENOMEM:
		msg = "out of memory, or over the module's max_total_bytes";
		break;
	case -E2BIG:
		msg = "too large (key, value or entry over its limit)";
		break;
	case -EINVAL:
		msg = "invalid argument (names are 1-64 bytes of [A-Za-z0-9._-])";
		break;
	case -ESHUTDOWN:
		msg = "the cache was destroyed";
		break;
	case -ESTALE:
		msg = "version changed";
		break;
	default:
		msg = strerror(-err);
	}
	if (name)
		fprintf(stderr, "%s: %s: cache '%s' %s\n", prog, what, name, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", prog, what, msg);
	return exit_code(err);
}

/* ---- escaping ---- */

static void put_escaped(FILE *f, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\\')
			fputs("\\\\", f);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			fputc(p[i], f);
		else
			fprintf(f, "\\x%02x", p[i]);
	}
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode @n bytes of escaped text into @out (at most @n bytes); -1 on a bad escape. */
static long unescape(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = s[i];
			continue;
		}
		if (++i >= n)
			return -1;
		switch (s[i]) {
		case '\\':
			out[o++] = '\\';
			break;
		case 'n':
			out[o++] = '\n';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case 'x':
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0)
				return -1;
			out[o++] = hexval(s[i + 1]) << 4 | hexval(s[i + 2]);
			i += 2;
			break;
		default:
			return -1;
		}
	}
	return o;
}

/* An argument as bytes: literal, or decoded with -e. Returns the length or -1. */
static long arg_bytes(const char *arg, unsigned char **out)
{
	size_t n = strlen(arg);
	long len;

	*out = malloc(n + 1);
	if (!*out)
		return -1;
	if (!escaped_args) {
		memcpy(*out, arg, n);
		return n;
	}
	len = unescape(arg, n, *out);
	if (len < 0) {
		fprintf(stderr, "%s: bad escape in '%s'\n", prog, arg);
		free(*out);
		*out = NULL;
	}
	return len;
}

/* JSON string: printable ASCII as is, the rest as \u00XX (bytes read as Latin-1). */
static void json_str(const unsigned char *p, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			printf("\\%c", p[i]);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			putchar(p[i]);
		else
			printf("\\u%04x", p[i]);
	}
	putchar('"');
}

static void json_hex(const unsigned char *p, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar('"');
}

/* ---- helpers ---- */

static int open_cache(int ctl, const char *name, uint32_t access, int *fd)
{
	*fd = kcache_open(ctl, name, access);
	if (*fd < 0)
		return fail(name, "open", *fd);
	return EXIT_OK;
}

static int read_all(FILE *f, unsigned char **buf, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	unsigned char *p = malloc(cap), *q;

	if (!p)
		return -ENOMEM;
	while ((r = fread(p + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			q = realloc(p, cap);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
		}
	}
	if (ferror(f)) {
		free(p);
		return -EIO;
	}
	*buf = p;
	*len = n;
	return 0;
}

static const char *policy_name(uint32_t p)
{
	return p == KCACHE_POLICY_LRU_ABI ? "lru" : p == KCACHE_POLICY_TINYLFU_ABI ? "tinylfu" :
	       "unknown";
}

/* loads: set by "stats" when the module has leases, printed with the counters */
static const struct kcache_load_counters *load_counters;

static void print_load_counters(const struct kcache_load_counters *l)
{
	if (json) {
		printf(",\"loads\":{\"started\":%" PRIu64 ",\"succeeded\":%" PRIu64
		       ",\"failed\":%" PRIu64 ",\"waiters_served\":%" PRIu64
		       ",\"leases_handed_over\":%" PRIu64 ",\"leases_expired\":%" PRIu64
		       ",\"leases_revoked\":%" PRIu64 ",\"in_flight\":%" PRIu64 "}",
		       (uint64_t)l->loads_started, (uint64_t)l->loads_succeeded,
		       (uint64_t)l->loads_failed, (uint64_t)l->waiters_served,
		       (uint64_t)l->leases_handed_over, (uint64_t)l->leases_expired,
		       (uint64_t)l->leases_revoked, (uint64_t)l->in_flight);
		return;
	}
	printf("loads started    %" PRIu64 "\n", (uint64_t)l->loads_started);
	printf("loads succeeded  %" PRIu64 "\n", (uint64_t)l->loads_succeeded);
	printf("loads failed     %" PRIu64 "\n", (uint64_t)l->loads_failed);
	printf("waiters served   %" PRIu64 "\n", (uint64_t)l->waiters_served);
	printf("leases handed    %" PRIu64 "\n", (uint64_t)l->leases_handed_over);
	printf("leases expired   %" PRIu64 "\n", (uint64_t)l->leases_expired);
	printf("leases revoked   %" PRIu64 "\n", (uint64_t)l->leases_revoked);
	printf("loads in flight  %" PRIu64 "\n", (uint64_t)l->in_flight);
}

static void print_counters(const struct kcache_counters *c)
{
	if (json) {
		printf("{\"hits\":%" PRIu64 ",\"misses\":%" PRIu64 ",\"sets\":%" PRIu64
		       ",\"deletes\":%" PRIu64 ",\"evictions_size\":%" PRIu64
		       ",\"evictions_shrink\":%" PRIu64 ",\"expirations\":%" PRIu64
		       ",\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"max_entries\":%" PRIu64
		       ",\"max_bytes\":%" PRIu64,
		       (uint64_t)c->hits, (uint64_t)c->misses, (uint64_t)c->sets,
		       (uint64_t)c->deletes, (uint64_t)c->evictions_size,
		       (uint64_t)c->evictions_shrink, (uint64_t)c->expirations,
		       (uint64_t)c->entries, (uint64_t)c->bytes, (uint64_t)c->max_entries,
		       (uint64_t)c->max_bytes);
		if (load_counters)
			print_load_counters(load_counters);
		putchar('}');
		return;
	}
	printf("hits             %" PRIu64 "\n", (uint64_t)c->hits);
	printf("misses           %" PRIu64 "\n", (uint64_t)c->misses);
	printf("sets             %" PRIu64 "\n", (uint64_t)c->sets);
	printf("deletes          %" PRIu64 "\n", (uint64_t)c->deletes);
	printf("evictions_size   %" PRIu64 "\n", (uint64_t)c->evictions_size);
	printf("evictions_shrink %" PRIu64 "\n", (uint64_t)c->evictions_shrink);
	printf("expirations      %" PRIu64 "\n", (uint64_t)c->expirations);
	printf("entries          %" PRIu64 " / %" PRIu64 "\n", (uint64_t)c->entries,
	       (uint64_t)c->max_entries);
	printf("bytes            %" PRIu64 " / %" PRIu64 "\n", (uint64_t)c->bytes,
	       (uint64_t)c->max_bytes);
	if (load_counters)
		print_load_counters(load_counters);
}

/* ---- commands ---- */

static int cmd_version(int ctl, int argc, char **argv)
{
	struct kcache_version v;
	int ret;

	if (argc != 1 || !argv[0])
		return usage();
	ret = kcache_version(ctl, &v);
	if (ret)
		return fail(NULL, "version", ret);
	if (json)
		printf("{\"abi_version\":%u,\"features\":%llu}\n", v.abi_version,
		       (unsigned long long)v.features);
	else
		printf("kcache ABI version %u, features 0x%llx\n", v.abi_version,
		       (unsigned long long)v.features);
	return EXIT_OK;
}

static int cmd_create(int ctl, int argc, char **argv)
{
	uint64_t max_entries = 0, max_bytes = 0, ttl = 0;
	uint32_t policy = KCACHE_POLICY_TINYLFU_ABI, mode = 0600;
	int opt, fd;

	while ((opt = getopt(argc, argv, "n:b:t:p:m:")) != -1) {
		switch (opt) {
		case 'n':
			max_entries = strtoull(optarg, NULL, 0);
			break;
		case 'b':
			max_bytes = strtoull(optarg, NULL, 0);
			break;
		case 't':
			ttl = strtoull(optarg, NULL, 0);
			break;
		case 'p':
			if (!strcmp(optarg, "lru"))
				policy = KCACHE_POLICY_LRU_ABI;
			else if (!strcmp(optarg, "tinylfu"))
				policy = KCACHE_POLICY_TINYLFU_ABI;
			else
				return usage();
			break;
		case 'm':
			mode = strtoul(optarg, NULL, 8);
			break;
		default:
			return usage();
		}
	}
	if (argc - optind != 1)
		return usage();
	fd = kcache_create(ctl, argv[optind], max_entries, max_bytes, ttl, policy, mode);
	if (fd < 0)
		return fail(argv[optind], "create", fd);
	close(fd);
	if (json)
		printf("{\"created\":\"%s\"}\n", argv[optind]);
	return EXIT_OK;
}

static int cmd_destroy(int ctl, int argc, char **argv)
{
	int ret;

	if (argc != 2)
		return usage();
	ret = kcache_destroy(ctl, argv[1]);
	if (ret)
		return fail(argv[1], "destroy", ret);
	return EXIT_OK;
}

static int cmd_list(int ctl, int argc, char **argv)
{
	struct kcache_list_record *recs = NULL, *p;
	uint32_t nr = 16, i;
	int ret;

	if (argc != 1 || !argv[0])
		return usage();
	for (;;) {
		p = realloc(recs, nr * sizeof(*recs));
		if (!p) {
			free(recs);
			return fail(NULL, "list", -ENOMEM);
		}
		recs = p;
		ret = kcache_list(ctl, recs, &nr);
		if (ret != -EMSGSIZE)
			break;
	}
	if (ret) {
		free(recs);
		return fail(NULL, "list", ret);
	}
	if (json)
		putchar('[');
	else
		printf("%-24s %-8s %10s %12s %12s %10s %10s %5s %s\n", "NAME", "POLICY",
		       "ENTRIES", "BYTES", "MAX_BYTES", "HITS", "MISSES", "MODE", "OWNER");
	for (i = 0; i < nr; i++) {
		struct kcache_list_record *r = &recs[i];

		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			json_str((const unsigned char *)r->name, strlen(r->name));
			printf(",\"uid\":%u,\"gid\":%u,\"mode\":%u,\"policy\":\"%s\","
			       "\"default_ttl_ns\":%" PRIu64 ",\"counters\":",
			       r->uid, r->gid, r->mode, policy_name(r->policy),
			       (uint64_t)r->default_ttl_ns);
			print_counters(&r->counters);
			putchar('}');
		} else {
			printf("%-24s %-8s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64
			       " %10" PRIu64 " %05o %u:%u\n", r->name, policy_name(r->policy),
			       (uint64_t)r->counters.entries, (uint64_t)r->counters.bytes,
			       (uint64_t)r->counters.max_bytes, (uint64_t)r->counters.hits,
			       (uint64_t)r->counters.misses, r->mode, r->uid, r->gid);
		}
	}
	if (json)
		printf("]\n");
	free(recs);
	return EXIT_OK;
}

static int cmd_info(int ctl, int argc, char **argv)
{
	struct kcache_info_args in;
	int fd, ret;

	if (argc != 2)
		return usage();
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	ret = kcache_info(fd, &in);
	close(fd);
	if (ret)
		return fail(argv[1], "info", ret);
	if (json) {
		printf("{\"name\":");
		json_str((const unsigned char *)in.name, strlen(in.name));
		printf(",\"policy\":\"%s\",\"max_entries\":%" PRIu64 ",\"max_bytes\":%" PRIu64
		       ",\"default_ttl_ns\":%" PRIu64 ",\"uid\":%u,\"gid\":%u,\"mode\":%u}\n",
		       policy_name(in.policy), (uint64_t)in.max_entries,
		       (uint64_t)in.max_bytes, (uint64_t)in.default_ttl_ns, in.uid, in.gid,
		       in.mode);
		return EXIT_OK;
	}
	printf("name           %s\n", in.name);
	printf("policy         %s\n", policy_name(in.policy));
	printf("max_entries    %" PRIu64 "\n", (uint64_t)in.max_entries);
	printf("max_bytes      %" PRIu64 "\n", (uint64_t)in.max_bytes);
	printf("default_ttl_ns %" PRIu64 "%s\n", (uint64_t)in.default_ttl_ns,
	       in.default_ttl_ns ? "" : " (none)");
	printf("owner          %u:%u\n", in.uid, in.gid);
	printf("mode           %04o\n", in.mode);
	return EXIT_OK;
}

static int cmd_stats(int ctl, int argc, char **argv)
{
	struct kcache_load_counters lc;
	struct kcache_counters c;
	int fd, ret;

	if (argc != 2)
		return usage();
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	ret = kcache_stats(fd, &c);
	if (!ret && !kcache_load_stats(fd, &lc))	/* loads: older modules lack it */
		load_counters = &lc;
	close(fd);
	if (ret)
		return fail(argv[1], "stats", ret);
	print_counters(&c);
	if (json)
		putchar('\n');
	return EXIT_OK;
}

static int cmd_get(int ctl, int argc, char **argv)
{
	unsigned char *key, *val = NULL, *p;
	uint32_t vlen = 4096;
	uint64_t version;
	long klen;
	int fd, ret;

	if (argc != 3)
		return usage();
	klen = arg_bytes(argv[2], &key);
	if (klen < 0)
		return EXIT_USAGE;
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_READ, &fd);
	if (ret)
		goto out;
	for (;;) {
		p = realloc(val, vlen ?: 1);
		if (!p) {
			ret = fail(argv[1], "get", -ENOMEM);
			goto out_fd;
		}
		val = p;
		ret = kcache_get(fd, key, klen, val, &vlen, &version);
		if (ret != -EMSGSIZE)
			break;
	}
	if (ret) {
		ret = fail(argv[1], "get", ret);
		goto out_fd;
	}
	if (json) {
		printf("{\"key\":");
		json_str(key, klen);
		printf(",\"value\":");
		json_str(val, vlen);
		printf(",\"value_hex\":");
		json_hex(val, vlen);
		printf(",\"version\":%" PRIu64 "}\n", version);
	} else if (fwrite(val, 1, vlen, stdout) != vlen) {
		ret = EXIT_FAIL;
	}
out_fd:
	close(fd);
out:
	free(val);
	free(key);
	return ret;
}

static int cmd_set(int ctl, int argc, char **argv)
{
	unsigned char *key = NULL, *val = NULL;
	const char *file = NULL;
	uint32_t flags = 0;
	uint64_t ttl = 0, version;
	long klen;
	size_t vlen;
	int opt, fd, ret;
	FILE *f;

	while ((opt = getopt(argc, argv, "f:t:nx")) != -1) {
		switch (opt) {
		case 'f':
			file = optarg;
			break;
		case 't':
			ttl = strtoull(optarg, NULL, 0);
			flags |= KCACHE_SETF_TTL;
			break;
		case 'n':
			flags |= KCACHE_SETF_IF_ABSENT;
			break;
		case 'x':
			flags |= KCACHE_SETF_IF_PRESENT;
			break;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3 || (argc == 3 && file))
		return usage();
	klen = arg_bytes(argv[1], &key);
	if (klen < 0)
		return EXIT_USAGE;
	if (argc == 3) {
		long n = arg_bytes(argv[2], &val);

		if (n < 0) {
			free(key);
			return EXIT_USAGE;
		}
		vlen = n;
	} else {
		f = file ? fopen(file, "rb") : stdin;
		if (!f) {
			fprintf(stderr, "%s: %s: %s\n", prog, file, strerror(errno));
			free(key);
			return EXIT_FAIL;
		}
		ret = read_all(f, &val, &vlen);
		if (f != stdin)
			fclose(f);
		if (ret) {
			free(key);
			return fail(NULL, file ?: "stdin", ret);
		}
	}
	ret = open_cache(ctl, argv[0], KCACHE_OPEN_WRITE, &fd);
	if (ret)
		goto out;
	if (vlen > UINT32_MAX) {
		ret = fail(argv[0], "set", -E2BIG);
	} else {
		ret = kcache_set(fd, key, klen, val, vlen, flags, ttl, &version);
		if (ret)
			ret = fail(argv[0], "set", ret);
		else if (json)
			printf("{\"version\":%" PRIu64 "}\n", version);
	}
	close(fd);
out:
	free(val);
	free(key);
	return ret;
}

static int cmd_del(int ctl, int argc, char **argv)
{
	unsigned char *key;
	long klen;
	int fd, ret;

	if (argc != 3)
		return usage();
	klen = arg_bytes(argv[2], &key);
	if (klen < 0)
		return EXIT_USAGE;
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_WRITE, &fd);
	if (!ret) {
		ret = kcache_del(fd, key, klen);
		if (ret)
			ret = fail(argv[1], "del", ret);
		close(fd);
	}
	free(key);
	return ret;
}

static int cmd_flush(int ctl, int argc, char **argv)
{
	unsigned char *prefix = NULL;
	uint64_t removed = 0;
	long plen = 0;
	int fd, ret;

	if (argc != 2 && argc != 3)
		return usage();
	if (argc == 3) {
		plen = arg_bytes(argv[2], &prefix);
		if (plen < 0)
			return EXIT_USAGE;
	}
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_WRITE, &fd);
	if (!ret) {
		if (prefix)
			ret = kcache_invalidate_prefix(fd, prefix, plen, &removed);
		else
			ret = kcache_invalidate(fd, &removed);
		if (ret)
			ret = fail(argv[1], "flush", ret);
		else if (json)
			printf("{\"removed\":%" PRIu64 "}\n", removed);
		else
			printf("removed %" PRIu64 " entries\n", removed);
		close(fd);
	}
	free(prefix);
	return ret;
}

static int cmd_dump(int ctl, int argc, char **argv)
{
	uint32_t len = 1 << 20, needed;
	uint64_t cursor = 0, count = 0;
	const struct kcache_dump_record *r;
	int fd, ret, n, done = 0, i;
	void *buf, *p;

	if (argc != 2)
		return usage();
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	buf = malloc(len);
	if (!buf) {
		close(fd);
		return fail(argv[1], "dump", -ENOMEM);
	}
	if (json)
		putchar('[');
	while (!done) {
		n = kcache_dump(fd, buf, len, &cursor, &done, &needed);
		if (n == -EMSGSIZE && needed > len) {
			len = needed;
			p = realloc(buf, len);
			if (!p) {
				ret = fail(argv[1], "dump", -ENOMEM);
				break;
			}
			buf = p;
			continue;
		}
		if (n < 0) {
			ret = fail(argv[1], "dump", n);
			break;
		}
		for (i = 0, r = buf; i < n; i++, r = kcache_dump_next(r)) {
			if (json) {
				printf("%s{\"key\":", count ? "," : "");
				json_str(kcache_dump_key(r), r->key_len);
				printf(",\"key_hex\":");
				json_hex(kcache_dump_key(r), r->key_len);
				printf(",\"value\":");
				json_str(kcache_dump_val(r), r->val_len);
				printf(",\"value_hex\":");
				json_hex(kcache_dump_val(r), r->val_len);
				printf(",\"version\":%" PRIu64 "}", (uint64_t)r->version);
			} else {
				put_escaped(stdout, kcache_dump_key(r), r->key_len);
				putchar('\t');
				put_escaped(stdout, kcache_dump_val(r), r->val_len);
				putchar('\n');
			}
			count++;
		}
	}
	if (json)
		printf("]\n");
	free(buf);
	close(fd);
	return ret;
}

static int cmd_load(int ctl, int argc, char **argv)
{
	size_t len, lineno = 0, loaded = 0;
	unsigned char *data, *kbuf = NULL;
	char *line, *end, *tab;
	long klen, vlen;
	int fd, ret;
	FILE *f;

	if (argc != 2 && argc != 3)
		return usage();
	f = argc == 3 ? fopen(argv[2], "rb") : stdin;
	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[2], strerror(errno));
		return EXIT_FAIL;
	}
	ret = read_all(f, &data, &len);
	if (f != stdin)
		fclose(f);
	if (ret)
		return fail(NULL, "load", ret);
	ret = open_cache(ctl, argv[1], KCACHE_OPEN_WRITE, &fd);
	if (ret)
		goto out;
	kbuf = malloc(len + 1);
	if (!kbuf) {
		ret = fail(argv[1], "load", -ENOMEM);
		goto out_fd;
	}
	for (line = (char *)data; line < (char *)data + len; line = end + 1) {
		end = memchr(line, '\n', (char *)data + len - line);
		if (!end)
			end = (char *)data + len;
		lineno++;
		if (end == line)
			continue;
		tab = memchr(line, '\t', end - line);
		klen = tab ? unescape(line, tab - line, kbuf) : -1;
		vlen = klen >= 0 ? unescape(tab + 1, end - tab - 1, kbuf + klen) : -1;
		if (vlen < 0) {
			fprintf(stderr, "%s: load: line %zu: not KEY<TAB>VALUE with \\xHH escapes\n",
				prog, lineno);
			ret = EXIT_FAIL;
			break;
		}
		ret = kcache_set(fd, kbuf, klen, kbuf + klen, vlen, 0, 0, NULL);
		if (ret) {
			fprintf(stderr, "%s: load: line %zu:\n", prog, lineno);
			ret = fail(argv[1], "set", ret);
			break;
		}
		loaded++;
	}
	if (!ret) {
		if (json)
			printf("{\"loaded\":%zu}\n", loaded);
		else
			printf("loaded %zu entries\n", loaded);
	}
out_fd:
	close(fd);
out:
	free(kbuf);
	free(data);
	return ret;
}

static const struct {
	const char *name;
	int (*fn)(int ctl, int argc, char **argv);
} commands[] = {
	{ "version", cmd_version }, { "create", cmd_create }, { "destroy", cmd_destroy },
	{ "list", cmd_list }, { "info", cmd_info }, { "stats", cmd_stats },
	{ "get", cmd_get }, { "set", cmd_set }, { "del", cmd_del }, { "flush", cmd_flush },
	{ "dump", cmd_dump }, { "load", cmd_load },
};

int main(int argc, char **argv)
{
	int opt, ctl, ret;
	size_t i;

	while ((opt = getopt(argc, argv, "+jeh")) != -1) {
		if (opt == 'j')
			json = 1;
		else if (opt == 'e')
			escaped_args = 1;
		else
			return usage();
	}
	if (optind >= argc)
		return usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[optind], commands[i].name))
			break;
	if (i == sizeof(commands) / sizeof(commands[0]))
		return usage();
	ctl = kcache_ctl_open();
	if (ctl < 0) {
		fprintf(stderr, "%s: cannot open /dev/%s: %s (is kcache.ko loaded?)\n", prog,
			KCACHE_DEVICE_NAME, strerror(-ctl));
		return EXIT_FAIL;
	}
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: re-initialise getopt for the command's own options */
	ret = commands[i].fn(ctl, argc, argv);
	close(ctl);
	if (fflush(stdout))
		ret = ret ?: EXIT_FAIL;
	return ret;
}
