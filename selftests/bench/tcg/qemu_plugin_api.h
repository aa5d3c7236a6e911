/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU's TCG plugin API (version 1, QEMU 5.2 to 8.0; Debian 12 has 7.2) that
 * kcache_tbcount uses. Debian ships no qemu-plugin.h, so these declarations stand in for
 * it: a plugin id is a uint64_t, qemu_info_t is struct qemu_info_t.
 */
#ifndef KCACHE_QEMU_PLUGIN_API_H
#define KCACHE_QEMU_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))

struct qemu_info_t;
struct qemu_plugin_tb;

enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };

void qemu_plugin_register_vcpu_tb_trans_cb(uint64_t id,
					   void (*cb)(uint64_t id, struct qemu_plugin_tb *tb));
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb,
					  void (*cb)(unsigned int vcpu_index, void *udata),
					  enum qemu_plugin_cb_flags flags, void *udata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(uint64_t id, void (*cb)(uint64_t id, void *udata),
				    void *udata);

#endif /* KCACHE_QEMU_PLUGIN_API_H */
