#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM (busybox sh, TAP): kcache's trace events and per-cache statistics file.
# Enables events/kcache in tracefs, runs set, get (hit), get (miss) with kcachectl and
# requires each operation's event with its cache, key (hex), lengths and outcome; then
# delete, an eviction over the entry bound, an expiry and a maintenance pass; reads
# /sys/kernel/debug/kcache/caches/NAME and requires the counters the same operations
# made, and that the file goes with the cache.
T=/sys/kernel/tracing
D=/sys/kernel/debug/kcache/caches
name=trace-$$
n=0
ok() { n=$((n + 1)); echo "ok $n $*"; }
notok() { n=$((n + 1)); echo "not ok $n $*"; }
check() { name_=$1; shift; if "$@"; then ok "$name_"; else notok "$name_"; fi; }

echo "1..13"
[ -d $T/events ] || mount -t tracefs tracefs $T 2>/dev/null
# Without recording task names, enabling an event patches only kcache's tracepoints, not
# the scheduler's: a debug guest under TCG once hung with one vCPU stuck on the int3 of a
# static call being patched in __schedule() (text_poke_bp()) and the other waiting for it.
echo 0 > $T/options/record-cmd
check tracefs_has_kcache_events [ -d $T/events/kcache/kcache_get ]
kcachectl create $name || exit 1
echo > $T/trace
echo 1 > $T/events/kcache/enable
kcachectl set $name k1 val
kcachectl get $name k1 > /dev/null
kcachectl get $name nokey 2> /dev/null
echo 0 > $T/events/kcache/enable
grep "kcache_" $T/trace | sed 's/^/# /'
# "k1" is 6b31, "nokey" 6e6f6b6579; the TTL is the caller's (all ones: the cache's default)
check set_event grep -q "kcache_set: cache=$name key=6b31 klen=2 vlen=3 ttl_ns=[0-9]* seq=[1-9][0-9]* ret=0" $T/trace
check get_hit_event grep -q "kcache_get: cache=$name key=6b31 klen=2 hit vlen=3" $T/trace
check get_miss_event grep -q "kcache_get: cache=$name key=6e6f6b6579 klen=5 miss vlen=0" $T/trace
check events_off_when_disabled sh -c "kcachectl get $name k1 >/dev/null;
	[ \$(grep -c 'kcache_get: cache=$name key=6b31' $T/trace) = 1 ]"

# a cache of two entries, where the third SET evicts; another where a 1ms TTL expires
name2=trace2-$$
name3=trace3-$$
kcachectl create $name2 -c 2 -b 1M -p lru || exit 1
kcachectl create $name3 -b 1M || exit 1
echo > $T/trace
echo 1 > $T/events/kcache/enable
kcachectl set $name2 a 1
kcachectl set $name2 b 2
kcachectl set $name2 c 3
kcachectl set $name3 b 2
kcachectl del $name3 b
kcachectl set $name3 c 3 -t 1ms
sleep 1
kcachectl stats $name2 > /dev/null
echo 0 > $T/events/kcache/enable
grep "kcache_" $T/trace | grep -v "kcache_[gs]et:" | sed 's/^/# /'
kcachectl destroy $name2
kcachectl destroy $name3
# "a" is 61 (the least recently used), "b" 62, "c" 63
check delete_event grep -q "kcache_delete: cache=$name3 key=62 klen=1 seq=[1-9]" $T/trace
check evict_event grep -q "kcache_evict: cache=$name2 key=61 klen=1 seq=[1-9][0-9]* cause=size" $T/trace
check expire_event grep -q "kcache_expire: cache=$name3 key=63 klen=1 seq=[1-9]" $T/trace
check maintain_event grep -q "kcache_maintain: cache=$name2 reads=[0-9]* writes=[1-9][0-9]* evicted=[0-9]* expired=[0-9]* duration_ns=[1-9]" $T/trace

cat $D/$name 2>/dev/null | sed 's/^/# /'
check stats_file_exists [ -r $D/$name ]
# two hits (one while tracing was off), one miss, one set
check stats_file_counters sh -c "grep -qx 'hits 2' $D/$name && grep -qx 'misses 1' $D/$name &&
	grep -qx 'sets 1' $D/$name && grep -qx 'entries 1' $D/$name"
check stats_file_all_fields sh -c "[ \"\$(cut -d' ' -f1 $D/$name | tr '\n' ' ')\" = \
'hits misses sets deletes evictions_size evictions_shrink expirations entries bytes max_entries max_bytes spare_bytes ' ]"
kcachectl destroy $name
check stats_file_goes_with_cache [ ! -e $D/$name ]
