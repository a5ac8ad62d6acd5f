// SPDX-License-Identifier: GPL-2.0-only
/*
 * A user is a (user namespace, uid): the root of one container and the
 * root of another are two users, even where both are the same kuid of
 * the host, and neither is the host's user of that kuid.
 *
 *  - two processes that are uid 0 of user namespaces of their own, both
 *    mapped to the host's uid 0 (root that unshared a namespace: no
 *    CAP_SYS_ADMIN of the host is left);
 *  - uid 0 of a namespace mapped to host uid 1000, and host uid 1000.
 * Each pair: its own duplicates merge, nothing is shared between the two,
 * by the scanner and by KSM_MERGE_NOW (ktest_tenants_apart()).  Skipped
 * where the kernel does not let a process unshare a user namespace.
 */
#include "ktest.h"

int main(void)
{
	struct ktest_tenant_opts root_a = { .uid = 0, .userns = 1 };
	struct ktest_tenant_opts root_b = { .uid = 0, .userns = 1 };
	struct ktest_tenant_opts ns_1000 = { .uid = 1000, .userns = 1 };
	struct ktest_tenant_opts host_1000 = { .uid = 1000 };
	int dev = ktest_open_dev();

	ktest_tenants_apart(dev, &root_a, &root_b, "two namespace roots on host uid 0");
	ktest_tenants_apart(dev, &ns_1000, &host_1000, "namespace root on uid 1000, and uid 1000");
	return 0;
}
