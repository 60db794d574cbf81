// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * KUnit tests for File-Lifecycle-Bound state (luo_flb.c): the registration
 * rules (ops, compatible strings, duplicates, quiescence, a handler's
 * unregistration dropping its FLBs), the outgoing refcount (preserve once
 * for the first file, unpreserve with the last, a failing preserve giving
 * back the FLBs taken before it), and the incoming lifecycle (retrieve
 * once on demand, the result remembered, finish with the last file, an
 * FLB no file depends on finished at once, bad entries ignored). They run
 * at boot, before user space can create a session.
 */

#include <kunit/test.h>
#include <linux/liveupdate.h>
#include <linux/slab.h>
#include <linux/stringhash.h>

#include "luo_internal.h"

/* What the test FLBs' operations saw. */
struct flb_calls {
	int preserve, unpreserve, retrieve, finish;
	int preserve_err, retrieve_err;
	void *finished_obj;
};

static struct flb_calls calls[2];
static int obj_tokens[2];

static struct flb_calls *calls_of(struct liveupdate_flb *flb);

static int t_preserve(struct liveupdate_flb_op_args *args)
{
	struct flb_calls *c = calls_of(args->flb);

	if (c->preserve_err)
		return c->preserve_err;
	c->preserve++;
	args->obj = &obj_tokens[c - calls];
	args->data = 0x1000 + (c - calls);
	return 0;
}

static void t_unpreserve(struct liveupdate_flb_op_args *args)
{
	calls_of(args->flb)->unpreserve++;
}

static int t_retrieve(struct liveupdate_flb_op_args *args)
{
	struct flb_calls *c = calls_of(args->flb);

	c->retrieve++;
	if (c->retrieve_err)
		return c->retrieve_err;
	args->obj = &obj_tokens[c - calls];
	return 0;
}

static void t_finish(struct liveupdate_flb_op_args *args)
{
	struct flb_calls *c = calls_of(args->flb);

	c->finish++;
	c->finished_obj = args->obj;
}

static const struct liveupdate_flb_ops t_ops = {
	.preserve = t_preserve,
	.unpreserve = t_unpreserve,
	.retrieve = t_retrieve,
	.finish = t_finish,
};

static const struct liveupdate_flb_ops t_ops_no_finish = {
	.preserve = t_preserve,
	.unpreserve = t_unpreserve,
	.retrieve = t_retrieve,
};

static struct liveupdate_flb flb_a = { .ops = &t_ops, .compatible = "luo-kunit-flb-a-v1" };
static struct liveupdate_flb flb_b = { .ops = &t_ops, .compatible = "luo-kunit-flb-b-v1" };
/* Another FLB object with flb_a's name. */
static struct liveupdate_flb same_name = { .ops = &t_ops, .compatible = "luo-kunit-flb-a-v1" };

static struct flb_calls *calls_of(struct liveupdate_flb *flb)
{
	return flb == &flb_a ? &calls[0] : &calls[1];
}

static bool t_can_preserve(struct liveupdate_file_handler *fh, struct file *file)
{
	return false;
}

static int t_file_op(struct liveupdate_file_op_args *args)
{
	return 0;
}

static void t_file_void(struct liveupdate_file_op_args *args)
{
}

static const struct liveupdate_file_ops t_file_ops = {
	.can_preserve = t_can_preserve,
	.preserve = t_file_op,
	.unpreserve = t_file_void,
	.retrieve = t_file_op,
	.finish = t_file_void,
};

static struct liveupdate_file_handler fh_a = {
	.ops = &t_file_ops,
	.compatible = "luo-kunit-file-a-v1",
};

static struct liveupdate_file_handler fh_b = {
	.ops = &t_file_ops,
	.compatible = "luo-kunit-file-b-v1",
};

static int flb_test_init(struct kunit *test)
{
	if (!liveupdate_enabled())
		kunit_skip(test, "live update is off");
	memset(calls, 0, sizeof(calls));
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&fh_a), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&fh_b), 0);
	return 0;
}

static void flb_test_exit(struct kunit *test)
{
	if (!liveupdate_enabled())
		return;
	/* Drops the FLB registrations too. */
	liveupdate_unregister_file_handler(&fh_a);
	liveupdate_unregister_file_handler(&fh_b);
}

static void flb_registration_rules(struct kunit *test)
{
	struct liveupdate_flb no_finish = { .ops = &t_ops_no_finish, .compatible = "luo-kunit-x" };
	struct liveupdate_flb no_name = { .ops = &t_ops };
	struct liveupdate_flb *long_name = kunit_kzalloc(test, sizeof(*long_name), GFP_KERNEL);
	struct liveupdate_file_handler unregistered = {
		.ops = &t_file_ops,
		.compatible = "luo-kunit-file-c-v1",
	};
	struct liveupdate_session *s;

	KUNIT_ASSERT_NOT_NULL(test, long_name);
	long_name->ops = &t_ops;
	memset((char *)long_name->compatible, 'x', LIVEUPDATE_FLB_COMPAT_LENGTH);

	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &no_finish), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &no_name), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, long_name), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&unregistered, &flb_a), -EINVAL);

	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), -EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_b, &same_name), -EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_b, &flb_a), 0);
	KUNIT_EXPECT_EQ(test, flb_a.private.users, 2);

	/* Not while a session exists. */
	s = luo_session_alloc("luo-kunit", false);
	KUNIT_ASSERT_NOT_NULL(test, s);
	scoped_guard(mutex, &luo_state.lock)
		hash_add(luo_state.out, &s->hnode, full_name_hash(NULL, s->name, strlen(s->name)));
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &flb_b), -EBUSY);
	KUNIT_EXPECT_EQ(test, liveupdate_unregister_flb(&fh_b, &flb_a), -EBUSY);
	scoped_guard(mutex, &luo_state.lock)
		hash_del(&s->hnode);
	luo_session_free(s);

	KUNIT_EXPECT_EQ(test, liveupdate_unregister_flb(&fh_b, &flb_a), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_unregister_flb(&fh_b, &flb_a), -ENOENT);
	KUNIT_EXPECT_EQ(test, flb_a.private.users, 1);

	/* A handler that goes drops its FLBs: the name is free again. */
	KUNIT_EXPECT_EQ(test, liveupdate_unregister_file_handler(&fh_a), 0);
	KUNIT_EXPECT_EQ(test, flb_a.private.users, 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_file_handler(&fh_a), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(&fh_a, &same_name), 0);
}

static void flb_outgoing_refcount(struct kunit *test)
{
	void *obj = NULL;

	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_b), 0);
	guard(mutex)(&luo_state.lock);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&flb_a, &obj), -ENOENT);
	KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&fh_a), 0);
	KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&fh_a), 0);
	KUNIT_EXPECT_EQ(test, calls[0].preserve, 1);
	KUNIT_EXPECT_EQ(test, calls[1].preserve, 1);
	KUNIT_EXPECT_EQ(test, flb_a.private.out_files, 2);
	KUNIT_EXPECT_TRUE(test, luo_flb_live());
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&flb_a, &obj), 0);
	KUNIT_EXPECT_PTR_EQ(test, obj, (void *)&obj_tokens[0]);

	luo_flb_file_unpreserve(&fh_a);
	KUNIT_EXPECT_EQ(test, calls[0].unpreserve, 0);
	luo_flb_file_unpreserve(&fh_a);
	KUNIT_EXPECT_EQ(test, calls[0].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, calls[1].unpreserve, 1);
	KUNIT_EXPECT_FALSE(test, luo_flb_live());
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(&flb_a, &obj), -ENOENT);
}

static void flb_failing_preserve_unwinds(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_b), 0);
	calls[1].preserve_err = -EIO;
	guard(mutex)(&luo_state.lock);
	KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&fh_a), -EIO);
	/* The first FLB, taken before the failure, was given back. */
	KUNIT_EXPECT_EQ(test, calls[0].preserve, 1);
	KUNIT_EXPECT_EQ(test, calls[0].unpreserve, 1);
	KUNIT_EXPECT_EQ(test, flb_a.private.out_files, 0);
	KUNIT_EXPECT_EQ(test, flb_b.private.out_files, 0);
	KUNIT_EXPECT_FALSE(test, luo_flb_live());
	calls[1].preserve_err = 0;
	KUNIT_EXPECT_EQ(test, luo_flb_file_preserve(&fh_a), 0);
	luo_flb_file_unpreserve(&fh_a);
	KUNIT_EXPECT_EQ(test, calls[0].unpreserve, 2);
	KUNIT_EXPECT_EQ(test, calls[1].unpreserve, 1);
}

static void flb_entry(struct liveupdate_flb *flb, u64 data, u64 files)
{
	struct luo_flb_ser e = { .data = data, .files = files };

	strscpy(e.compatible, flb->compatible, sizeof(e.compatible));
	luo_flb_in_entry(&e);
}

static void flb_incoming_lifecycle(struct kunit *test)
{
	struct luo_flb_ser bad = { .data = 1, .files = 1 };
	void *obj = NULL, *again = NULL;

	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_b, &flb_a), 0);
	guard(mutex)(&luo_state.lock);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &obj), -ENOENT);
	/* Malformed, unknown and duplicate entries change nothing. */
	memset(bad.compatible, 'y', sizeof(bad.compatible));
	luo_flb_in_entry(&bad);
	strscpy(bad.compatible, "luo-kunit-nobody-v1", sizeof(bad.compatible));
	luo_flb_in_entry(&bad);
	flb_entry(&flb_a, 0x2000, 0);
	KUNIT_EXPECT_FALSE(test, flb_a.private.in_present);
	flb_entry(&flb_a, 0x2000, 2);
	flb_entry(&flb_a, 0x3000, 5);
	KUNIT_EXPECT_TRUE(test, flb_a.private.in_present);
	KUNIT_EXPECT_EQ(test, flb_a.private.in.data, 0x2000);

	/* Two files, of two handlers, depend on it. */
	luo_flb_file_incoming(&fh_a);
	luo_flb_file_incoming(&fh_b);
	KUNIT_EXPECT_EQ(test, flb_a.private.in_files, 2);
	KUNIT_EXPECT_EQ(test, calls[0].retrieve, 0);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &obj), 0);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &again), 0);
	KUNIT_EXPECT_EQ(test, calls[0].retrieve, 1);
	KUNIT_EXPECT_PTR_EQ(test, obj, again);

	luo_flb_file_done(&fh_a, true);
	KUNIT_EXPECT_EQ(test, calls[0].finish, 0);
	luo_flb_file_done(&fh_b, true);
	KUNIT_EXPECT_EQ(test, calls[0].finish, 1);
	KUNIT_EXPECT_PTR_EQ(test, calls[0].finished_obj, obj);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &obj), -ENOENT);
}

static void flb_failed_retrieve_remembered(struct kunit *test)
{
	void *obj = NULL;

	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	calls[0].retrieve_err = -EINVAL;
	guard(mutex)(&luo_state.lock);
	flb_entry(&flb_a, 0x2000, 1);
	luo_flb_file_incoming(&fh_a);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_incoming(&flb_a, &obj), -EINVAL);
	KUNIT_EXPECT_EQ(test, calls[0].retrieve, 1);
	/* Nothing to finish without the object: finish is not called. */
	luo_flb_file_done(&fh_a, true);
	KUNIT_EXPECT_EQ(test, calls[0].finish, 0);
	KUNIT_EXPECT_FALSE(test, flb_a.private.in_present);
}

static void flb_forgotten_file_and_orphan(struct kunit *test)
{
	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(&fh_a, &flb_a), 0);
	guard(mutex)(&luo_state.lock);
	flb_entry(&flb_a, 0x2000, 1);
	/* A file read, then forgotten to be read again: not finished. */
	luo_flb_file_incoming(&fh_a);
	luo_flb_file_done(&fh_a, false);
	KUNIT_EXPECT_EQ(test, flb_a.private.in_files, 0);
	KUNIT_EXPECT_TRUE(test, flb_a.private.in_present);
	KUNIT_EXPECT_EQ(test, calls[0].finish, 0);
	/* No file depends on it once everything is read: finished at once. */
	luo_flb_orphans();
	KUNIT_EXPECT_EQ(test, calls[0].retrieve, 1);
	KUNIT_EXPECT_EQ(test, calls[0].finish, 1);
	KUNIT_EXPECT_FALSE(test, flb_a.private.in_present);
}

static struct kunit_case luo_flb_cases[] = {
	KUNIT_CASE(flb_registration_rules),
	KUNIT_CASE(flb_outgoing_refcount),
	KUNIT_CASE(flb_failing_preserve_unwinds),
	KUNIT_CASE(flb_incoming_lifecycle),
	KUNIT_CASE(flb_failed_retrieve_remembered),
	KUNIT_CASE(flb_forgotten_file_and_orphan),
	{}
};

static struct kunit_suite luo_flb_suite = {
	.name = "luo-flb",
	.init = flb_test_init,
	.exit = flb_test_exit,
	.test_cases = luo_flb_cases,
};

kunit_test_suite(luo_flb_suite);

MODULE_DESCRIPTION("KUnit tests for live update's File-Lifecycle-Bound state");
MODULE_LICENSE("GPL");
