// SPDX-License-Identifier: GPL-2.0-only
/*
 * What KSM_LIST_AREAS shows across namespaces: a user is a (user
 * namespace, uid), and pids are the caller's.
 *
 *  - user namespaces: host uid 1000 and uid 0 of a namespace mapped to
 *    host uid 1000 each see their own area only (one), not the other's,
 *    although both are kuid 1000.  The namespace root sees its area as
 *    uid 0, domain (1 << 63) | 0; the host's root sees it as uid 1000,
 *    domain (1 << 63) | 1000, with the tenant's pid.
 *  - pid namespaces: a root process in a new pid namespace (pid 1 there)
 *    sees its own area with pid 1 and the test's area, made outside its
 *    namespace, with pid 0; the test sees the namespace's area with the
 *    process's host pid.
 */
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

#define USER_BIT	(1ULL << 63)

/* The entry of KSM_LIST_AREAS of @area's creator pid @pid (as the caller sees it). */
static int find_pid(int dev, uint32_t pid, struct ksm_area_info *out)
{
	struct ksm_area_info e[32];
	struct ksm_area_list l = { .entry_size = sizeof(e[0]), .count = 32,
				   .entries = (uintptr_t)e };

	ktest_assert(!ioctl(dev, KSM_LIST_AREAS, &l), "KSM_LIST_AREAS: %s", strerror(errno));
	for (uint32_t i = 0; i < l.count; i++) {
		if (e[i].pid == pid) {
			*out = e[i];
			return 1;
		}
	}
	return 0;
}

static void user_namespaces(int dev)
{
	struct ktest_tenant_opts host = { .uid = 1000, .npages = 1, .seed = 1 };
	struct ktest_tenant_opts ns = { .uid = 1000, .userns = 1, .npages = 1, .seed = 2 };
	struct ktest_tenant th, tn;
	struct ksm_area_info ai;
	uint32_t pid, uid;
	uint64_t domain;
	long n;

	ktest_tenant_start(&th, dev, &host);
	ktest_tenant_start(&tn, dev, &ns);
	ktest_assert(!th.create_err && !tn.create_err, "create");
	n = ktest_tenant_visible_areas(&th);
	ktest_assert(n == 1, "host uid 1000 sees %ld areas, want its own one", n);
	n = ktest_tenant_visible_areas(&tn);
	ktest_assert(n == 1, "the namespace root sees %ld areas, want its own one", n);
	ktest_tenant_first_area(&th, &pid, &uid, &domain);
	ktest_assert(pid == (uint32_t)th.pid && uid == 1000 && domain == (USER_BIT | 1000),
		     "host uid 1000 sees pid %u uid %u domain %#llx", pid, uid,
		     (unsigned long long)domain);
	ktest_tenant_first_area(&tn, &pid, &uid, &domain);
	ktest_assert(pid == (uint32_t)tn.pid && uid == 0 && domain == USER_BIT,
		     "the namespace root sees pid %u uid %u domain %#llx, want uid 0 domain %#llx",
		     pid, uid, (unsigned long long)domain, (unsigned long long)USER_BIT);
	ktest_assert(find_pid(dev, (uint32_t)tn.pid, &ai), "root does not list the namespace's area");
	ktest_assert(ai.uid == 1000 && ai.domain == (USER_BIT | 1000),
		     "root sees the namespace's area as uid %u domain %#llx", ai.uid,
		     (unsigned long long)ai.domain);
	ktest_tenant_stop(&th);
	ktest_tenant_stop(&tn);
}

static void pid_namespace(int dev)
{
	int area = ktest_create_area(dev), up[2], down[2], status;
	struct ksm_area_info ai;
	pid_t outer;
	char c;

	ktest_assert(!pipe(up) && !pipe(down), "pipe");
	fflush(NULL);
	outer = fork();
	ktest_assert(outer >= 0, "fork");
	if (!outer) {
		pid_t inner;

		if (unshare(CLONE_NEWPID)) {
			ktest_info("SKIP: unshare(CLONE_NEWPID): %s", strerror(errno));
			_exit(KTEST_SKIP);
		}
		inner = fork();
		if (inner < 0)
			_exit(2);
		if (!inner) {
			int mine = ktest_create_area(dev);

			/* Until the test has our host pid, from the outer process. */
			ktest_assert(read(down[0], &c, 1) == 1 && c == 'g', "sync");
			ktest_assert(getpid() == 1, "not pid 1 in the new namespace");
			ktest_assert(find_pid(dev, 1, &ai), "its own area is not listed as pid 1");
			/* The test's area: its creator is not in this namespace. */
			ktest_assert(find_pid(dev, 0, &ai), "the outer area is not listed with pid 0");
			ktest_assert(write(up[1], "r", 1) == 1 && read(down[0], &c, 1) == 1, "sync");
			close(mine);
			_exit(0);
		}
		ktest_assert(write(up[1], &inner, sizeof(inner)) == sizeof(inner), "sync");
		ktest_assert(waitpid(inner, &status, 0) == inner, "wait");
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
	}
	close(up[1]);
	close(down[0]);
	{
		pid_t inner;

		/* The pid first: the inner process waits for 'g' to go on. */
		ktest_assert(read(up[0], &inner, sizeof(inner)) == sizeof(inner), "sync");
		ktest_assert(write(down[1], "g", 1) == 1, "sync");
		ktest_assert(read(up[0], &c, 1) == 1 && c == 'r', "the inner process failed");
		ktest_assert(find_pid(dev, (uint32_t)inner, &ai),
			     "the namespace's area is not listed with the host pid %d", (int)inner);
		ktest_assert(find_pid(dev, (uint32_t)getpid(), &ai), "own area not listed");
		ktest_assert(write(down[1], "q", 1) == 1, "sync");
	}
	ktest_assert(waitpid(outer, &status, 0) == outer && WIFEXITED(status), "wait");
	if (WEXITSTATUS(status) == KTEST_SKIP)
		exit(KTEST_SKIP);
	ktest_assert(!WEXITSTATUS(status), "pid namespace part: status %#x", status);
	close(area);
}

int main(void)
{
	int dev = ktest_open_dev();

	pid_namespace(dev);
	user_namespaces(dev);	/* skips the test where there are no user namespaces */
	ktest_wait_global(dev, 0, 0, 0, 30000);
	return 0;
}
