// SPDX-License-Identifier: GPL-2.0-only
/*
 * Random ioctls on both kinds of fd are either refused with an errno from
 * the expected set or succeed only on valid input, while fds are closed
 * and recreated under the callers' feet and the scanner runs; afterwards
 * the device still works.
 *
 * Three fuzzing processes (two as root, one as nobody with /dev/ksm opened
 * before dropping privileges), each with three fuzzing threads and one
 * thread that closes fds, dup2()s fresh /dev/ksm fds and new SMAs over
 * them, share a table of fd numbers; a loader process keeps the scanner
 * busy with merging pages it checks.  The fuzzers call:
 *
 *   random command numbers (random type - except the ones the VFS handles
 *   itself - nr, direction and size, and KSMIO near misses): ENOTTY;
 *   the real commands with random arguments: NULL, small numbers, kernel
 *   and non-canonical addresses, PROT_NONE and read-only pages, pointers
 *   that straddle into a PROT_NONE page, unaligned pointers, random
 *   64-bit values, pointers to random bytes with random size, count and
 *   flags fields, random and valid struct ksm_memory_region values on the
 *   caller's own memory (which then merges), random remove addresses.
 *
 * Every call must return 0 (1 for KSM_GET_API_VERSION, an fd for
 * KSM_CREATE_SHARED_MEMORY_AREA) or -1 with errno in the set its command
 * allows (EBADF and ENOTTY always, as the fd may just have been closed or
 * replaced by the other kind); invalid input (bad pad/reserved/flags/size
 * fields, unaligned or out-of-range addresses, unreadable or unwritable
 * pointers) must never succeed; successful stats and area lists must fill
 * exactly the bytes they report.  Also checked: the loader's and fuzzers'
 * merged pages keep their bytes, and processes do not crash.
 *
 * Afterwards, with the settings a fuzzer may legally leave behind (scanner
 * running with sleep 4000000000 us), setting normal ones (sleep 1000 us)
 * must take effect: a fresh process registers 16 identical pages and they
 * merge (pages_sharing 15) with their bytes intact, and the global stats
 * return to 0 when it exits.
 *
 * Calls: KSMDEV_FUZZ_CALLS (default 20000) in total; KSMDEV_FUZZ_SEED.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define NPROC		3
#define NFUZZ		3		/* fuzzing threads per process */
#define FD_BASE		200
#define NFD		16		/* table: fds FD_BASE .. FD_BASE + NFD - 1 */
#define MASTER_FD	199		/* a /dev/ksm fd never closed */
#define ARENA_PAGES	64
#define PG		KTEST_PAGE
#define LIST_BUF	(256 * 1024)
/* The smallest entry KSM_LIST_AREAS fills: through @regions. */
#define LIST_ENTRY_MIN	(offsetof(struct ksm_area_info, regions) + 8)

struct shared {
	uint64_t calls, target;
	uint64_t ok, errs[135], positive;
	uint64_t random_cmds, real_cmds, valid_registers, registered, removed;
	uint64_t creates, closes, replaces, failures;
	volatile int stop;
};

static struct shared *sh;
static int unprivileged;
static uint64_t task_size_max;
static uint64_t seed0;

#define COUNT(f, n) __atomic_fetch_add(&sh->f, (n), __ATOMIC_RELAXED)

/* ------------------------------------------------------------ random */

static __thread uint64_t rs;

static uint64_t rnd64(void)
{
	uint64_t z = (rs += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(uint64_t n)
{
	return n ? rnd64() % n : 0;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd(n)];
}

#define PICK(...) ({ const uint64_t _v[] = { __VA_ARGS__ }; \
		     pick(_v, sizeof(_v) / sizeof(_v[0])); })

/* ------------------------------------------------------------ memory */

static char *none_page;		/* PROT_NONE */
static char *ro_page;		/* PROT_READ, random bytes */
static char *edge;		/* RW page followed by a PROT_NONE page */
static char *arena;		/* merge arena: duplicate contents, never written */

static void fill_random(void *p, size_t n)
{
	uint64_t *w = p;

	for (size_t i = 0; i < n / 8; i++)
		w[i] = rnd64();
}

static void setup_memory(void)
{
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ktest_assert(m != MAP_FAILED, "mmap: %s", strerror(errno));
	none_page = m;
	ro_page = m + PG;
	edge = m + 2 * PG;
	fill_random(ro_page, PG);
	fill_random(edge, PG);
	ktest_assert(!mprotect(none_page, PG, PROT_NONE) && !mprotect(ro_page, PG, PROT_READ) &&
		     !mprotect(m + 3 * PG, PG, PROT_NONE), "mprotect: %s", strerror(errno));
	arena = ktest_map(ARENA_PAGES);
	for (int i = 0; i < ARENA_PAGES; i++)
		ktest_fill_page(arena + i * PG, 77 + i % 4);
}

static void check_arena(const char *when)
{
	for (int i = 0; i < ARENA_PAGES; i++)
		if (!ktest_check_page(arena + i * PG, 77 + i % 4))
			ktest_fail("%s: merge arena page %d lost its contents", when, i);
}

/* ------------------------------------------------------------ arguments */

enum ptr_kind {
	PK_NULL, PK_SMALL, PK_KERNEL, PK_NONCANON, PK_NONE, PK_RO, PK_RW, PK_RW_UNALIGNED,
	PK_STRADDLE, PK_RANDOM, PK_NKINDS
};

static const char *const pk_name[] = {
	"NULL", "small", "kernel", "non-canonical", "PROT_NONE", "read-only", "buffer",
	"unaligned buffer", "straddling", "random",
};

/*
 * A pointer of kind @k for an object of @size bytes.  @buf is the caller's
 * own writable buffer (at least a page).  *readable / *writable tell
 * whether all @size bytes may be read / written.
 */
static uint64_t make_ptr(int k, char *buf, size_t size, int *readable, int *writable)
{
	*readable = *writable = 0;
	switch (k) {
	case PK_NULL:
		return 0;
	case PK_SMALL:
		return PICK(1, 8, 0x10, 0xfff, 0x1000, 0xffff);
	case PK_KERNEL:
		return PICK(0xffffffff81000000ULL, 0xffff888000000000ULL, 0xffffffffff600000ULL,
			    0xffffffffffffffffULL, 0xfffffffffffff000ULL, 0xffffc90000000000ULL,
			    0xffffea0000000000ULL);
	case PK_NONCANON:
		return PICK(0x0000800000000000ULL, 0x8000000000000000ULL, 0x00ff000000000000ULL,
			    0x0100000000000000ULL, 0x7fffffffffffffffULL);
	case PK_NONE:
		return (uintptr_t)none_page + rnd(64);
	case PK_RO:
		*readable = 1;
		return (uintptr_t)ro_page + rnd(64);
	case PK_RW:
		*readable = *writable = 1;
		return (uintptr_t)buf;
	case PK_RW_UNALIGNED:
		*readable = *writable = 1;
		return (uintptr_t)buf + 1 + rnd(7);
	case PK_STRADDLE:
		/*
		 * Starts writable, ends in the PROT_NONE page after @edge:
		 * fewer than @size bytes are accessible.
		 */
		return (uintptr_t)edge + PG - 1 - rnd(size > 1 ? size - 1 : 1);
	default:
		return rnd64() | 0x8000000000000000ULL;	/* never user memory */
	}
}

/* ------------------------------------------------------------ checks */

static void __attribute__((format(printf, 1, 2))) bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FUZZ FAILURE (pid %d): ", (int)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (COUNT(failures, 1) > 20)
		_exit(1);
}

/* errno bits */
#define E(x)	(1ULL << (x))
#define ALWAYS	(E(EBADF) | E(ENOTTY))

static void account(long r, int err)
{
	if (r >= 0)
		COUNT(ok, 1);
	else if (err > 0 && err < 135)
		COUNT(errs[err], 1);
}

/*
 * Check the outcome of one call: @r, @err; @allowed errnos; @may_succeed
 * whether the input was valid.  Returns 1 if it succeeded.
 */
static int judge(const char *what, unsigned long cmd, uint64_t arg, long r, int err,
		 uint64_t allowed, int may_succeed, const char *detail)
{
	account(r, err);
	if (r == -1) {
		if (err <= 0 || err >= 64 || !(E(err) & (allowed | ALWAYS)))
			bad("%s cmd %#lx arg %#llx (%s): unexpected errno %d (%s)", what, cmd,
			    (unsigned long long)arg, detail, err, strerror(err));
		return 0;
	}
	if (r < -1)
		bad("%s cmd %#lx: returned %ld", what, cmd, r);
	else if (!may_succeed)
		bad("%s cmd %#lx arg %#llx (%s): succeeded (%ld) on invalid input", what, cmd,
		    (unsigned long long)arg, detail, r);
	return r >= 0;
}

/* ------------------------------------------------------------ commands */

static int any_fd(void)
{
	return FD_BASE + (int)rnd(NFD);
}

/* VFS-handled ioctl types that must not be fuzzed (FIOCLEX, FS_IOC_*, FIFREEZE...). */
static int vfs_type(unsigned int type)
{
	return type == 0x00 || type == 0x15 || type == 'T' || type == 'X' || type == 'f' ||
	       type == 0x94;
}

static int is_real_cmd(unsigned long cmd)
{
	return cmd == KSM_GET_API_VERSION || cmd == KSM_CREATE_SHARED_MEMORY_AREA ||
	       cmd == KSM_START_STOP_KTHREAD || cmd == KSM_GET_INFO_KTHREAD ||
	       cmd == KSM_LIST_AREAS || cmd == KSM_REGISTER_MEMORY_REGION ||
	       cmd == KSM_REMOVE_MEMORY_REGION
#ifdef KSM_CREATE_AREA
	       || cmd == KSM_CREATE_AREA
#endif
#ifdef KSM_SET_AUTOTUNE
	       || cmd == KSM_SET_AUTOTUNE || cmd == KSM_GET_AUTOTUNE
#endif
#ifdef KSM_MERGE_NOW
	       || cmd == KSM_MERGE_NOW
#endif
	       ;
}

/* KSM_CREATE_AREA and KSM_SET_AUTOTUNE are known by any size in the number. */
static int is_sized_cmd(unsigned long cmd)
{
	return _IOC_TYPE(cmd) == KSMIO && (_IOC_NR(cmd) == 0x06 || _IOC_NR(cmd) == 0x07) &&
	       _IOC_DIR(cmd) == _IOC_WRITE;
}

static int is_stats_cmd(unsigned long cmd)
{
	return _IOC_TYPE(cmd) == KSMIO && (_IOC_NR(cmd) == 0x04 || _IOC_NR(cmd) == 0x22) &&
	       _IOC_DIR(cmd) == (_IOC_READ | _IOC_WRITE) && _IOC_SIZE(cmd) >= KSM_STATS_SIZE_MIN;
}

static void fuzz_random_cmd(char *buf)
{
	unsigned int type, nr, dir, size;
	unsigned long cmd;
	int rd, wr, k = rnd(PK_NKINDS);
	uint64_t arg;
	long r;

	do {
		type = rnd(3) ? KSMIO : (unsigned int)rnd(256);
		nr = rnd(2) ? (unsigned int)rnd(0x30) : (unsigned int)rnd(256);
		dir = rnd(4);
		size = rnd(2) ? (unsigned int)rnd(128) : (unsigned int)rnd(1 << 14);
		cmd = _IOC(dir, type, nr, size);
		if (!rnd(20))
			cmd = (unsigned long)(uint32_t)rnd64();
	} while (vfs_type(_IOC_TYPE(cmd)) || is_real_cmd(cmd) || is_stats_cmd(cmd) ||
		 is_sized_cmd(cmd));
	fill_random(buf, PG);
	arg = rnd(4) ? make_ptr(k, buf, 64, &rd, &wr) : rnd64();
	errno = 0;
	r = ioctl(any_fd(), cmd, arg);
	judge("unknown ioctl", cmd, arg, r, errno, 0, 0, "random command");
	COUNT(random_cmds, 1);
}

static const uint32_t stats_sizes[] = {
	0, 1, 4, 7, 8, 9, 16, 24, 71, 72, 73, 80, 87, 88, 89, 96, 128, 4096, 0x7fffffff,
	0xffffffff,
};

static void fuzz_stats(char *buf)
{
	unsigned long cmd = rnd(2) ? (rnd(2) ? KSM_GET_STATS : KSM_GET_AREA_STATS) :
			    _IOC(_IOC_READ | _IOC_WRITE, KSMIO, rnd(2) ? 0x04 : 0x22,
				 KSM_STATS_SIZE_MIN + rnd(200));
	int k = rnd(4) ? PK_RW : rnd(PK_NKINDS), rd, wr, valid;
	uint32_t size = rnd(4) ? stats_sizes[rnd(sizeof(stats_sizes) / 4)] : (uint32_t)rnd64();
	uint32_t flags = rnd(5) ? 0 : (uint32_t)rnd64() | 1;
	unsigned char before[256];
	uint64_t arg;
	char *p;
	long r;
	int err;

	fill_random(buf, PG);
	arg = make_ptr(k, buf, 8, &rd, &wr);
	p = (char *)(uintptr_t)arg;
	if (wr) {
		memcpy(p, &size, 4);
		memcpy(p + 4, &flags, 4);
		memcpy(before, p, sizeof(before));
	}
	/*
	 * Valid: the header is readable with size >= 8 and flags 0, and the
	 * min(size, 88) bytes written back are writable.
	 */
	valid = wr && size >= KSM_STATS_SIZE_MIN && !flags;
	errno = 0;
	r = ioctl(any_fd(), cmd, arg);
	err = errno;
	if (judge("stats", cmd, arg, r, err, E(EINVAL) | E(EFAULT), valid, pk_name[k]) && wr) {
		uint32_t want = size < sizeof(struct ksm_stats) ? size : sizeof(struct ksm_stats);
		uint32_t got;

		memcpy(&got, p, 4);
		if (got != want)
			bad("stats: size %u came back as %u, want %u", size, got, want);
		if (memcmp(p + want, before + want, sizeof(before) - want))
			bad("stats: bytes beyond the %u filled changed", want);
	}
}

static void fuzz_kthread(char *buf)
{
	struct ksm_kthread_info ki = {
		.sleep = (uint32_t)PICK(0, 1, 100, 1000, 19999, 20000, 50000, 4000000000u, 0xffffffff,
					rnd64()),
		.pages_to_scan = (uint32_t)PICK(0, 1, 100, 5000, 0xffffffff, rnd64()),
		.flags = (uint32_t)PICK(0, 1, 1, 2, 3, 0x80000001, rnd64()),
		.pad = rnd(4) ? 0 : (uint32_t)rnd64() | 1,
		.reserved_bits = rnd(4) ? 0 : rnd64() | 1,
	};
	int get = rnd(3) == 0, k = rnd(3) ? PK_RW : rnd(PK_NKINDS), rd, wr, valid;
	unsigned long cmd = get ? KSM_GET_INFO_KTHREAD : KSM_START_STOP_KTHREAD;
	uint64_t arg;
	long r;

	if (rnd(10) == 0)
		fill_random(&ki, sizeof(ki));
	arg = make_ptr(k, buf, sizeof(ki), &rd, &wr);
	if (wr)
		memcpy((void *)(uintptr_t)arg, &ki, sizeof(ki));
	if (get) {
		valid = wr;
		errno = 0;
		r = ioctl(any_fd(), cmd, arg);
		judge("GET_INFO_KTHREAD", cmd, arg, r, errno, E(EFAULT), valid, pk_name[k]);
		return;
	}
	valid = rd && !unprivileged && !ki.pad && !ki.reserved_bits &&
		!(ki.flags & ~ksm_control_flags_run) &&
		!((ki.flags & ksm_control_flags_run) && !ki.pages_to_scan);
	errno = 0;
	r = ioctl(any_fd(), cmd, arg);
	judge("START_STOP_KTHREAD", cmd, arg, r, errno,
	      unprivileged ? E(EPERM) : E(EINVAL) | E(EFAULT), valid, pk_name[k]);
}

static void fuzz_list(char *buf)
{
	struct ksm_area_list l = {
		.entry_size = (uint32_t)PICK(0, 1, 8, LIST_ENTRY_MIN - 1, LIST_ENTRY_MIN,
					     LIST_ENTRY_MIN + 1, 72, 80, 88, 96, 100, 4096, 0xffffffff,
					     rnd64()),
		.count = (uint32_t)PICK(0, 1, 2, 16, 100, 65536, 65537, 0xffffffff, rnd64()),
		.flags = rnd(5) ? 0 : (uint32_t)rnd64() | 1,
	};
	static __thread char *lbuf;
	int hk = rnd(4) ? PK_RW : rnd(PK_NKINDS), ek = rnd(3) ? PK_RW : rnd(PK_NKINDS);
	int hrd, hwr, erd, ewr, valid, known_fault;
	char detail[200];
	uint64_t arg, stride;
	long r;

	if (!lbuf) {
		lbuf = mmap(NULL, LIST_BUF + PG, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (lbuf == MAP_FAILED)
			ktest_fail("mmap: %s", strerror(errno));
	}
	l.entries = make_ptr(ek, lbuf, sizeof(struct ksm_area_info), &erd, &ewr);
	stride = l.entry_size ? l.entry_size : 1;
	if (ewr) {
		/* The kernel writes count entries of entry_size: keep them in lbuf. */
		uint64_t room = (LIST_BUF - 8) / (stride > sizeof(struct ksm_area_info) ?
						stride : sizeof(struct ksm_area_info));

		if (l.count > room)
			l.count = room;
		memset(lbuf, 0x5a, LIST_BUF);
	}
	arg = make_ptr(hk, buf, sizeof(l), &hrd, &hwr);
	if (hwr)
		memcpy((void *)(uintptr_t)arg, &l, sizeof(l));
	/*
	 * The header is read and written back: both must work.  Root always
	 * sees the parent's area, so with a count it writes an entry: that
	 * must fail when entries points nowhere writable.  (A straddling
	 * entries pointer may hold a short first entry: either outcome.)
	 */
	known_fault = !ewr && ek != PK_STRADDLE && l.count && !unprivileged;
	valid = hwr && !l.flags && l.entry_size >= LIST_ENTRY_MIN && !known_fault;
	snprintf(detail, sizeof(detail),
		 "header %s, entry_size %u count %u flags %#x entries %#llx (%s)", pk_name[hk],
		 l.entry_size, l.count, l.flags, (unsigned long long)l.entries, pk_name[ek]);
	errno = 0;
	r = ioctl(any_fd(), KSM_LIST_AREAS, arg);
	if (judge("LIST_AREAS", KSM_LIST_AREAS, arg, r, errno,
		  E(EINVAL) | E(EFAULT) | E(ENOMEM), valid, detail) && hwr) {
		struct ksm_area_list out;
		uint64_t esize = l.entry_size < sizeof(struct ksm_area_info) ?
				 l.entry_size : sizeof(struct ksm_area_info);

		memcpy(&out, (void *)(uintptr_t)arg, sizeof(out));
		if (out.count > l.count || out.count > out.total)
			bad("LIST_AREAS: count %u of capacity %u, total %u", out.count, l.count,
			    out.total);
		if (ewr && out.count) {
			/* What follows the last entry is untouched. */
			uint64_t end = (uint64_t)(out.count - 1) * stride + esize;
			const char *e = (const char *)(uintptr_t)l.entries;

			for (uint64_t b = end; b < end + 64 && (e + b) < lbuf + LIST_BUF; b++)
				if (e[b] != 0x5a) {
					bad("LIST_AREAS: byte %llu after %u entries of %u changed",
					    (unsigned long long)b, out.count, l.entry_size);
					break;
				}
			for (uint32_t i = 0; i < out.count && unprivileged; i++) {
				struct ksm_area_info ai;

				memcpy(&ai, e + i * stride, esize < 8 ? esize : 8);
				if (esize >= 8 && ai.uid != geteuid())
					bad("LIST_AREAS as uid %u shows an area of uid %u",
					    (unsigned int)geteuid(), ai.uid);
			}
		}
	}
}

static void fuzz_register(char *buf)
{
	struct ksm_memory_region mr;
	int k = rnd(4) ? PK_RW : rnd(PK_NKINDS), rd, wr, valid;
	uint64_t arg, end;
	long r;

	switch (rnd(6)) {
	case 0:
		fill_random(&mr, sizeof(mr));
		break;
	case 1: case 2: {
		/* Valid, on the merge arena. */
		unsigned long first = rnd(ARENA_PAGES);

		mr = (struct ksm_memory_region){
			.npages = 1 + rnd(ARENA_PAGES - first),
			.addr = (uintptr_t)arena + first * PG,
		};
		break;
	}
	default:
		mr = (struct ksm_memory_region){
			.npages = (uint32_t)PICK(0, 1, 2, 16, 1024, 0x10000000, 0xffffffff, rnd64()),
			.pad = rnd(5) ? 0 : (uint32_t)rnd64() | 1,
			.addr = PICK((uintptr_t)arena, (uintptr_t)arena + 1, (uintptr_t)arena + 2048,
				     (uintptr_t)buf & ~(PG - 1), (uintptr_t)&mr & ~(PG - 1), 0, PG,
				     0x7ffffffff000ULL, 0x7fffffffe000ULL, 0x00fffffffffff000ULL,
				     0xffffffff81000000ULL, 0x0000800000000000ULL,
				     rnd64() & 0x00007ffffffff000ULL, rnd64()),
			.reserved_bits = rnd(5) ? 0 : rnd64() | 1,
		};
		break;
	}
	arg = make_ptr(k, buf, sizeof(mr), &rd, &wr);
	if (wr)
		memcpy((void *)(uintptr_t)arg, &mr, sizeof(mr));
	end = mr.addr + (uint64_t)mr.npages * PG;
	valid = rd && mr.npages && !mr.pad && !mr.reserved_bits && !(mr.addr & (PG - 1)) &&
		mr.addr < task_size_max && end <= task_size_max && end > mr.addr;
	if (valid && (uintptr_t)arena <= mr.addr && end <= (uintptr_t)arena + ARENA_PAGES * PG)
		COUNT(valid_registers, 1);
	errno = 0;
	r = ioctl(any_fd(), KSM_REGISTER_MEMORY_REGION, arg);
	/* The unprivileged fuzzer also holds root's areas: those refuse it. */
	if (judge("REGISTER", KSM_REGISTER_MEMORY_REGION, arg, r, errno,
		  E(EINVAL) | E(EFAULT) | E(EEXIST) | E(ENOSPC) | E(ENOMEM) |
		  (unprivileged ? E(EPERM) : 0), valid, pk_name[k]))
		COUNT(registered, 1);
}

static void fuzz_remove(void)
{
	uint64_t a = PICK((uintptr_t)arena, (uintptr_t)arena + PG * rnd(ARENA_PAGES),
			  (uintptr_t)arena + 1 + rnd(PG - 1), 0, 1, 0xffffffff81000000ULL,
			  0x7ffffffff000ULL, rnd64(), rnd64() & ~(PG - 1), rnd64() | 1);
	long r;

	errno = 0;
	r = ioctl(any_fd(), KSM_REMOVE_MEMORY_REGION, a);
	/* Regions start on a page boundary: an unaligned address is never one. */
	if (judge("REMOVE", KSM_REMOVE_MEMORY_REGION, a, r, errno,
		  E(ENOENT) | E(ENOMEM) | E(EINTR), !(a & (PG - 1)), "address"))
		COUNT(removed, 1);
}

/* Put @fd in a random table slot, or close it. */
static void adopt_fd(int fd)
{
	if (rnd(3) == 0 && dup3(fd, any_fd(), O_CLOEXEC) >= 0)
		COUNT(replaces, 1);
	close(fd);
}

static void fuzz_simple(char *buf)
{
	int rd, wr, k = rnd(PK_NKINDS);
	uint64_t arg = rnd(2) ? make_ptr(k, buf, 8, &rd, &wr) : rnd64();
	long r;

	if (rnd(2)) {
		errno = 0;
		r = ioctl(any_fd(), KSM_GET_API_VERSION, arg);
		if (judge("GET_API_VERSION", KSM_GET_API_VERSION, arg, r, errno, 0, 1, "any") &&
		    r != KSM_API_VERSION)
			bad("GET_API_VERSION returned %ld", r);
	} else {
		errno = 0;
		r = ioctl(any_fd(), KSM_CREATE_SHARED_MEMORY_AREA, arg);
		if (judge("CREATE_SHARED_MEMORY_AREA", KSM_CREATE_SHARED_MEMORY_AREA, arg, r,
			  errno, E(ENOMEM) | E(EMFILE) | E(ENFILE), 1, "any")) {
			COUNT(creates, 1);
			adopt_fd((int)r);
		}
	}
}

/* ---- commands added after the 2009 ABI, when the header has them */

/*
 * An extensible struct of @size bytes at @m, of which the driver knows
 * @known: the bytes beyond must be zero (else not @valid); where they go
 * past our page we cannot tell, so the outcome is only @maybe.
 */
static void judge_tail(const char *m, size_t known, uint64_t size, int *valid, int *maybe)
{
	const char *tail = m + known;
	const char *page_end = (const char *)(((uintptr_t)m | (PG - 1)) + 1);
	uint64_t n = size - known;

	if (size <= known)
		return;
	if (tail + n > page_end) {
		for (const char *c = tail; c < page_end; c++)
			if (*c)
				*valid = 0;
		*maybe = *valid;
	} else {
		for (uint64_t i = 0; i < n; i++)
			if (tail[i])
				*valid = 0;
	}
}

#ifdef KSM_CREATE_AREA
static void fuzz_create_area(char *buf)
{
	struct ksm_area_params p = {
		.size = (uint32_t)PICK(0, 4, 15, offsetof(struct ksm_area_params, domain) + 8,
				       sizeof(p) - 1, sizeof(p), sizeof(p), sizeof(p) + 8, 64, 4096,
				       0xffffffff, rnd64()),
		.flags = (uint32_t)PICK(0, 0, KSM_AREA_USER_DOMAIN, 2, rnd64()),
		.domain = PICK(0, 0, 1, 42, 1ULL << 63, rnd64()),
		.reserved = { rnd(4) ? 0 : rnd64(), rnd(4) ? 0 : rnd64() },
	};
	int k = rnd(4) ? PK_RW : rnd(PK_NKINDS), rd, wr, valid, maybe = 0;
	uint64_t arg;
	char *m;
	long r;

	fill_random(buf, PG);
	arg = make_ptr(k, buf, sizeof(p), &rd, &wr);
	m = (char *)(uintptr_t)arg;
	if (wr) {
		memcpy(m, &p, sizeof(p));
		if (rnd(2))	/* a larger struct with zero tail bytes */
			memset(m + sizeof(p), 0, buf + PG - m - sizeof(p));
	}
	valid = rd;
	if (k == PK_STRADDLE)
		maybe = 1;
	if (rd) {
		/* Judge what the kernel will read. */
		struct ksm_area_params q;
		uint32_t size;

		memcpy(&size, m, 4);
		memset(&q, 0, sizeof(q));
		memcpy(&q, m, size < sizeof(q) ? size : sizeof(q));
		if (size < offsetof(struct ksm_area_params, domain) + 8)
			valid = 0;
		judge_tail(m, sizeof(q), size, &valid, &maybe);
		if ((q.flags & ~KSM_AREA_USER_DOMAIN) || q.reserved[0] || q.reserved[1] ||
		    (q.domain >> 63) || ((q.flags & KSM_AREA_USER_DOMAIN) && q.domain) ||
		    (unprivileged && q.domain && !(q.flags & KSM_AREA_USER_DOMAIN)))
			valid = maybe = 0;
	}
	errno = 0;
	r = ioctl(any_fd(), KSM_CREATE_AREA, arg);
	if (judge("CREATE_AREA", KSM_CREATE_AREA, arg, r, errno,
		  E(EINVAL) | E(EFAULT) | E(E2BIG) | E(EPERM) | E(ENOMEM) | E(EMFILE) | E(ENFILE),
		  valid || maybe, pk_name[k])) {
		COUNT(creates, 1);
		adopt_fd((int)r);
	}
}
#endif

#ifdef KSM_SET_AUTOTUNE
static void fuzz_autotune(char *buf)
{
	struct ksm_autotune at = {
		.size = (uint32_t)PICK(0, 8, sizeof(at) - 1, sizeof(at), sizeof(at), sizeof(at) + 8,
				       64, 4096, rnd64()),
		.flags = (uint32_t)PICK(0, KSM_AUTOTUNE_ON, KSM_AUTOTUNE_ON, 2, 3, rnd64()),
		.target_scan_ms = (uint32_t)PICK(0, 99, 100, 1000, 10000, 0xffffffff, rnd64()),
		.max_cpu_permille = (uint32_t)PICK(0, 1, 100, 1000, 1001, rnd64()),
		.reserved = rnd(4) ? 0 : rnd64() | 1,
	};
	int k = rnd(3) ? PK_RW : rnd(PK_NKINDS), rd, wr, valid, maybe = 0;
	uint64_t arg;
	char *m;
	long r;

	fill_random(buf, PG);
	arg = make_ptr(k, buf, sizeof(at), &rd, &wr);
	m = (char *)(uintptr_t)arg;
	if (rnd(3) == 0) {
		errno = 0;
		r = ioctl(any_fd(), KSM_GET_AUTOTUNE, arg);
		judge("GET_AUTOTUNE", KSM_GET_AUTOTUNE, arg, r, errno, E(EFAULT), wr, pk_name[k]);
		return;
	}
	if (wr) {
		memcpy(m, &at, sizeof(at));
		if (rnd(2))	/* a larger struct with zero tail bytes */
			memset(m + sizeof(at), 0, buf + PG - m - sizeof(at));
	}
	valid = rd && !unprivileged;
	if (rd) {
		/*
		 * Judge what the kernel will read: at least the first version
		 * (24 bytes); beyond what it knows, zero bytes only.
		 */
		memcpy(&at, m, sizeof(at));
		if (at.size < sizeof(at))
			valid = 0;
		judge_tail(m, sizeof(at), at.size, &valid, &maybe);
		if ((at.flags & ~KSM_AUTOTUNE_ON) || at.reserved ||
		    ((at.flags & KSM_AUTOTUNE_ON) &&
		     (at.target_scan_ms < 100 || at.max_cpu_permille < 1 ||
		      at.max_cpu_permille > 1000)))
			valid = maybe = 0;
	}
	errno = 0;
	r = ioctl(any_fd(), KSM_SET_AUTOTUNE, arg);
	judge("SET_AUTOTUNE", KSM_SET_AUTOTUNE, arg, r, errno,
	      unprivileged ? E(EPERM) : E(EINVAL) | E(EFAULT) | E(E2BIG), valid || maybe,
	      pk_name[k]);
}
#endif

#ifdef KSM_MERGE_NOW
static void fuzz_merge_now(void)
{
	uint64_t arg = rnd(2) ? 0 : rnd64();
	long r;

	errno = 0;
	r = ioctl(any_fd(), KSM_MERGE_NOW, arg);
	/* Returns how many more pages are merged: any count is fine. */
	judge("MERGE_NOW", KSM_MERGE_NOW, arg, r, errno,
	      E(EINTR) | (unprivileged ? E(EPERM) : 0), 1, "any");
}
#endif

static void fuzz_new_cmd(char *buf)
{
	switch (rnd(4)) {
#ifdef KSM_CREATE_AREA
	case 0:
	case 1:
		fuzz_create_area(buf);
		return;
#endif
#ifdef KSM_SET_AUTOTUNE
	case 2:
		fuzz_autotune(buf);
		return;
#endif
#ifdef KSM_MERGE_NOW
	case 3:
		if (!rnd(3))
			fuzz_merge_now();
		else
			fuzz_simple(buf);
		return;
#endif
	default:
		fuzz_simple(buf);
	}
}

static void *fuzz_thread(void *a)
{
	char *buf = aligned_alloc(PG, PG);

	rs = seed0 ^ ((uint64_t)getpid() << 24) ^ ((uint64_t)(uintptr_t)a << 8);
	if (!buf)
		ktest_fail("out of memory");
	while (__atomic_fetch_add(&sh->calls, 1, __ATOMIC_RELAXED) < sh->target) {
		unsigned long c = rnd(100);

		if (c < 25) {
			fuzz_random_cmd(buf);
			continue;
		}
		COUNT(real_cmds, 1);
		if (c < 40)
			fuzz_stats(buf);
		else if (c < 50)
			fuzz_kthread(buf);
		else if (c < 60)
			fuzz_list(buf);
		else if (c < 82)
			fuzz_register(buf);
		else if (c < 90)
			fuzz_remove();
		else if (c < 95)
			fuzz_new_cmd(buf);
		else
			fuzz_simple(buf);
	}
	free(buf);
	return NULL;
}

/* Closes fds, puts fresh /dev/ksm fds and new SMAs in their place. */
static void *closer_thread(void *a)
{
	rs = seed0 ^ ((uint64_t)getpid() << 28) ^ 0xc105e;
	while (!__atomic_load_n(&sh->stop, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&sh->calls, __ATOMIC_RELAXED) < sh->target) {
		int slot = any_fd(), fd = -1;
		unsigned long c = rnd(10);

		if (c < 3) {
			if (!close(slot))
				COUNT(closes, 1);
		} else if (c < 5) {
			fd = unprivileged ? dup(MASTER_FD) : open("/dev/ksm", O_RDWR | O_CLOEXEC);
		} else if (c < 9) {
			fd = ioctl(rnd(2) ? MASTER_FD : any_fd(), KSM_CREATE_SHARED_MEMORY_AREA, 0);
		} else {
			check_arena("closer");
		}
		if (fd >= 0) {
			if (dup3(fd, slot, O_CLOEXEC) >= 0)
				COUNT(replaces, 1);
			close(fd);
		}
		usleep(rnd(2000));
	}
	return NULL;
}

static void fuzz_process(int idx)
{
	pthread_t t[NFUZZ + 1];

	rs = seed0 ^ (uint64_t)idx;
	if (idx == NPROC - 1) {
		unprivileged = 1;
		ktest_drop_privileges();
	}
	for (long i = 0; i < NFUZZ; i++)
		if (pthread_create(&t[i], NULL, fuzz_thread, (void *)(i + 1)))
			ktest_fail("pthread_create");
	if (pthread_create(&t[NFUZZ], NULL, closer_thread, NULL))
		ktest_fail("pthread_create");
	for (int i = 0; i <= NFUZZ; i++)
		pthread_join(t[i], NULL);
	check_arena("end of fuzzing");
	_exit(0);
}

/* Registers duplicate pages, rewrites some now and then, checks them all. */
static void loader(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = ktest_map(256);
	uint64_t seed[256];

	for (int i = 0; i < 256; i++) {
		seed[i] = i % 8;
		ktest_fill_page(p + i * PG, seed[i]);
	}
	ktest_assert(!ktest_register(sma, p, 256), "loader: register");
	rs = seed0 ^ 0x10ad;
	while (!sh->stop) {
		int i = rnd(256);

		seed[i] = rnd(10);
		ktest_fill_page(p + i * PG, seed[i]);
		for (int j = 0; j < 256; j++)
			if (!ktest_check_page(p + j * PG, seed[j]))
				ktest_fail("loader: page %d lost its contents", j);
		usleep(20000);
	}
	_exit(0);
}

#define summary(...) ktest_summary("fuzz_ioctls", __VA_ARGS__)

/* A fresh process: 16 identical pages merge into one, bytes intact. */
static void fresh_merge(void)
{
	int dev = ktest_open_dev(), sma = ktest_create_area(dev);
	char *p = ktest_map(16);
	struct ksm_stats st;
	uint64_t t0 = ktest_now_ms();

	ktest_fill_pages(p, 16, 4242, 0);
	ktest_assert(!ktest_register(sma, p, 16), "fresh process: register");
	for (;;) {
		ktest_area_stats(sma, &st);
		if (st.pages_shared == 1 && st.pages_sharing == 15)
			break;
		if (ktest_now_ms() - t0 > 15000ULL * ktest_slow()) {
			ktest_print_stats("fresh area", &st);
			ktest_fail("16 identical pages of a fresh process did not merge within 15 s "
				   "of setting sleep 1000 us (after a valid sleep of 4000000000 us)");
		}
		usleep(50000);
	}
	summary("after fuzzing: 16 identical pages merged in %llu ms",
		(unsigned long long)(ktest_now_ms() - t0));
	ktest_check_pages("fresh pages", p, 16, 4242, 0);
	ktest_expect_same_pfn("fresh pages", p, 16);
	ktest_global_stats(dev, &st);
	/*
	 * The probe page (seed 5) may merge into a KSM page of the same
	 * content that fuzzers' memory left mapped: such a page stays in the
	 * stable table while anything maps it.  Either way 15 pages are saved.
	 */
	ktest_expect_stats("global with the fresh process and the probe page", &st, KTEST_ANY, 15,
			   KTEST_ANY, 2);
	ktest_assert(st.pages_merged == st.pages_shared + 15 && st.pages_shared <= 2,
		     "global: %llu KSM pages for %llu merged PTEs",
		     (unsigned long long)st.pages_shared, (unsigned long long)st.pages_merged);
	_exit(0);
}

int main(void)
{
	const char *env = getenv("KSMDEV_FUZZ_CALLS");
	const char *senv = getenv("KSMDEV_FUZZ_SEED");
	int dev, keep_sma, status, fail = 0, sma_probe;
	pid_t pids[NPROC], load, fresh;
	uint64_t t0, errsum = 0;
	struct ksm_stats st;
	char errs[400] = "";
	char *probe;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ktest_assert(sh != MAP_FAILED, "mmap: %s", strerror(errno));
	sh->target = env && *env ? strtoull(env, NULL, 0) : 20000;
	if (!sh->target)
		sh->target = 20000;
	seed0 = senv && *senv ? strtoull(senv, NULL, 0) : (uint64_t)time(NULL) ^ getpid();
	rs = seed0;
	task_size_max = ktest_cpu_has_la57() ? (1ULL << 56) - PG : (1ULL << 47) - PG;
	ktest_info("fuzz_ioctls: %llu calls, %d processes x %d threads, seed %#llx",
		   (unsigned long long)sh->target, NPROC, NFUZZ, (unsigned long long)seed0);
	setvbuf(stderr, NULL, _IONBF, 0);

	dev = ktest_open_dev();
	/* Root always sees this area in KSM_LIST_AREAS. */
	keep_sma = ktest_create_area(dev);
	ktest_scanner(dev, 1000, 500, 1);
	setup_memory();

	/* The shared table: some /dev/ksm fds, mostly SMAs. */
	ktest_assert(dup3(dev, MASTER_FD, O_CLOEXEC) == MASTER_FD, "dup3: %s", strerror(errno));
	for (int i = 0; i < NFD; i++) {
		int fd = i < 4 ? ktest_open_dev() : ktest_create_area(dev);

		ktest_assert(dup3(fd, FD_BASE + i, O_CLOEXEC) == FD_BASE + i, "dup3: %s",
			     strerror(errno));
		close(fd);
	}
	fflush(NULL);
	load = fork();
	ktest_assert(load >= 0, "fork");
	if (!load)
		loader();
	t0 = ktest_now_ms();
	for (int i = 0; i < NPROC; i++) {
		pids[i] = fork();
		ktest_assert(pids[i] >= 0, "fork");
		if (!pids[i])
			fuzz_process(i);
	}
	for (int i = 0; i < NPROC; i++) {
		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			fprintf(stderr, "fuzzing process %d ended with status %#x\n", i, status);
			fail = 1;
		}
	}
	sh->stop = 1;
	if (waitpid(load, &status, 0) != load || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "loader ended with status %#x\n", status);
		fail = 1;
	}
	for (int i = 0; i < NFD; i++)
		close(FD_BASE + i);
	close(MASTER_FD);

	for (int e = 1; e < 135; e++) {
		if (!sh->errs[e])
			continue;
		errsum += sh->errs[e];
		snprintf(errs + strlen(errs), sizeof(errs) - strlen(errs), " %s %llu",
			 strerror(e), (unsigned long long)sh->errs[e]);
	}
	summary("%llu calls in %.1f s: %llu random commands, %llu real; %llu succeeded, %llu failed:%s",
		(unsigned long long)(sh->ok + errsum), (ktest_now_ms() - t0) / 1000.0,
		(unsigned long long)sh->random_cmds, (unsigned long long)sh->real_cmds,
		(unsigned long long)sh->ok, (unsigned long long)errsum, errs);
	summary("regions registered %llu (valid on own memory tried %llu), removed %llu; areas created %llu; closes %llu, fd replacements %llu; failures %llu",
		(unsigned long long)sh->registered, (unsigned long long)sh->valid_registers,
		(unsigned long long)sh->removed, (unsigned long long)sh->creates,
		(unsigned long long)sh->closes, (unsigned long long)sh->replaces,
		(unsigned long long)sh->failures);
	ktest_assert(!sh->failures && !fail, "%llu bad results, processes failed: %d",
		     (unsigned long long)sh->failures, fail);
	ktest_assert(sh->registered > 0, "no registration ever succeeded");

	/* Everything of the fuzzers is gone. */
	ktest_wait_global(dev, 0, 0, 0, 5000);

	/*
	 * A fuzzer may legally have left the scanner running with a huge
	 * sleep; do that deterministically, with a region present so that the
	 * scanner really goes to sleep, then set normal settings as anyone
	 * would.  They must take effect.
	 */
	sma_probe = ktest_create_area(dev);
	probe = ktest_map(1);
	ktest_fill_page(probe, 5);
	ktest_assert(!ktest_register(sma_probe, probe, 1), "register");
#ifdef KSM_SET_AUTOTUNE
	{
		struct ksm_autotune off = { .size = sizeof(off) };

		ktest_assert(!ioctl(dev, KSM_SET_AUTOTUNE, &off), "autotune off: %s",
			     strerror(errno));
	}
#endif
	ktest_scanner(dev, 1000, 4000000000u, 1);
	usleep(500000);
	ktest_scanner(dev, 1000, 1000, 1);

	fflush(NULL);
	fresh = fork();
	ktest_assert(fresh >= 0, "fork");
	if (!fresh)
		fresh_merge();
	ktest_assert(waitpid(fresh, &status, 0) == fresh && WIFEXITED(status) &&
		     !WEXITSTATUS(status), "fresh process failed: status %#x", status);
	close(sma_probe);
	ktest_wait_global(dev, 0, 0, 0, 5000);
	ktest_global_stats(dev, &st);
	ktest_expect_stats("global at the end", &st, 0, 0, 0, 0);
	/* With every region gone, nothing may stay counted once unmapped. */
	for (int i = 0; i < 50 && st.kernel_pages; i++) {
		usleep(100000);
		ktest_global_stats(dev, &st);
	}
	ktest_assert(!st.kernel_pages, "%llu KSM pages still counted at the end",
		     (unsigned long long)st.kernel_pages);
	ktest_scanner(dev, 100, 20000, 0);
	close(keep_sma);
	close(dev);
	return 0;
}
