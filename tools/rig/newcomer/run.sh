#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# run.sh - a newcomer's first hour: the README's two commands, `make demo`
# and `make check`, in a clone on a bare Debian 12 (`make check-newcomer`).
#
# Builds a minimal bookworm root (debootstrap --variant=minbase plus git
# and make, apt sources as a fresh install has them: bookworm,
# bookworm-updates and bookworm-security from the host's Debian mirror)
# and keeps it as a tarball in the work dir, so that later runs skip
# debootstrap; every run starts from a fresh copy of it.  The committed
# HEAD of this tree is cloned (through a git bundle, by the root's own git)
# into /root/ksmdev, a directory only root may enter, as a newcomer's
# clone would be.  /proc, /sys, /dev, /dev/pts, /dev/shm, /run and /tmp
# are mounted, the host's resolv.conf is copied in, and
# /usr/sbin/policy-rc.d forbids starting services, so that the packages
# setup.sh installs start no daemons on this machine.  Then, chrooted, as
# root, in a clean environment (only PATH, HOME, TERM, LANG, USER,
# LOGNAME: no KSMDEV_CACHE, so the newcomer downloads its own kernels):
# `cd /root/ksmdev && make demo`, then `make check`, each timed.  The
# guests run under TCG and share the chroot's / over 9p, as on a machine.
#
# Output goes to the terminal and to newcomer.log in the work dir; the
# last line is the summary ("newcomer: make demo N s, make check N s,
# total N s; PASS").  Every mount is undone on exit, also on failure and
# on Ctrl-C (processes still running in the root are ended first); the
# root itself stays until the next run, to look into.  Root only (mount,
# chroot); installs debootstrap when it is missing.  It takes long (the
# whole of make check, with a fresh setup) and is not part of CI.
#
# Environment: KSMDEV_NEWCOMER_DIR, the work dir (default build/newcomer/
# of this tree; the root is about 320 MiB before the run, more after it);
# KSMDEV_NEWCOMER_MIRROR, KSMDEV_NEWCOMER_SECURITY: the mirrors (default:
# the host's apt sources, else deb.debian.org); KSMDEV_NEWCOMER_REFRESH=1
# builds the tarball again; KSMDEV_NEWCOMER_CMDS, a shell command line run
# in /root/ksmdev instead of the two commands (to try the script itself).
# Exit 0 pass, 1 fail, 2 not root or usage, 128+N on signal N.
#
# Usage: tools/rig/newcomer/run.sh

set -eu
set -o pipefail

top=$(cd "$(dirname "$0")/../../.." && pwd)
work=${KSMDEV_NEWCOMER_DIR:-$top/build/newcomer}
suite=bookworm
include=git,make
log=
r=

say() {
	printf 'newcomer: %s\n' "$*" >&2
	if [ -n "$log" ]; then printf 'newcomer: %s\n' "$*" >>"$log"; fi
}
die() { say "FAIL: $*"; exit 1; }

[ $# = 0 ] || { echo "usage: $0 (no arguments; see its header)" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
	say "needs root (debootstrap, mount, chroot); run:"
	if [ -n "${KSMDEV_NEWCOMER_DIR:-}" ]; then
		say "  sudo KSMDEV_NEWCOMER_DIR=$KSMDEV_NEWCOMER_DIR $0"
	else
		say "  sudo $0"
	fi
	say "then run this command again."
	exit 2
fi

git -C "$top" rev-parse --verify -q HEAD >/dev/null ||
	die "$top is not a git clone with a commit; the newcomer clones HEAD"

t_start=$(date +%s)
mkdir -p "$work"
work=$(cd "$work" && pwd -P)

# One run at a time per work dir (the lock goes with the last process).
exec 9>"$work/lock"
flock -n 9 || die "another run uses $work"
r=$work/root
log=$work/newcomer.log
: >"$log"

# ------------------------------------------------------------ host tools

if ! command -v debootstrap >/dev/null 2>&1; then
	say "installing debootstrap"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		debootstrap >/dev/null 2>&1 || {
		apt-get update -qq >/dev/null
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends debootstrap >/dev/null
	} || die "cannot install debootstrap"
fi

# "URI suite" for each enabled deb source of the host, one-line and deb822.
host_sources() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
			print $i, $(i + 1)
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() {
			if (deb && enabled) for (u in uris) for (s in suites) print u, s
			deb = 0; enabled = 1; delete uris; delete suites
		}
		BEGIN { enabled = 1 }
		/^[ \t]*#/ { next }
		/^[ \t]*$/ { flush(); next }
		{ key = tolower($1) }
		key == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
		key == "uris:" { for (i = 2; i <= NF; i++) uris[$i] = 1 }
		key == "suites:" { for (i = 2; i <= NF; i++) suites[$i] = 1 }
		key == "enabled:" { enabled = (tolower($2) != "no") }
		END { flush() }' "$f"
	done
}
mirror_for() {		# mirror_for <suite> <fallback>
	m=$(host_sources | awk -v s="$1" '$2 == s && m == "" { m = $1 } END { print m }')
	m=${m:-$2}
	echo "${m%/}"
}
mirror=${KSMDEV_NEWCOMER_MIRROR:-$(mirror_for "$suite" http://deb.debian.org/debian)}
security=${KSMDEV_NEWCOMER_SECURITY:-$(mirror_for "$suite-security" http://deb.debian.org/debian-security)}

# ------------------------------------------------------------ mounts

# The mount points at or below the root, deepest first.
mounts_under() {
	[ -n "$r" ] || return 0
	findmnt -rn -o TARGET | while IFS= read -r t; do
		t=$(printf '%b' "$t")	# findmnt -r writes a space as \x20
		case "$t" in "$r" | "$r"/*) printf '%s\n' "$t" ;; esac
	done | sort -r
}

# The processes whose root is the new root (or a directory in it).
procs_in_root() {
	[ -n "$r" ] || return 0
	for d in /proc/[0-9]*; do
		l=$(readlink "$d/root" 2>/dev/null) || continue
		case "$l" in "$r" | "$r"/*) echo "${d#/proc/}" ;; esac
	done
}

end_procs() {
	pids=$(procs_in_root)
	[ -n "$pids" ] || return 0
	for p in $pids; do
		say "ending $p in the root: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-70)"
	done
	# shellcheck disable=SC2086 # a list of pids
	kill -TERM $pids 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -n "$(procs_in_root)" ] || return 0
		sleep 1
	done
	pids=$(procs_in_root)
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
	sleep 1
}

unmount_all() {
	mounts_under | while IFS= read -r t; do
		umount "$t" 2>/dev/null || umount -R "$t" 2>/dev/null ||
			{ say "umount $t: busy; detaching it (umount -l)"; umount -l "$t"; }
	done
	left=$(mounts_under)
	[ -z "$left" ] || { say "FAIL: still mounted: $left"; return 1; }
}

mount_all() {
	mount -t proc -o nosuid,nodev,noexec proc "$r/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$r/sys"
	# Binds are made private: nothing mounted below them reaches the host.
	mount --bind /dev "$r/dev"
	mount --make-private "$r/dev"
	mount --bind /dev/pts "$r/dev/pts"
	mount --make-private "$r/dev/pts"
	mount -t tmpfs -o mode=1777,nosuid,nodev shm "$r/dev/shm"
	mount -t tmpfs -o mode=0755,nosuid,nodev run "$r/run"
	mount -t tmpfs -o mode=1777,nosuid,nodev tmp "$r/tmp"
	rm -f "$r/etc/resolv.conf"
	cp -L /etc/resolv.conf "$r/etc/resolv.conf"
}

# ------------------------------------------------------------ exit

steps_done=
interrupted=
cleaned=
# shellcheck disable=SC2317 # invoked by the traps
cleanup() {
	rc=$?
	[ -z "$cleaned" ] || return 0
	cleaned=1
	set +e
	trap '' INT TERM HUP
	if [ -n "$r" ] && [ -d "$r" ]; then
		end_procs
		unmount_all || rc=1
	fi
	if [ -n "$interrupted" ]; then
		say "interrupted by SIG$interrupted after:${steps_done:- nothing}"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'interrupted=INT; exit 130' INT
trap 'interrupted=TERM; exit 143' TERM
trap 'interrupted=HUP; exit 129' HUP

# A previous run that was killed (SIGKILL) may have left its mounts.
if [ -d "$r" ]; then
	end_procs
	[ -z "$(mounts_under)" ] || say "unmounting what a previous run left under $r"
	unmount_all || die "cannot unmount what a previous run left under $r"
fi

# ------------------------------------------------------------ the root

# The tarball is rebuilt when its recipe changes.
recipe="suite=$suite variant=minbase include=$include mirror=$mirror security=$security recipe=1"
if command -v zstd >/dev/null 2>&1; then
	tarball=$work/$suite-minbase.tar.zst compress=(zstd -q -T0) decompress=(zstd -dcq)
else
	tarball=$work/$suite-minbase.tar.gz compress=(gzip -1) decompress=(gzip -dc)
fi
tar_opts=(--numeric-owner --xattrs '--xattrs-include=*')

fresh_dir() {
	if [ -e "$r" ]; then
		[ -z "$(mounts_under)" ] || die "$r still has mounts"
		rm -rf --one-file-system "$r"
	fi
	mkdir -p "$r"
}

t0=$(date +%s)
if [ -z "${KSMDEV_NEWCOMER_REFRESH:-}" ] && [ -f "$tarball" ] &&
	[ "$(cat "$tarball.recipe" 2>/dev/null)" = "$recipe" ]; then
	fresh_dir
	"${decompress[@]}" <"$tarball" | tar "${tar_opts[@]}" -C "$r" -xpf - ||
		die "cannot unpack $tarball (KSMDEV_NEWCOMER_REFRESH=1 builds it again)"
	say "root: a fresh copy of $(basename "$tarball") ($(($(date +%s) - t0)) s)"
else
	say "debootstrap --variant=minbase --include=$include $suite from $mirror"
	fresh_dir
	if ! debootstrap --variant=minbase --include="$include" --components=main \
		"$suite" "$r" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -n 30 "$work/debootstrap.log" >&2
		die "debootstrap failed (log: $work/debootstrap.log)"
	fi
	t_deboot=$(($(date +%s) - t0))
	# The sources a fresh Debian 12 install has.
	cat >"$r/etc/apt/sources.list" <<-EOF
		deb $mirror $suite main
		deb $mirror $suite-updates main
		deb $security $suite-security main
	EOF
	# Packages installed in the chroot must not start daemons on the host.
	printf '#!/bin/sh\n# newcomer check: start no services in this chroot\nexit 101\n' \
		>"$r/usr/sbin/policy-rc.d"
	chmod 755 "$r/usr/sbin/policy-rc.d"
	mount_all
	chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		apt-get update -qq >>"$work/debootstrap.log" 2>&1 ||
		die "apt-get update in the new root failed (log: $work/debootstrap.log)"
	chroot "$r" /usr/bin/apt-get clean
	unmount_all
	size=$(du -sxm "$r" | cut -f1)
	t1=$(date +%s)
	tar "${tar_opts[@]}" -C "$r" -cf - . | "${compress[@]}" >"$tarball.tmp"
	mv "$tarball.tmp" "$tarball"
	echo "$recipe" >"$tarball.recipe"
	say "root: debootstrap $t_deboot s, $size MiB; tarball $(du -m "$tarball" | cut -f1) MiB ($(($(date +%s) - t1)) s)"
fi
[ -x "$r/usr/sbin/policy-rc.d" ] || die "no policy-rc.d in the root"

# ------------------------------------------------------------ the clone

head=$(git -C "$top" rev-parse HEAD)
[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
	say "note: the clone has HEAD only, not this tree's uncommitted changes"
branch=$(git -C "$top" symbolic-ref -q --short HEAD || true)
mount_all
bundle=$r/tmp/ksmdev.bundle
# The branch HEAD is on, if any: the clone checks it out as a real one would.
git -C "$top" bundle create "$bundle" HEAD ${branch:+"refs/heads/$branch"} \
	>"$work/bundle.log" 2>&1 || { cat "$work/bundle.log" >&2; die "git bundle create failed"; }
in_root() {
	chroot "$r" /usr/bin/env --default-signal -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root USER=root LOGNAME=root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		/bin/sh -c "cd /root && $1" 9>&-	# not the lock: a leftover must not keep it
}
in_root "git clone -q -c advice.detachedHead=false /tmp/ksmdev.bundle ksmdev &&
	git -C ksmdev remote set-url origin '$top' &&
	{ git -C ksmdev symbolic-ref -q HEAD >/dev/null || git -C ksmdev checkout -q -b main; }" \
	>>"$log" 2>&1 || die "git clone in the root failed (log: $log)"
rm -f "$bundle"
[ "$(in_root 'git -C ksmdev rev-parse HEAD')" = "$head" ] || die "the clone is not at $head"
say "cloned $(git -C "$top" log --oneline -1 HEAD) into /root/ksmdev" \
	"($(stat -c %A "$r/root") /root)"

# ------------------------------------------------------------ the commands

# step <name> <command>: run it in the clone, to the terminal and the log;
# in the background so that a signal reaches our trap at once (the
# command gets default signal handling back through env --default-signal).
fails=0
summary=
step() {
	say "== $1"
	s0=$(date +%s)
	rm -f "$work/step.rc"
	{ in_root "cd ksmdev && $2" 2>&1; echo $? >"$work/step.rc"; } | tee -a "$log" &
	wait $! || true
	rc=$(cat "$work/step.rc" 2>/dev/null || echo 1)
	s=$(($(date +%s) - s0))
	summary="$summary$1 $s s, "
	steps_done="$steps_done $1 (${s} s, exit $rc)"
	if [ "$rc" = 0 ]; then say "$1: ok ($s s)"; else say "$1: FAILED, exit $rc ($s s)"; fails=$((fails + 1)); fi
	left=$(procs_in_root)
	[ -z "$left" ] || { say "$1 left processes running in the root"; end_procs; }
}

say "log: $log"
if [ -n "${KSMDEV_NEWCOMER_CMDS:-}" ]; then
	step "KSMDEV_NEWCOMER_CMDS" "$KSMDEV_NEWCOMER_CMDS"
else
	step "make demo" "make demo"
	step "make check" "make check"
fi

unmount_all || fails=$((fails + 1))
verdict=PASS
[ $fails = 0 ] || verdict=FAIL
say "${summary}total $(($(date +%s) - t_start)) s; $verdict"
[ $fails = 0 ]
