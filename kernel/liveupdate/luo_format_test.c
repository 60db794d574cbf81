// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * KUnit tests for the format catalog's parsers (included by luo_format.c,
 * whose static functions they call): next_formats text (what user space
 * says the next kernel reads) and compatible strings ("NAME-vV"). Both
 * read input this kernel did not write; every malformed shape is refused
 * or ignored as documented, never half taken.
 */

#include <kunit/test.h>

/* Parse @text (copied: parsing edits it) into @reads. */
static int parse(struct kunit *test, const char *text, u64 reads[LU_FORMATS_MAX], bool *any)
{
	char *copy = kunit_kstrdup(test, text, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, copy);
	memset(reads, 0, sizeof(u64) * LU_FORMATS_MAX);
	return lu_next_formats_parse(copy, reads, any);
}

static unsigned int idx(struct kunit *test, const char *name)
{
	struct lu_format *f = lu_format_named(name, strlen(name));

	KUNIT_ASSERT_NOT_NULL_MSG(test, f, "format %s is not in this kernel", name);
	return f - lu_formats;
}

static void next_formats_lines(struct kunit *test)
{
	u64 reads[LU_FORMATS_MAX];
	bool any;

	KUNIT_ASSERT_EQ(test, parse(test, "kho 2\nmemfd 3,4\n\n  luo\t2\x20\nnosuch 5\nmemfd 4\n",
				    reads, &any), 0);
	KUNIT_EXPECT_TRUE(test, any);
	KUNIT_EXPECT_EQ(test, reads[idx(test, "kho")], BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, reads[idx(test, "memfd")], BIT_ULL(3) | BIT_ULL(4));
	KUNIT_EXPECT_EQ(test, reads[idx(test, "luo")], BIT_ULL(2));
	KUNIT_EXPECT_EQ(test, reads[idx(test, "kho-block")], 0);
}

static void next_formats_separators(struct kunit *test)
{
	u64 reads[LU_FORMATS_MAX];
	bool any;

	KUNIT_ASSERT_EQ(test, parse(test, "memfd 3, 4,,\t5 63\r\n", reads, &any), 0);
	KUNIT_EXPECT_EQ(test, reads[idx(test, "memfd")],
			BIT_ULL(3) | BIT_ULL(4) | BIT_ULL(5) | BIT_ULL(63));
	/* A name alone: the next kernel knows it and reads none of its versions. */
	KUNIT_ASSERT_EQ(test, parse(test, "memfd\n", reads, &any), 0);
	KUNIT_EXPECT_TRUE(test, any);
	KUNIT_EXPECT_EQ(test, reads[idx(test, "memfd")], 0);
	/* The last line needs no newline. */
	KUNIT_ASSERT_EQ(test, parse(test, "luo 2", reads, &any), 0);
	KUNIT_EXPECT_EQ(test, reads[idx(test, "luo")], BIT_ULL(2));
}

static void next_formats_blank(struct kunit *test)
{
	u64 reads[LU_FORMATS_MAX];
	bool any = true;

	KUNIT_EXPECT_EQ(test, parse(test, "", reads, &any), 0);
	KUNIT_EXPECT_FALSE(test, any);
	KUNIT_EXPECT_EQ(test, parse(test, "\n\x20\n\t\n", reads, &any), 0);
	KUNIT_EXPECT_FALSE(test, any);
	KUNIT_EXPECT_EQ(test, reads[idx(test, "memfd")], 0);
}

static void next_formats_bad_versions(struct kunit *test)
{
	static const char *const bad[] = {
		"memfd 0", "memfd 64", "memfd 3x", "memfd -1", "memfd 0x3", "memfd 3.0",
		"memfd 99999999999", "memfd 4\nluo 2,v3", "kho 2\nmemfd 1,,65",
	};
	u64 reads[LU_FORMATS_MAX];
	bool any;

	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_EQ_MSG(test, parse(test, bad[i], reads, &any), -EINVAL, "%s", bad[i]);
}

static void next_formats_unknown_names(struct kunit *test)
{
	char longname[LIVEUPDATE_FORMAT_NAME_LEN + 8];
	u64 reads[LU_FORMATS_MAX];
	bool any;

	memset(longname, 'm', sizeof(longname) - 3);
	strscpy(longname + sizeof(longname) - 3, " 3", 3);
	KUNIT_ASSERT_EQ(test, parse(test, longname, reads, &any), 0);
	KUNIT_EXPECT_TRUE(test, any);
	KUNIT_ASSERT_EQ(test, parse(test, "memf 3\nmemfdx 3\nMEMFD 3\n", reads, &any), 0);
	for (unsigned int i = 0; i < LU_FORMATS_MAX; i++)
		KUNIT_EXPECT_EQ(test, reads[i], 0);
}

static void compatible_split(struct kunit *test)
{
	static const struct {
		const char *s;
		size_t len;
		unsigned int v;
	} cases[] = {
		{ "memfd-v3", 5, 3 }, { "memfd-v63", 5, 63 }, { "luo-blackout-v3", 12, 3 },
		{ "a-v1", 1, 1 }, { "kho-block-v10", 9, 10 },
		{ "memfd-v0", 0, 0 }, { "memfd-v03", 0, 0 }, { "memfd-v64", 0, 0 },
		{ "memfd-v100", 0, 0 }, { "memfd-v", 0, 0 }, { "memfdv3", 0, 0 },
		{ "memfd-3", 0, 0 }, { "-v3", 0, 0 }, { "", 0, 0 }, { "memfd", 0, 0 },
	};
	char full[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	unsigned int v;

	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		KUNIT_EXPECT_EQ_MSG(test, lu_split(cases[i].s, LIVEUPDATE_HNDL_COMPAT_LENGTH, &v),
				    cases[i].len, "%s", cases[i].s);
		KUNIT_EXPECT_EQ_MSG(test, v, cases[i].v, "%s", cases[i].s);
	}
	/* No NUL within the field: refused, whatever it looks like. */
	memset(full, 'x', sizeof(full));
	memcpy(full + sizeof(full) - 3, "-v3", 3);
	KUNIT_EXPECT_EQ(test, lu_split(full, sizeof(full), &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
}

static struct kunit_case luo_format_cases[] = {
	KUNIT_CASE(next_formats_lines),
	KUNIT_CASE(next_formats_separators),
	KUNIT_CASE(next_formats_blank),
	KUNIT_CASE(next_formats_bad_versions),
	KUNIT_CASE(next_formats_unknown_names),
	KUNIT_CASE(compatible_split),
	{}
};

static struct kunit_suite luo_format_suite = {
	.name = "luo-format",
	.test_cases = luo_format_cases,
};

kunit_test_suite(luo_format_suite);
