/* libscap (PPM) constants and kernel -> PPM flag conversions used by the
 * probe. Values follow falcosecurity/libs ppm_events_public.h and the flag
 * tables in assets/event-table.json. */
#pragma once

#define PPME_GENERIC_E 0
#define PPME_GENERIC_X 1
#define PPME_PROCEXIT_1_E 186

#define PPM_AF_UNSPEC 0
#define PPM_AF_UNIX 1
#define PPM_AF_INET 2
#define PPM_AF_INET6 10

#define K_AF_UNIX 1
#define K_AF_INET 2
#define K_AF_INET6 10

/* ---- open flags ---- */
static __always_inline __u32 ppm_open_flags(__u32 f)
{
	__u32 r = 0;
	switch (f & 3) {
	case 0: r = 1; break; /* O_RDONLY */
	case 1: r = 2; break; /* O_WRONLY */
	case 2: r = 3; break; /* O_RDWR */
	}
	if (f & 0100) r |= 1 << 2;        /* O_CREAT */
	if (f & 02000) r |= 1 << 3;       /* O_APPEND */
	if (f & 010000) r |= 1 << 4;      /* O_DSYNC */
	if (f & 0200) r |= 1 << 5;        /* O_EXCL */
	if (f & 04000) r |= 1 << 6;       /* O_NONBLOCK */
	if (f & 04000000) r |= 1 << 7;    /* __O_SYNC */
	if (f & 01000) r |= 1 << 8;       /* O_TRUNC */
	if (f & 040000) r |= 1 << 9;      /* O_DIRECT */
	if (f & 0200000) r |= 1 << 10;    /* O_DIRECTORY */
	if (f & 0100000) r |= 1 << 11;    /* O_LARGEFILE */
	if (f & 02000000) r |= 1 << 12;   /* O_CLOEXEC */
	if (f & 020000000) r |= 1 << 13;  /* __O_TMPFILE */
	return r;
}

/* Mode is only meaningful when a file may be created; PPM_S_* bits equal
 * the kernel's permission bits. */
static __always_inline __u32 ppm_open_mode(__u32 flags, __u32 mode)
{
	if (flags & (0100 | 020000000))
		return mode & 07777;
	return 0;
}

/* ---- clone / unshare / setns flags ---- */
static __always_inline __u32 ppm_clone_flags(__u64 f)
{
	__u32 r = 0;
	if (f & 0x00000400) r |= 1 << 0;  /* CLONE_FILES */
	if (f & 0x00000200) r |= 1 << 1;  /* CLONE_FS */
	if (f & 0x80000000) r |= 1 << 2;  /* CLONE_IO */
	if (f & 0x08000000) r |= 1 << 3;  /* CLONE_NEWIPC */
	if (f & 0x40000000) r |= 1 << 4;  /* CLONE_NEWNET */
	if (f & 0x00020000) r |= 1 << 5;  /* CLONE_NEWNS */
	if (f & 0x20000000) r |= 1 << 6;  /* CLONE_NEWPID */
	if (f & 0x04000000) r |= 1 << 7;  /* CLONE_NEWUTS */
	if (f & 0x00008000) r |= 1 << 8;  /* CLONE_PARENT */
	if (f & 0x00100000) r |= 1 << 9;  /* CLONE_PARENT_SETTID */
	if (f & 0x00002000) r |= 1 << 10; /* CLONE_PTRACE */
	if (f & 0x00000800) r |= 1 << 11; /* CLONE_SIGHAND */
	if (f & 0x00040000) r |= 1 << 12; /* CLONE_SYSVSEM */
	if (f & 0x00010000) r |= 1 << 13; /* CLONE_THREAD */
	if (f & 0x00800000) r |= 1 << 14; /* CLONE_UNTRACED */
	if (f & 0x00000100) r |= 1 << 15; /* CLONE_VM */
	if (f & 0x10000000) r |= 1 << 20; /* CLONE_NEWUSER */
	if (f & 0x00200000) r |= 1 << 23; /* CLONE_CHILD_CLEARTID */
	if (f & 0x01000000) r |= 1 << 24; /* CLONE_CHILD_SETTID */
	if (f & 0x00080000) r |= 1 << 25; /* CLONE_SETTLS */
	if (f & 0x00004000) r |= 1 << 27; /* CLONE_VFORK */
	if (f & 0x02000000) r |= 1 << 28; /* CLONE_NEWCGROUP */
	return r;
}

/* ---- mmap / mprotect ---- */
static __always_inline __u32 ppm_prot_flags(__u64 p)
{
	__u32 r = p & 0xf; /* READ WRITE EXEC SEM keep their values */
	if (p & 0x01000000) r |= 1 << 4; /* PROT_GROWSDOWN */
	if (p & 0x02000000) r |= 1 << 5; /* PROT_GROWSUP */
	return r;
}

static __always_inline __u32 ppm_mmap_flags(__u64 f)
{
	__u32 r = 0;
	if (f & 0x01) r |= 1 << 0;     /* MAP_SHARED */
	if (f & 0x02) r |= 1 << 1;     /* MAP_PRIVATE */
	if (f & 0x10) r |= 1 << 2;     /* MAP_FIXED */
	if (f & 0x20) r |= 1 << 3;     /* MAP_ANONYMOUS */
	if (f & 0x40) r |= 1 << 4;     /* MAP_32BIT */
	if (f & 0x4000) r |= 1 << 6;   /* MAP_NORESERVE */
	if (f & 0x8000) r |= 1 << 7;   /* MAP_POPULATE */
	if (f & 0x10000) r |= 1 << 8;  /* MAP_NONBLOCK */
	if (f & 0x0100) r |= 1 << 9;   /* MAP_GROWSDOWN */
	if (f & 0x0800) r |= 1 << 10;  /* MAP_DENYWRITE */
	if (f & 0x1000) r |= 1 << 11;  /* MAP_EXECUTABLE */
	if (f & 0x2000) r |= 1 << 14;  /* MAP_LOCKED */
	return r;
}

/* ---- poll events ---- */
static __always_inline __u16 ppm_poll_flags(__u16 e)
{
	__u16 r = e & 0x7;             /* POLLIN PRI OUT */
	if (e & 0x2000) r |= 1 << 3;   /* POLLRDHUP */
	if (e & 0x0008) r |= 1 << 4;   /* POLLERR */
	if (e & 0x0010) r |= 1 << 5;   /* POLLHUP */
	if (e & 0x0020) r |= 1 << 6;   /* POLLNVAL */
	if (e & 0x0040) r |= 1 << 7;   /* POLLRDNORM */
	if (e & 0x0080) r |= 1 << 8;   /* POLLRDBAND */
	if (e & 0x0100) r |= 1 << 9;   /* POLLWRNORM */
	if (e & 0x0200) r |= 1 << 10;  /* POLLWRBAND */
	return r;
}

/* ---- fcntl commands ---- */
static __always_inline __u8 ppm_fcntl_cmd(__u64 c)
{
	switch (c) {
	case 0: return 1;     /* F_DUPFD */
	case 1: return 2;     /* F_GETFD */
	case 2: return 3;     /* F_SETFD */
	case 3: return 4;     /* F_GETFL */
	case 4: return 5;     /* F_SETFL */
	case 5: return 6;     /* F_GETLK */
	case 6: return 8;     /* F_SETLK */
	case 7: return 9;     /* F_SETLKW */
	case 8: return 10;    /* F_SETOWN */
	case 9: return 12;    /* F_GETOWN */
	case 10: return 13;   /* F_SETSIG */
	case 11: return 15;   /* F_GETSIG */
	case 15: return 21;   /* F_SETOWN_EX */
	case 16: return 22;   /* F_GETOWN_EX */
	case 36: return 30;   /* F_OFD_GETLK */
	case 37: return 31;   /* F_OFD_SETLK */
	case 38: return 32;   /* F_OFD_SETLKW */
	case 1024: return 23; /* F_SETLEASE */
	case 1025: return 24; /* F_GETLEASE */
	case 1026: return 27; /* F_NOTIFY */
	case 1029: return 25; /* F_CANCELLK */
	case 1030: return 26; /* F_DUPFD_CLOEXEC */
	case 1031: return 28; /* F_SETPIPE_SZ */
	case 1032: return 29; /* F_GETPIPE_SZ */
	}
	return 0;
}

/* ---- ptrace requests ---- */
static __always_inline __u16 ppm_ptrace_req(__u64 r)
{
	if (r <= 9)
		return r + 1; /* TRACEME..SINGLESTEP */
	switch (r) {
	case 12: return 26; case 13: return 27; case 14: return 28;
	case 15: return 29; case 16: return 11; case 17: return 12;
	case 18: return 30; case 19: return 31; case 24: return 13;
	case 25: return 33; case 26: return 34; case 30: return 35;
	case 31: return 36; case 32: return 37; case 33: return 38;
	case 0x4200: return 14; case 0x4201: return 15; case 0x4202: return 16;
	case 0x4203: return 17; case 0x4204: return 18; case 0x4205: return 19;
	case 0x4206: return 20; case 0x4207: return 21; case 0x4208: return 22;
	case 0x4209: return 23; case 0x420a: return 24; case 0x420b: return 25;
	}
	return 0;
}

/* ---- execveat flags ---- */
static __always_inline __u32 ppm_execveat_flags(__u64 f)
{
	__u32 r = 0;
	if (f & 0x1000) r |= 1; /* AT_EMPTY_PATH */
	if (f & 0x100) r |= 2;  /* AT_SYMLINK_NOFOLLOW */
	return r;
}

/* ---- mount flags: drop the legacy magic in the high half ---- */
static __always_inline __u32 ppm_mount_flags(__u64 f)
{
	if ((f & 0xffff0000) == 0xC0ED0000)
		f &= 0xffff;
	return (__u32)f;
}

/* new_encode_dev() as userspace (and libscap) expects */
static __always_inline __u32 ppm_encode_dev(__u32 kdev)
{
	__u32 major = kdev >> 20, minor = kdev & ((1U << 20) - 1);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}
