// SPDX-License-Identifier: GPL-2.0-only
/*
 * An area is bound to the credentials of the task that made it: a task
 * of another user cannot put its memory into the creator's domain, by
 * whatever way it got the fd, and loses nothing by trying.
 *
 *  - fork + setuid: user 1000 makes an area and registers a page; its
 *    child becomes user 1001 and tries KSM_REGISTER_MEMORY_REGION and
 *    KSM_MERGE_NOW on the inherited fd: EPERM both.  The area still has
 *    its one region, the child may read the area's stats, and an area of
 *    its own takes its memory.
 *  - SCM_RIGHTS: user 1000 sends the area fd to a process of user 1001
 *    over a socket; registering and KSM_MERGE_NOW there: EPERM.
 *  - setuid exec: a child of user 1000 executes a copy of this test that
 *    is setuid user 1001, handing it the area fd: EPERM there too.
 *  - a child that stays user 1000 may register on the same fd: same user.
 * Afterwards the creator's page is intact.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ktest.h"

/*
 * The creator runs with effective uid 1000 and real and saved uid 0, so
 * that its children can become another user: back to root, then @uid.
 */
static void become(uid_t uid)
{
	if (setresuid(0, 0, 0) || setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		ktest_fail("become uid %u: %s", uid, strerror(errno));
}

/* As another user: everything that would add memory to @area fails. */
static void expect_refused(int dev, int area, const char *how)
{
	struct ksm_memory_region mr = { .npages = 1 };
	struct ksm_stats st;
	char *p = ktest_map(1);
	int own;

	ktest_fill_page(p, 41);
	mr.addr = (uintptr_t)p;
	errno = 0;
	ktest_assert(ioctl(area, KSM_REGISTER_MEMORY_REGION, &mr) == -1 && errno == EPERM,
		     "%s: register on the other user's area: %s", how, strerror(errno));
	errno = 0;
	ktest_assert(ioctl(area, KSM_MERGE_NOW, 0) == -1 && errno == EPERM,
		     "%s: KSM_MERGE_NOW on the other user's area: %s", how, strerror(errno));
	ktest_area_stats(area, &st);
	ktest_assert(st.regions == 1, "%s: the area has %llu regions, want 1", how,
		     (unsigned long long)st.regions);
	own = ktest_create_area(dev);
	ktest_assert(!ktest_register(own, p, 1), "%s: register on an area of its own", how);
	close(own);
}

static void wait_ok(pid_t pid, const char *what)
{
	int status;

	ktest_assert(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		     !WEXITSTATUS(status), "%s: status %#x", what, status);
}

#define EXEC_AREA_FD	100
#define EXEC_DEV_FD	101

static char setuid_copy[] = "/tmp/area_refuses_setuid.XXXXXX";

/* A copy of this program, setuid user 1001, in setuid_copy. */
static void make_setuid_copy(void)
{
	int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC), out = mkstemp(setuid_copy);
	char buf[65536];
	ssize_t n;

	ktest_assert(in >= 0 && out >= 0, "setuid copy: %s", strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ktest_assert(write(out, buf, n) == n, "setuid copy: %s", strerror(errno));
	ktest_assert(!n && !fchown(out, 1001, 1001) && !fchmod(out, 04755),
		     "setuid copy: %s", strerror(errno));
	close(in);
	close(out);
}

/* The setuid copy, run with user 1000's area and /dev/ksm fds. */
static int setuid_exec_main(void)
{
	ktest_assert(geteuid() == 1001, "the setuid copy runs as euid %u, want 1001 "
		     "(is /tmp mounted nosuid?)", geteuid());
	expect_refused(EXEC_DEV_FD, EXEC_AREA_FD, "setuid exec");
	return 0;
}

/* Run as effective uid 1000 (real and saved uid 0: see become()). */
static int creator(int dev)
{
	int area = ktest_create_area(dev), sv[2];
	char *page = ktest_map(1), *same;
	pid_t pid;

	ktest_fill_page(page, 40);
	ktest_must_register(area, page, 1, "creator");

	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		become(1001);
		expect_refused(dev, area, "fork + setuid");
		_exit(0);
	}
	wait_ok(pid, "fork + setuid child");

	ktest_assert(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		char cbuf[CMSG_SPACE(sizeof(int))], b;
		struct iovec io = { .iov_base = &b, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c;
		int got;

		close(area);
		close(sv[0]);
		become(1001);
		ktest_assert(recvmsg(sv[1], &m, 0) == 1, "recvmsg: %s", strerror(errno));
		c = CMSG_FIRSTHDR(&m);
		ktest_assert(c && c->cmsg_type == SCM_RIGHTS, "no fd received");
		memcpy(&got, CMSG_DATA(c), sizeof(got));
		expect_refused(dev, got, "SCM_RIGHTS");
		_exit(0);
	}
	close(sv[1]);
	{
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, b = 'x';
		struct iovec io = { .iov_base = &b, .iov_len = 1 };
		struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &area, sizeof(area));
		ktest_assert(sendmsg(sv[0], &m, 0) == 1, "sendmsg: %s", strerror(errno));
	}
	wait_ok(pid, "receiver of the fd");

	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		ktest_assert(dup2(area, EXEC_AREA_FD) == EXEC_AREA_FD &&
			     dup2(dev, EXEC_DEV_FD) == EXEC_DEV_FD, "dup2: %s", strerror(errno));
		execl(setuid_copy, setuid_copy, "--setuid-exec", (char *)NULL);
		ktest_fail("exec %s: %s", setuid_copy, strerror(errno));
	}
	wait_ok(pid, "setuid program");

	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		same = ktest_map(1);
		ktest_fill_page(same, 42);
		ktest_assert(!ktest_register(area, same, 1), "a child of the same user refused");
		ktest_assert(ioctl(area, KSM_MERGE_NOW, 0) >= 0, "KSM_MERGE_NOW of the same user: %s",
			     strerror(errno));
		_exit(0);
	}
	wait_ok(pid, "same-user child");
	ktest_check_pages("the creator's page", page, 1, 40, 0);
	close(area);
	return 0;
}

int main(int argc, char **argv)
{
	int dev;
	pid_t pid;

	if (argc == 2 && !strcmp(argv[1], "--setuid-exec"))
		return setuid_exec_main();
	dev = ktest_open_dev();
	make_setuid_copy();
	fflush(NULL);
	pid = fork();
	ktest_assert(pid >= 0, "fork");
	if (!pid) {
		if (setgroups(0, NULL) || setresgid(1000, 1000, 0) || setresuid(0, 1000, 0))
			ktest_fail("become euid 1000: %s", strerror(errno));
		_exit(creator(dev));
	}
	wait_ok(pid, "user 1000");
	unlink(setuid_copy);
	ktest_wait_global(dev, 0, 0, 0, 30000);
	return 0;
}
