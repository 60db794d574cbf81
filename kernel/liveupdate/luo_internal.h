/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * What the LUO files of kernel/liveupdate/ share.
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/build_bug.h>
#include <linux/hashtable.h>
#include <linux/kho_block.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <linux/xxhash.h>
#include <linux/kho/abi/luo.h>

#include "luo_check.h"

/* The ABI's fixed-size strings are the uAPI's and the handlers' limits. */
static_assert(sizeof_field(struct luo_session_ser, name) == LIVEUPDATE_SESSION_NAME_LENGTH);
static_assert(sizeof_field(struct luo_file_ser, compatible) == LIVEUPDATE_HNDL_COMPAT_LENGTH);

/**
 * struct luo_file - a preserved file
 * @list: in its session, in preserve order
 * @fh: its handler (NULL for an incoming file whose type this kernel lacks)
 * @file: outgoing: the preserved file (a reference is held); incoming: the
 *	  retrieved file, once retrieved (a reference is held until finish)
 * @token: userspace's token
 * @data: the handler's serialized data
 * @private_data: the handler's runtime state
 * @id: identity key in luo_state.files (outgoing)
 * @retrieve_status: see &struct liveupdate_file_op_args
 * @retrieving: its handler's retrieve is running (a retrieve that needs
 *		the file itself is -EDEADLK)
 * @fd_given: user space got its one fd of it (RETRIEVE_FD)
 * @frozen: freeze succeeded and was not undone
 * @version: the version of its handler's format it was written at (frozen
 *	     outgoing file) or came in (incoming); 0 without a format
 * @compatible: the compatible string of its entry (incoming)
 */
struct luo_file {
	struct list_head list;
	struct liveupdate_file_handler *fh;
	struct file *file;
	u64 token;
	u64 data;
	void *private_data;
	unsigned long id;
	int retrieve_status;
	bool retrieving;
	bool fd_given;
	bool frozen;
	unsigned int version;
	char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
};

/**
 * struct liveupdate_session - a session
 * @name: its name
 * @id: a hash of the name, the same in both kernels (for tracing)
 * @hnode: in luo_state.out or luo_state.in
 * @files: its files, in preserve order
 * @nr_files: how many
 * @tokens: token -> &struct luo_file
 * @files_set: serialized file entries (outgoing; grown at preserve)
 * @incoming: came from the previous kernel
 * @retrieved: incoming and handed to userspace
 * @finished: incoming and finished (no longer in luo_state.in)
 */
struct liveupdate_session {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	u64 id;
	struct hlist_node hnode;
	struct list_head files;
	unsigned long nr_files;
	struct xarray tokens;
	struct kho_block_set files_set;
	bool incoming;
	bool retrieved;
	bool finished;
};

#define LUO_HASH_BITS	12

/**
 * struct luo_state - everything LUO knows
 * @lock: protects all of it (one lock: nothing here is hot)
 * @out: outgoing sessions by name
 * @nr_out: how many
 * @in: incoming sessions not yet finished, by name
 * @nr_in: incoming sessions read from the previous kernel
 * @sessions_set: serialized session entries (grown at create)
 * @files: every preserved file, by identity (a file is in one session)
 * @handlers: registered file handlers
 * @ser: the outgoing state blob (the KHO subtree "LUO")
 * @frozen: serialized for a kexec: no more changes
 * @deserialized: the incoming state was read (first open)
 * @opened: /dev/liveupdate is open
 * @rd: while the incoming state is being read (an open that ran out of
 *	memory resumes from here): its state page, its chain of sessions, the
 *	position in it, and the chain of files of the session being read
 */
struct luo_state {
	struct mutex lock;	/* everything in LUO, see luo_core.c */
	DECLARE_HASHTABLE(out, LUO_HASH_BITS);
	unsigned long nr_out;
	DECLARE_HASHTABLE(in, LUO_HASH_BITS);
	unsigned long nr_in;
	struct kho_block_set sessions_set;
	struct xarray files;
	struct list_head handlers;
	struct luo_ser *ser;
	bool frozen;
	bool deserialized;
	bool opened;
	struct {
		struct luo_ser *ser;
		size_t size;
		struct kho_block_set sessions;
		struct kho_block_reader cursor;
		struct kho_block_set files;
		unsigned long dropped;
		u64 t0;
	} rd;
};

extern struct luo_state luo_state;

/* luo_core.c */
int luo_copy_arg(void *karg, size_t ksize, size_t minsz, unsigned long uarg, u32 *usize);
int luo_copy_back(unsigned long uarg, const void *karg, size_t ksize, u32 usize);

/* The hash of LUO's state page (abi/luo.h). */
static inline u64 luo_ser_hash(const struct luo_ser *ser)
{
	return xxh64(ser, offsetof(struct luo_ser, hash), 0);
}

/* luo_deserialize.c */
int luo_deserialize(void);

/* luo_flb.c */
int luo_flb_init(void);
void luo_flb_handler_gone(struct liveupdate_file_handler *fh);
int luo_flb_file_preserve(struct liveupdate_file_handler *fh);
void luo_flb_file_unpreserve(struct liveupdate_file_handler *fh);
void luo_flb_file_incoming(struct liveupdate_file_handler *fh);
void luo_flb_file_done(struct liveupdate_file_handler *fh, bool finish);
bool luo_flb_live(void);
bool luo_flb_is_format(const struct liveupdate_format *fmt);
int luo_flb_serialize(void);
void luo_flb_test_corrupt(void);
void luo_flb_deserialize(void);
void luo_flb_in_entry(const struct luo_flb_ser *e);
void luo_flb_orphans(void);

/* luo_format.c */
struct kobject;
struct liveupdate_format;
int luo_formats_check(bool (*live)(const struct liveupdate_format *fmt));
int luo_formats_sysfs_init(struct kobject *parent);

/* luo_serialize.c */
bool luo_format_live(const struct liveupdate_format *fmt);
void luo_format_incoming(const char *compatible);

/* luo_test.c: test hooks (LIVEUPDATE_TEST) */
#ifdef CONFIG_LIVEUPDATE_TEST
void luo_test_corrupt(void);
void luo_test_serialized(void);
void luo_test_debugfs(void);
/* luo_damage.c */
void luo_damage_reset(void);
void luo_damage_debugfs(struct dentry *dir);
#else
static inline void luo_test_corrupt(void) { }
static inline void luo_test_serialized(void) { }
static inline void luo_test_debugfs(void) { }
static inline void luo_damage_reset(void) { }
#endif

/* luo_blackout.c */
int luo_blackout_init(void);
void luo_blackout_reboot(unsigned int stamp, unsigned long sessions, unsigned long files);
void luo_blackout_failed(void);
void luo_blackout_freeze_file(u64 ns);
void luo_blackout_retrieved(void);
void luo_blackout_finished(void);
void luo_blackout_dropped(void);
void luo_incoming_check_done(void);

/* luo_session.c */
struct liveupdate_session *luo_session_find(struct hlist_head *table, const char *name);
struct file *luo_session_create(const char *name);
struct file *luo_session_retrieve(const char *name);
struct liveupdate_session *luo_session_alloc(const char *name, bool incoming);
void luo_session_free(struct liveupdate_session *s);

/* luo_file.c */
struct liveupdate_file_handler *luo_handler_find(const char *compatible);
int luo_file_preserve(struct liveupdate_session *s, int fd, u64 token);
void luo_file_unpreserve_all(struct liveupdate_session *s);
int luo_file_retrieve(struct liveupdate_session *s, u64 token, struct file **filep);
int luo_file_finish_all(struct liveupdate_session *s);
void luo_file_finish_force(struct liveupdate_session *s);
int luo_file_freeze(struct luo_file *f, struct liveupdate_session *s);
void luo_file_unfreeze(struct luo_file *f, struct liveupdate_session *s);
struct luo_file *luo_file_add_incoming(struct liveupdate_session *s,
				       const struct luo_file_ser *ser);

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
