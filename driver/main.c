// SPDX-License-Identifier: GPL-2.0-only
/*
 * ksmdev - /dev/ksm: merge identical pages of registered memory regions.
 *
 * This file: the misc device and ioctl dispatch.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/ksmdev.h>

static long ksm_dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case KSM_GET_API_VERSION:
		return KSM_API_VERSION;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations ksm_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= ksm_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice ksm_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "ksm",
	.fops	= &ksm_dev_fops,
	.mode	= 0660,
};

static int __init ksmdev_init(void)
{
	return misc_register(&ksm_dev);
}

static void __exit ksmdev_exit(void)
{
	misc_deregister(&ksm_dev);
}

module_init(ksmdev_init);
module_exit(ksmdev_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("/dev/ksm: merge identical pages of registered memory");
