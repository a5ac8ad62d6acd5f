#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# ksmctl and the newer driver features: auto-tuning, module parameters,
# merge domains.
#
# An unprivileged ksmdev-example workload registers memory and is frozen;
# with the scanner running, `ksmctl autotune 1000 500` makes the scanner
# raise its batch size (seen live by `ksmctl watch --json`), and status
# (text, JSON, Prometheus) and `ksmctl autotune` show the choice, equal to
# /sys/kernel/mm/ksmdev/pages_to_scan; `autotune 100000 1` brings it down
# to the minimum, `autotune off` ends it.  (The targets are chosen so that
# the batch size comes out well above or below 100 whatever a page costs
# the emulated CPU: see ksm_autotune_batch in driver/scan.c.)  `ksmctl set` changes
# smart_scan, use_zero_pages and domain_policy, as /sys/module shows and
# status reports.  Areas created through libksmdev (python ctypes) in a
# user's domain, by default (the user's domain too), in a numbered domain
# and, under domain_policy 0, in the open domain 0 show their domains in ps (text, JSON, Prometheus).  Usage errors exit 2,
# missing privileges 1.
#
# Needs: build/tools/ksmctl, build/examples/ksmdev-example,
# build/lib/libksmdev.so.1, python3, setpriv.

set -u
# shellcheck source=helpers/lib.sh
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/ksmctl/helpers/lib.sh"

lib=$top/build/lib/libksmdev.so.1
params=/sys/module/ksmdev/parameters

need "$ksmctl" "$example" "$lib"
py=/usr/bin/python3
[ -x $py ] || py=$(command -v python3) || skip "no python3"
need_cmd setpriv
[ -e $params/use_zero_pages ] || skip "the module has no use_zero_pages"
kc_init ksmctl-features

# shellcheck disable=SC2317 # invoked by the trap
at_exit() {
	"$ksmctl" autotune off 2>/dev/null
	"$ksmctl" stop 2>/dev/null
	echo 0 >"$params"/smart_scan
	echo 0 >"$params"/use_zero_pages
	echo 1 >"$params"/domain_policy
}

# expect_file FILE VALUE: the first line of FILE is VALUE.
expect_file() {
	read -r v <"$1" || fail "cannot read $1"
	[ "$v" = "$2" ] || fail "$1 is '$v', want '$2'"
}

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.1 s.
wait_until() {
	_s=$1
	_what=$2
	shift 2
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -gt $((_s * 10)) ] && fail "$_what: not within $_s s"
		sleep 0.1
	done
}

# Predicates for wait_until:
# shellcheck disable=SC2317
batch_above() {
	read -r v <"$sysfs"/pages_to_scan && [ "$v" -gt "$1" ]
}

# shellcheck disable=SC2317
batch_is() {
	read -r v <"$sysfs"/pages_to_scan && [ "$v" -eq "$1" ]
}

# shellcheck disable=SC2317
regions_are() {
	read -r v <"$sysfs"/regions && [ "$v" -eq "$1" ]
}

# shellcheck disable=SC2317
scans_reach() {
	read -r v <"$sysfs"/full_scans && [ "$v" -ge "$1" ]
}

# pages_to_scan stays the same for half a second: no batch is running.
# shellcheck disable=SC2317
batch_settled() {
	read -r _b1 <"$sysfs"/pages_to_scan
	sleep 0.5
	read -r _b2 <"$sysfs"/pages_to_scan
	[ "$_b1" = "$_b2" ]
}

# shellcheck disable=SC2317
has_line() {
	[ -s "$1" ]
}

# watch_tuned FILE: a line of FILE (watch --json) shows auto-tuning on and
# a batch above 300 pages.
# shellcheck disable=SC2317
watch_tuned() {
	grep -Eq '"pages_to_scan":(30[1-9]|3[1-9][0-9]|[4-9][0-9][0-9]|[1-9][0-9]{3,}),"autotune":true,' "$1"
}

# helper AS DOMAIN FLAGS: a python process that creates an area through
# libksmdev's ksmdev_area_create_domain (plain ksmdev_area_create for 0 0),
# registers 16 pages and sleeps; its pid in $hp.
helper() {
	_log=$tmp/helper.$1.$2.$3
	if [ "$1" = root ]; then
		"$py" "$tmp/area.py" "$lib" "$2" "$3" >"$_log" 2>&1 &
	else
		setpriv --reuid="$1" --regid="$1" --clear-groups \
			"$py" "$tmp/area.py" "$lib" "$2" "$3" >"$_log" 2>&1 &
	fi
	hp=$!
	pids="$pids $hp"
	_i=0
	until grep -q '^ready$' "$_log"; do
		_i=$((_i + 1))
		if [ $_i -gt 300 ] || ! kill -0 "$hp" 2>/dev/null; then
			slurp "$_log"
			fail "area helper ($*) did not get ready: $text"
		fi
		sleep 0.1
	done
}

cat >"$tmp/area.py" <<'EOF'
# area.py LIBKSMDEV DOMAIN FLAGS: an area in a merge domain, 16 pages
# registered, then sleep until killed.
import ctypes, mmap, sys, time

lib = ctypes.CDLL(sys.argv[1])
domain, flags = int(sys.argv[2]), int(sys.argv[3])
lib.ksmdev_open.argtypes = [ctypes.c_char_p]
lib.ksmdev_area_create.argtypes = [ctypes.c_int]
lib.ksmdev_area_create_domain.argtypes = [ctypes.c_int, ctypes.c_uint64, ctypes.c_uint]
lib.ksmdev_register.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
lib.ksmdev_strerror.restype = ctypes.c_char_p


def check(what, ret):
    if ret < 0:
        print(f'{what}: {lib.ksmdev_strerror(ret).decode()}', flush=True)
        sys.exit(1)
    return ret


dev = check('ksmdev_open', lib.ksmdev_open(None))
if domain or flags:
    area = check('ksmdev_area_create_domain', lib.ksmdev_area_create_domain(dev, domain, flags))
else:
    area = check('ksmdev_area_create', lib.ksmdev_area_create(dev))
size = 16 * mmap.PAGESIZE
buf = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
buf.write(b'ksmctl domain test page\n' * (size // 24))
addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
check('ksmdev_register', lib.ksmdev_register(area, addr, size))
print('ready', flush=True)
time.sleep(3600)
EOF

cat >"$tmp/check.py" <<'EOF'
# Checks of ksmctl output.
import json, sys

from ksmctl_output import check, die, parse_prom, read

USER = 1 << 63


def one_json(path):
    raw = read(path)
    check(raw.endswith('\n') and raw.count('\n') == 1, f'{path}: not one line')
    try:
        return json.loads(raw)
    except ValueError as e:
        die(f'{path}: not JSON ({e}): {raw!r}')


def status_kv(path):
    kv = {}
    for line in read(path).splitlines():
        k, sep, v = line.partition(':')
        check(sep, f'{path}: line without a colon: {line!r}')
        kv[k] = v.strip()
    return kv


def sysfs_num(name):
    return int(open('/sys/kernel/mm/ksmdev/' + name).read())


def fresh(d):
    """Before auto-tuning was ever turned on."""
    st = one_json(d + '/fresh.json')
    at = st['autotune']
    check(at is not None and at['enabled'] is False and
          at['pages_to_scan'] == st['scanner']['pages_to_scan'], f'fresh status --json: {at}')
    check(st['smart_scan'] is False and st['use_zero_pages'] is False and st['domain_policy'] == 1,
          f'fresh status --json parameters: {st}')
    kv = status_kv(d + '/fresh.txt')
    check(kv['auto-tuning'] == 'off', f'fresh status: auto-tuning {kv["auto-tuning"]!r}')
    check(kv['smart scanning'] == 'off (module parameter smart_scan)', f'{kv["smart scanning"]!r}')
    check(kv['zero-page mode'] == 'off (module parameter use_zero_pages)', f'{kv["zero-page mode"]!r}')
    check(kv['domain policy'] ==
          '1 (each user its own domain; numbered ones for group members and CAP_SYS_ADMIN)',
          f'{kv["domain policy"]!r}')
    a = one_json(d + '/fresh-autotune.json')
    check(a == at, f'autotune --json {a}, status says {at}')


def tuned(d, batch):
    """Auto-tuning on (1000 ms, 500 permille), the scanner stopped since."""
    # The last batch chose this one from its own cost per page: above the
    # configured 100, and within the budget of half a CPU beside the 200 ms
    # sleep (a batch the host slowed lowers it, but never past the budget).
    ns = sysfs_num('scan_ns_per_page')
    check(batch > 100, f'auto-tuned batch {batch}')
    check(ns > 0 and batch * ns <= 200_000_000,
          f'auto-tuned batch {batch} at {ns} ns a page: over half a CPU beside 200 ms sleeps')
    check(sysfs_num('scan_sleep_us') == 200000, f'scan_sleep_us {sysfs_num("scan_sleep_us")}')
    check(open('/sys/kernel/mm/ksmdev/autotune').read() ==
          '1 target_scan_ms=1000 max_cpu_permille=500\n', 'sysfs autotune')
    want = {'enabled': True, 'target_scan_ms': 1000, 'max_cpu_permille': 500,
            'pages_to_scan': batch}
    st = one_json(d + '/tuned.json')
    check(st['autotune'] == want, f'status --json autotune {st["autotune"]}, want {want}')
    check(st['scanner']['pages_to_scan'] == batch and st['scanner']['running'] is False,
          f'status --json scanner {st["scanner"]}')
    check(st['last_scan_ms'] == sysfs_num('last_scan_ms') and st['last_scan_ms'] > 0,
          f'status --json last_scan_ms {st["last_scan_ms"]}')
    check(st['scanner_cpu_permille'] == sysfs_num('scanner_cpu_permille'), 'scanner_cpu_permille')
    check(one_json(d + '/tuned-autotune.json') == want, 'autotune --json')
    check(one_json(d + '/tuned-autotune-nobody.json') == want, 'autotune --json as nobody')
    check(read(d + '/tuned-autotune.txt') ==
          f'autotune on, target_scan_ms 1000, max_cpu_permille 500, pages_to_scan {batch}\n',
          f'autotune: {read(d + "/tuned-autotune.txt")!r}')
    check(read(d + '/tuned-info.txt') == f'flags 0, pages_to_scan {batch}, sleep_time 200000\n',
          'info')
    kv = status_kv(d + '/tuned.txt')
    check(kv['auto-tuning'] == f'on (full scan in about 1000 ms, at most 50.0% of a CPU; '
          f'pages_to_scan now {batch})', f'status auto-tuning {kv["auto-tuning"]!r}')
    check(kv['scanner'].startswith(f'stopped ({batch} pages per batch'), f'status scanner {kv["scanner"]!r}')
    check(kv['last full scan'] == f'{st["last_scan_ms"]} ms', 'status last full scan')
    cpu = st['scanner_cpu_permille']
    check(kv['scanner CPU'] == f'{cpu // 10}.{cpu % 10}% (recent batches)', 'status scanner CPU')
    samples, types = parse_prom(d + '/tuned.prom')
    for name, v in (('ksmdev_autotune_enabled', 1), ('ksmdev_autotune_target_scan_seconds', 1.0),
                    ('ksmdev_autotune_max_cpu_ratio', 0.5), ('ksmdev_scanner_pages_to_scan', batch),
                    ('ksmdev_scanner_running', 0),
                    ('ksmdev_last_full_scan_seconds', st['last_scan_ms'] / 1000),
                    ('ksmdev_scanner_cpu_ratio', cpu / 1000),
                    ('ksmdev_pages_skipped_total', st['pages_skipped']),
                    ('ksmdev_zero_pages', st['zero_pages']),
                    ('ksmdev_smart_scan_enabled', 0), ('ksmdev_use_zero_pages_enabled', 0),
                    ('ksmdev_domain_policy', 1)):
        check(samples.get((name, ())) == v, f'status --prometheus {name}={samples.get((name, ()))}, want {v}')
        check(types[name] == ('counter' if name.endswith('_total') else 'gauge'), f'type of {name}')


def watch(path):
    """watch --json while auto-tuning was turned on: the batch size rises."""
    lines = read(path).splitlines()
    objs = [json.loads(l) for l in lines]
    check(len(objs) >= 2, f'{path}: {len(objs)} lines')
    check(objs[0]['autotune'] is False and objs[0]['pages_to_scan'] == 100,
          f'{path}: first line {objs[0]}')
    check(any(o['autotune'] is True and o['pages_to_scan'] > 300 for o in objs),
          f'{path}: no auto-tuned batch size seen: {[(o["autotune"], o["pages_to_scan"]) for o in objs]}')
    for o in objs:
        check(o['running'] is True, f'{path}: {o}')


def params(d):
    st = one_json(d + '/zero.json')
    check(st['use_zero_pages'] is True and st['smart_scan'] is False and st['domain_policy'] == 2,
          f'status --json after set: {st}')
    kv = status_kv(d + '/zero.txt')
    check(kv['zero-page mode'] == 'on (module parameter use_zero_pages)', f'{kv["zero-page mode"]!r}')
    check(kv['smart scanning'] == 'off (module parameter smart_scan)', f'{kv["smart scanning"]!r}')
    check(kv['domain policy'] ==
          "2 (as 1)", f'{kv["domain policy"]!r}')
    samples, _ = parse_prom(d + '/zero.prom')
    for name, v in (('ksmdev_use_zero_pages_enabled', 1), ('ksmdev_smart_scan_enabled', 0),
                    ('ksmdev_domain_policy', 2)):
        check(samples.get((name, ())) == v, f'status --prometheus {name}={samples.get((name, ()))}, want {v}')
    st = one_json(d + '/unzero.json')
    check(st['use_zero_pages'] is False and st['smart_scan'] is True and st['domain_policy'] == 1,
          f'status --json after setting back: {st}')


def domains(d, wl, user, numbered, opened):
    want = {wl: (USER | 65534, 'user', 'user:65534', 65534),
            user: (USER | 65534, 'user', 'user:65534', 65534),
            numbered: (7, 'numbered', '7', 0), opened: (0, 'open', 'open', 65534)}
    pj = one_json(d + '/ps.json')
    by = {a['pid']: a for a in pj['areas']}
    check(set(by) == set(want) and pj['count'] == 4, f'ps --json pids {sorted(by)}, want {sorted(want)}')
    for pid, (dom, kind, name, uid) in want.items():
        a = by[pid]
        check(a['domain'] == dom and a['domain_kind'] == kind and a['uid'] == uid,
              f'ps --json area of {pid}: {a}, want domain {dom} ({kind})')
    lines = read(d + '/ps.txt').splitlines()
    check(lines[0].split() == ['PID', 'COMMAND', 'REGIONS', 'REGISTERED', 'MERGED', 'SAVED', 'DOMAIN'],
          f'ps header: {lines[0]!r}')
    rows = {int(l[:7]): l[24:].split() for l in lines[1:]}
    check(set(rows) == set(want), f'ps rows {sorted(rows)}')
    for pid, (dom, kind, name, uid) in want.items():
        check(rows[pid][-1] == name, f'ps row of {pid}: {rows[pid]}, want domain {name}')
    samples, _ = parse_prom(d + '/ps.prom')
    for pid, (dom, kind, name, uid) in want.items():
        lab = (('comm', by[pid]['comm']), ('domain', name), ('pid', str(pid)))
        check(samples.get(('ksmdev_area_registered_bytes', lab)) == by[pid]['bytes_registered'],
              f'ps --prometheus for {pid}: {samples.get(("ksmdev_area_registered_bytes", lab))}')
    check(samples[('ksmdev_areas', ())] == 4, 'ksmdev_areas')
    # nobody sees its own areas only: not root's in domain 7.
    nb = one_json(d + '/ps-nobody.json')
    check(sorted(a['pid'] for a in nb['areas']) == sorted([wl, user, opened]),
          f'ps --json as nobody: {nb}')


d = sys.argv[1]
what = sys.argv[2]
if what == 'fresh':
    fresh(d)
elif what == 'tuned':
    tuned(d, int(sys.argv[3]))
    watch(d + '/watch.jsonl')
elif what == 'params':
    params(d)
elif what == 'domains':
    domains(d, *map(int, sys.argv[3:7]))
print(f'check.py {what}: ok')
EOF

check() {
	"$py" "$tmp/check.py" "$tmp" "$@" || fail "ksmctl output does not match ($1)"
}

# ------------------------------------------------------------ fresh

step "auto-tuning and parameters of a fresh module"
read -r at0 <"$sysfs"/autotune
case $at0 in
"0 target_scan_ms="*) ;;
*) fail "$sysfs/autotune of a fresh module: $at0" ;;
esac
kc -o fresh.txt 0 status
kc -o fresh.json 0 status --json
kc -o fresh-autotune.json 0 autotune --json
kc 0 autotune
read -r p <"$sysfs"/pages_to_scan
case $(cat "$tmp/out") in
"autotune off, target_scan_ms "*", max_cpu_permille "*", pages_to_scan $p") ;;
*) fail "autotune: $(cat "$tmp/out")" ;;
esac
check fresh

step "usage errors exit 2"
for args in "autotune 99 100" "autotune 0 100" "autotune 1000 0" "autotune 1000 1001" \
	    "autotune 1000" "autotune fast 10" "autotune off now" "autotune 1000 -1" \
	    "autotune 1000 100 --json" "autotune --prometheus" \
	    "set" "set smart_scan" "set bogus 1" "set smart_scan 2" "set use_zero_pages maybe" \
	    "set domain_policy 3" "set domain_policy -1" "set smart_scan 1 x" "set smart_scan 1 --json"; do
	# shellcheck disable=SC2086 # the words are the arguments
	kc 2 $args
	expect_no_out
	expect_err_has "
Try 'ksmctl --help' for more information."
done
kc 2 autotune 99 100
expect_err "ksmctl: autotune: <target_ms> must be at least 100, not 99
Try 'ksmctl --help' for more information."
kc 2 autotune 1000 1001
expect_err_has "autotune: <max_cpu_permille> must be from 1 to 1000, not 1001"
kc 2 set bogus 1
expect_err_has "set: unknown parameter 'bogus' (parameters: smart_scan, use_zero_pages, domain_policy)"
kc 2 set domain_policy 3
expect_err_has "set: invalid value '3' for domain_policy (expected 0, 1 or 2)"
expect_file $params/domain_policy 1
expect_file $sysfs/autotune "$at0"

step "no privilege: autotune and set exit 1"
chmod 0666 /dev/ksm
kc -u $nobody 1 autotune 1000 100
expect_err "ksmctl: autotune: Operation not permitted (needs CAP_SYS_ADMIN, run as root)"
expect_no_out
kc -u $nobody 1 autotune off
expect_err "ksmctl: autotune off: Operation not permitted (needs CAP_SYS_ADMIN, run as root)"
kc -u $nobody 1 set use_zero_pages 1
expect_err "ksmctl: set use_zero_pages: $params/use_zero_pages: Permission denied (changing module parameters needs root)"
expect_no_out
expect_file $params/use_zero_pages N
kc -u $nobody 0 autotune
kc 1 --device /nonexistent autotune
expect_err "ksmctl: /nonexistent: No such file or directory (is the ksmdev module loaded?)"

# ------------------------------------------------------------ auto-tuning

step "auto-tuning raises the batch size of a running scanner"
setpriv --reuid=$nobody --regid=$nobody --clear-groups "$example" 2 4 >"$tmp/wl.log" 2>&1 &
wl=$!
pids="$pids $wl"
wait_until 60 "the workload registers its memory" regions_are 2
kill -STOP "$wl"
# Two full scans first, so the scanner tracks all 2048 pages.
read -r s0 <"$sysfs"/full_scans
kc 0 start 2048 1000
wait_until 60 "two full scans" scans_reach $((s0 + 2))
# 100 pages, then 200 ms of sleep: a full scan in 1000 ms needs well over
# 400 pages a batch; the budget of half a CPU keeps a batch below ~200 ms.
kc 0 start 100 200000
"$ksmctl" watch --json -n 0.3 --count 100000 >"$tmp/watch.jsonl" 2>"$tmp/watch.err" &
wp=$!
pids="$pids $wp"
wait_until 30 "watch --json prints a line" has_line "$tmp/watch.jsonl"
kc 0 autotune 1000 500
expect_no_out
wait_until 30 "an auto-tuned batch above 300 pages" batch_above 300
wait_until 30 "a line of watch --json with the auto-tuned batch" watch_tuned "$tmp/watch.jsonl"
kill "$wp" 2>/dev/null || { slurp "$tmp/watch.err"; fail "watch --json ended: $text"; }
wait "$wp" 2>/dev/null
kc 0 stop
wait_until 20 "the last batch ends" batch_settled
read -r batch <"$sysfs"/pages_to_scan
kc -o tuned.txt 0 status
kc -o tuned.json 0 status --json
kc -o tuned.prom 0 status --prometheus
kc -o tuned-autotune.txt 0 autotune
kc -o tuned-autotune.json 0 autotune --json
kc -o tuned-autotune-nobody.json -u $nobody 0 autotune --json
kc -o tuned-info.txt 0 info
expect_file $sysfs/pages_to_scan "$batch"
check tuned "$batch"
echo "auto-tuned batch: $batch pages"

step "a slow target and a tiny budget bring it down to the minimum"
kc 0 autotune 100000 1
kc 0 start 100 20000
wait_until 30 "the auto-tuned batch falls to 16" batch_is 16
kc 0 autotune --json
expect_out '{"enabled":true,"target_scan_ms":100000,"max_cpu_permille":1,"pages_to_scan":16}'

step "autotune off"
kc 0 autotune off
expect_no_out
kc 0 stop
kc 0 autotune
expect_out "autotune off, target_scan_ms 100000, max_cpu_permille 1, pages_to_scan 16"
kc 0 status --json
"$py" -c 'import json, sys; a = json.load(open(sys.argv[1]))["autotune"]; sys.exit(a["enabled"] is not False)' \
	"$tmp/out" || fail "status --json after autotune off: $(cat "$tmp/out")"
expect_file $sysfs/autotune "0 target_scan_ms=100000 max_cpu_permille=1"
kc 0 start 100 20000
kc 0 info
expect_out "flags 1, pages_to_scan 100, sleep_time 20000"
kc 0 stop

# ------------------------------------------------------------ parameters

step "set smart_scan, use_zero_pages, domain_policy"
kc 0 set use_zero_pages 1
expect_no_out
expect_file $params/use_zero_pages Y
kc 0 set smart_scan off
expect_file $params/smart_scan N
kc 0 set domain_policy 2
expect_file $params/domain_policy 2
kc -o zero.txt 0 status
kc -o zero.json 0 status --json
kc -o zero.prom 0 status --prometheus
kc 0 set use_zero_pages off
expect_file $params/use_zero_pages N
kc 0 set smart_scan on
expect_file $params/smart_scan Y
kc 0 set domain_policy 1
expect_file $params/domain_policy 1
kc -o unzero.json 0 status --json
check params

# ------------------------------------------------------------ domains

step "ps shows merge domains"
helper $nobody 0 1		# KSM_AREA_USER_DOMAIN
user=$hp
helper root 7 0			# numbered domain 7
numbered=$hp
kc 0 set domain_policy 0
helper $nobody 0 0		# open policy: the shared domain 0
opened=$hp
kc 0 set domain_policy 1
kc -o ps.txt 0 ps
kc -o ps.json 0 ps --json
kc -o ps.prom 0 areas --prometheus
kc -o ps-nobody.json -u $nobody 0 ps --json
slurp "$tmp/ps.txt"
echo "$text"
check domains "$wl" "$user" "$numbered" "$opened"

echo "PASS"
exit 0
