// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_tbcount: a QEMU TCG plugin (host side of `make bench-insns`) that counts the guest
 * instructions executed, by translation block and vCPU, in phases the guest program marks
 * by calling a function at a known address (argument mark=ADDR): its first call starts
 * phase 1, each further call the next. Instruction counts are exact and do not depend on
 * the host's load, which the times of `make bench` do.
 *
 * At exit it writes, for every block run in a phase, "ADDR PHASE VCPU INSNS RUNS" (RUNS =
 * the block's executions, INSNS = its instructions times RUNS) to out=FILE. Blocks are
 * what an emulator dispatches: a block ended by a return, an indirect jump or a change of
 * privilege or of SMAP's AC flag costs a lookup or a return to its main loop, which the
 * instruction count does not show.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;

#define TB_PHASES	16
#define TB_VCPUS	8

/* One translation of a block; a block translated again gets another. */
struct tb_info {
	uint64_t vaddr;
	uint64_t insns;
	/* executions, by phase and vCPU: each vCPU thread writes only its own counters */
	uint64_t runs[TB_PHASES][TB_VCPUS];
	struct tb_info *next;
};

static struct tb_info *tbs;
static pthread_mutex_t tbs_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark;
static int phase;
static const char *out_path = "tbcount.txt";

static void tb_exec(unsigned int vcpu, void *udata)
{
	struct tb_info *t = udata;
	int p = __atomic_load_n(&phase, __ATOMIC_RELAXED);

	if (t->vaddr == mark) {
		__atomic_add_fetch(&phase, 1, __ATOMIC_RELAXED);
		return;
	}
	if (p > 0 && p < TB_PHASES && vcpu < TB_VCPUS)
		t->runs[p][vcpu]++;
}

static void tb_trans(uint64_t id, struct qemu_plugin_tb *tb)
{
	struct tb_info *t = calloc(1, sizeof(*t));

	if (!t)
		abort();
	t->vaddr = qemu_plugin_tb_vaddr(tb);
	t->insns = qemu_plugin_tb_n_insns(tb);
	pthread_mutex_lock(&tbs_lock);
	t->next = tbs;
	tbs = t;
	pthread_mutex_unlock(&tbs_lock);
	qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, t);
}

static void at_exit(uint64_t id, void *udata)
{
	FILE *f = fopen(out_path, "w");
	struct tb_info *t;
	int p, c;

	if (!f) {
		perror(out_path);
		return;
	}
	for (t = tbs; t; t = t->next)
		for (p = 1; p < TB_PHASES; p++)
			for (c = 0; c < TB_VCPUS; c++)
				if (t->runs[p][c])
					fprintf(f, "%016llx %d %d %llu %llu\n",
						(unsigned long long)t->vaddr, p, c,
						(unsigned long long)(t->runs[p][c] * t->insns),
						(unsigned long long)t->runs[p][c]);
	fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(uint64_t id, const struct qemu_info_t *info,
					   int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 0);
		else if (!strncmp(argv[i], "out=", 4))
			out_path = strdup(argv[i] + 4);
	}
	if (!mark) {
		fprintf(stderr, "kcache_tbcount: no mark=ADDR\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
