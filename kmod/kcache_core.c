// SPDX-License-Identifier: GPL-2.0
/*
 * kcache core (skeleton): name rules and module-wide setup.
 */

#include <linux/ctype.h>
#include <linux/module.h>
#include <linux/string.h>

#include "kcache_internal.h"

/**
 * kcache_name_valid() - check a cache name
 * @name: NUL-terminated name
 *
 * Return: true if @name is 1..%KCACHE_NAME_MAX bytes of [A-Za-z0-9._-].
 */
bool kcache_name_valid(const char *name)
{
	size_t i, len = strnlen(name, KCACHE_NAME_MAX + 1);

	if (len == 0 || len > KCACHE_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
			return false;
	return true;
}
EXPORT_SYMBOL_NS_GPL(kcache_name_valid, KCACHE_INTERNAL);

int kcache_core_init(void)
{
	return 0;
}

void kcache_core_uninit(void)
{
}
