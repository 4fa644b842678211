// SPDX-License-Identifier: (MIT OR GPL-2.0)
/* syspect's capture probe: every syscall enter/exit, plus process exit, as
 * libscap v2 events (PPME ids and parameter layouts that sysdig 0.29.3
 * knows) in one BPF ring buffer. See ebpf/README.md for the record layout. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

#include "syscall_table.h"
#include "ppm.h"
#include "builder.h"
#include "kread.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define TS_COMPAT 0x0002

/* x86_64 syscall numbers the fillers need to tell apart. */
#define NR_pipe 22
#define NR_dup 32
#define NR_accept 43
#define NR_clone 56
#define NR_fork 57
#define NR_vfork 58
#define NR_signalfd 282
#define NR_eventfd 284
#define NR_clone3 435

struct iovec_u {
	__u64 base;
	__u64 len;
};

struct pollfd_u {
	__s32 fd;
	__s16 events;
	__s16 revents;
};

#define MAX_IOV 8
#define MAX_POLLFD 16

/* Small fixed-size user reads, through global BPF functions whose frames are
 * on the task stack (see uread_small in builder.h). Global functions are
 * verified once, so calling them in the iovec and pollfd loops stays cheap
 * for the verifier. */

/* Two u64 (an iovec, a timespec) into *dst; -1 on a fault (*dst zeroed). */
__noinline int uread_pair(struct iovec_u *dst, __u64 uptr)
{
	struct iovec_u v;
	if (!dst)
		return -1;
	long r = bpf_probe_read_user(&v, sizeof(v), (const void *)uptr);
	*dst = v; /* zeroed by the helper on a fault */
	return r < 0 ? -1 : 0;
}

/* 8 bytes into *dst; -1 on a fault (*dst zeroed). */
__noinline int uread8(__u64 *dst, __u64 uptr)
{
	__u64 v;
	if (!dst)
		return -1;
	long r = bpf_probe_read_user(&v, sizeof(v), (const void *)uptr);
	*dst = v;
	return r < 0 ? -1 : 0;
}

/* `size` (1..8) bytes, zero-extended; 0 on a fault, as bpf_probe_read_user
 * leaves its destination zeroed. */
__noinline __u64 uread_word(__u64 uptr, __u64 size)
{
	__u64 v = 0;
	BARRIER_VAR(size);
	if (size == 0 || size > 8)
		return 0;
	bpf_probe_read_user(&v, size, (const void *)uptr);
	return v;
}

static __always_inline __u64 iov_total(const struct iovec_u *iov, __u64 cnt)
{
	__u64 total = 0;
	for (int i = 0; i < 32; i++) {
		if (i >= cnt)
			break;
		struct iovec_u v;
		if (uread_pair(&v, (__u64)&iov[i]) < 0)
			break;
		total += v.len;
	}
	return total;
}

/* append_ubytes for one iovec, as a global function: verified once, instead
 * of in every iteration of push_iov's loop at each of its call sites. */
__noinline __u32 append_iov(struct scratch *s, __u64 base, __u64 want)
{
	if (!s)
		return 0;
	return append_ubytes(s, (const void *)base, want, MAX_SNAPLEN);
}

/* Gathers up to min(max, snaplen) bytes from an iovec array into one param. */
static __always_inline void push_iov(struct scratch *s, const struct iovec_u *iov, __u64 cnt, __s64 max)
{
	__u32 start = s->off;
	__u64 left = snaplen();
	if (max <= 0 || !iov) {
		push_empty(s);
		return;
	}
	if ((__u64)max < left)
		left = max;
	for (int i = 0; i < MAX_IOV; i++) {
		if (i >= cnt || left == 0)
			break;
		struct iovec_u v;
		if (uread_pair(&v, (__u64)&iov[i]) < 0)
			break;
		__u64 want = v.len < left ? v.len : left;
		__u32 got = append_iov(s, v.base, want);
		if (got < want)
			break;
		left -= got;
	}
	set_len(s, s->off - start);
}

static __always_inline int uread_pollfd(struct pollfd_u *p, __u64 uptr)
{
	__u64 w;
	if (uread8(&w, uptr) < 0)
		return -1;
	p->fd = (__s32)w;
	p->events = (__s16)(w >> 32);
	p->revents = (__s16)(w >> 48);
	return 0;
}

static __always_inline void push_fdlist(struct scratch *s, const struct pollfd_u *fds, __u64 nfds, int out)
{
	__u32 off = s->off;
	if (!fds || off > MAX_EVENT) {
		push_empty(s);
		return;
	}
	__u8 *p = bufp(s, off);
	__u16 n = 0;
	for (int i = 0; i < MAX_POLLFD; i++) {
		if (i >= nfds)
			break;
		struct pollfd_u pfd;
		if (uread_pollfd(&pfd, (__u64)&fds[i]) < 0)
			break;
		__s64 fd = pfd.fd;
		__u16 fl = ppm_poll_flags(out ? pfd.revents : pfd.events);
		__builtin_memcpy(p + 2 + i * 10, &fd, 8);
		__builtin_memcpy(p + 10 + i * 10, &fl, 2);
		n++;
	}
	__builtin_memcpy(p, &n, 2);
	s->off = off + 2 + n * 10;
	set_len(s, 2 + n * 10);
}

static __always_inline __s64 read_user_s64(__u64 uptr, __s64 dflt)
{
	return uptr ? (__s64)uread_word(uptr, 8) : dflt;
}

static __always_inline __s32 read_user_s32(__u64 uptr, __s32 dflt)
{
	return uptr ? (__s32)uread_word(uptr, 4) : dflt;
}

static __always_inline __u64 reltime(__u64 uts)
{
	struct iovec_u ts; /* tv_sec, tv_nsec */
	if (!uts || uread_pair(&ts, uts) < 0)
		return 0;
	return (__s64)ts.base * 1000000000ULL + (__s64)ts.len;
}

static __always_inline void push_fd(struct scratch *s, __u64 v)
{
	push_i64(s, (__s32)v); /* fds are ints; AT_FDCWD stays -100 */
}

/* ------------------------------------------------------------------ enter */

static __always_inline void fill_enter(__u16 ev, __u32 nr, const __u64 *a, __u64 tid)
{
	struct scratch *s;
#define BEGIN(n)                          \
	s = ev_begin(ev, n, tid);             \
	if (!s)                               \
		return;
	switch (ev) {
	case 2: /* open: name, flags, mode */
		BEGIN(3);
		push_ustr(s, (void *)a[0]);
		push_u32(s, ppm_open_flags(a[1]));
		push_u32(s, ppm_open_mode(a[1], a[2]));
		break;
	case 306: /* openat: dirfd, name, flags, mode */
		BEGIN(4);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, ppm_open_flags(a[2]));
		push_u32(s, ppm_open_mode(a[2], a[3]));
		break;
	case 326: { /* openat2: dirfd, name, flags, mode, resolve */
		struct { __u64 flags, mode, resolve; } how = {};
		BEGIN(5);
		bpf_probe_read_user(&how, sizeof(how), (void *)a[2]);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, ppm_open_flags(how.flags));
		push_u32(s, ppm_open_mode(how.flags, how.mode));
		push_u32(s, how.resolve);
		break;
	}
	case 58: /* creat: name, mode */
		BEGIN(2);
		push_ustr(s, (void *)a[0]);
		push_u32(s, a[1] & 07777);
		break;
	case 4: case 124: case 96: case 70: case 236: case 238: case 20: case 52:
		/* close, dup, fchdir, fstat, getdents, getdents64, bind, recvmsg: fd */
		fix_i64(ev, tid, (__s32)a[0]);
		return;
	case 6: case 8: case 34: /* read, write, recvfrom: fd, size */
		fix_i64_u32(ev, tid, (__s32)a[0], a[2]);
		return;
	case 112: case 114: /* pread, pwrite: fd, size, pos */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u32(s, a[2]);
		push_u64(s, a[3]);
		break;
	case 116: /* readv: fd */
		fix_i64(ev, tid, (__s32)a[0]);
		return;
	case 118: /* writev: fd, size */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u32(s, iov_total((void *)a[1], a[2]));
		break;
	case 120: /* preadv: fd, pos */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u64(s, a[3]);
		break;
	case 122: /* pwritev: fd, size, pos */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u32(s, iov_total((void *)a[1], a[2]));
		push_u64(s, a[3]);
		break;
	case 188: /* sendfile: out_fd, in_fd, offset, size */
		BEGIN(4);
		push_fd(s, a[0]);
		push_fd(s, a[1]);
		push_u64(s, read_user_s64(a[2], 0));
		push_u64(s, a[3]);
		break;
	case 18: case 42: /* socket, socketpair: domain, type, proto */
		BEGIN(3);
		push_u32(s, a[0]);
		push_u32(s, a[1]);
		push_u32(s, a[2]);
		break;
	case 22: /* connect: fd, addr */
		BEGIN(2);
		push_fd(s, a[0]);
		push_usockaddr(s, (void *)a[1], a[2]);
		break;
	case 248: /* accept4: flags */
		BEGIN(1);
		push_i32(s, a[3]);
		break;
	case 24: /* listen: fd, backlog */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u32(s, a[1]);
		break;
	case 30: { /* sendto: fd, size, tuple */
		struct task_struct *t = bpf_get_current_task_btf();
		BEGIN(3);
		push_fd(s, a[0]);
		push_u32(s, a[2]);
		push_socktuple(s, t, (__s32)a[0], 0);
		break;
	}
	case 48: { /* sendmsg: fd, size, tuple */
		struct task_struct *t = bpf_get_current_task_btf();
		struct { __u64 name; __u32 namelen; __u32 pad; __u64 iov; __u64 iovlen; } mh = {};
		BEGIN(3);
		bpf_probe_read_user(&mh, sizeof(mh), (void *)a[1]);
		push_fd(s, a[0]);
		push_u32(s, iov_total((void *)mh.iov, mh.iovlen));
		push_socktuple(s, t, (__s32)a[0], 0);
		break;
	}
	case 36: /* shutdown: fd, how */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u8(s, a[1]);
		break;
	case 292: /* execve: filename */
		BEGIN(1);
		push_ustr(s, (void *)a[0]);
		break;
	case 330: /* execveat: dirfd, pathname, flags */
		BEGIN(3);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, ppm_execveat_flags(a[4]));
		break;
	case 128: case 130: /* kill, tkill: pid, sig */
		BEGIN(2);
		push_i64(s, (__s32)a[0]);
		push_u8(s, a[1]);
		break;
	case 132: /* tgkill: pid, tid, sig */
		BEGIN(3);
		push_i64(s, (__s32)a[0]);
		push_i64(s, (__s32)a[1]);
		push_u8(s, a[2]);
		break;
	case 276: /* mkdir: mode */
		BEGIN(1);
		push_u32(s, a[1]);
		break;
	case 198: case 200: /* setuid, setgid */
		BEGIN(1);
		push_u32(s, a[0]);
		break;
	case 192: case 194: /* setresuid, setresgid */
		BEGIN(3);
		push_u32(s, a[0]);
		push_u32(s, a[1]);
		push_u32(s, a[2]);
		break;
	case 240: /* setns: fd, nstype */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u32(s, ppm_clone_flags(a[1]));
		break;
	case 284: /* unshare: flags */
		BEGIN(1);
		push_u32(s, ppm_clone_flags(a[0]));
		break;
	case 168: /* ptrace: request, pid */
		BEGIN(2);
		push_u16(s, ppm_ptrace_req(a[0]));
		push_i64(s, (__s32)a[1]);
		break;
	case 160: /* mmap: addr, length, prot, flags, fd, offset */
		BEGIN(6);
		push_u64(s, a[0]);
		push_u64(s, a[1]);
		push_u32(s, ppm_prot_flags(a[2]));
		push_u32(s, ppm_mmap_flags(a[3]));
		push_fd(s, a[4]);
		push_u64(s, a[5]);
		break;
	case 164: /* munmap: addr, length */
		BEGIN(2);
		push_u64(s, a[0]);
		push_u64(s, a[1]);
		break;
	case 328: /* mprotect: addr, length, prot */
		BEGIN(3);
		push_u64(s, a[0]);
		push_u64(s, a[1]);
		push_u32(s, ppm_prot_flags(a[2]));
		break;
	case 158: /* brk: addr */
		BEGIN(1);
		push_u64(s, a[0]);
		break;
	case 256: /* mount: flags */
		BEGIN(1);
		push_u32(s, ppm_mount_flags(a[3]));
		break;
	case 258: /* umount: flags */
		BEGIN(1);
		push_u32(s, a[1] & 0xf);
		break;
	case 296: /* bpf: cmd */
		BEGIN(1);
		push_i64(s, (__s32)a[0]);
		break;
	case 170: /* ioctl: fd, request, argument */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u64(s, a[1]);
		push_u64(s, a[2]);
		break;
	case 80: /* poll: fds, timeout */
		BEGIN(2);
		push_fdlist(s, (void *)a[0], a[1], 0);
		push_i64(s, (__s32)a[2]);
		break;
	case 78: /* epoll_wait: maxevents */
		BEGIN(1);
		push_i64(s, (__s32)a[2]);
		break;
	case 134: /* nanosleep: interval */
		BEGIN(1);
		push_u64(s, reltime(a[0]));
		break;
	case 64: /* futex: addr, op, val */
		BEGIN(3);
		push_u64(s, a[0]);
		push_u16(s, a[1] & 0x1ff);
		push_u64(s, a[2]);
		break;
	case 150: /* fcntl: fd, cmd */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u8(s, ppm_fcntl_cmd(a[1]));
		break;
	case 86: /* lseek: fd, offset, whence */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u64(s, a[1]);
		push_u8(s, a[2]);
		break;
	case 264: /* access: mode */
		BEGIN(1);
		push_u32(s, a[1] & 7);
		break;
	case 294: /* setpgid: pid, pgid */
		BEGIN(2);
		push_i64(s, (__s32)a[0]);
		push_i64(s, (__s32)a[1]);
		break;
	case 242: /* flock: fd, operation */
		BEGIN(2);
		push_fd(s, a[0]);
		push_u32(s, a[1] & 0xf);
		break;
	case 62: /* eventfd: initval, flags */
		BEGIN(2);
		push_u64(s, a[0]);
		push_u32(s, nr == NR_eventfd ? 0 : a[1]);
		break;
	case 126: /* signalfd: fd, mask, flags */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u32(s, read_user_s32(a[1], 0));
		push_u8(s, nr == NR_signalfd ? 0 : a[3]);
		break;
	case 136: /* timerfd_create: clockid, flags */
		BEGIN(2);
		push_u8(s, a[0]);
		push_u8(s, a[1]);
		break;
	case 138: /* inotify_init: flags */
		BEGIN(1);
		push_u8(s, nr == 253 ? 0 : a[0]);
		break;
	case 144: /* prlimit: pid, resource */
		BEGIN(2);
		push_i64(s, (__s32)a[0]);
		push_u8(s, a[1]);
		break;
	case 140: case 142: /* getrlimit, setrlimit: resource */
		BEGIN(1);
		push_u8(s, a[0]);
		break;
	case 332: /* copy_file_range: fdin, offin, len */
		BEGIN(3);
		push_fd(s, a[0]);
		push_u64(s, read_user_s64(a[1], 0));
		push_u64(s, a[4]);
		break;
	case 166: /* splice: fd_in, fd_out, size, flags */
		BEGIN(4);
		push_fd(s, a[0]);
		push_fd(s, a[2]);
		push_u64(s, a[4]);
		push_u32(s, a[5]);
		break;
	case 298: /* seccomp: op */
		BEGIN(1);
		push_u64(s, a[0]);
		break;
	default: /* events whose enter has no parameters */
		fix_none(ev, tid);
		return;
	}
#undef BEGIN
	ev_submit(s);
}

/* ------------------------------------------------------------------- exit */

/* The kernel clone flags a new thread certainly had, from what its task
 * shares with its group leader: the only source that cannot change under us
 * in the child. (CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM.) */
static __always_inline __u64 thread_clone_flags(struct task_struct *t)
{
	__u64 f = 0x00010000 | 0x00000800 | 0x00000100; /* THREAD SIGHAND VM */
	struct task_struct *leader = t->group_leader;
	if (t->files == leader->files)
		f |= 0x00000400; /* CLONE_FILES */
	if (t->fs == leader->fs)
		f |= 0x00000200; /* CLONE_FS */
	if (t->clear_child_tid)
		f |= 0x00200000; /* CLONE_CHILD_CLEARTID */
	return f;
}

static __always_inline void push_clone_tail(struct scratch *s, struct task_struct *t, __u32 nr, const __u64 *a, long ret)
{
	__u32 flags = 0;
	if (nr == NR_clone)
		flags = ppm_clone_flags(a[0]);
	else if (nr == NR_clone3 && ret == 0 && t->pid != t->tgid)
		/* A new thread's clone3 returns while its creator runs on: the
		 * clone_args the creator passed (on its stack, in memory the
		 * thread shares) are often overwritten by then, and reading
		 * them gave flags without CLONE_THREAD for ~12% of new threads
		 * and impossible bits for most. A forked or vforked child reads
		 * its own copy of that memory, or its parent waits. */
		flags = ppm_clone_flags(thread_clone_flags(t));
	else if (nr == NR_clone3)
		flags = ppm_clone_flags(read_user_s64(a[0], 0));
	else if (nr == NR_vfork)
		flags = ppm_clone_flags(0x00000100 | 0x00004000);
	push_u32(s, flags);
	const struct cred *cred = t->cred;
	push_u32(s, cred->euid.val);
	push_u32(s, cred->egid.val);
	push_i64(s, task_vnr(t, 0));
	push_i64(s, task_vnr(t, 1));
}

static __always_inline void fill_exit(struct task_struct *t, __u16 ev, __u32 nr, const __u64 *a, __s64 ret, __u64 tid)
{
	struct scratch *s;
	__u16 xev = ev + 1;
#define BEGIN(n)                          \
	s = ev_begin(xev, n, tid);            \
	if (!s)                               \
		return;
	switch (ev) {
	case 2: /* open: fd, name, flags, mode, dev */
		BEGIN(5);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_u32(s, ppm_open_flags(a[1]));
		push_u32(s, ppm_open_mode(a[1], a[2]));
		push_u32(s, ret >= 0 ? fd_dev(t, ret) : 0);
		break;
	case 306: /* openat: fd, dirfd, name, flags, mode, dev */
		BEGIN(6);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, ppm_open_flags(a[2]));
		push_u32(s, ppm_open_mode(a[2], a[3]));
		push_u32(s, ret >= 0 ? fd_dev(t, ret) : 0);
		break;
	case 326: { /* openat2: fd, dirfd, name, flags, mode, resolve */
		struct { __u64 flags, mode, resolve; } how = {};
		BEGIN(6);
		bpf_probe_read_user(&how, sizeof(how), (void *)a[2]);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, ppm_open_flags(how.flags));
		push_u32(s, ppm_open_mode(how.flags, how.mode));
		push_u32(s, how.resolve);
		break;
	}
	case 58: /* creat: fd, name, mode, dev */
		BEGIN(4);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_u32(s, a[1] & 07777);
		push_u32(s, ret >= 0 ? fd_dev(t, ret) : 0);
		break;
	case 6: case 8: case 112: case 114: /* read, write, pread, pwrite: res, data */
		BEGIN(2);
		push_i64(s, ret);
		if (ret > 0)
			push_ubytes(s, (void *)a[1], ret, snaplen());
		else
			push_empty(s);
		break;
	case 30: /* sendto: res, data */
		BEGIN(2);
		push_i64(s, ret);
		if (ret > 0)
			push_ubytes(s, (void *)a[1], ret, snaplen());
		else
			push_empty(s);
		break;
	case 34: /* recvfrom: res, data, tuple */
		BEGIN(3);
		push_i64(s, ret);
		if (ret > 0)
			push_ubytes(s, (void *)a[1], ret, snaplen());
		else
			push_empty(s);
		push_socktuple(s, t, (__s32)a[0], 1);
		break;
	case 116: case 120: /* readv, preadv: res, size, data */
		BEGIN(3);
		push_i64(s, ret);
		push_u32(s, ret > 0 ? ret : 0);
		push_iov(s, (void *)a[1], a[2], ret);
		break;
	case 118: case 122: /* writev, pwritev: res, data */
		BEGIN(2);
		push_i64(s, ret);
		push_iov(s, (void *)a[1], a[2], ret);
		break;
	case 48: case 52: { /* sendmsg: res, data | recvmsg: res, size, data, tuple */
		struct { __u64 name; __u32 namelen; __u32 pad; __u64 iov; __u64 iovlen; } mh = {};
		bpf_probe_read_user(&mh, sizeof(mh), (void *)a[1]);
		if (ev == 48) {
			BEGIN(2);
			push_i64(s, ret);
			push_iov(s, (void *)mh.iov, mh.iovlen, ret);
		} else {
			BEGIN(4);
			push_i64(s, ret);
			push_u32(s, ret > 0 ? ret : 0);
			push_iov(s, (void *)mh.iov, mh.iovlen, ret);
			push_socktuple(s, t, (__s32)a[0], 1);
		}
		break;
	}
	case 188: /* sendfile: res, offset */
		BEGIN(2);
		push_i64(s, ret);
		push_u64(s, read_user_s64(a[2], 0));
		break;
	case 60: { /* pipe: res, fd1, fd2, ino */
		__s32 fds[2] = {-1, -1};
		BEGIN(4);
		bpf_probe_read_user(fds, sizeof(fds), (void *)a[0]);
		push_i64(s, ret);
		push_i64(s, fds[0]);
		push_i64(s, fds[1]);
		struct file *f = ret == 0 ? fd_file(t, fds[0]) : 0;
		push_u64(s, f ? BPF_CORE_READ(f, f_inode, i_ino) : 0);
		break;
	}
	case 42: { /* socketpair: res, fd1, fd2, source, peer */
		__s32 fds[2] = {-1, -1};
		BEGIN(5);
		bpf_probe_read_user(fds, sizeof(fds), (void *)a[3]);
		push_i64(s, ret);
		push_i64(s, fds[0]);
		push_i64(s, fds[1]);
		struct sock *sk = ret == 0 ? fd_sock(t, fds[0]) : 0;
		struct sock *peer = 0;
		if (sk && a[0] == K_AF_UNIX)
			peer = BPF_CORE_READ((struct unix_sock *)sk, peer);
		push_u64(s, (__u64)sk);
		push_u64(s, (__u64)peer);
		break;
	}
	case 22: /* connect: res, tuple */
		BEGIN(2);
		push_i64(s, ret);
		if (ret == 0 || ret == -115 /* EINPROGRESS */)
			push_socktuple(s, t, (__s32)a[0], 0);
		else
			push_empty(s);
		break;
	case 246: case 248: { /* accept, accept4: fd, tuple, queuepct, queuelen, queuemax */
		BEGIN(5);
		push_i64(s, ret);
		if (ret >= 0)
			push_socktuple(s, t, ret, 1);
		else
			push_empty(s);
		struct sock *lsk = fd_sock(t, (__s32)a[0]);
		__u32 qlen = 0, qmax = 0;
		if (lsk) {
			qlen = BPF_CORE_READ(lsk, sk_ack_backlog);
			qmax = BPF_CORE_READ(lsk, sk_max_ack_backlog);
		}
		push_u8(s, qmax ? (__u8)((qlen * 100) / qmax) : 0);
		push_u32(s, qlen);
		push_u32(s, qmax);
		break;
	}
	case 20: /* bind: res, addr */
		BEGIN(2);
		push_i64(s, ret);
		push_usockaddr(s, (void *)a[1], a[2]);
		break;
	case 38: case 40: /* getsockname, getpeername: no params */
		BEGIN(0);
		break;
	case 292: case 330: { /* execve, execveat */
		BEGIN(20);
		push_i64(s, ret);
		push_proc_common(s, t);
		struct mm_struct *mm = t->mm;
		__u64 env_start = 0, env_end = 0;
		if (mm) {
			env_start = mm->env_start;
			env_end = mm->env_end;
		}
		push_ubytes(s, (void *)env_start, env_end > env_start ? env_end - env_start : 0, MAX_STR);
		push_u32(s, task_tty(t));
		push_i64(s, task_pgid(t));
		push_u32(s, t->loginuid.val);
		push_u32(s, 0); /* exe flags */
		break;
	}
	case 222: case 224: case 226: case 334: /* clone, fork, vfork, clone3 */
		BEGIN(20);
		push_i64(s, ret);
		push_proc_common(s, t);
		push_clone_tail(s, t, nr, a, ret);
		break;
	case 300: case 278: case 94: case 266: /* unlink, rmdir, chdir, chroot: res, path */
		BEGIN(2);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		break;
	case 276: case 264: case 66: case 68: /* mkdir, access, stat, lstat: res, path */
		BEGIN(2);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		break;
	case 92: /* getcwd: res, path */
		BEGIN(2);
		push_i64(s, ret);
		if (ret > 0)
			push_ustr(s, (void *)a[0]);
		else
			push_empty_str(s);
		break;
	case 302: /* unlinkat: res, dirfd, name, flags */
		BEGIN(4);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, a[2] & 0x200);
		break;
	case 174: case 308: case 178: /* rename, link: res, old, new | symlink: res, target, linkpath */
		BEGIN(3);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_ustr(s, (void *)a[1]);
		break;
	case 176: case 318: case 310: /* renameat, renameat2, linkat */
		BEGIN(ev == 176 ? 5 : 6);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_fd(s, a[2]);
		push_ustr(s, (void *)a[3]);
		if (ev == 318)
			push_u32(s, a[4] & 7);
		else if (ev == 310)
			push_u32(s, a[4] & (0x400 | 0x1000));
		break;
	case 304: /* mkdirat: res, dirfd, path, mode */
		BEGIN(4);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, a[2]);
		break;
	case 314: /* chmod: res, filename, mode */
		BEGIN(3);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_u32(s, a[1] & 07777);
		break;
	case 312: /* fchmodat: res, dirfd, filename, mode */
		BEGIN(4);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_ustr(s, (void *)a[1]);
		push_u32(s, a[2] & 07777);
		break;
	case 316: /* fchmod: res, fd, mode */
		BEGIN(3);
		push_i64(s, ret);
		push_fd(s, a[0]);
		push_u32(s, a[1] & 07777);
		break;
	case 180: /* symlinkat: res, target, linkdirfd, linkpath */
		BEGIN(4);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_fd(s, a[1]);
		push_ustr(s, (void *)a[2]);
		break;
	case 168: /* ptrace: res, addr, data (dynamic: index 0 = u64) */
		BEGIN(3);
		push_i64(s, ret);
		{
			__u32 off = s->off;
			if (off <= MAX_EVENT) {
				__u8 *p = bufp(s, off);
				p[0] = 0;
				__builtin_memcpy(p + 1, &a[2], 8);
				p[9] = 0;
				__builtin_memcpy(p + 10, &a[3], 8);
				s->off = off + 18;
				set_len(s, 9);
				set_len(s, 9);
			}
		}
		break;
	case 160: case 164: case 158: /* mmap, munmap, brk: res, vm_size, vm_rss, vm_swap */
		BEGIN(4);
		push_i64(s, ret);
		push_vm(s, t);
		break;
	case 256: /* mount: res, dev, dir, type */
		BEGIN(4);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		push_ustr(s, (void *)a[1]);
		push_ustr(s, (void *)a[2]);
		break;
	case 258: /* umount: res, name */
		BEGIN(2);
		push_i64(s, ret);
		push_ustr(s, (void *)a[0]);
		break;
	case 296: { /* bpf: res_or_fd (dynamic: 0 = fd, 1 = res) */
		BEGIN(1);
		__u32 off = s->off;
		if (off <= MAX_EVENT) {
			__u8 *p = bufp(s, off);
			__u32 cmd = a[0];
			p[0] = (ret >= 0 && (cmd == 0 || cmd == 5)) ? 0 : 1;
			__builtin_memcpy(p + 1, &ret, 8);
			s->off = off + 9;
			set_len(s, 9);
		}
		break;
	}
	case 80: /* poll: res, fds */
		BEGIN(2);
		push_i64(s, ret);
		push_fdlist(s, (void *)a[0], a[1], 1);
		break;
	case 144: /* prlimit: res, newcur, newmax, oldcur, oldmax */
		BEGIN(5);
		push_i64(s, ret);
		push_i64(s, read_user_s64(a[2], -1));
		push_i64(s, read_user_s64(a[2] ? a[2] + 8 : 0, -1));
		push_i64(s, ret == 0 ? read_user_s64(a[3], -1) : -1);
		push_i64(s, ret == 0 ? read_user_s64(a[3] ? a[3] + 8 : 0, -1) : -1);
		break;
	case 140: case 142: /* getrlimit, setrlimit: res, cur, max */
		BEGIN(3);
		push_i64(s, ret);
		push_i64(s, read_user_s64(a[1], -1));
		push_i64(s, read_user_s64(a[1] ? a[1] + 8 : 0, -1));
		break;
	case 320: /* userfaultfd: res, flags */
		BEGIN(2);
		push_i64(s, ret);
		push_u32(s, a[0]);
		break;
	case 332: /* copy_file_range: res, fdout, offout */
		BEGIN(3);
		push_i64(s, ret);
		push_fd(s, a[2]);
		push_u64(s, read_user_s64(a[3], 0));
		break;
	case 202: case 204: case 206: case 208: /* getuid, geteuid, getgid, getegid: UID/GID */
		BEGIN(1);
		push_u32(s, ret);
		break;
	default: /* every other exit event carries just the return value */
		fix_i64(xev, tid, ret);
		return;
	}
#undef BEGIN
	ev_submit(s);
}

/* --------------------------------------------------------------- programs */

/* The thread id of task `t` (the current one), or 0 when its syscalls are
 * not captured: syspect itself and 32-bit compat tasks. pid and tgid are
 * read from the task, not through more helper calls. */
static __always_inline __u64 captured_tid(struct task_struct *t)
{
	if ((__u32)t->tgid == cfg_self_tgid)
		return 0;
	if (t->thread_info.status & TS_COMPAT)
		return 0;
	return (__u32)t->pid;
}

#define READ_ARGS(a, regs)      \
	a[0] = regs->di;            \
	a[1] = regs->si;            \
	a[2] = regs->dx;            \
	a[3] = regs->r10;           \
	a[4] = regs->r8;            \
	a[5] = regs->r9;

SEC("tp_btf/sys_enter")
int BPF_PROG(sys_enter, struct pt_regs *regs, long id)
{
	if (cfg_attach_only)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 tid = captured_tid(t);
	if (!tid)
		return 0;
	if (id < 0 || id >= SC_TABLE_SIZE)
		return 0;
	__u32 nr = id;
	__u16 ev = sc_table[nr].enter_event;
	if (ev == 0) {
		fix_u16_u16(PPME_GENERIC_E, tid, sc_table[nr].ppm_sc, nr);
		return 0;
	}
	__u64 a[6];
	READ_ARGS(a, regs);
	fill_enter(ev, nr, a, tid);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(sys_exit, struct pt_regs *regs, long ret)
{
	if (cfg_attach_only)
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 tid = captured_tid(t);
	if (!tid)
		return 0;
	long id = regs->orig_ax;
	if (id < 0 || id >= SC_TABLE_SIZE)
		return 0;
	__u32 nr = id;
	__u16 ev = sc_table[nr].enter_event;
	if (ev == 0) {
		fix_u16(PPME_GENERIC_X, tid, sc_table[nr].ppm_sc);
		return 0;
	}
	__u64 a[6];
	READ_ARGS(a, regs);
	fill_exit(t, ev, nr, a, ret, tid);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(sched_process_exit, struct task_struct *p)
{
	if (cfg_attach_only)
		return 0;
	__u64 pt = bpf_get_current_pid_tgid();
	if ((__u32)(pt >> 32) == cfg_self_tgid)
		return 0;
	struct scratch *s = ev_begin(PPME_PROCEXIT_1_E, 4, (__u32)pt);
	if (!s)
		return 0;
	__s32 code = p->exit_code;
	__u8 sig = code & 0x7f;
	push_i64(s, code);
	push_i64(s, sig ? 0 : (code >> 8) & 0xff);
	push_u8(s, sig);
	push_u8(s, (code & 0x80) ? 1 : 0);
	ev_submit(s);
	return 0;
}
