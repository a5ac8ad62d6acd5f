// SPDX-License-Identifier: GPL-2.0-only
/*
 * Two users with the same memory, default settings: their pages never
 * share a frame, while each user's own duplicates still merge.
 *
 *  - scanner: users 1000 and 1001 each register 2N pages, pages i and
 *    i + N alike, both users alike.  After the scanner has merged what it
 *    can, each user's pairs share a frame (N KSM pages each) and no page of
 *    one user is on a frame of the other; area stats and pagemap agree.
 *  - KSM_MERGE_NOW, the attack of issue 17: user 1000 holds one page with
 *    a secret byte; user 1001 registers all 256 guesses (and a copy of its
 *    guess 0) and asks KSM_MERGE_NOW.  Only its own copy merges: the call
 *    returns 2, its stats count 2 merged pages, and in its pagemap only
 *    those two pages are KSM pages (PM_FILE), not the guess equal to the
 *    secret.
 * Every page's bytes are checked in its process at the end
 * (ktest_tenants_apart()).
 */
#include "ktest.h"

int main(void)
{
	struct ktest_tenant_opts a = { .uid = 1000 }, b = { .uid = 1001 };
	int dev = ktest_open_dev();

	ktest_tenants_apart(dev, &a, &b, "uids 1000 and 1001");
	return 0;
}
