#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# check-symbols.sh - fail if a built ksmdev.ko defines a symbol without the
# driver's own prefix.
#
# Usage: driver/check-symbols.sh path/to/ksmdev.ko
#
# Every function and variable the module defines, static or not, must be
# named ksmdev_* (or __ksmdev_*): a profile of a kernel that runs both
# mm/ksm.c and ksmdev, and a crash dump of it, then tell the two apart.
# Allowed besides:
#   - module boilerplate: init_module, cleanup_module, __this_module,
#     ____versions, orc_header, __UNIQUE_ID_*, __param_*, __mod_*, _note_*,
#     __initcall*, __exitcall*, __ksymtab*, __kstrtab*, __crc_*, and the
#     bounds of linker sections (__start_*, __stop_*: alloc_tags on 6.12);
#   - compiler and assembler output: local labels (.L*), the padding and
#     CFI stubs in front of functions (__pfx_X, __cfi_X: X is checked),
#     clones of a function (X.part.0, X.cold, X.isra.0: X is checked),
#     function-local static data (name.N, e.g. __func__.3, a lockdep key),
#     sanitizer constructors (_sub_I_*, _sub_D_*), and local functions
#     that the kernel's headers define (static, mostly inline: emitted
#     out of line; the headers of the module's kernel release are
#     searched, or KDIR's).
# NM overrides the nm program.  Exit status: 0 clean, 1 offenders (listed
# on stdout), 2 usage or nm error.

ko=$1
if [ $# -ne 1 ] || [ ! -f "$ko" ]; then
	echo "usage: $0 path/to/ksmdev.ko" >&2
	exit 2
fi
nm=${NM:-nm}
syms=$("$nm" --defined-only "$ko") || {
	echo "$0: $nm failed on $ko" >&2
	exit 2
}

bad=$(printf '%s\n' "$syms" | awk '
NF < 2 { next }
{
	type = $(NF - 1); name = $NF
	sub(/^__(pfx|cfi)_/, "", name)
	if (name ~ /^\.L/ ||
	    name ~ /^(init_module|cleanup_module|__this_module|____versions|orc_header)$/ ||
	    name ~ /^(__UNIQUE_ID_|__param_|__mod_|_note_|__initcall|__exitcall|__ksymtab|__kstrtab|__crc_|_sub_I_|_sub_D_|__start_|__stop_)/)
		next
	if (index(name, ".") > 1) {
		# Function-local static data: scoped to its function.
		if (type ~ /^[dbrgsv]$/)
			next
		name = substr(name, 1, index(name, ".") - 1)
	}
	if (name !~ /^_*ksmdev_/)
		print type, $NF, name
}' | sort -u -k2)

# A local function that a kernel header defines (static, mostly inline)
# was emitted into the module by the compiler (folio_flags on a DEBUG_VM
# kernel):
# not ours to name.  The headers are looked for where the kernel the
# module was built for keeps them (KDIR overrides).
release=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
kdirs=
for d in ${KDIR:-} ${KSMDEV_CACHE:+$KSMDEV_CACHE/kernels/$release/build} \
	 /usr/src/linux-headers-$release /lib/modules/$release/build; do
	[ -d "$d/include" ] || continue
	kdirs="$kdirs $d"
	# Debian's headers package keeps most headers in a -common tree.
	common=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$d/Makefile" 2>/dev/null)
	[ -n "$common" ] && [ -d "$common/include" ] && kdirs="$kdirs $common"
done
kernel_header_defines() {
	for d in $kdirs; do
		grep -rEqs --include='*.h' \
			"^static [^;(]*[^A-Za-z0-9_]$1\\(" \
			"$d/include" "$d/arch/x86/include" && return 0
	done
	return 1
}
bad=$(printf '%s\n' "$bad" | while read -r type sym name; do
	[ -n "$sym" ] || continue
	[ "$type" = t ] && kernel_header_defines "$name" && continue
	echo "$type $sym"
done)

if [ -n "$bad" ]; then
	n=$(printf '%s\n' "$bad" | wc -l)
	echo "$ko: $n symbol(s) without the ksmdev_ prefix:"
	printf '%s\n' "$bad" | sed 's/^/  /'
	exit 1
fi
echo "$ko: every symbol has the ksmdev_ prefix"
