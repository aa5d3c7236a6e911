/* SPDX-License-Identifier: GPL-2.0 */
/* The /dev/kcache control device: VERSION, CREATE, OPEN, DESTROY, LIST. */
#ifndef _KCACHE_CTL_H
#define _KCACHE_CTL_H

int kcache_ctl_init(void);
void kcache_ctl_uninit(void);

#endif /* _KCACHE_CTL_H */
