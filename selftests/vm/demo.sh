#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: a short kcachectl session in the VM, printed between markers.
set -e
echo KCDEMO-BEGIN
run() { echo "\$ $*"; "$@"; }
# values are printed raw, with no newline of their own
runv() { run "$@"; echo; }
run kcachectl version
run kcachectl create sessions -c 1000 -b 1M -p tinylfu -m 0600
run kcachectl set sessions user:42 '{"name":"ada","role":"admin"}'
runv kcachectl get sessions user:42
printf 'bin\000ary\377\n' > /tmp/blob
run kcachectl set sessions blob -f /tmp/blob
echo "\$ kcachectl get sessions blob | od -c"
kcachectl get sessions blob | od -c
run kcachectl -e set sessions 'k\x00ey' 'v\x01'
runv kcachectl -e get sessions 'k\x00ey'
run kcachectl set sessions ttl-key soon -t 200ms
runv kcachectl get sessions ttl-key
sleep 1
echo "\$ kcachectl get sessions ttl-key   # 200 ms TTL, 1 s later"
kcachectl get sessions ttl-key || echo "(exit status $?)"
# a change stream: the snapshot, SYNC, then live changes (Documentation/streams.rst)
echo "\$ kcachectl watch sessions --count 3 &"
kcachectl watch sessions --count 3 > /tmp/watch.out &
wpid=$!
while ! grep -q '^sync' /tmp/watch.out 2>/dev/null; do sleep 0.1; done
run kcachectl set sessions user:43 '{"name":"bob"}'
run kcachectl set sessions user:43 '{"name":"bob","role":"ops"}'
run kcachectl del sessions user:43
wait $wpid
cat /tmp/watch.out
echo "\$ kcachectl -j watch sessions --live --prefix user: --count 1 &"
kcachectl -j watch sessions --live --prefix user: --count 1 > /tmp/watch.out &
wpid=$!
while ! grep -q '"sync"' /tmp/watch.out 2>/dev/null; do sleep 0.1; done
run kcachectl set sessions user:44 carol
wait $wpid
cat /tmp/watch.out
# single-flight: two processes miss the same key at once; the command runs once
load='echo loading >&2; sleep 1; printf computed-once'
echo "\$ kcachectl fetch sessions report -- sh -c \"$load\" &   (twice, at once)"
kcachectl fetch sessions report -- sh -c "$load" > /tmp/fetch.a &
kcachectl fetch sessions report -- sh -c "$load" > /tmp/fetch.b
wait
echo "first: $(cat /tmp/fetch.a)  second: $(cat /tmp/fetch.b)   (one 'loading' above)"
run kcachectl stats sessions
run kcachectl -j stats sessions
run kcachectl list
run kcachectl dump sessions
run kcachectl destroy sessions
echo KCDEMO-END
