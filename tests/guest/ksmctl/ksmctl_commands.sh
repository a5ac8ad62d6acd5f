#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# ksmctl against the real driver.  Two unprivileged ksmdev-example
# workloads (one renamed so its command name holds a quote, a backslash, a
# tab and a byte that is not UTF-8) register memory and are frozen with
# SIGSTOP; ksmctl starts the scanner, which merges them, while
# `ksmctl watch --json` runs.  With the scanner stopped again every command
# and output format is checked against the driver's own numbers in
# /sys/kernel/mm/ksmdev/: status (text, JSON, Prometheus), info (2009
# line, JSON), ps/areas (text, JSON, Prometheus, as root and as other
# users); then watch with the scanner running (lines, JSON Lines, a tty),
# usage errors (exit 2), device errors, start/stop without privilege, a
# device without access, and the module unloaded (exit 1).  JSON is parsed
# with python's json, Prometheus output by a checker of the text
# exposition format.
#
# Needs: build/tools/ksmctl, build/examples/ksmdev-example, python3, setpriv.

set -u
# shellcheck source=helpers/lib.sh
. "${KTEST_TOP:?KTEST_TOP is not set}/tests/guest/ksmctl/helpers/lib.sh"

# The statistics ksmctl shows, each mirrored by a file in $sysfs.
stats="pages_shared pages_sharing pages_unshared pages_volatile pages_merged
full_scans pages_scanned regions max_kernel_pages cap_refusals pages_skipped
last_scan_ms scanner_cpu_permille zero_pages"
other=65533

need "$ksmctl" "$example"
need_cmd python3 setpriv
kc_init ksmctl-test

# The workloads (also in $pids, killed on exit).
w1=
w2=

# shellcheck disable=SC2317 # invoked by the trap
at_exit() {
	grep -q '^ksmdev ' /proc/modules || insmod "$KTEST_KO" 2>/dev/null
}

# sysval NAME: /sys/kernel/mm/ksmdev/NAME in $v.
sysval() {
	read -r v <"$sysfs/$1"
}

# wait_sysfs NAME VALUE SECONDS [LOG]
wait_sysfs() {
	i=0
	sysval "$1"
	while [ "$v" != "$2" ]; do
		i=$((i + 1))
		if [ $i -gt $(($3 * 20)) ]; then
			text=
			[ -n "${4:-}" ] && slurp "$4"
			fail "$sysfs/$1 is $v, not $2, after $3 s${4:+; log: $text}"
		fi
		sleep 0.05
		sysval "$1"
	done
}

# Every statistic stays the same for a while: nothing is scanning.
wait_quiet() {
	prev=
	i=0
	while :; do
		snapshot "$tmp/quiet"
		slurp "$tmp/quiet"
		cur=$text
		[ -n "$prev" ] && [ "$cur" = "$prev" ] && return 0
		i=$((i + 1))
		[ $i -gt 50 ] && fail "statistics keep changing with the scanner stopped"
		prev=$cur
		sleep 0.3
	done
}

# merge_watch_done FILE VALUE: FILE (watch --json) has 3 lines or more,
# the last one with pages_merged VALUE.
merge_watch_done() {
	case $(tail -n 1 "$1") in
	*"\"pages_merged\":$2,"*) [ "$(wc -l <"$1")" -ge 3 ] ;;
	*) return 1 ;;
	esac
}

# snapshot FILE: the statistics in sysfs as "name value" lines.
snapshot() {
	for f in $stats; do
		read -r v <"$sysfs/$f" || fail "cannot read $sysfs/$f"
		echo "$f $v"
	done >"$1"
}

# info_line: what `ksmctl info` prints with the module's current settings.
info_line() {
	read -r p </sys/module/ksmdev/parameters/pages_to_scan
	read -r s </sys/module/ksmdev/parameters/sleep
	echo "flags $1, pages_to_scan $p, sleep_time $s"
}

cat >"$tmp/check.py" <<'EOF'
# Checks of ksmctl output against the driver's statistics in sysfs.
import json, os, re, sys

from ksmctl_output import check, parse_prom, read

FIELDS = ['pages_shared', 'pages_sharing', 'pages_unshared', 'pages_volatile',
          'pages_merged', 'full_scans', 'pages_scanned', 'regions',
          'max_kernel_pages', 'cap_refusals', 'pages_skipped', 'last_scan_ms',
          'scanner_cpu_permille', 'zero_pages']
PS = os.sysconf('SC_PAGE_SIZE')


def sysfs(path):
    """A snapshot of /sys/kernel/mm/ksmdev/ the test took: "name value" lines."""
    snap = dict(line.split() for line in read(path).splitlines())
    check(set(FIELDS) <= set(snap), f'{path}: missing {set(FIELDS) - set(snap)}')
    return {f: int(snap[f]) for f in FIELDS}


def human(b):
    """ksmctl's binary units: one decimal, rounded, 1024.0 goes up a unit."""
    units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']
    if b < 1024:
        return f'{b} B'
    u, unit = 0, 1
    while u < 6 and b >= unit * 1024:
        unit *= 1024
        u += 1
    t = (b * 10 + unit // 2) // unit
    if t >= 10240 and u < 6:
        unit *= 1024
        u += 1
        t = (b * 10 + unit // 2) // unit
    return f'{t // 10}.{t % 10} {units[u]}'


def unsafe(ch):
    """C0 and C1 controls, DEL, the bidirectional controls."""
    c = ord(ch)
    return c < 0x20 or 0x7f <= c <= 0x9f or c in (0x61c, 0x200e, 0x200f) or \
        0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069


def text_safe(raw):
    """ksmctl's terminal-safe command name: unsafe characters and bad bytes are '?'."""
    return ''.join('?' if unsafe(ch) or ch == '\ufffd' else ch
                   for ch in raw.decode('utf-8', 'replace'))


def prom_safe(raw):
    """A Prometheus label value of ksmctl: unsafe characters and bad bytes are U+FFFD."""
    return ''.join('\ufffd' if unsafe(ch) and ch != '\n' else ch
                   for ch in raw.decode('utf-8', 'replace'))


def frozen(d, w1, w2):
    w2comm = os.environb[b'W2COMM']
    sy = sysfs(d + '/sysfs.before')
    check(sysfs(d + '/sysfs.after') == sy, 'the statistics changed while ksmctl read them')
    check(sy['pages_shared'] == 1024 and sy['pages_sharing'] == 3584 and
          sy['pages_merged'] == 4608 and sy['regions'] == 6,
          f'the workloads did not merge as expected: {sy}')
    saved = (sy['pages_sharing'] + sy['zero_pages']) * PS

    # status --json
    raw = read(d + '/status.json')
    check(raw.count('\n') == 1, 'status --json is not one line')
    st = json.loads(raw)
    for f in FIELDS:
        check(st[f] == sy[f], f'status --json {f}={st[f]}, sysfs {sy[f]}')
    check(st['page_size'] == PS and st['bytes_saved'] == saved, f'status --json saved: {st}')
    check(st['scanner'] == {'running': False, 'flags': 0, 'pages_to_scan': 100000,
                            'sleep_usecs': 1000}, f'status --json scanner: {st["scanner"]}')
    pct = 100 * sy['pages_shared'] / sy['max_kernel_pages']
    check(abs(st['cap_used_percent'] - pct) < 0.006, f'cap_used_percent {st["cap_used_percent"]}')
    nb = json.loads(read(d + '/status-nobody.json'))
    check(nb == st, f'status --json as nobody differs: {nb}')

    # status, text
    kv = {}
    for line in read(d + '/status.txt').splitlines():
        k, sep, v = line.partition(':')
        check(sep, f'status line without a colon: {line!r}')
        kv[k] = v.strip()
    labels = {'pages shared': 'pages_shared', 'pages sharing': 'pages_sharing',
              'pages unshared': 'pages_unshared', 'pages volatile': 'pages_volatile',
              'pages merged': 'pages_merged', 'full scans': 'full_scans',
              'pages scanned': 'pages_scanned', 'pages skipped': 'pages_skipped',
              'zero pages': 'zero_pages', 'regions': 'regions', 'last full scan': 'last_scan_ms'}
    for k, f in labels.items():
        check(k in kv and kv[k].split()[0] == str(sy[f]), f'status {k}: {kv.get(k)}, sysfs {sy[f]}')
    check(kv['scanner'].startswith('stopped (100000 pages per batch, 1000 us sleep'),
          f'status scanner: {kv["scanner"]}')
    cpu = sy['scanner_cpu_permille']
    check(kv['scanner CPU'] == f'{cpu // 10}.{cpu % 10}% (recent batches)', f'status CPU: {kv["scanner CPU"]}')
    want = f'{human(saved)} ({saved} bytes, {saved // PS} pages of {PS} bytes)'
    check(kv['memory saved'] == want, f'status memory saved: {kv["memory saved"]!r}, want {want!r}')
    check(human(saved) == '14.0 MiB', f'saved {human(saved)}')
    want = (f'{sy["pages_shared"]} of {sy["max_kernel_pages"]} max_kernel_pages ({pct:.1f}%), '
            f'{sy["cap_refusals"]} merges refused at the cap')
    check(kv['KSM page cap'] == want, f'status cap: {kv["KSM page cap"]!r}, want {want!r}')
    check(read(d + '/default.txt') == read(d + '/status.txt'), 'ksmctl without a command is not status')

    # status --prometheus
    samples, types = parse_prom(d + '/status.prom')
    want = {'ksmdev_pages_shared': sy['pages_shared'], 'ksmdev_pages_sharing': sy['pages_sharing'],
            'ksmdev_pages_unshared': sy['pages_unshared'],
            'ksmdev_pages_volatile': sy['pages_volatile'], 'ksmdev_pages_merged': sy['pages_merged'],
            'ksmdev_full_scans_total': sy['full_scans'],
            'ksmdev_pages_scanned_total': sy['pages_scanned'], 'ksmdev_regions': sy['regions'],
            'ksmdev_bytes_saved': saved, 'ksmdev_scanner_running': 0,
            'ksmdev_scanner_pages_to_scan': 100000, 'ksmdev_scanner_sleep_seconds': 0.001,
            'ksmdev_max_kernel_pages': sy['max_kernel_pages'],
            'ksmdev_cap_refusals_total': sy['cap_refusals'],
            'ksmdev_pages_skipped_total': sy['pages_skipped'], 'ksmdev_page_size_bytes': PS,
            'ksmdev_zero_pages': sy['zero_pages'],
            'ksmdev_last_full_scan_seconds': sy['last_scan_ms'] / 1000,
            'ksmdev_scanner_cpu_ratio': sy['scanner_cpu_permille'] / 1000}
    for name, v in want.items():
        check(samples.get((name, ())) == v, f'status --prometheus {name}={samples.get((name, ()))}, want {v}')
    for name in want:
        check(types[name] == ('counter' if name.endswith('_total') else 'gauge'), f'type of {name}')

    # info
    check(read(d + '/info.txt') == 'flags 0, pages_to_scan 100000, sleep_time 1000\n',
          f'info: {read(d + "/info.txt")!r}')
    check(json.loads(read(d + '/info.json')) ==
          {'flags': 0, 'pages_to_scan': 100000, 'sleep_time': 1000, 'running': False},
          f'info --json: {read(d + "/info.json")}')

    # areas --json
    pj = json.loads(read(d + '/ps.json'))
    areas = pj['areas']
    check(pj['count'] == len(areas) == 2, f'ps --json: {pj}')
    by = {a['pid']: a for a in areas}
    check(set(by) == {w1, w2}, f'ps --json pids {set(by)}, want {w1} and {w2}')
    exp = {w1: (b'ksmdev-example', 4, 4096), w2: (w2comm, 2, 512)}
    for pid, (comm, regions, pages) in exp.items():
        a = by[pid]
        check(a['comm'] == comm.decode('utf-8', 'replace'), f'ps --json comm {a["comm"]!r}, want {comm!r}')
        check(a['uid'] == 65534 and a['regions'] == regions and a['pages_registered'] == pages and
              a['bytes_registered'] == pages * PS and a['pages_merged'] == pages and
              a['bytes_saved'] == a['pages_sharing'] * PS and
              a['pages_sharing'] == a['pages_merged'] - a['pages_shared'] and
              a['domain'] == (1 << 63) | 65534 and a['domain_kind'] == 'user',
              f'ps --json area of {pid}: {a}')
    for f in ('pages_shared', 'pages_sharing', 'pages_merged'):
        check(sum(a[f] for a in areas) == sy[f], f'ps --json: areas\' {f} do not add up to {sy[f]}')

    # ps, text
    lines = read(d + '/ps.txt').splitlines()
    check(lines[0].split() == ['PID', 'COMMAND', 'REGIONS', 'REGISTERED', 'MERGED', 'SAVED', 'DOMAIN'],
          f'ps header: {lines[0]!r}')
    check(len(lines) == 3, f'ps: {len(lines) - 1} rows')
    rows = {}
    for line in lines[1:]:
        rows[int(line[:7])] = (line[8:24].rstrip(), line[24:].split())
    for pid, (comm, regions, pages) in exp.items():
        a = by[pid]
        check(pid in rows, f'ps: no row for {pid}')
        c, rest = rows[pid]
        want = [str(regions)] + human(pages * PS).split() + [str(pages)] + \
            human(a['pages_sharing'] * PS).split() + ['user:65534']
        check(c == text_safe(comm) and rest == want,
              f'ps row of {pid}: {c!r} {rest}, want {text_safe(comm)!r} {want}')
    check(rows[w2][0] == 'ks"m\\x?y???', f'ps comm {rows[w2][0]!r}')

    # areas --prometheus
    samples, types = parse_prom(d + '/ps.prom')
    check(samples[('ksmdev_areas', ())] == 2, 'ksmdev_areas')
    for pid, (comm, regions, pages) in exp.items():
        a = by[pid]
        lab = (('comm', prom_safe(comm)), ('domain', 'user:65534'), ('pid', str(pid)))
        for name, v in (('ksmdev_area_regions', regions),
                        ('ksmdev_area_registered_bytes', pages * PS),
                        ('ksmdev_area_pages_merged', pages),
                        ('ksmdev_area_pages_shared', a['pages_shared']),
                        ('ksmdev_area_pages_sharing', a['pages_sharing']),
                        ('ksmdev_area_bytes_saved', a['pages_sharing'] * PS),
                        ('ksmdev_area_pages_scanned_total', a['pages_scanned'])):
            check(samples.get((name, lab)) == v, f'ps --prometheus {name}{dict(lab)}: '
                  f'{samples.get((name, lab))}, want {v}')
    check(len(samples) == 1 + 7 * 2, f'ps --prometheus: {len(samples)} samples')
    check(types['ksmdev_area_pages_scanned_total'] == 'counter', 'area scanned type')

    # What other users see: nobody its own two areas, another user none.
    check(json.loads(read(d + '/ps-nobody.json'))['count'] == 2, 'ps as nobody')
    po = json.loads(read(d + '/ps-other.json'))
    check(po == {'areas': [], 'count': 0}, f'ps --json as another user: {po}')
    check(read(d + '/ps-other.txt') == 'no shared memory areas\n', 'ps as another user')
    samples, _ = parse_prom(d + '/ps-other.prom')
    check(samples == {('ksmdev_areas', ()): 0}, f'ps --prometheus as another user: {samples}')


def watch_objs(path, count):
    text = read(path)
    check(text.endswith('\n'), f'{path}: the last line is cut')
    lines = text.splitlines()
    check(count is None or len(lines) == count, f'{path}: {len(lines)} lines, want {count}')
    objs = [json.loads(l) for l in lines]
    keys = {'time', 'seconds', 'running', 'pages_to_scan', 'autotune',
            'pages_merged_per_sec', 'pages_scanned_per_sec',
            'full_scans', 'pages_scanned', 'pages_merged', 'pages_shared', 'pages_sharing',
            'regions', 'bytes_saved'}
    for o in objs:
        check(set(o) == keys, f'{path}: keys {set(o) ^ keys}')
        check(o['bytes_saved'] == o['pages_sharing'] * PS, f'{path}: bytes_saved {o}')
        check(o['autotune'] is False and o['pages_to_scan'] > 0, f'{path}: batch size {o}')
    return objs


def merge_watch(path):
    """watch --json while the scanner merged: the rates add up to the merge."""
    objs = watch_objs(path, None)
    check(len(objs) >= 3, f'{path}: only {len(objs)} lines')
    check(any(o['pages_merged_per_sec'] > 0 for o in objs), f'{path}: no merging seen')
    total = sum(o['pages_merged_per_sec'] * o['seconds'] for o in objs)
    last = objs[-1]['pages_merged']
    check(last == 4608 and abs(total - last) <= 0.01 * last + 5,
          f'{path}: merge rates add up to {total:.1f}, pages_merged went 0 -> {last}')


def busy_enough(rates, what):
    """The scanner ran in most intervals (a slow guest may leave a few without)."""
    busy = sum(r > 0 for r in rates)
    check(busy >= 1 and 2 * busy >= len(rates),
          f'{what}: pages scanned in {busy} of {len(rates)} intervals: {rates}')


def watch_json(path, count, interval, t0, t1):
    objs = watch_objs(path, count)
    elapsed = t1 - t0
    check(elapsed >= count * interval * 0.95, f'watch took {elapsed:.2f} s, want {count} x {interval}')
    secs = [o['seconds'] for o in objs]
    # The intervals watch measured lie within its run (printed to the ms) ...
    check(sum(secs) <= elapsed + 0.01, f'watch --json seconds {secs} add up to more than its {elapsed:.3f} s')
    # ... and all but one (a stalled guest) are near what was asked for.
    check(sum(s > interval * 20 for s in secs) <= 1, f'watch --json seconds: {secs}')
    for i, o in enumerate(objs):
        check(o['running'] is True and o['pages_scanned_per_sec'] >= 0 and
              o['pages_merged_per_sec'] == 0, f'watch --json line {i}: {o}')
        check(interval * 0.9 <= o['seconds'], f'watch --json seconds: {o}')
        if i:
            p = objs[i - 1]
            check(o['time'] > p['time'] and o['pages_scanned'] >= p['pages_scanned'] and
                  o['full_scans'] >= p['full_scans'], f'watch --json not monotonic: {p} {o}')
            rate = (o['pages_scanned'] - p['pages_scanned']) / o['seconds']
            check(abs(rate - o['pages_scanned_per_sec']) <= 0.01 * rate + 1,
                  f'watch --json scan rate {o["pages_scanned_per_sec"]}, counters say {rate:.1f}')
    check(objs[-1]['pages_scanned'] > objs[0]['pages_scanned'],
          f'watch --json: pages_scanned stays {objs[0]["pages_scanned"]}')
    busy_enough([o['pages_scanned_per_sec'] for o in objs], path)


LINE = re.compile(r'\d\d:\d\d:\d\d running merged [+-]\d+\.\d pages/s, scanned (\d+\.\d) pages/s, '
                  r'pages_to_scan 2000, full scans \d+, shared 1024, sharing 3584, saved 14\.0 MiB')


def watch_lines(path, count):
    lines = read(path).splitlines()
    check(len(lines) == count, f'{path}: {len(lines)} lines, want {count}')
    rates = []
    for l in lines:
        m = LINE.fullmatch(l)
        check(m, f'watch line: {l!r}')
        rates.append(float(m.group(1)))
    busy_enough(rates, path)


def watch_tty(path, count):
    text = read(path)
    check(text.count('\033[H\033[2J') == count, f'{path}: {text.count(chr(27) + "[H")} screens')
    for s in ('ksmctl watch: /dev/ksm every 0.2 s', 'scanner          running',
              'pages merged/s', 'pages scanned/s', 'pages_to_scan    2000 (fixed)',
              'memory saved     14.0 MiB'):
        check(s in text, f'{path}: no {s!r}')


def help_text(path):
    lines = read(path).splitlines()
    check(lines[0].startswith('Usage: ksmctl'), f'--help: {lines[0]!r}')
    check(len(lines) <= 24 and max(map(len, lines)) <= 80, '--help does not fit a screen')
    for w in ('status', 'start', 'stop', 'info', 'autotune', 'set', 'ps', 'areas', 'watch', '--json',
              '--prometheus', '--device', '--interval', '--count', '--version'):
        check(w in read(path), f'--help does not mention {w}')


# check.py DIR W1 W2 T0 T1 TTY
d = sys.argv[1]
help_text(d + '/help.txt')
frozen(d, int(sys.argv[2]), int(sys.argv[3]))
merge_watch(d + '/merge-watch.jsonl')
watch_lines(d + '/watch.txt', 4)
watch_json(d + '/watch.jsonl', 5, 0.25, float(sys.argv[4]), float(sys.argv[5]))
if sys.argv[6] == '1':
    watch_tty(d + '/watch.tty', 2)
print('check.py: every output matches')
EOF

# ------------------------------------------------------------ basics

step "version, help, info, start, stop"
kc 0 --version
expect_out "ksmctl 1.0.0"
kc -o help.txt 0 -h
kc 0 info
expect_out "$(info_line 0)"
kc 0 start 4096 1000
kc 0 info
expect_out "flags 1, pages_to_scan 4096, sleep_time 1000"
kc 0 stop
kc 0 info
expect_out "flags 0, pages_to_scan 4096, sleep_time 1000"

# ------------------------------------------------------------ workloads

step "two unprivileged workloads register memory"
chmod 0666 /dev/ksm
# 4 buffers of 4 MiB with the same contents, frozen once registered.
setpriv --reuid=$nobody --regid=$nobody --clear-groups "$example" 4 4 >"$tmp/w1.log" 2>&1 &
w1=$!
pids="$pids $w1"
wait_sysfs regions 4 60 "$tmp/w1.log"
kill -STOP "$w1"
# 2 buffers of 1 MiB (the first MiB of the same contents again), run
# under a command name JSON and Prometheus must escape, with a tab, an
# invalid byte, a right-to-left override and a C1 control (CSI).
w2comm=$(printf 'ks"m\\x\ty\377\342\200\256\302\233')
if ! { mkdir "$tmp/bin" && chmod 755 "$tmp/bin" && cp "$example" "$tmp/bin/$w2comm"; }; then
	fail "cannot copy the example to $tmp/bin"
fi
# (The copy finds libksmdev through LD_LIBRARY_PATH: its rpath is
# relative to where the build put it.)
LD_LIBRARY_PATH=$top/build/lib setpriv --reuid=$nobody --regid=$nobody --clear-groups \
	"$tmp/bin/$w2comm" 2 1 >"$tmp/w2.log" 2>&1 &
w2=$!
pids="$pids $w2"
wait_sysfs regions 6 60 "$tmp/w2.log"
kill -STOP "$w2"
sysval pages_merged
[ "$v" = 0 ] || fail "pages merged before the scanner ran"

step "the scanner merges them while watch --json runs"
# (Stopped with SIGTERM once the merge is over, however long it takes.)
"$ksmctl" watch --json -n 0.25 --count 100000 >"$tmp/merge-watch.jsonl" 2>"$tmp/merge-watch.err" &
mw=$!
# Its first line means its first reading (pages_merged 0) is behind it.
i=0
while [ ! -s "$tmp/merge-watch.jsonl" ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "watch --json printed nothing in 30 s"
	sleep 0.05
done
kc 0 start 100000 1000
# Page k < 256 exists 6 times, the other 768 pages 4 times: 1024 KSM
# pages mapped 4608 times, 3584 pages saved.
wait_sysfs pages_sharing 3584 120
sysval full_scans
s0=$v
i=0
while [ "$v" -lt $((s0 + 2)) ]; do
	i=$((i + 1))
	[ $i -gt 1200 ] && fail "no two more full scans in 60 s"
	sleep 0.05
	sysval full_scans
done
kc 0 stop
wait_quiet
# The last line of watch must show the final count, whenever it prints it.
sysval pages_merged
merged=$v
i=0
until merge_watch_done "$tmp/merge-watch.jsonl" "$merged"; do
	i=$((i + 1))
	[ $i -gt 600 ] && fail "watch --json did not show pages_merged $merged in 30 s"
	sleep 0.05
done
kill "$mw" 2>/dev/null || { slurp "$tmp/merge-watch.err"; fail "watch --json during the merge ended: $text"; }
wait "$mw" 2>/dev/null	# 143, and no "Terminated"

# ------------------------------------------------------------ reading

step "status, info, ps in every format (checked below)"
snapshot "$tmp/sysfs.before"
kc -o status.txt 0 status
kc -o default.txt 0
kc -o status.json 0 status --json
kc -o status.prom 0 --prometheus
kc -o info.txt 0 info
kc -o info.json 0 info --json
kc -o ps.txt 0 ps
kc -o ps.json 0 areas --json
kc -o ps.prom 0 ps --prometheus
kc -o status-nobody.json -u $nobody 0 status --json
kc -o ps-nobody.json -u $nobody 0 ps --json
kc -o ps-other.json -u $other 0 ps --json
kc -o ps-other.txt -u $other 0 ps
kc -o ps-other.prom -u $other 0 areas --prometheus
snapshot "$tmp/sysfs.after"
slurp "$tmp/status.txt"
echo "$text"
slurp "$tmp/ps.txt"
echo "$text"

step "watch with the scanner running"
kc 0 start 2000 1000
kc -o watch.txt 0 watch -n 0.2 --count 4
t0=$(date +%s.%N)
kc -o watch.jsonl 0 watch --json -n 0.25 --count 5
t1=$(date +%s.%N)
tty=0
if command -v script >/dev/null; then
	if script -qec "$ksmctl watch -n 0.2 --count 2" /dev/null >"$tmp/watch.tty" 2>&1; then
		tty=1
	elif [ -e /dev/pts/ptmx ]; then
		slurp "$tmp/watch.tty"
		fail "watch on a tty failed: $text"
	fi
fi
[ $tty = 1 ] || echo "note: no pseudo-terminal here; the tty view of watch is not checked"
kc 0 stop

step "outputs against the driver's statistics"
W2COMM=$w2comm python3 "$tmp/check.py" "$tmp" "$w1" "$w2" "$t0" "$t1" "$tty" ||
	fail "ksmctl output does not match"

# ------------------------------------------------------------ errors

step "usage errors exit 2"
for args in "sta" "start" "start 0 1000" "start 1 2 3" "watch --count 0" "--bogus" \
	    "--json --prometheus" "info --prometheus" "status -n 1"; do
	# shellcheck disable=SC2086 # the words are the arguments
	kc 2 $args
	expect_no_out
	expect_err_has "
Try 'ksmctl --help' for more information."
done
kc 2 sta
expect_err "ksmctl: unknown command 'sta' (commands: status, start, stop, info, autotune, set, ps, areas, watch)
Try 'ksmctl --help' for more information."
kc 2 start abc 1000
expect_err_has "start: invalid <npages> 'abc'"
kc 2 start 10 -1
expect_err_has "start: invalid <sleep_usecs> '-1'"
kc 2 watch -n 0
expect_err_has "--interval: invalid number of seconds '0'"

step "device errors exit 1 naming the device"
kc 1 --device /nonexistent status
expect_err "ksmctl: /nonexistent: No such file or directory (is the ksmdev module loaded?)"
expect_no_out
kc 1 --device /dev/null info
expect_err "ksmctl: /dev/null: Inappropriate ioctl for device (not a ksmdev device, or the loaded ksmdev module is too old for this call)"
"$ksmctl" status >/dev/full 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "status >/dev/full: exit $rc, want 1"
expect_err "ksmctl: writing the output: No space left on device"

step "start and stop without privilege"
kc -u $nobody 1 start 100 1000
expect_err "ksmctl: start: Operation not permitted (needs CAP_SYS_ADMIN, run as root)"
kc -u $nobody 1 stop
expect_err "ksmctl: stop: Operation not permitted (needs CAP_SYS_ADMIN, run as root)"
kc 0 info
expect_out "flags 0, pages_to_scan 2000, sleep_time 1000"

step "no access to the device"
chmod 0660 /dev/ksm
kc -u $nobody 1 status
expect_err "ksmctl: /dev/ksm: Permission denied (needs read-write access: run as root or as a member of the device's group)"
expect_no_out

step "module not loaded"
kill -9 "$w1" "$w2"
wait "$w1" "$w2" 2>/dev/null
pids=
i=0
until rmmod ksmdev 2>"$tmp/rmmod.err"; do
	i=$((i + 1))
	[ $i -ge 50 ] && { slurp "$tmp/rmmod.err"; fail "rmmod ksmdev: $text"; }
	sleep 0.1
done
[ ! -e /dev/ksm ] || fail "/dev/ksm is still there without the module"
for args in "" "info" "ps --prometheus" "start 100 1000" "watch -n 0.1 --count 1"; do
	# shellcheck disable=SC2086
	kc 1 $args
	expect_err "ksmctl: /dev/ksm: No such file or directory (is the ksmdev module loaded?)"
	expect_no_out
done
insmod "$KTEST_KO" || fail "insmod $KTEST_KO"
i=0
while [ ! -e /dev/ksm ]; do
	i=$((i + 1))
	[ $i -ge 100 ] && fail "no /dev/ksm after insmod"
	sleep 0.05
done
kc 0 info
expect_out "$(info_line 0)"
kc 0 ps
expect_out "no shared memory areas"

echo "PASS"
exit 0
