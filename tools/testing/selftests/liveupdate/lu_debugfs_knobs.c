// SPDX-License-Identifier: GPL-2.0
/*
 * lu_debugfs_knobs: the keyword knobs of the test kernel's debugfs (KHO's
 * kho/out/corrupt, LUO's liveupdate/corrupt, memfd's memfd_luo/corrupt)
 * read what is written the same way (lu_debugfs_keyword()): an unknown,
 * empty or too long word is EINVAL, a buffer that cannot be read is EFAULT,
 * and nothing is armed by a refused write. Valid words are not written
 * here: they damage the next handover (lu_kho, luo_corrupt and
 * lu_memfd_misc use them across a kexec).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lu_harness.h"

static const char *const knobs[] = {
	"/sys/kernel/debug/kho/out/corrupt",
	"/sys/kernel/debug/liveupdate/corrupt",
	"/sys/kernel/debug/memfd_luo/corrupt",
};

FIXTURE(knob) {
	int fd;
};

FIXTURE_VARIANT(knob) {
	int which;
};

FIXTURE_VARIANT_ADD(knob, kho) { .which = 0 };
FIXTURE_VARIANT_ADD(knob, luo) { .which = 1 };
FIXTURE_VARIANT_ADD(knob, memfd) { .which = 2 };

FIXTURE_SETUP(knob)
{
	self->fd = open(knobs[variant->which], O_WRONLY | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) TH_LOG("open %s: %s", knobs[variant->which], strerror(errno));
}

FIXTURE_TEARDOWN(knob)
{
	close(self->fd);
}

static int write_errno(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) < 0 ? errno : 0;
}

TEST_F(knob, unknown_word_is_einval)
{
	EXPECT_EQ(EINVAL, write_errno(self->fd, "no-such-damage\n", 15));
	/* A valid word's prefix or a case change is not the word. */
	EXPECT_EQ(EINVAL, write_errno(self->fd, "compat", 6));
	EXPECT_EQ(EINVAL, write_errno(self->fd, "INDEX", 5));
}

TEST_F(knob, blank_word_is_einval)
{
	EXPECT_EQ(EINVAL, write_errno(self->fd, "\n", 1));
	EXPECT_EQ(EINVAL, write_errno(self->fd, "  \t ", 4));
}

TEST_F(knob, too_long_word_is_einval)
{
	static char buf[4096];

	memset(buf, 'a', sizeof(buf));
	EXPECT_EQ(EINVAL, write_errno(self->fd, buf, 65));
	EXPECT_EQ(EINVAL, write_errno(self->fd, buf, sizeof(buf)));
}

TEST_F(knob, unreadable_buffer_is_efault)
{
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	EXPECT_EQ(EFAULT, write_errno(self->fd, page, 8));
	munmap(page, 4096);
}

int main(int argc, char **argv)
{
	return lu_harness_run(argc, argv);
}
