/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Live Update Orchestrator (LUO): the in-kernel API for file types that
 * can be preserved across a kexec (names as upstream's).
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/list.h>
#include <linux/types.h>
#include <uapi/linux/liveupdate.h>

struct file;
struct kho_block_set;
struct kimage;
struct liveupdate_format;
struct module;
struct liveupdate_file_handler;
struct liveupdate_session;
struct liveupdate_flb;

#define LIVEUPDATE_HNDL_COMPAT_LENGTH	48

/**
 * struct liveupdate_file_op_args - arguments of the file handler operations
 * @handler: the handler
 * @session: the session the file belongs to
 * @retrieve_status: 0 if the file has not been retrieved, 1 if it was,
 *		     a negative errno if retrieving it failed
 * @file: the file (preserve, freeze, unfreeze, unpreserve); set by
 *	  @retrieve to the restored file
 * @serialized_data: the handler's handle on its serialized state, set by
 *		     @preserve (and possibly updated by @freeze), given back
 *		     in the next kernel
 * @private_data: the handler's runtime state for this file
 * @version: for a handler with a &liveupdate_file_handler.format: in
 *	     @freeze, the version of it to write (negotiated with the next
 *	     kernel); in @retrieve and @finish, the version the previous
 *	     kernel wrote. 0 otherwise
 */
struct liveupdate_file_op_args {
	struct liveupdate_file_handler *handler;
	struct liveupdate_session *session;
	int retrieve_status;
	struct file *file;
	u64 serialized_data;
	void *private_data;
	unsigned int version;
};

/**
 * struct liveupdate_file_ops - what a file type implements
 * @can_preserve: is @file of this type (required)
 * @preserve: do the heavy work while the workload runs (required)
 * @unpreserve: undo @preserve, when the session is closed (required)
 * @freeze: last update before the kexec, in the reboot path; may fail,
 *	    which cancels the kexec (optional)
 * @unfreeze: undo @freeze when the kexec is cancelled (optional)
 * @retrieve: in the next kernel, rebuild the file (required). An error is
 *	      final (the file cannot be retrieved, and @finish is told so
 *	      through retrieve_status), except -ENOMEM: then the handler left
 *	      the preserved state intact, possibly with partial work in
 *	      private_data, which LUO hands to the next @retrieve or to
 *	      @finish, and the retrieve can be tried again
 * @can_finish: may the session finish now (optional)
 * @finish: the end: free what is left; a file never retrieved is
 *	    discarded here (required)
 * @get_id: identity of the underlying object, so that two files of one
 *	    object count as the same file (optional; default: the file)
 * @owner: module owning the handler
 */
struct liveupdate_file_ops {
	bool (*can_preserve)(struct liveupdate_file_handler *handler, struct file *file);
	int (*preserve)(struct liveupdate_file_op_args *args);
	void (*unpreserve)(struct liveupdate_file_op_args *args);
	int (*freeze)(struct liveupdate_file_op_args *args);
	void (*unfreeze)(struct liveupdate_file_op_args *args);
	int (*retrieve)(struct liveupdate_file_op_args *args);
	bool (*can_finish)(struct liveupdate_file_op_args *args);
	void (*finish)(struct liveupdate_file_op_args *args);
	unsigned long (*get_id)(struct file *file);
	struct module *owner;
};

/**
 * struct liveupdate_file_handler - a file type LUO can preserve
 * @ops: its operations
 * @compatible: versioned name of its serialized format
 * @format: its entry in the format catalog (LIVEUPDATE_FORMAT()), optional.
 *	    With one, a file's entry carries the compatible string of the
 *	    version written (negotiated at each kexec, see
 *	    liveupdate_format_out()), and the next kernel gives this handler
 *	    every file of a version the format reads. Without one, files
 *	    carry @compatible and must match it exactly
 * @list: private to LUO
 * @flb_list: private to LUO: the FLBs its files depend on
 */
struct liveupdate_file_handler {
	const struct liveupdate_file_ops *ops;
	const char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	const struct liveupdate_format *format;
	struct list_head list;
	struct list_head flb_list;
};

#define LIVEUPDATE_FLB_COMPAT_LENGTH	48

/**
 * struct liveupdate_flb_op_args - arguments of the FLB operations
 * @flb: the FLB
 * @data: the handle on its serialized state: set by @preserve, given to
 *	  @unpreserve, and to @retrieve in the next kernel
 * @obj: its live object: set by @preserve (old kernel) or @retrieve (new
 *	 kernel), given to @unpreserve and @finish
 */
struct liveupdate_flb_op_args {
	struct liveupdate_flb *flb;
	u64 data;
	void *obj;
};

/**
 * struct liveupdate_flb_ops - what a File-Lifecycle-Bound state implements
 * @preserve: the first file depending on it is being preserved: preserve
 *	      the state (an error fails that file's preserve)
 * @unpreserve: the last such file was unpreserved: undo @preserve
 * @retrieve: in the next kernel, on demand (liveupdate_flb_get_incoming()),
 *	      or before @finish: rebuild the object from @data. The result
 *	      is remembered: an error is returned to every later caller
 * @finish: the last file depending on it finished: free everything
 * @owner: the module implementing it
 *
 * All four operations are required.
 */
struct liveupdate_flb_ops {
	int (*preserve)(struct liveupdate_flb_op_args *args);
	void (*unpreserve)(struct liveupdate_flb_op_args *args);
	int (*retrieve)(struct liveupdate_flb_op_args *args);
	void (*finish)(struct liveupdate_flb_op_args *args);
	struct module *owner;
};

/**
 * struct liveupdate_flb_private - LUO's bookkeeping of an FLB
 * @list: in LUO's list of registered FLBs
 * @users: file handlers it is registered with
 * @out_files: preserved files depending on it (outgoing refcount)
 * @out: the outgoing operation arguments (data, object)
 * @in_files: incoming files depending on it (incoming refcount)
 * @in_present: the previous kernel handed it over
 * @in_status: 0 not retrieved yet, 1 retrieved, or the retrieve's error
 * @in: the incoming operation arguments (data, object)
 */
struct liveupdate_flb_private {
	struct list_head list;
	unsigned int users;
	unsigned long out_files;
	struct liveupdate_flb_op_args out;
	unsigned long in_files;
	bool in_present;
	int in_status;
	struct liveupdate_flb_op_args in;
};

/**
 * struct liveupdate_flb - global state shared by the files of one or more
 *			   handlers, preserved while any of them is
 * @ops: its operations
 * @compatible: versioned name of its serialized state, unique
 * @private: private to LUO
 */
struct liveupdate_flb {
	const struct liveupdate_flb_ops *ops;
	const char compatible[LIVEUPDATE_FLB_COMPAT_LENGTH];
	struct liveupdate_flb_private private;
};

#ifdef CONFIG_LIVEUPDATE_TEST
void liveupdate_test_region(const char *format, void *addr, size_t len, const void *owner);
void liveupdate_test_chain(const char *format, struct kho_block_set *set, const void *owner);
void liveupdate_test_damage(void);
#else
static inline void liveupdate_test_region(const char *format, void *addr, size_t len,
					  const void *owner) { }
static inline void liveupdate_test_chain(const char *format, struct kho_block_set *set,
					 const void *owner) { }
static inline void liveupdate_test_damage(void) { }
#endif

#ifdef CONFIG_LIVEUPDATE
bool liveupdate_enabled(void);
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh);
int liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh);
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token, struct file **filep);
int liveupdate_get_token_outgoing(struct liveupdate_session *s, struct file *file, u64 *tokenp);
int liveupdate_register_flb(struct liveupdate_file_handler *fh, struct liveupdate_flb *flb);
int liveupdate_unregister_flb(struct liveupdate_file_handler *fh, struct liveupdate_flb *flb);
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp);
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp);
int liveupdate_reboot(struct kimage *image);
void liveupdate_jump(void);
void liveupdate_stamp_entry(void);
void liveupdate_stamp_kho_ready(void);
#else
static inline bool liveupdate_enabled(void)
{
	return false;
}

static inline int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token,
					       struct file **filep)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_get_token_outgoing(struct liveupdate_session *s,
						struct file *file, u64 *tokenp)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_register_flb(struct liveupdate_file_handler *fh,
					  struct liveupdate_flb *flb)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
					    struct liveupdate_flb *flb)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_reboot(struct kimage *image)
{
	return 0;
}

static inline void liveupdate_jump(void) { }
static inline void liveupdate_stamp_entry(void) { }
static inline void liveupdate_stamp_kho_ready(void) { }
#endif

#endif /* _LINUX_LIVEUPDATE_H */
