// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl - command-line front end of libkcache (it uses nothing else of kcache).
 *
 * Exit codes: 0 success, 1 operation failed, 2 usage error, 3 cache or key not found,
 * 4 permission denied, 5 already exists (create, set -n). See kcachectl(8).
 *
 * Options, numbers, units, modes and escapes are checked before /dev/kcache is opened, so
 * bad input gets a message and exit code 2 whether or not the module is loaded; names and
 * key and value lengths are the kernel's to check (exit 1). Each option letter has one
 * meaning in every subcommand that takes it (the table in kcachectl(8)).
 *
 * Dump format (dump, load): one entry a line, the escaped key, a TAB, the escaped value.
 * Escaping keeps the bytes 0x20..0x7e as they are except '\', written "\\"; every other
 * byte is written "\xHH". With -e, KEY, VALUE and PREFIX arguments use the same escapes.
 *
 * JSON (-j): a key or value is a JSON string plus a "<field>_encoding" member: "utf-8"
 * when the bytes are valid UTF-8 (passed through, control characters escaped), else
 * "base64" (RFC 4648, padded) of the bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kcache.h"

#ifndef KCACHE_PKG_VERSION
#define KCACHE_PKG_VERSION "unknown"
#endif

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
static const struct command *cur;	/* the subcommand being run, for messages */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static void global_usage(FILE *f);

/* ---- usage and help ---- */

static void cmd_help(const struct command *c, FILE *f)
{
	fprintf(f, "usage: %s %s %s\n%s", prog, c->name, c->synopsis, c->help);
}

/* A usage error of the current subcommand: the problem, then how to get help. */
static int __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s%s", prog, cur ? cur->name : "", cur ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cur)
		fprintf(stderr, "\nusage: %s %s %s\nTry '%s help %s'.\n", prog, cur->name,
			cur->synopsis, prog, cur->name);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

/* ---- errors of operations ---- */

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

/*
 * Has standard output failed (a full disk, a reader that quit with SIGPIPE ignored)?
 * Flushes it; the first failure is reported on stderr, once, for a command to exit 1.
 */
static bool stdout_failed(void)
{
	static bool said;
	int err;

	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return false;
	err = errno;
	if (!said)
		fprintf(stderr, "%s: standard output: %s\n", prog,
			err ? strerror(err) : "write error");
	said = true;
	return true;
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
		msg = "invalid argument (names: 1-64 of [A-Za-z0-9._-]; keys: 1 byte or more)";
		break;
	case -ESHUTDOWN:
		msg = "the cache was destroyed";
		break;
	case -ESTALE:
		msg = "version changed";
		break;
	case -ETIMEDOUT:
		/* only a lease GET waits: strerror() would blame a connection */
		msg = "another process's load did not finish in time (fetch --wait)";
		break;
	case -EIO:
		msg = !strcmp(what, "fetch") ? "the load failed, nothing was stored" :
		      strerror(EIO);
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

/* ---- the control device, opened once every argument has been checked ---- */

static int ctl_fd = -1;

static int ctl(void)
{
	if (ctl_fd >= 0)
		return 0;
	ctl_fd = kcache_ctl_open();
	if (ctl_fd >= 0)
		return 0;
	fprintf(stderr, "%s: cannot open /dev/%s: %s%s\n", prog, KCACHE_DEVICE_NAME,
		strerror(-ctl_fd), ctl_fd == -ENOENT ? " (is kcache.ko loaded?)" : "");
	return ctl_fd == -EACCES || ctl_fd == -EPERM ? EXIT_PERM : EXIT_FAIL;
}

/* ---- numbers with units ---- */

/* Decimal digits at *@s into @v; 0, or -1 if none or on overflow. */
static int digits(const char **s, uint64_t *v)
{
	const char *p = *s;

	*v = 0;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(*v, 10, v) || __builtin_add_overflow(*v, *p - '0', v))
			return -1;
	*s = p;
	return 0;
}

/*
 * A duration: one or more NUMBER UNIT pairs (units ns, us, ms, s, m, h, d), e.g. 250ms or
 * 1h30m; a bare "0" means none. A bare non-zero number is rejected: is 30 seconds or ns?
 */
static int parse_duration(const char *opt, const char *arg, uint64_t *ns)
{
	static const struct { const char *u; uint64_t ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ULL },
		{ "m", 60000000000ULL }, { "h", 3600000000000ULL }, { "d", 86400000000000ULL },
	};
	const char *s = arg;
	uint64_t v, total = 0;
	size_t i, len;

	if (!strcmp(arg, "0")) {
		*ns = 0;
		return 0;
	}
	do {
		if (digits(&s, &v))
			return bad("%s '%s': not a duration (e.g. 250ms, 30s, 5m, 1h)", opt, arg);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			len = strlen(units[i].u);
			/* "m" must not take the "m" of "ms" */
			if (!strncmp(s, units[i].u, len) && (s[len] < 'a' || s[len] > 'z'))
				break;
		}
		if (i == sizeof(units) / sizeof(units[0]))
			return bad("%s '%s': %s (units: ns us ms s m h d)", opt, arg,
				   *s ? "unknown unit" : "a number needs a unit");
		if (__builtin_mul_overflow(v, units[i].ns, &v) ||
		    __builtin_add_overflow(total, v, &total))
			return bad("%s '%s': too long", opt, arg);
		s += strlen(units[i].u);
	} while (*s);
	*ns = total;
	return 0;
}

/* A size in bytes: a number, optionally K, M, G or T (powers of 1024; "KiB" also). */
static int parse_size(const char *opt, const char *arg, uint64_t *bytes)
{
	const char *s = arg, *sfx = "KMGT";
	const char *p;
	uint64_t v;
	int shift = 0;

	if (digits(&s, &v))
		return bad("%s '%s': not a size (e.g. 4096, 64K, 16M, 1G)", opt, arg);
	if (*s) {
		p = strchr(sfx, *s == 'k' ? 'K' : *s);
		if (!p || (s[1] && strcmp(s + 1, "iB")))
			return bad("%s '%s': unknown unit (K, M, G, T; or KiB, MiB...)", opt, arg);
		shift = 10 * (int)(p - sfx + 1);
	}
	if (shift && v > (UINT64_MAX >> shift))
		return bad("%s '%s': too large", opt, arg);
	*bytes = v << shift;
	return 0;
}

static int parse_count(const char *opt, const char *arg, uint64_t *n)
{
	const char *s = arg;

	if (digits(&s, n) || *s)
		return bad("%s '%s': not a count (decimal digits)", opt, arg);
	return 0;
}

/*
 * Permission bits in octal: read and write bits only, a subset of 0666 (a cache has no
 * execute right; the kernel refuses any other bit with -EINVAL).
 */
static int parse_mode(const char *opt, const char *arg, uint32_t *mode)
{
	const char *s = arg;
	uint32_t m = 0;

	if (!*s)
		return bad("%s '': not an octal mode", opt);
	for (; *s; s++) {
		if (*s < '0' || *s > '7' || m > 0777)
			return bad("%s '%s': not an octal mode of at most 0666", opt, arg);
		m = m << 3 | (*s - '0');
	}
	if (m & ~0666)
		return bad("%s '%s': not an octal mode of at most 0666 (read and write bits only)",
			   opt, arg);
	*mode = m;
	return 0;
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

/* An argument as bytes: literal, or decoded with -e. The length, or -1 after a message. */
static long arg_bytes(const char *what, const char *arg, unsigned char **out)
{
	size_t n = strlen(arg);
	long len;

	*out = malloc(n + 1);
	if (!*out) {
		fail(NULL, what, -ENOMEM);
		return -1;
	}
	if (!escaped_args) {
		memcpy(*out, arg, n);
		return n;
	}
	len = unescape(arg, n, *out);
	if (len < 0) {
		bad("%s '%s': bad escape (\\\\, \\n, \\t or \\xHH)", what, arg);
		free(*out);
		*out = NULL;
	}
	return len;
}

/* ---- JSON ---- */

/* Length of the valid UTF-8 sequence at @p (at most @n bytes), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;	/* continuation byte, overlong lead (c0, c1) or beyond U+10FFFF */
	if (n < len)
		return 0;
	/* no overlongs, no surrogates (U+D800..DFFF), nothing past U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static int is_utf8(const unsigned char *p, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		l = utf8_seq(p + i, n - i);
		if (!l)
			return 0;
		i += l;
	}
	return 1;
}

/* A JSON string of valid UTF-8: passed through, with '"', '\' and controls escaped. */
static void json_text(const unsigned char *p, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		switch (p[i]) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f)
				printf("\\u%04x", p[i]);
			else
				putchar(p[i]);
		}
	}
	putchar('"');
}

static void json_base64(const unsigned char *p, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;

	putchar('"');
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
		printf("%c%c%c%c", b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63],
		       b64[v & 63]);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		printf("%c%c==", b64[v >> 18], b64[(v >> 12) & 63]);
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | p[i + 1] << 8;
		printf("%c%c%c=", b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63]);
	}
	putchar('"');
}

/* "field":"...","field_encoding":"utf-8|base64" for bytes of any kind */
static void json_bytes(const char *field, const unsigned char *p, size_t n)
{
	int text = is_utf8(p, n);

	printf("\"%s\":", field);
	if (text)
		json_text(p, n);
	else
		json_base64(p, n);
	printf(",\"%s_encoding\":\"%s\"", field, text ? "utf-8" : "base64");
}

/* a cache name: the kernel allows [A-Za-z0-9._-] only, but print whatever came back */
static void json_name(const char *name)
{
	const unsigned char *p = (const unsigned char *)name;

	if (is_utf8(p, strlen(name)))
		json_text(p, strlen(name));
	else
		json_base64(p, strlen(name));
}

/* ---- helpers ---- */

static int open_cache(const char *name, uint32_t access, int *fd)
{
	int ret = ctl();

	if (ret)
		return ret;
	*fd = kcache_open(ctl_fd, name, access);
	if (*fd < 0)
		return fail(name, "open", *fd);
	return EXIT_OK;
}

/* All of @f into *@buf (malloc()ed); 0 or -errno, the read's own error if it failed. */
static int read_all(FILE *f, unsigned char **buf, size_t *len)
{
	size_t cap = 65536, n = 0, r;
	unsigned char *p = malloc(cap), *q;
	int err;

	if (!p)
		return -ENOMEM;
	for (;;) {
		/* a failed fread() leaves read(2)'s errno (EISDIR...), which realloc() may not */
		errno = 0;
		r = fread(p + n, 1, cap - n, f);
		if (!r)
			break;
		n += r;
		if (n == cap) {
			/* 32-bit size_t: doubled past SIZE_MAX, cap is 0 and realloc() frees p */
			if (cap > SIZE_MAX / 2) {
				free(p);
				return -E2BIG;
			}
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
		err = errno ?: EIO;
		free(p);
		return -err;
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

/* set by "stats" when the module has leases, printed with the counters */
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
		       ",\"max_bytes\":%" PRIu64 ",\"spare_bytes\":%" PRIu64,
		       (uint64_t)c->hits, (uint64_t)c->misses, (uint64_t)c->sets,
		       (uint64_t)c->deletes, (uint64_t)c->evictions_size,
		       (uint64_t)c->evictions_shrink, (uint64_t)c->expirations,
		       (uint64_t)c->entries, (uint64_t)c->bytes, (uint64_t)c->max_entries,
		       (uint64_t)c->max_bytes, (uint64_t)c->spare_bytes);
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
	printf("spare_bytes      %" PRIu64 "\n", (uint64_t)c->spare_bytes);
	if (load_counters)
		print_load_counters(load_counters);
}

/*
 * Each subcommand parses its options with getopt_long (GNU order: options may follow the
 * operands, "set NAME KEY -t 5s"); every one takes -h/--help.
 */
#define HELP_OPT { "help", no_argument, NULL, 'h' }

/* After getopt: 'h' prints help (exit 0), '?' and ':' are usage errors. */
static int common_opt(int opt)
{
	if (opt == 'h') {
		cmd_help(cur, stdout);
		return EXIT_OK;
	}
	/* getopt already said what was wrong */
	fprintf(stderr, "usage: %s %s %s\nTry '%s help %s'.\n", prog, cur->name,
		cur->synopsis, prog, cur->name);
	return EXIT_USAGE;
}

/* The operands after the options: between @min and @max of them. */
static int operands(int argc, int min, int max)
{
	int n = argc - optind;

	if (n < min)
		return bad("missing operand");
	if (n > max)
		return bad("unexpected operand");
	return 0;
}

/* ---- commands ---- */

static int cmd_version(int argc, char **argv)
{
	static const struct option lo[] = { HELP_OPT, {} };
	struct kcache_version v;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		return common_opt(opt);
	if (operands(argc, 0, 0))
		return EXIT_USAGE;
	ret = ctl();
	if (ret)
		return ret;
	ret = kcache_version(ctl_fd, &v);
	if (ret)
		return fail(NULL, "version", ret);
	if (json)
		printf("{\"kcachectl\":\"%s\",\"abi_version\":%u,\"features\":%llu}\n",
		       KCACHE_PKG_VERSION, v.abi_version, (unsigned long long)v.features);
	else
		printf("kcachectl %s, kcache ABI version %u, features 0x%llx\n",
		       KCACHE_PKG_VERSION, v.abi_version, (unsigned long long)v.features);
	return EXIT_OK;
}

static int cmd_create(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "max-entries", required_argument, NULL, 'c' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "ttl", required_argument, NULL, 't' },
		{ "policy", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		HELP_OPT, {}
	};
	uint64_t max_entries = 0, max_bytes = 0, ttl = 0;
	uint32_t policy = KCACHE_POLICY_TINYLFU_ABI, mode = 0600;
	int opt, fd, ret;
	const char *name;

	while ((opt = getopt_long(argc, argv, "c:b:t:p:m:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (parse_count("--max-entries", optarg, &max_entries))
				return EXIT_USAGE;
			break;
		case 'b':
			if (parse_size("--max-bytes", optarg, &max_bytes))
				return EXIT_USAGE;
			break;
		case 't':
			if (parse_duration("--ttl", optarg, &ttl))
				return EXIT_USAGE;
			break;
		case 'p':
			if (!strcmp(optarg, "lru"))
				policy = KCACHE_POLICY_LRU_ABI;
			else if (!strcmp(optarg, "tinylfu"))
				policy = KCACHE_POLICY_TINYLFU_ABI;
			else
				return bad("--policy '%s': tinylfu or lru", optarg);
			break;
		case 'm':
			if (parse_mode("--mode", optarg, &mode))
				return EXIT_USAGE;
			break;
		default:
			return common_opt(opt);
		}
	}
	if (operands(argc, 1, 1))
		return EXIT_USAGE;
	name = argv[optind];
	ret = ctl();
	if (ret)
		return ret;
	fd = kcache_create(ctl_fd, name, max_entries, max_bytes, ttl, policy, mode);
	if (fd < 0)
		return fail(name, "create", fd);
	close(fd);
	if (json) {
		printf("{\"created\":");
		json_name(name);
		printf("}\n");
	}
	return EXIT_OK;
}

/* Subcommands whose only option is --help: NAME and up to @max - 1 more operands. */
static int plain_args(int argc, char **argv, int min, int max)
{
	static const struct option lo[] = { HELP_OPT, {} };
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1)
		return common_opt(opt) ?: -1;
	return operands(argc, min, max) ? EXIT_USAGE : 0;
}

static int cmd_destroy(int argc, char **argv)
{
	int ret = plain_args(argc, argv, 1, 1);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = ctl();
	if (ret)
		return ret;
	ret = kcache_destroy(ctl_fd, argv[optind]);
	if (ret)
		return fail(argv[optind], "destroy", ret);
	return EXIT_OK;
}

/*
 * Every cache the caller may see into *@recs (malloc()ed, *@nr of them): a page at a time,
 * or in one call from a kernel without KCACHE_FEATURE_LIST_CONTINUE (1024 at most).
 */
static int list_all(struct kcache_list_record **recs, uint32_t *nr)
{
	struct kcache_list_record *r = NULL, *p;
	uint32_t n = 0, cap = 0, page = 256, want, got;
	uint64_t cursor = 0;
	int ret;

	for (;;) {
		if (cap - n < page) {
			p = realloc(r, (cap + page) * sizeof(*r));
			if (!p) {
				ret = -ENOMEM;
				break;
			}
			r = p;
			cap += page;
		}
		want = cap - n;
		got = want;
		ret = kcache_list_page(ctl_fd, r + n, &got, &cursor);
		if (ret == -EINVAL && !n) {
			/* an older module: one call, growing the array until it fits */
			for (got = cap;;) {
				ret = kcache_list(ctl_fd, r, &got);
				if (ret != -EMSGSIZE)
					break;
				p = realloc(r, got * sizeof(*r));
				if (!p) {
					ret = -ENOMEM;
					break;
				}
				r = p;
			}
			n = got;
			break;
		}
		if (ret)
			break;
		n += got;
		if (got < want)		/* a short page is the last */
			break;
	}
	if (ret) {
		free(r);
		return ret;
	}
	*recs = r;
	*nr = n;
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option lo[] = { { "quiet", no_argument, NULL, 'q' }, HELP_OPT, {} };
	struct kcache_list_record *recs = NULL;
	uint32_t nr, i;
	int opt, ret, quiet = 0;

	while ((opt = getopt_long(argc, argv, "qh", lo, NULL)) != -1) {
		if (opt != 'q')
			return common_opt(opt);
		quiet = 1;
	}
	if (operands(argc, 0, 0))
		return EXIT_USAGE;
	ret = ctl();
	if (ret)
		return ret;
	ret = list_all(&recs, &nr);
	if (ret) {
		free(recs);
		return fail(NULL, "list", ret);
	}
	if (json)
		putchar('[');
	else if (!quiet)
		printf("%-24s %-8s %10s %12s %12s %10s %10s %5s %s\n", "NAME", "POLICY",
		       "ENTRIES", "BYTES", "MAX_BYTES", "HITS", "MISSES", "MODE", "OWNER");
	for (i = 0; i < nr; i++) {
		struct kcache_list_record *r = &recs[i];

		if (json) {
			printf("%s{\"name\":", i ? "," : "");
			json_name(r->name);
			printf(",\"uid\":%u,\"gid\":%u,\"mode\":%u,\"policy\":\"%s\","
			       "\"default_ttl_ns\":%" PRIu64 ",\"counters\":",
			       r->uid, r->gid, r->mode, policy_name(r->policy),
			       (uint64_t)r->default_ttl_ns);
			print_counters(&r->counters);
			putchar('}');
		} else if (quiet) {
			printf("%s\n", r->name);
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

static int cmd_info(int argc, char **argv)
{
	struct kcache_info_args in;
	int fd, ret = plain_args(argc, argv, 1, 1);
	const char *name = argv[optind];

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = open_cache(name, KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	ret = kcache_info(fd, &in);
	close(fd);
	if (ret)
		return fail(name, "info", ret);
	if (json) {
		printf("{\"name\":");
		json_name(in.name);
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* per second, over @dt seconds; counters only grow, but a new cache may reuse the name */
static double rate(uint64_t now, uint64_t before, double dt)
{
	return now >= before ? (now - before) / dt : 0;
}

/* stats -w: a row every interval, as vmstat does: rates over the interval, then levels. */
static int stats_watch(int fd, const char *name, uint64_t interval_ns, uint64_t iterations)
{
	struct kcache_counters a, b;
	struct timespec ts = { interval_ns / 1000000000ULL, interval_ns % 1000000000ULL };
	uint64_t i, lookups;
	double t0, t1, dt;
	int ret;

	ret = kcache_stats(fd, &a);
	if (ret)
		return fail(name, "stats", ret);
	t0 = now_s();
	if (!json)
		printf("%10s %10s %10s %10s %10s %10s %6s %10s %12s %12s\n", "hits/s",
		       "misses/s", "sets/s", "deletes/s", "evicts/s", "expired/s", "hit%",
		       "entries", "bytes", "spare");
	for (i = 0; !iterations || i < iterations; i++) {
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		ts.tv_sec = interval_ns / 1000000000ULL;
		ts.tv_nsec = interval_ns % 1000000000ULL;
		ret = kcache_stats(fd, &b);
		if (ret)
			return fail(name, "stats", ret);
		t1 = now_s();
		dt = t1 - t0 > 0 ? t1 - t0 : 1e-9;
		lookups = (b.hits - a.hits) + (b.misses - a.misses);
		if (json) {
			printf("{\"interval_s\":%.3f,\"hits_per_s\":%.1f,\"misses_per_s\":%.1f,"
			       "\"sets_per_s\":%.1f,\"deletes_per_s\":%.1f,\"evictions_per_s\":%.1f,"
			       "\"expirations_per_s\":%.1f,\"counters\":", dt,
			       rate(b.hits, a.hits, dt), rate(b.misses, a.misses, dt),
			       rate(b.sets, a.sets, dt), rate(b.deletes, a.deletes, dt),
			       rate(b.evictions_size + b.evictions_shrink,
				    a.evictions_size + a.evictions_shrink, dt),
			       rate(b.expirations, a.expirations, dt));
			print_counters(&b);
			printf("}\n");
		} else {
			printf("%10.1f %10.1f %10.1f %10.1f %10.1f %10.1f ",
			       rate(b.hits, a.hits, dt), rate(b.misses, a.misses, dt),
			       rate(b.sets, a.sets, dt), rate(b.deletes, a.deletes, dt),
			       rate(b.evictions_size + b.evictions_shrink,
				    a.evictions_size + a.evictions_shrink, dt),
			       rate(b.expirations, a.expirations, dt));
			if (lookups && b.hits >= a.hits)
				printf("%6.1f", 100.0 * (b.hits - a.hits) / lookups);
			else
				printf("%6s", "-");
			printf(" %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
			       (uint64_t)b.entries, (uint64_t)b.bytes, (uint64_t)b.spare_bytes);
		}
		if (stdout_failed())
			return EXIT_FAIL;
		a = b;
		t0 = t1;
	}
	return EXIT_OK;
}

static int cmd_stats(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "watch", required_argument, NULL, 'w' },
		{ "iterations", required_argument, NULL, 'I' },
		HELP_OPT, {}
	};
	uint64_t interval = 0, iterations = 0, secs;
	struct kcache_load_counters lc;
	struct kcache_counters c;
	const char *name, *s;
	int opt, fd, ret;

	while ((opt = getopt_long(argc, argv, "w:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'w':
			/* a bare number is seconds, as for watch(1) and vmstat(8) */
			s = optarg;
			if (!digits(&s, &secs) && !*s) {
				if (secs > 86400)
					return bad("--watch '%s': at most a day", optarg);
				interval = secs * 1000000000ULL;
			} else if (parse_duration("--watch", optarg, &interval)) {
				return EXIT_USAGE;
			}
			if (interval < 1000000ULL)
				return bad("--watch '%s': at least 1ms", optarg);
			break;
		case 'I':
			if (parse_count("--iterations", optarg, &iterations))
				return EXIT_USAGE;
			if (!iterations)
				return bad("--iterations '%s': at least 1", optarg);
			break;
		default:
			return common_opt(opt);
		}
	}
	if (operands(argc, 1, 1))
		return EXIT_USAGE;
	if (iterations && !interval)
		return bad("--iterations needs --watch");
	name = argv[optind];
	ret = open_cache(name, KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	if (interval) {
		ret = stats_watch(fd, name, interval, iterations);
		close(fd);
		return ret;
	}
	ret = kcache_stats(fd, &c);
	if (!ret && !kcache_load_stats(fd, &lc))	/* older modules lack it */
		load_counters = &lc;
	close(fd);
	if (ret)
		return fail(name, "stats", ret);
	print_counters(&c);
	if (json)
		putchar('\n');
	return EXIT_OK;
}

/* fetch: the command that loads a missing value, and the TTL to store it with */
struct fetch_cmd {
	char **argv;
	uint64_t ttl;
};

/* The loader of "fetch": the command's standard output is the value; it must exit 0. */
static int fetch_loader(void *ctx, const void *key, uint32_t key_len, void **val,
			uint32_t *val_len, uint64_t *ttl_ns)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct fetch_cmd *fc = ctx;
	unsigned char *out = NULL;
	int pfd[2], status, ret;
	size_t len = 0;
	pid_t pid, w;
	FILE *f;

	(void)key;
	(void)key_len;
	/*
	 * kcachectl owns its signal dispositions: with SIGCHLD ignored, as a parent may leave
	 * it across execve(), the kernel would reap the command itself and waitpid() would
	 * fail with ECHILD, its exit status lost. The default gives it back (the command
	 * inherits the default too, as any program expects).
	 */
	if (sigaction(SIGCHLD, &dfl, NULL))
		return -errno;
	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return ret;
	}
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execvp(fc->argv[0], fc->argv);
		fprintf(stderr, "%s: fetch: %s: %s\n", prog, fc->argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	f = fdopen(pfd[0], "rb");
	ret = f ? read_all(f, &out, &len) : -errno;
	if (f)
		fclose(f);
	else
		close(pfd[0]);
	while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	/*
	 * No status (SIGCHLD is back to its default above, so this is not expected): whether
	 * the command succeeded is unknown, so its output is not stored.
	 */
	if (w < 0) {
		ret = ret ?: -ECHILD;
	} else if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		/* the cause is here only: the processes waiting get a bare -EIO */
		if (WIFEXITED(status))
			fprintf(stderr, "%s: fetch: %s exited with status %d\n", prog,
				fc->argv[0], WEXITSTATUS(status));
		else
			fprintf(stderr, "%s: fetch: %s killed by signal %d\n", prog,
				fc->argv[0], WTERMSIG(status));
		ret = -EIO;	/* every process waiting for this load gets it too */
	}
	if (!ret && len > UINT32_MAX)
		ret = -E2BIG;
	if (ret) {
		free(out);
		return ret;
	}
	*val = out;
	*val_len = len;
	*ttl_ns = fc->ttl;
	return 0;
}

/*
 * Write KEY's value to standard output (-j: key, value, version), with a buffer that grows
 * to fit. With @fc a miss is loaded by its command, single-flight (fetch).
 */
static int get_print(const char *name, const char *what, const unsigned char *key, long klen,
		     struct fetch_cmd *fc, uint64_t wait)
{
	unsigned char *val = NULL, *p;
	uint32_t vlen = 65536;
	bool read_only = false;
	uint64_t version;
	int fd, ret;

	ret = ctl();
	if (ret)
		return ret;
	/*
	 * Leases need both rights: the fetcher may be the one that stores. A user who may
	 * only read still gets a hit, as from get; only a miss is refused.
	 */
	fd = kcache_open(ctl_fd, name, fc ? KCACHE_OPEN_RDWR : KCACHE_OPEN_READ);
	if (fd == -EACCES && fc) {
		fd = kcache_open(ctl_fd, name, KCACHE_OPEN_READ);
		fc = NULL;
		read_only = true;
	}
	if (fd < 0)
		return fail(name, "open", fd);
	for (;;) {
		p = realloc(val, vlen ?: 1);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		val = p;
		if (fc)
			ret = kcache_get_or_load(fd, key, klen, val, &vlen, wait, 0, fetch_loader,
						 fc, &version);
		else
			ret = kcache_get(fd, key, klen, val, &vlen, &version);
		if (ret != -EMSGSIZE)
			break;
	}
	close(fd);
	if (ret == -ENOENT && read_only) {
		fprintf(stderr, "%s: %s: cache '%s' key not found, and loading it needs write permission\n",
			prog, what, name);
		ret = EXIT_PERM;
	} else if (ret) {
		ret = fail(name, what, ret);
	} else if (json) {
		putchar('{');
		json_bytes("key", key, klen);
		putchar(',');
		json_bytes("value", val, vlen);
		printf(",\"version\":%" PRIu64 "}\n", version);
	} else if (fwrite(val, 1, vlen, stdout) != vlen) {
		stdout_failed();
		ret = EXIT_FAIL;
	}
	free(val);
	return ret;
}

static int cmd_get(int argc, char **argv)
{
	unsigned char *key;
	long klen;
	int ret = plain_args(argc, argv, 2, 2);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	klen = arg_bytes("KEY", argv[optind + 1], &key);
	if (klen < 0)
		return EXIT_USAGE;
	ret = get_print(argv[optind], "get", key, klen, NULL, 0);
	free(key);
	return ret;
}

/*
 * fetch: GET, and on a miss exactly one of the processes fetching KEY at once runs the
 * command and stores its output; the others wait for that value (single-flight leases).
 */
static int cmd_fetch(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "ttl", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'w' },
		HELP_OPT, {}
	};
	struct fetch_cmd fc = { 0 };
	uint64_t wait = 10000000000ULL;
	unsigned char *key;
	const char *name;
	long klen;
	int opt, ret;

	/* "+": options end at the first operand, so the command keeps its own */
	while ((opt = getopt_long(argc, argv, "+t:w:h", lo, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_duration("--ttl", optarg, &fc.ttl))
				return EXIT_USAGE;
			/*
			 * libkcache stores a loaded value with a TTL of 0 under the cache's
			 * default TTL: "no TTL", as 0 means for set, cannot be asked for.
			 */
			if (!fc.ttl)
				return bad("--ttl '%s': fetch cannot store without a TTL (leave -t out for the cache's default TTL)",
					   optarg);
			break;
		case 'w':
			if (parse_duration("--wait", optarg, &wait))
				return EXIT_USAGE;
			break;
		default:
			return common_opt(opt);
		}
	}
	if (argc - optind < 3)
		return bad(argc - optind < 2 ? "missing operand" : "missing COMMAND");
	name = argv[optind];
	fc.argv = argv + optind + 2;
	if (!strcmp(fc.argv[0], "--"))
		fc.argv++;
	if (!fc.argv[0])
		return bad("missing COMMAND");
	klen = arg_bytes("KEY", argv[optind + 1], &key);
	if (klen < 0)
		return EXIT_USAGE;
	ret = get_print(name, "fetch", key, klen, &fc, wait);
	free(key);
	return ret;
}

static int cmd_set(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "file", required_argument, NULL, 'f' },
		{ "ttl", required_argument, NULL, 't' },
		{ "if-absent", no_argument, NULL, 'n' },
		{ "if-present", no_argument, NULL, 'x' },
		HELP_OPT, {}
	};
	unsigned char *key = NULL, *val = NULL;
	const char *file = NULL, *name;
	uint32_t flags = 0;
	uint64_t ttl = 0, version;
	long klen;
	size_t vlen;
	int opt, fd, ret, nargs;
	FILE *f;

	while ((opt = getopt_long(argc, argv, "f:t:nxh", lo, NULL)) != -1) {
		switch (opt) {
		case 'f':
			file = optarg;
			break;
		case 't':
			if (parse_duration("--ttl", optarg, &ttl))
				return EXIT_USAGE;
			flags |= KCACHE_SETF_TTL;
			break;
		case 'n':
			flags |= KCACHE_SETF_IF_ABSENT;
			break;
		case 'x':
			flags |= KCACHE_SETF_IF_PRESENT;
			break;
		default:
			return common_opt(opt);
		}
	}
	if (operands(argc, 2, 3))
		return EXIT_USAGE;
	nargs = argc - optind;
	if (nargs == 3 && file)
		return bad("VALUE and --file are exclusive");
	if ((flags & KCACHE_SETF_IF_ABSENT) && (flags & KCACHE_SETF_IF_PRESENT))
		return bad("--if-absent and --if-present are exclusive");
	name = argv[optind];
	klen = arg_bytes("KEY", argv[optind + 1], &key);
	if (klen < 0)
		return EXIT_USAGE;
	if (nargs == 3) {
		long n = arg_bytes("VALUE", argv[optind + 2], &val);

		if (n < 0) {
			free(key);
			return EXIT_USAGE;
		}
		vlen = n;
	} else {
		f = file ? fopen(file, "rb") : stdin;
		if (!f) {
			fprintf(stderr, "%s: set: %s: %s\n", prog, file, strerror(errno));
			free(key);
			return EXIT_FAIL;
		}
		ret = read_all(f, &val, &vlen);
		if (f != stdin)
			fclose(f);
		if (ret) {
			fprintf(stderr, "%s: set: %s: %s\n", prog, file ?: "standard input",
				strerror(-ret));
			free(key);
			return EXIT_FAIL;
		}
	}
	ret = open_cache(name, KCACHE_OPEN_WRITE, &fd);
	if (ret)
		goto out;
	if (vlen > UINT32_MAX) {
		ret = fail(name, "set", -E2BIG);
	} else {
		ret = kcache_set(fd, key, klen, val, vlen, flags, ttl, &version);
		if (ret)
			ret = fail(name, "set", ret);
		else if (json)
			printf("{\"version\":%" PRIu64 "}\n", version);
	}
	close(fd);
out:
	free(val);
	free(key);
	return ret;
}

static int cmd_del(int argc, char **argv)
{
	unsigned char *key;
	const char *name;
	long klen;
	int fd, ret = plain_args(argc, argv, 2, 2);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	name = argv[optind];
	klen = arg_bytes("KEY", argv[optind + 1], &key);
	if (klen < 0)
		return EXIT_USAGE;
	ret = open_cache(name, KCACHE_OPEN_WRITE, &fd);
	if (!ret) {
		ret = kcache_del(fd, key, klen);
		if (ret)
			ret = fail(name, "del", ret);
		close(fd);
	}
	free(key);
	return ret;
}

static int cmd_flush(int argc, char **argv)
{
	unsigned char *prefix = NULL;
	uint64_t removed = 0;
	const char *name;
	long plen = 0;
	int fd, ret = plain_args(argc, argv, 1, 2);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	name = argv[optind];
	if (argc - optind == 2) {
		plen = arg_bytes("PREFIX", argv[optind + 1], &prefix);
		if (plen < 0)
			return EXIT_USAGE;
		if (!plen) {
			free(prefix);
			return bad("PREFIX '': empty (leave PREFIX out to remove every entry)");
		}
	}
	ret = open_cache(name, KCACHE_OPEN_WRITE, &fd);
	if (!ret) {
		if (prefix)
			ret = kcache_invalidate_prefix(fd, prefix, plen, &removed);
		else
			ret = kcache_invalidate(fd, &removed);
		if (ret)
			ret = fail(name, "flush", ret);
		else if (json)
			printf("{\"removed\":%" PRIu64 "}\n", removed);
		else
			printf("removed %" PRIu64 " entries\n", removed);
		close(fd);
	}
	free(prefix);
	return ret;
}

static int cmd_dump(int argc, char **argv)
{
	uint32_t len = 1 << 20, needed;
	uint64_t cursor = 0, count = 0;
	const struct kcache_dump_record *r;
	int fd, n, done = 0, i, ret = plain_args(argc, argv, 1, 1);
	const char *name;
	void *buf, *p;

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	name = argv[optind];
	ret = open_cache(name, KCACHE_OPEN_READ, &fd);
	if (ret)
		return ret;
	buf = malloc(len);
	if (!buf) {
		close(fd);
		return fail(name, "dump", -ENOMEM);
	}
	if (json)
		putchar('[');
	while (!done) {
		n = kcache_dump(fd, buf, len, &cursor, &done, &needed);
		if (n == -EMSGSIZE && needed > len) {
			len = needed;
			p = realloc(buf, len);
			if (!p) {
				ret = fail(name, "dump", -ENOMEM);
				break;
			}
			buf = p;
			continue;
		}
		if (n < 0) {
			ret = fail(name, "dump", n);
			break;
		}
		for (i = 0, r = buf; i < n; i++, r = kcache_dump_next(r)) {
			if (json) {
				printf("%s{", count ? "," : "");
				json_bytes("key", kcache_dump_key(r), r->key_len);
				putchar(',');
				json_bytes("value", kcache_dump_val(r), r->val_len);
				printf(",\"version\":%" PRIu64 "}", (uint64_t)r->version);
			} else {
				put_escaped(stdout, kcache_dump_key(r), r->key_len);
				putchar('\t');
				put_escaped(stdout, kcache_dump_val(r), r->val_len);
				putchar('\n');
			}
			count++;
		}
		/* a batch at a time: with nowhere to write, the rest of the cache is not read */
		if (ferror(stdout) && stdout_failed()) {
			ret = EXIT_FAIL;
			break;
		}
	}
	if (json)
		printf("]\n");
	free(buf);
	close(fd);
	return ret;
}

static int cmd_load(int argc, char **argv)
{
	size_t len, lineno = 0, loaded = 0;
	unsigned char *data, *kbuf = NULL;
	char *line, *end, *tab;
	const char *name, *file;
	long klen, vlen;
	int fd, ret = plain_args(argc, argv, 1, 2);
	FILE *f;

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	name = argv[optind];
	file = argc - optind == 2 ? argv[optind + 1] : NULL;
	f = file ? fopen(file, "rb") : stdin;
	if (!f) {
		fprintf(stderr, "%s: load: %s: %s\n", prog, file, strerror(errno));
		return EXIT_FAIL;
	}
	ret = read_all(f, &data, &len);
	if (f != stdin)
		fclose(f);
	if (ret) {
		fprintf(stderr, "%s: load: %s: %s\n", prog, file ?: "standard input",
			strerror(-ret));
		return EXIT_FAIL;
	}
	ret = open_cache(name, KCACHE_OPEN_WRITE, &fd);
	if (ret)
		goto out;
	kbuf = malloc(len + 1);
	if (!kbuf) {
		ret = fail(name, "load", -ENOMEM);
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
		/* the lengths are uint32_t: a longer one must not reach the kernel truncated */
		ret = klen > UINT32_MAX || vlen > UINT32_MAX ? -E2BIG :
		      kcache_set(fd, kbuf, klen, kbuf + klen, vlen, 0, 0, NULL);
		if (ret) {
			fprintf(stderr, "%s: load: line %zu:\n", prog, lineno);
			ret = fail(name, "set", ret);
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

/* ---- watch: a change stream (Documentation/streams.rst) ---- */

static const char *const watch_types[] = { "?", "snapshot", "sync", "store", "remove",
					   "lagged" };
static const char *const watch_causes[] = { "", "insert", "replace", "delete", "invalidate",
					    "evict", "shrink", "expire" };

static void watch_print(const struct kcache_stream_rec *r)
{
	const char *type = r->type < 6 ? watch_types[r->type] : "?";
	const char *cause = r->cause < 8 ? watch_causes[r->cause] : "?";
	int has_val = r->flags & KCACHE_RECF_VALUE;

	if (json) {
		printf("{\"type\":\"%s\",\"seq\":%llu", type, (unsigned long long)r->seq);
		if (r->cause)
			printf(",\"cause\":\"%s\"", cause);
		if (r->type == KCACHE_REC_LAGGED)
			printf(",\"dropped\":%llu", (unsigned long long)r->aux);
		else if (r->aux)
			printf(",\"old_version\":%llu", (unsigned long long)r->aux);
		if (r->key_len) {
			putchar(',');
			json_bytes("key", kcache_stream_key(r), r->key_len);
		}
		if (r->type == KCACHE_REC_SNAPSHOT || r->type == KCACHE_REC_STORE) {
			printf(",\"val_len\":%u", r->val_len);
			if (has_val) {
				putchar(',');
				json_bytes("value", kcache_stream_val(r), r->val_len);
			}
			printf(",\"expires_ns\":%llu", (unsigned long long)r->expires_ns);
		}
		printf("}\n");
		return;
	}
	if (r->type == KCACHE_REC_SYNC) {
		printf("sync %llu\n", (unsigned long long)r->seq);
		return;
	}
	if (r->type == KCACHE_REC_LAGGED) {
		printf("lagged %llu records dropped\n", (unsigned long long)r->aux);
		return;
	}
	printf("%s%s%s %llu ", type, r->cause ? " " : "", cause, (unsigned long long)r->seq);
	put_escaped(stdout, kcache_stream_key(r), r->key_len);
	if (has_val) {
		putchar('\t');
		put_escaped(stdout, kcache_stream_val(r), r->val_len);
	} else if (r->type != KCACHE_REC_REMOVE) {
		printf("\t(%u bytes)", r->val_len);
	}
	putchar('\n');
}

/*
 * watch: a cache's snapshot, then its changes, until destroy or N change records. Exit 0 at
 * the end of the stream or after N changes; EXIT_FAIL after a LAGGED record (records were
 * lost, the stream ended), when standard output fails, or on an error.
 */
static int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'P' },
		{ "live", no_argument, NULL, 'l' },
		{ "keys", no_argument, NULL, 'k' },
		{ "count", required_argument, NULL, 'N' },
		{ "json", no_argument, NULL, 'j' },
		HELP_OPT, {}
	};
	const struct kcache_stream_rec *r;
	struct kcache_stream_iter it;
	unsigned char *prefix = NULL;
	uint64_t count = 0, seen = 0, dropped = 0;
	uint32_t flags = 0, ring = 0;
	int opt, fd, sfd, lagged = 0, ret = EXIT_OK;
	const char *name;
	long plen = 0;
	ssize_t n;
	void *buf;

	/* GNU order, as every command but fetch: "watch NAME --count 5" */
	while ((opt = getopt_long(argc, argv, "P:lkN:jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'P':
			free(prefix);
			plen = arg_bytes("--prefix", optarg, &prefix);
			if (plen < 0)
				return EXIT_USAGE;
			if (!plen) {
				free(prefix);
				return bad("--prefix '': empty (leave --prefix out to watch every key)");
			}
			break;
		case 'l':
			flags |= KCACHE_SUBSCRIBE_LIVE_ONLY;
			break;
		case 'k':
			flags |= KCACHE_SUBSCRIBE_KEYS_ONLY;
			break;
		case 'N':
			if (parse_count("--count", optarg, &count)) {
				free(prefix);
				return EXIT_USAGE;
			}
			/* count 0 is "no bound" below: "stop after 0 changes" must not mean that */
			if (!count) {
				free(prefix);
				return bad("--count '%s': at least 1", optarg);
			}
			break;
		case 'j':
			json = 1;
			break;
		default:
			free(prefix);
			return common_opt(opt);
		}
	}
	if (operands(argc, 1, 1)) {
		free(prefix);
		return EXIT_USAGE;
	}
	name = argv[optind];
	ret = open_cache(name, KCACHE_OPEN_READ, &fd);
	if (ret)
		goto out;
	sfd = kcache_subscribe(fd, prefix, plen, flags, &ring, NULL);
	close(fd);
	if (sfd < 0) {
		ret = fail(name, "watch", sfd);
		goto out;
	}
	/* the ring size bounds a record, so a buffer that large always holds one */
	buf = malloc(ring);
	if (!buf) {
		close(sfd);
		ret = fail(name, "watch", -ENOMEM);
		goto out;
	}
	while (!(count && seen >= count) &&
	       (n = kcache_stream_read(sfd, buf, ring, &it)) != 0) {
		if (n == -EINTR)
			continue;
		if (n < 0) {
			ret = fail(name, "watch", n);
			break;
		}
		/* exactly N changes, even when one read returned more */
		while (!(count && seen >= count) && (r = kcache_stream_next(&it))) {
			watch_print(r);
			if (r->type == KCACHE_REC_STORE || r->type == KCACHE_REC_REMOVE)
				seen++;
			if (r->type == KCACHE_REC_LAGGED) {
				lagged = 1;
				dropped += r->aux;
			}
		}
		/*
		 * Output that cannot be written (a reader that quit, SIGPIPE ignored) ends the
		 * watch: it would read the stream on with nowhere to print it.
		 */
		if (stdout_failed()) {
			ret = EXIT_FAIL;
			break;
		}
		if (it.err) {
			ret = fail(name, "watch", it.err);
			break;
		}
	}
	/* the stream ended after losing records: a script must not take it for complete */
	if (lagged && !ret) {
		fprintf(stderr, "%s: watch: cache '%s': fell behind, %" PRIu64
			" records dropped; the stream ended\n", prog, name, dropped);
		ret = EXIT_FAIL;
	}
	free(buf);
	close(sfd);
out:
	free(prefix);
	return ret;
}

static int cmd_help_cmd(int argc, char **argv);

static const struct command commands[] = {
	{ "version", cmd_version, "",
	  "kcachectl's version, the module's ABI version and feature bits.\n" },
	{ "create", cmd_create,
	  "NAME [-c COUNT] [-b SIZE] [-t DURATION] [-p tinylfu|lru] [-m MODE]",
	  "Create a cache owned by the caller.\n"
	  "  -c, --max-entries COUNT  entry bound (default: the module's default_max_entries)\n"
	  "  -b, --max-bytes SIZE     byte bound, e.g. 64M (default: none but the module's)\n"
	  "  -t, --ttl DURATION       default TTL of new entries, e.g. 30s (default 0: none)\n"
	  "  -p, --policy POLICY      tinylfu (default) or lru\n"
	  "  -m, --mode MODE          read and write bits in octal, a subset of 0666\n"
	  "                           (default 0600)\n" },
	{ "destroy", cmd_destroy, "NAME",
	  "Destroy a cache (its owner or CAP_SYS_ADMIN).\n" },
	{ "list", cmd_list, "[-q]",
	  "The caches the caller owns or may read, with counters.\n"
	  "  -q, --quiet  names only, one a line\n" },
	{ "info", cmd_info, "NAME", "A cache's configuration.\n" },
	{ "stats", cmd_stats, "NAME [-w INTERVAL [--iterations N]]",
	  "A cache's counters.\n"
	  "  -w, --watch INTERVAL  a row every INTERVAL (seconds, or a duration such as\n"
	  "                        500ms): rates per second over the interval, hit ratio,\n"
	  "                        entries and bytes; with -j one object a line\n"
	  "      --iterations N    stop after N rows (default: until interrupted)\n" },
	{ "get", cmd_get, "NAME KEY",
	  "Write KEY's value, raw, to standard output (-j: key, value, encodings, version).\n" },
	{ "set", cmd_set, "NAME KEY [VALUE | -f FILE] [-t DURATION] [-n | -x]",
	  "Store a value from VALUE, FILE, or (neither given) standard input; binary-safe.\n"
	  "  -f, --file FILE      the value is FILE's content\n"
	  "  -t, --ttl DURATION   expire after DURATION, e.g. 250ms, 30s, 1h (0: none)\n"
	  "  -n, --if-absent      only if KEY is absent (exit 5 if present)\n"
	  "  -x, --if-present     only if KEY is present (exit 3 if absent)\n" },
	{ "del", cmd_del, "NAME KEY", "Remove KEY.\n" },
	{ "fetch", cmd_fetch, "[-t DURATION] [-w DURATION] NAME KEY [--] COMMAND [ARG...]",
	  "Write KEY's value to standard output; on a miss exactly one of the processes\n"
	  "fetching KEY at once runs COMMAND and stores its standard output (it must exit 0),\n"
	  "the others wait for that value (Documentation/loading.rst).\n"
	  "Options come before NAME: what follows KEY is the command's.\n"
	  "  -t, --ttl DURATION   store the loaded value with this TTL (not 0; default: the\n"
	  "                       cache's default TTL)\n"
	  "  -w, --wait DURATION  wait at most this long for another process's load (10s)\n" },
	{ "watch", cmd_watch, "NAME [--prefix P] [--live] [--keys] [--count N] [-j]",
	  "The cache's entries, then every change as it comes (Documentation/streams.rst),\n"
	  "until the cache is destroyed (exit 0), N changes were printed (exit 0), or the\n"
	  "watcher fell behind and records were lost (a \"lagged\" line, exit 1), or its\n"
	  "standard output failed (exit 1).\n"
	  "  -P, --prefix P   only keys starting with P (not empty)\n"
	  "  -l, --live       no snapshot, changes only\n"
	  "  -k, --keys       keys and lengths, no values\n"
	  "  -N, --count N    stop after N changes (store and remove records), N >= 1\n"
	  "  -j, --json       one JSON object a line\n" },
	{ "flush", cmd_flush, "NAME [PREFIX]",
	  "Remove every entry, or those whose key starts with PREFIX.\n" },
	{ "dump", cmd_dump, "NAME",
	  "Every entry, one a line: escaped key, TAB, escaped value (\\\\ and \\xHH).\n"
	  "With -j an array of {key, key_encoding, value, value_encoding, version}.\n" },
	{ "load", cmd_load, "NAME [FILE]",
	  "Store every entry of a dump, from FILE or standard input.\n" },
	{ "help", cmd_help_cmd, "[COMMAND]", "kcachectl's commands, or COMMAND's options.\n" },
};

static const size_t nr_commands = sizeof(commands) / sizeof(commands[0]);

static void global_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s [-j] [-e] COMMAND [ARGS]   (%s help COMMAND: its options)\n",
		prog, prog);
	for (i = 0; i < nr_commands; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].synopsis);
	fprintf(f, "options: -j, --json  JSON output;  -e, --escaped  KEY, VALUE and PREFIX use\n"
		"  \\xHH escapes;  -V, --version;  -h, --help\n"
		"durations: 250ms, 30s, 5m, 1h, 1h30m (units ns us ms s m h d; bare 0 = none,\n"
		"  refused by fetch -t)\n"
		"sizes: 4096, 64K, 16M, 1G (bytes; K M G T are powers of 1024)\n");
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < nr_commands; i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

static int cmd_help_cmd(int argc, char **argv)
{
	const struct command *c;
	int ret = plain_args(argc, argv, 0, 1);

	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (argc - optind == 0) {
		global_usage(stdout);
		return EXIT_OK;
	}
	c = find_command(argv[optind]);
	if (!c)
		return bad("unknown command '%s'", argv[optind]);
	cmd_help(c, stdout);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "escaped", no_argument, NULL, 'e' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct command *c;
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "+jeVh", lo, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = 1;
			break;
		case 'e':
			escaped_args = 1;
			break;
		case 'V':
			printf("kcachectl %s\n", KCACHE_PKG_VERSION);
			return EXIT_OK;
		case 'h':
			global_usage(stdout);
			return EXIT_OK;
		default:
			global_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: missing command\n", prog);
		global_usage(stderr);
		return EXIT_USAGE;
	}
	c = find_command(argv[optind]);
	if (!c) {
		fprintf(stderr, "%s: unknown command '%s'\n", prog, argv[optind]);
		global_usage(stderr);
		return EXIT_USAGE;
	}
	cur = c;
	argc -= optind;
	argv += optind;
	optind = 0;	/* glibc: re-initialise getopt for the command's own options */
	ret = c->fn(argc, argv);
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (stdout_failed())
		ret = ret ?: EXIT_FAIL;
	return ret;
}
