/* Reading kernel state (task, files, sockets, mm) through CO-RE. */
#pragma once

#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define RLIMIT_NOFILE 7
#define PIDTYPE_PGID 2
#define MM_FILEPAGES 0
#define MM_ANONPAGES 1
#define MM_SWAPENTS 2
#define MM_SHMEMPAGES 3
#define SKC_HEAD 24

/* The task's fd table (direct loads), with its files_struct in *files;
 * 0 when either is missing. */
static __always_inline struct fdtable *task_fdt(struct task_struct *t, struct files_struct **files)
{
	*files = t->files;
	if (!*files)
		return 0;
	return (*files)->fdt;
}

/* `t` is a BTF pointer (bpf_get_current_task_btf, a tp_btf argument): the
 * walk down to the fd array is done with direct loads, which the verifier
 * turns into PROBE_MEM loads (no helper call, faults read as 0). `fdt->fd`
 * is a pointer to pointers, i.e. a scalar for the verifier, so the array
 * element (a variable index) still needs one bpf_probe_read_kernel. */
static __always_inline struct file *fd_file(struct task_struct *t, __s64 fd)
{
	if (fd < 0)
		return 0;
	struct files_struct *files;
	struct fdtable *fdt = task_fdt(t, &files);
	if (!fdt)
		return 0;
	if ((__u64)fd >= fdt->max_fds)
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline struct sock *file_sock(struct file *f)
{
	if (!f)
		return 0;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(f, private_data);
	if (!sock)
		return 0;
	return BPF_CORE_READ(sock, sk);
}

static __always_inline __u32 file_dev(struct file *f)
{
	if (!f)
		return 0;
	return ppm_encode_dev(BPF_CORE_READ(f, f_inode, i_sb, s_dev));
}

#define NR_OPEN_DEFAULT 64

#define FD_BIT(b)              \
	if (i & (b)) {             \
		p += (b);              \
		BARRIER_VAR(p);        \
	}

/* The struct file of `fd` as a BTF pointer, read from files->fd_array while
 * the task's fd table is still the one embedded in files_struct (fd < 64 and
 * never expanded): *hit = 1 and the file (0 if the fd is not open) can be
 * followed with direct loads, no helper call. Otherwise *hit = 0 and the
 * caller goes through fd_file (one bpf_probe_read_kernel, then a scalar that
 * needs a helper call per read). The verifier accepts only constant offsets
 * into a BTF object, so the index is built from its six bits, one branch
 * each; the 64 paths merge again once the pointer is loaded. */
static __always_inline struct file *fd_array_file(struct task_struct *t, __s64 fd, int *hit)
{
	*hit = 0;
	if (fd < 0 || fd >= NR_OPEN_DEFAULT)
		return 0;
	struct files_struct *files;
	struct fdtable *fdt = task_fdt(t, &files);
	if (!fdt)
		return 0;
	struct file **p = files->fd_array;
	/* Compared through an opaque copy: otherwise clang, knowing the two
	 * equal, may index fdt->fd (a scalar for the verifier) instead of p. */
	__u64 pa = (__u64)p;
	BARRIER_VAR(pa);
	if ((__u64)fdt->fd != pa)
		return 0;
	__u32 i = fd;
	FD_BIT(32);
	FD_BIT(16);
	FD_BIT(8);
	FD_BIT(4);
	FD_BIT(2);
	FD_BIT(1);
	*hit = 1;
	return *p;
}

/* `dev` of the file behind `fd` (the open family's exit): about 100 ns less
 * than fd_file + file_dev (four bpf_probe_read_kernel calls) when
 * fd_array_file hits. */
static __always_inline __u32 fd_dev(struct task_struct *t, __s64 fd)
{
	int hit;
	struct file *f = fd_array_file(t, fd, &hit);
	if (!hit)
		return file_dev(fd_file(t, fd));
	if (!f)
		return 0;
	return ppm_encode_dev(f->f_inode->i_sb->s_dev);
}

/* The socket behind `fd`, or 0: file_sock(fd_file(t, fd)) with one helper
 * call instead of five when fd_array_file hits (`private_data` is a void
 * pointer, a scalar for the verifier, so socket->sk is still read with one). */
static __always_inline struct sock *fd_sock(struct task_struct *t, __s64 fd)
{
	int hit;
	struct file *f = fd_array_file(t, fd, &hit);
	if (!hit)
		return file_sock(fd_file(t, fd));
	if (!f)
		return 0;
	if ((f->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = f->private_data;
	if (!sock)
		return 0;
	return BPF_CORE_READ(sock, sk);
}

/* Writes a SOCKTUPLE for the socket behind `fd`. `inbound` puts the peer
 * first (accept, recv*), otherwise the local end first (connect, send*). */
static __always_inline void push_socktuple(struct scratch *s, struct task_struct *t, __s64 fd, int inbound)
{
	struct sock *sk = fd_sock(t, fd);
	__u32 off = s->off;
	if (!sk || off > MAX_EVENT) {
		push_empty(s);
		return;
	}
	/* The head of sock_common (addresses, ports, family) in one read
	 * instead of one helper call per field. The offsets are CO-RE
	 * relocated; the guard is a constant for the verifier. */
	__u8 head[SKC_HEAD] = {};
	__u32 o_daddr = bpf_core_field_offset(struct sock_common, skc_daddr);
	__u32 o_saddr = bpf_core_field_offset(struct sock_common, skc_rcv_saddr);
	__u32 o_dport = bpf_core_field_offset(struct sock_common, skc_dport);
	__u32 o_num = bpf_core_field_offset(struct sock_common, skc_num);
	__u32 o_family = bpf_core_field_offset(struct sock_common, skc_family);
	int one_read = o_daddr <= SKC_HEAD - 4 && o_saddr <= SKC_HEAD - 4 && o_dport <= SKC_HEAD - 2 &&
		       o_num <= SKC_HEAD - 2 && o_family <= SKC_HEAD - 2;
	__u16 family;
	if (one_read) {
		bpf_probe_read_kernel(head, sizeof(head), &sk->__sk_common);
		__builtin_memcpy(&family, head + o_family, 2);
	} else {
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
	}
	__u8 *p = bufp(s, off);
	if (family == K_AF_INET) {
		__u32 laddr, raddr;
		__u16 lport, rport;
		if (one_read) {
			__builtin_memcpy(&laddr, head + o_saddr, 4);
			__builtin_memcpy(&raddr, head + o_daddr, 4);
			__builtin_memcpy(&lport, head + o_num, 2);
			__builtin_memcpy(&rport, head + o_dport, 2);
		} else {
			laddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
			raddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
			lport = BPF_CORE_READ(sk, __sk_common.skc_num);
			rport = BPF_CORE_READ(sk, __sk_common.skc_dport);
		}
		rport = bpf_ntohs(rport);
		p[0] = PPM_AF_INET;
		if (inbound) {
			__builtin_memcpy(p + 1, &raddr, 4);
			__builtin_memcpy(p + 5, &rport, 2);
			__builtin_memcpy(p + 7, &laddr, 4);
			__builtin_memcpy(p + 11, &lport, 2);
		} else {
			__builtin_memcpy(p + 1, &laddr, 4);
			__builtin_memcpy(p + 5, &lport, 2);
			__builtin_memcpy(p + 7, &raddr, 4);
			__builtin_memcpy(p + 11, &rport, 2);
		}
		s->off = off + 13;
		set_len(s, 13);
	} else if (family == K_AF_INET6) {
		__u16 lport, rport;
		if (one_read) {
			__builtin_memcpy(&lport, head + o_num, 2);
			__builtin_memcpy(&rport, head + o_dport, 2);
		} else {
			lport = BPF_CORE_READ(sk, __sk_common.skc_num);
			rport = BPF_CORE_READ(sk, __sk_common.skc_dport);
		}
		rport = bpf_ntohs(rport);
		p[0] = PPM_AF_INET6;
		__u8 *first = p + 1, *second = p + 19;
		if (inbound) {
			first = p + 19;
			second = p + 1;
		}
		/* 16 bytes each (BPF_CORE_READ_INTO would copy sizeof(*first) = 1) */
		bpf_core_read(first, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(second, 16, &sk->__sk_common.skc_v6_daddr);
		if (inbound) {
			__builtin_memcpy(p + 17, &rport, 2);
			__builtin_memcpy(p + 35, &lport, 2);
		} else {
			__builtin_memcpy(p + 17, &lport, 2);
			__builtin_memcpy(p + 35, &rport, 2);
		}
		s->off = off + 37;
		set_len(s, 37);
	} else if (family == K_AF_UNIX) {
		struct unix_sock *us = (struct unix_sock *)sk;
		struct sock *peer = BPF_CORE_READ(us, peer);
		__u64 src = (__u64)sk, dst = (__u64)peer;
		p[0] = PPM_AF_UNIX;
		__builtin_memcpy(p + 1, &src, 8);
		__builtin_memcpy(p + 9, &dst, 8);
		/* path: the bound address of whichever end has one */
		struct unix_address *ua = BPF_CORE_READ(us, addr);
		if (!ua && peer)
			ua = BPF_CORE_READ((struct unix_sock *)peer, addr);
		long n = 0;
		if (ua) {
			/* name[] is a flexible array: no CO-RE array access on it */
			char *path = (char *)ua + bpf_core_field_offset(struct unix_address, name) + 2;
			n = bpf_probe_read_kernel_str(p + 17, 108, path);
		}
		if (n <= 0) {
			p[17] = 0;
			n = 1;
		}
		s->off = off + 17 + (__u32)n;
		set_len(s, 17 + (__u32)n);
	} else {
		push_empty(s);
	}
}

/* A user sockaddr converted to libscap's SOCKADDR encoding. */
static __always_inline void push_usockaddr(struct scratch *s, const void *uaddr, __u64 alen)
{
	__u32 off = s->off;
	__u16 family = 0;
	if (!uaddr || alen < 2 || off > MAX_EVENT || bpf_probe_read_user(&family, 2, uaddr) < 0) {
		push_empty(s);
		return;
	}
	__u8 *p = bufp(s, off);
	if (family == K_AF_INET) {
		struct sockaddr_in sin = {};
		bpf_probe_read_user(&sin, sizeof(sin), uaddr);
		__u16 port = bpf_ntohs(sin.sin_port);
		p[0] = PPM_AF_INET;
		__builtin_memcpy(p + 1, &sin.sin_addr.s_addr, 4);
		__builtin_memcpy(p + 5, &port, 2);
		s->off = off + 7;
		set_len(s, 7);
	} else if (family == K_AF_INET6) {
		struct sockaddr_in6 sin6 = {};
		bpf_probe_read_user(&sin6, sizeof(sin6), uaddr);
		__u16 port = bpf_ntohs(sin6.sin6_port);
		p[0] = PPM_AF_INET6;
		__builtin_memcpy(p + 1, &sin6.sin6_addr, 16);
		__builtin_memcpy(p + 17, &port, 2);
		s->off = off + 19;
		set_len(s, 19);
	} else if (family == K_AF_UNIX) {
		p[0] = PPM_AF_UNIX;
		long n = bpf_probe_read_user_str(p + 1, 108, (const char *)uaddr + 2);
		if (n <= 0) {
			p[1] = 0;
			n = 1;
		}
		s->off = off + 1 + (__u32)n;
		set_len(s, 1 + (__u32)n);
	} else {
		p[0] = (__u8)family;
		s->off = off + 1;
		set_len(s, 1);
	}
}

/* numbers[] is a flexible array of struct upid { int nr; ... } */
static __always_inline int pid_nr_at(struct pid *pid, unsigned int level)
{
	int nr = 0;
	const char *base = (const char *)pid + bpf_core_field_offset(struct pid, numbers);
	bpf_probe_read_kernel(&nr, sizeof(nr), base + (level & 31) * bpf_core_type_size(struct upid));
	return nr;
}

static __always_inline __u64 task_vnr(struct task_struct *t, int group)
{
	struct pid *pid = group ? t->group_leader->thread_pid : t->thread_pid;
	if (!pid)
		return 0;
	return pid_nr_at(pid, pid->level);
}

static __always_inline __s64 rss_count(struct mm_struct *mm, int i)
{
	__s64 v = mm->rss_stat[i & 3].count;
	return v < 0 ? 0 : v;
}

/* vm_size, vm_rss, vm_swap in KiB (4 KiB pages) */
static __always_inline void push_vm(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	__u32 size = 0, rss = 0, swap = 0;
	if (mm) {
		size = mm->total_vm << 2;
		rss = (rss_count(mm, MM_FILEPAGES) + rss_count(mm, MM_ANONPAGES) + rss_count(mm, MM_SHMEMPAGES)) << 2;
		swap = rss_count(mm, MM_SWAPENTS) << 2;
	}
	push_u32(s, size);
	push_u32(s, rss);
	push_u32(s, swap);
}

/* The parameters execve/clone exit events share:
 * exe, args, tid, pid, ptid, cwd, fdlimit, pgft_maj, pgft_min,
 * vm_size, vm_rss, vm_swap, comm, cgroups */
static __always_inline void push_proc_common(struct scratch *s, struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	__u64 arg_start = 0, arg_end = 0;
	if (mm) {
		arg_start = mm->arg_start;
		arg_end = mm->arg_end;
	}
	/* exe = argv[0], args = the rest (NUL separated) */
	__u32 before = s->off;
	push_ustr(s, (const void *)arg_start);
	__u32 exe_len = s->off - before;
	__u64 total = arg_end > arg_start ? arg_end - arg_start : 0;
	if (exe_len && total > exe_len)
		push_ubytes(s, (const void *)(arg_start + exe_len), total - exe_len, MAX_STR);
	else
		push_empty(s);
	push_i64(s, t->pid);
	push_i64(s, t->tgid);
	push_i64(s, t->real_parent->pid);
	push_empty_str(s); /* cwd: resolved by the consumer from chdir/procfs */
	push_i64(s, t->signal->rlim[RLIMIT_NOFILE].rlim_cur);
	push_u64(s, t->maj_flt);
	push_u64(s, t->min_flt);
	push_vm(s, t);
	push_kstr(s, &t->comm);
	push_empty(s); /* cgroups: not collected yet */
}

static __always_inline __u32 task_tty(struct task_struct *t)
{
	struct tty_struct *tty = t->signal->tty;
	if (!tty)
		return 0;
	struct tty_driver *drv = tty->driver;
	if (!drv)
		return 0;
	int major = drv->major;
	int minor = drv->minor_start + tty->index;
	return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
}

static __always_inline __u64 task_pgid(struct task_struct *t)
{
	struct pid *p = t->signal->pids[PIDTYPE_PGID];
	if (!p)
		return 0;
	return pid_nr_at(p, 0);
}
