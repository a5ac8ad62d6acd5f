#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# preload_real_programs.sh - unchanged Debian programs under the shim.
#
#  a. Three python3 interpreters each build {i: str(i)*20 for i in
#     range(200000)} and print a SHA-256 of it, then wait.  Their heaps
#     (python's 1 MiB object arenas are its own mmap()s, big tables mmap
#     chunks, the rest brk) merge: pages_sharing must pass $py_want.  Each
#     then hashes the dict again; both digests must equal those of an
#     interpreter without the shim.  They run as users run them: address
#     space randomisation on, random string hashing (the str objects hold
#     no pointer but to their type, which a non-PIE python3 keeps at one
#     address: about 23000 pages merge here).
#  b. Three `sqlite3 :memory:` sessions load the same 100000 rows with an
#     index, then wait; pages_sharing must pass $sq_want; the query
#     results, before and after merging, must equal a session's without
#     the shim.  Skipped (with a message) when sqlite3 is not installed.
#     sqlite3 runs with address space randomisation off (setarch -R): its
#     page cache keeps a header full of pointers next to every database
#     page, so only with the same addresses in every session are whole
#     pages equal (about 4600 pages merge; some 60 with randomisation).
#
# The programs themselves are not changed.

set -u
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/preload/helpers/lib.sh"

kp_init preload_real_programs
command -v python3 >/dev/null || skip "no python3"
command -v setarch >/dev/null || skip "no setarch"
norand="setarch $(uname -m) -R"
$norand true || skip "setarch -R does not work here"
n=3
py_want=${KP_PY_WANT:-10000}
sq_want=${KP_SQ_WANT:-2000}

# base: pages_sharing before a part starts (0: the module is fresh).
sharing_from() {
	sysval pages_sharing
	echo "$v"
}

# ------------------------------------------------------------ python

cat >"$tmp/dict.py" <<'EOF'
import hashlib, os, signal, sys
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
def digest(d):
    return hashlib.sha256(repr(d).encode()).hexdigest()
d = {i: str(i) * 20 for i in range(200000)}
print('BUILT', digest(d), flush=True)
if len(sys.argv) > 1:
    signal.sigwait({signal.SIGUSR1})
    print('AFTER', digest(d), flush=True)
EOF

info "== python3 $(python3 -c 'import sys; print(sys.version.split()[0])')"
python3 "$tmp/dict.py" >"$tmp/py.plain" 2>&1 &
plain=$!
pids=
for i in $(seq $n); do
	env LD_PRELOAD="$shim" KSMDEV_PRELOAD_DEBUG=1 python3 "$tmp/dict.py" wait \
		>"$tmp/py$i" 2>"$tmp/py$i.log" &
	pids="$pids $!"
done
kp_pids="$pids $plain"
wait "$plain" || fail "python3 without the shim: $(cat "$tmp/py.plain")"
want_digest=$(sed -n 's/^BUILT //p' "$tmp/py.plain")
[ -n "$want_digest" ] || fail "no digest from python3: $(cat "$tmp/py.plain")"
info "without the shim: $want_digest"
i=0
for p in $pids; do
	i=$((i + 1))
	wait_line "$tmp/py$i" '^BUILT' 120 "$p"
done
"$helper" areas | grep comm=python3 >"$tmp/py.areas"
info "$n interpreters under the shim built their dicts; their areas:
$(cat "$tmp/py.areas")"
"$helper" start 100000 1000 || fail "cannot start the scanner"
stats=$("$helper" wait-sharing "$py_want" 60) || fail "python3: not merged: $stats"
[ -n "${kp_measure:-}" ] && "$helper" wait-scans 2 120 >/dev/null
sysval pages_sharing
py_sharing=$v
info "python3: pages_sharing=$py_sharing ($((py_sharing * 4 / 1024)) MiB saved; want > $py_want): $("$helper" stats)"
"$helper" stop
kill -USR1 $pids
i=0
for p in $pids; do
	i=$((i + 1))
	wait "$p" || fail "python3 $i exited with $?: $(grep -v '^ksmdev-preload' "$tmp/py$i.log")"
	bad=$(grep -v '^ksmdev-preload\[' "$tmp/py$i.log")
	[ -z "$bad" ] || fail "python3 $i wrote to stderr: $bad"
	bad=$(failed_lines "$tmp/py$i.log")
	[ -z "$bad" ] || fail "python3 $i: failed registrations: $bad"
	[ "$(sed -n 's/^BUILT //p' "$tmp/py$i")" = "$want_digest" ] ||
		fail "python3 $i built a different dict: $(cat "$tmp/py$i")"
	[ "$(sed -n 's/^AFTER //p' "$tmp/py$i")" = "$want_digest" ] ||
		fail "python3 $i: dict changed after merging: $(cat "$tmp/py$i")"
done
kp_pids=
info "python3: digests equal with and without the shim, before and after merging"

# ------------------------------------------------------------ sqlite3

if ! command -v sqlite3 >/dev/null; then
	echo "sqlite3 is not installed: part b skipped"
	echo "PASS"
	exit 0
fi

info "== sqlite3 $(sqlite3 -version | cut -d' ' -f1)"
cat >"$tmp/load.sql" <<'EOF'
CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, val REAL);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
INSERT INTO t SELECT x, printf('name-%08d-%s', x, hex(x * 7919)), x * 1.5 FROM c;
CREATE INDEX t_name ON t(name);
SELECT count(*), sum(id), sum(length(name)), total(val) FROM t;
EOF
cat >"$tmp/query.sql" <<'EOF'
SELECT count(*), sum(id), sum(length(name)), total(val) FROM t;
SELECT id, name, val FROM t WHERE name IN ('name-00000001-1EEF', 'name-00099999-2F2F6451');
SELECT id, name FROM t WHERE id IN (1, 777, 12345, 100000);
SELECT count(*) FROM t WHERE name LIKE 'name-0001%';
EOF
cat "$tmp/load.sql" "$tmp/query.sql" "$tmp/query.sql" >"$tmp/plain.sql"
$norand sqlite3 :memory: <"$tmp/plain.sql" >"$tmp/sq.plain" 2>&1 &
plain=$!

base=$(sharing_from)
pids=
for i in $(seq $n); do
	mkfifo "$tmp/sq$i.in"
	env LD_PRELOAD="$shim" $norand sqlite3 :memory: <"$tmp/sq$i.in" >"$tmp/sq$i" 2>&1 &
	pids="$pids $!"
	eval "exec $((i + 3))>\"\$tmp/sq\$i.in\""
	{ cat "$tmp/load.sql" "$tmp/query.sql"; echo ".system touch $tmp/sq$i.ready"; } >&$((i + 3))
done
kp_pids="$pids $plain"
i=0
for p in $pids; do
	i=$((i + 1))
	j=0
	while [ ! -e "$tmp/sq$i.ready" ]; do
		j=$((j + 1))
		[ $j -gt 1200 ] && fail "sqlite3 $i did not load in 120 s: $(cat "$tmp/sq$i")"
		kill -0 "$p" 2>/dev/null || fail "sqlite3 $i died: $(cat "$tmp/sq$i")"
		sleep 0.1
	done
done
wait "$plain" || fail "sqlite3 without the shim: $(cat "$tmp/sq.plain")"
"$helper" areas | grep comm=sqlite3 >"$tmp/sq.areas"
info "$n sessions under the shim loaded the table; their areas:
$(cat "$tmp/sq.areas")"
"$helper" start 100000 1000 || fail "cannot start the scanner"
stats=$("$helper" wait-sharing $((base + sq_want)) 60) || fail "sqlite3: not merged: $stats"
[ -n "${kp_measure:-}" ] && "$helper" wait-scans 2 120 >/dev/null
sysval pages_sharing
sq_sharing=$((v - base))
info "sqlite3: pages_sharing grew by $sq_sharing ($((sq_sharing * 4 / 1024)) MiB saved; want > $sq_want)"
"$helper" stop
i=0
for p in $pids; do
	i=$((i + 1))
	{ cat "$tmp/query.sql"; echo ".quit"; } >&$((i + 3))
	eval "exec $((i + 3))>&-"
	wait "$p" || fail "sqlite3 $i exited with $?: $(cat "$tmp/sq$i")"
	cmp -s "$tmp/sq.plain" "$tmp/sq$i" || fail "sqlite3 $i results differ:
$(diff "$tmp/sq.plain" "$tmp/sq$i")"
done
kp_pids=
info "sqlite3: results equal with and without the shim, before and after merging"
echo "PASS"
exit 0
