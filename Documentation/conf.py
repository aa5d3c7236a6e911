# SPDX-License-Identifier: GPL-2.0
# Sphinx configuration of kcache's documentation: `make htmldocs` (scripts/htmldocs.sh),
# which points KCACHE_KERNELDOC at the kernel's kernel-doc tools from linux-source.
import os
import sys

_kd = os.environ.get('KCACHE_KERNELDOC')
if not _kd:
    sys.exit('conf.py: run make htmldocs (it sets KCACHE_KERNELDOC)')
sys.path.insert(0, os.path.join(_kd, 'Documentation', 'sphinx'))

project = 'kcache'
author = 'kcache developers'
copyright = '2026, kcache developers'
release = version = os.environ.get('KCACHE_VERSION', '')

extensions = ['kerneldoc']
kerneldoc_bin = os.path.join(_kd, 'scripts', 'kernel-doc')
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
kerneldoc_verbosity = 0

root_doc = 'index'
exclude_patterns = []
highlight_language = 'none'
primary_domain = 'c'
html_theme = 'alabaster'
html_static_path = []
