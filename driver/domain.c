// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev - merge domains: which domain an area joins, and who may use it.
 *
 * A page merges only with pages of areas in the same merge domain: a
 * merge is observable (pagemap, area statistics, the timing of a
 * copy-on-write fault), so two tenants in one domain could learn each
 * other's memory one guessed page at a time.  The tables (tables.c) key
 * every entry on the domain's id, a u64 that only this file hands out.
 *
 * Domains:
 *
 *   user      the default (domain_policy 1): one per (user namespace,
 *             effective kuid) of the task that creates the area.  Root is
 *             a user like any other, and two uid-0 tasks of different user
 *             namespaces are two users even where both map to one kuid.
 *             A struct ksmdev_domain each, refcounted by its areas, on a
 *             hash table; its id is KSMDEV_USER_DOMAIN_BIT | a sequence
 *             number that is never reused, so an id cannot outlive its
 *             domain into another user's.
 *   numbered  a shared domain, chosen by an administrator: N (1..2^63-1)
 *             from KSM_CREATE_AREA.  N below 2^32 is the domain of group N
 *             (as the caller's user namespace names it; the id is its gid
 *             in the initial namespace): members of the group may join it.
 *             Above, or for a group the caller is not in, only
 *             CAP_SYS_ADMIN may.  The id is the number.
 *   open      domain_policy 0, the 2009 behaviour: areas without a number
 *             share domain 0, and anyone joins any numbered domain.
 *
 * Credentials: an area is bound to its creator's credentials (a reference
 * to them is kept).  Memory goes into it only from a task with the same
 * user namespace and effective uid: a child that
 * changed its uid after fork, a process that was passed the fd, or a
 * setuid program that inherited it cannot put its memory into the
 * creator's domain (ksmdev_area_of_caller()); it gets EPERM and makes an
 * area of its own.
 *
 * Locking: ksmdev_domain_lock (mutex) protects the hash table and every
 * domain's refcount.  It is a leaf: nothing else is taken under it, and
 * it is never taken under ksmdev_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hash.h>
#include <linux/hashtable.h>
#include <linux/module.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>
#include "ksmdev.h"

static unsigned int ksmdev_domain_policy = 1;
module_param_named(domain_policy, ksmdev_domain_policy, uint, 0644);
MODULE_PARM_DESC(domain_policy,
		 "merge domains: 1 every user its own, numbered domains shared by group members or CAP_SYS_ADMIN (default); 0 open, as in 2009: one domain for all, any numbered domain for anyone; 2 same as 1");

/* A user domain: the areas of one (user namespace, euid). */
struct ksmdev_domain {
	struct hlist_node hnode;	/* ksmdev_domains */
	struct user_namespace *ns;	/* a reference held */
	kuid_t uid;
	u64 id;
	unsigned long refs;		/* areas; under ksmdev_domain_lock */
};

static DEFINE_MUTEX(ksmdev_domain_lock);
static DEFINE_HASHTABLE(ksmdev_domains, 8);
static u64 ksmdev_domain_seq;

static u32 ksmdev_domain_hash(const struct user_namespace *ns, kuid_t uid)
{
	return hash_ptr(ns, 32) ^ hash_32(__kuid_val(uid), 32);
}

/**
 * ksmdev_user_domain_get - the domain of the caller's user, made if new
 *
 * Return: the domain with a reference for the caller, or NULL out of memory.
 */
static struct ksmdev_domain *ksmdev_user_domain_get(void)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid = current_euid();
	u32 key = ksmdev_domain_hash(ns, uid);
	struct ksmdev_domain *d;

	mutex_lock(&ksmdev_domain_lock);
	hash_for_each_possible(ksmdev_domains, d, hnode, key)
		if (d->ns == ns && uid_eq(d->uid, uid))
			goto found;
	d = kzalloc(sizeof(*d), GFP_KERNEL_ACCOUNT);
	if (!d)
		goto out;
	d->ns = get_user_ns(ns);
	d->uid = uid;
	d->id = KSMDEV_USER_DOMAIN_BIT | ++ksmdev_domain_seq;
	hash_add(ksmdev_domains, &d->hnode, key);
found:
	d->refs++;
out:
	mutex_unlock(&ksmdev_domain_lock);
	return d;
}

static void ksmdev_user_domain_put(struct ksmdev_domain *d)
{
	mutex_lock(&ksmdev_domain_lock);
	if (--d->refs) {
		d = NULL;
	} else {
		hash_del(&d->hnode);
	}
	mutex_unlock(&ksmdev_domain_lock);
	if (d) {
		put_user_ns(d->ns);
		kfree(d);
	}
}

/*
 * The id of numbered domain @n for the caller, or -EPERM if it may not
 * join it (see the header comment).
 */
static int ksmdev_numbered_domain(u64 n, bool open, u64 *id)
{
	kgid_t gid;

	if (open) {
		*id = n;
		return 0;
	}
	if (n > U32_MAX) {
		*id = n;
		return capable(CAP_SYS_ADMIN) ? 0 : -EPERM;
	}
	gid = make_kgid(current_user_ns(), (gid_t)n);
	if (!gid_valid(gid))
		return -EINVAL;
	if (!in_group_p(gid) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	*id = from_kgid(&init_user_ns, gid);
	return 0;
}

/**
 * ksmdev_domain_join - put a new area of the caller into its merge domain
 * @area: the area, not yet visible to anyone
 * @number: the numbered domain asked for, or 0
 * @user: KSM_AREA_USER_DOMAIN: the caller's user domain whatever the policy
 *
 * Also binds the area to the caller's credentials and process.
 * Undone by ksmdev_domain_leave().
 *
 * Return: 0, -EPERM (a numbered domain the caller may not join), -EINVAL
 * (a group number its user namespace does not map) or -ENOMEM.
 */
int ksmdev_domain_join(struct ksmdev_area *area, u64 number, bool user)
{
	bool open = READ_ONCE(ksmdev_domain_policy) == 0;
	int err;

	if (number) {
		err = ksmdev_numbered_domain(number, open, &area->domain);
		if (err)
			return err;
	} else if (open && !user) {
		area->domain = 0;
	} else {
		area->udom = ksmdev_user_domain_get();
		if (!area->udom)
			return -ENOMEM;
		area->domain = area->udom->id;
	}
	area->cred = get_current_cred();
	area->pid = get_pid(task_tgid(current));
	return 0;
}

/**
 * ksmdev_domain_leave - drop what ksmdev_domain_join() took for an area
 * @area: the area, no longer visible to anyone; may be one whose join failed
 */
void ksmdev_domain_leave(struct ksmdev_area *area)
{
	if (area->udom)
		ksmdev_user_domain_put(area->udom);
	if (area->cred)
		put_cred(area->cred);
	put_pid(area->pid);
	area->udom = NULL;
	area->cred = NULL;
	area->pid = NULL;
}

/**
 * ksmdev_area_of_caller - is the caller the user that made an area?
 * @area: the area
 *
 * The same user namespace and effective uid as the area's creator had.
 * Only such a task may put memory into the area: credentials changed
 * since (setuid after fork, an fd passed to another user, a setuid
 * program) would carry memory into a domain that is not its user's.  And
 * only such a task sees the area in KSM_LIST_AREAS, CAP_SYS_ADMIN aside.
 */
bool ksmdev_area_of_caller(const struct ksmdev_area *area)
{
	return area->cred->user_ns == current_user_ns() &&
	       uid_eq(area->cred->euid, current_euid());
}

/**
 * ksmdev_area_describe - the identity fields of an area's list entry
 * @area: the area
 * @ai: the entry: pid, uid and domain are set, as the caller sees them
 *
 * The pid in the caller's pid namespace (0 where the creator is not in
 * it, or is gone), the uid in its user namespace (the overflow uid where
 * unmapped); user domains as KSMDEV_USER_DOMAIN_BIT | that uid, group
 * domains as the caller's gid of the group, others as their number.
 */
void ksmdev_area_describe(const struct ksmdev_area *area, struct ksm_area_info *ai)
{
	struct user_namespace *ns = current_user_ns();
	uid_t uid = from_kuid_munged(ns, area->cred->euid);

	ai->pid = pid_nr_ns(area->pid, task_active_pid_ns(current));
	ai->uid = uid;
	if (area->udom)
		ai->domain = KSMDEV_USER_DOMAIN_BIT | uid;
	else if (area->domain && area->domain <= U32_MAX)
		ai->domain = from_kgid_munged(ns, make_kgid(&init_user_ns, (gid_t)area->domain));
	else
		ai->domain = area->domain;
}
