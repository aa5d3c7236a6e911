/* SPDX-License-Identifier: GPL-2.0 */
/* kcache's shrinker: gives memory back under pressure by evicting from the cold end. */
#ifndef _KCACHE_SHRINKER_H
#define _KCACHE_SHRINKER_H

int kcache_shrinker_init(void);
void kcache_shrinker_uninit(void);
unsigned long kcache_shrink(unsigned long nr);

#endif /* _KCACHE_SHRINKER_H */
