/* Building one libscap v2 event in a per-CPU scratch buffer and sending it
 * to the ring buffer as one record:
 *
 *   [0..2)   u16 cpu
 *   [2..4)   u16 magic  (REC_MAGIC)
 *   [4..8)   u32 reserved (0)
 *   [8..34)  ppm_evt_hdr v2: u64 ts, u64 tid, u32 len, u16 type, u32 nparams
 *   [34..)   nparams x u16 lengths, then the parameter values
 */
#pragma once

#define REC_MAGIC 0x5053 /* "SP" little endian */
#define REC_PREFIX 8
#define HDR_V2 26
#define MAX_PARAMS 24
#define LENS_OFF (REC_PREFIX + HDR_V2)

/* Offsets stay below HALF; every single write is at most HALF bytes, so a
 * write at (off & (HALF-1)) always fits in the 2*HALF buffer. */
#define HALF 32768
#define HALF_MASK (HALF - 1)
#define MAX_STR 4096
#define MAX_SNAPLEN 16384
#define MAX_EVENT (HALF - 512)

struct scratch {
	__u8 buf[2 * HALF];
	__u32 off;
	__u32 idx;
	__u32 nparams;
	__u32 snaplen;
};

struct counters {
	__u64 drops;
	__u64 sent;
};

const volatile __u32 cfg_snaplen = 80;
const volatile __u32 cfg_self_tgid = 0;
const volatile __u64 cfg_boot_offset = 0;
const volatile __u32 cfg_wakeup_every = 256;
const volatile __u64 cfg_wakeup_bytes = 8 << 20;
/* Benchmarks only: the programs return at once (the attachment's own cost). */
const volatile __u32 cfg_attach_only = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} counters SEC(".maps");

/* Hides a value from clang so that a following mask is kept: the verifier
 * then sees the bound on the very register used for the access. */
#define BARRIER_VAR(x) asm volatile("" : "+r"(x))

static __always_inline __u8 *bufp(struct scratch *s, __u32 off)
{
	BARRIER_VAR(off);
	return &s->buf[off & HALF_MASK];
}

static __always_inline struct scratch *ev_begin(__u16 type, __u32 nparams, __u64 tid)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &cpu);
	if (!s)
		return 0;
	if (nparams > MAX_PARAMS)
		nparams = MAX_PARAMS;
	*(__u16 *)&s->buf[0] = (__u16)cpu;
	*(__u16 *)&s->buf[2] = REC_MAGIC;
	*(__u32 *)&s->buf[4] = 0;
	*(__u64 *)&s->buf[8] = bpf_ktime_get_boot_ns() + cfg_boot_offset;
	*(__u64 *)&s->buf[16] = tid;
	*(__u16 *)&s->buf[28] = type;
	*(__u32 *)&s->buf[30] = nparams;
	s->nparams = nparams;
	s->idx = 0;
	s->off = LENS_OFF + nparams * 2;
	return s;
}

static __always_inline void set_len(struct scratch *s, __u32 len)
{
	__u32 i = s->idx;
	if (i >= MAX_PARAMS)
		return;
	BARRIER_VAR(i);
	i &= 31;
	*(__u16 *)&s->buf[LENS_OFF + i * 2] = (__u16)len;
	s->idx = i + 1;
}

#define DEFINE_PUSH(name, type)                                  \
	static __always_inline void name(struct scratch *s, type v) \
	{                                                           \
		__u32 off = s->off;                                     \
		if (off > MAX_EVENT) {                                  \
			set_len(s, 0);                                      \
			return;                                             \
		}                                                       \
		*(type *)bufp(s, off) = v;                  \
		s->off = off + sizeof(type);                            \
		set_len(s, sizeof(type));                               \
	}
DEFINE_PUSH(push_u8, __u8)
DEFINE_PUSH(push_u16, __u16)
DEFINE_PUSH(push_u32, __u32)
DEFINE_PUSH(push_u64, __u64)

#define push_i64(s, v) push_u64(s, (__u64)(__s64)(v))
#define push_i32(s, v) push_u32(s, (__u32)(__s32)(v))

static __always_inline void push_empty(struct scratch *s)
{
	set_len(s, 0);
}

/* An empty string parameter that is not a path: one NUL, as libscap writes
 * it. sysdig 0.29.3 reads a zero-length string parameter as a C string, past
 * its end (an empty `cwd=` printed the next parameter's bytes). (A path that
 * could not be read stays zero-length: sysdig shows it empty, where it would
 * show an empty path as the cwd.) */
static __always_inline void push_empty_str(struct scratch *s)
{
	push_u8(s, 0);
}

/* Small user reads go through a stack buffer in a separate BPF function.
 * bpf_probe_read_user runs the hardened-usercopy check on its destination:
 * a map value (vmalloc) costs an is_vmalloc_addr and a virt_addr_valid call,
 * while a destination on the kernel task stack returns at the stack test.
 * The programs' own frames are large, so the kernel gives them the per-CPU
 * private BPF stack (also not the task stack); a subprogram whose frame stays
 * under BPF_PRIV_STACK_MIN_SIZE (64 bytes) runs on the task stack. Measured
 * here: 30-45 ns less per read (a 1-byte read/write exit: 295 -> 262 ns).
 * Strings are not done this way: a string that does not fit would need a
 * second read, which costs more than the check saves. Copies 1..SMALL_UREAD bytes from `uptr`
 * to `dst`, which must have room for SMALL_UREAD bytes (the bytes past `len`
 * are garbage); returns the bytes copied, 0 on a fault. */
#define SMALL_UREAD 48

struct ublob {
	__u64 w[SMALL_UREAD / 8];
};

/* A global (not static) function: the verifier checks it once, not at every
 * call site (a static subprogram called in the iovec loop made the exit
 * program's verification explode). */
__noinline int uread_small(struct ublob *dst, __u64 uptr, __u64 len)
{
	struct ublob tmp;
	if (!dst)
		return 0;
	BARRIER_VAR(len);
	if (len == 0 || len > SMALL_UREAD)
		return 0;
	if (bpf_probe_read_user(&tmp, len, (const void *)uptr) < 0)
		return 0;
	*dst = tmp;
	return len;
}

/* A NUL-terminated user string (length includes the NUL); empty on fault. */
static __always_inline void push_ustr(struct scratch *s, const void *uptr)
{
	__u32 off = s->off;
	long n = 0;
	if (uptr && off <= MAX_EVENT - MAX_STR)
		n = bpf_probe_read_user_str(bufp(s, off), MAX_STR, uptr);
	if (n < 0)
		n = 0;
	s->off = off + (__u32)n;
	set_len(s, n);
}

static __always_inline void push_kstr(struct scratch *s, const void *kptr)
{
	__u32 off = s->off;
	long n = 0;
	if (kptr && off <= MAX_EVENT - MAX_STR)
		n = bpf_probe_read_kernel_str(bufp(s, off), MAX_STR, kptr);
	if (n < 0)
		n = 0;
	s->off = off + (__u32)n;
	set_len(s, n);
}

/* Copies `len` user bytes (clamped to `max`, itself <= HALF) into the current
 * parameter without closing it; returns the bytes copied. */
static __always_inline __u32 append_ubytes(struct scratch *s, const void *uptr, __u64 len, __u32 max)
{
	__u32 off = s->off;
	if (!uptr || off > MAX_EVENT)
		return 0;
	if (len > max)
		len = max;
	if (len > MAX_EVENT - off)
		len = MAX_EVENT - off;
	__u32 l = (__u32)len & (HALF - 1);
	if (l == 0)
		return 0;
	if (l <= SMALL_UREAD) {
		l = uread_small((struct ublob *)bufp(s, off), (__u64)uptr, l);
		s->off = off + l;
		return l;
	}
	if (bpf_probe_read_user(bufp(s, off), l, uptr) < 0)
		return 0;
	s->off = off + l;
	return l;
}

static __always_inline void push_ubytes(struct scratch *s, const void *uptr, __u64 len, __u32 max)
{
	__u32 l = append_ubytes(s, uptr, len, max);
	set_len(s, l);
}

static __always_inline __u32 snaplen(void)
{
	__u32 n = cfg_snaplen;
	return n > MAX_SNAPLEN ? MAX_SNAPLEN : n;
}

/* Raw bytes from a kernel pointer (fixed small sizes). */
static __always_inline void push_kbytes(struct scratch *s, const void *kptr, __u32 len)
{
	__u32 off = s->off;
	if (!kptr || off > MAX_EVENT || len > 256) {
		set_len(s, 0);
		return;
	}
	if (bpf_probe_read_kernel(bufp(s, off), len & 511, kptr) < 0) {
		set_len(s, 0);
		return;
	}
	s->off = off + len;
	set_len(s, len);
}

static __always_inline struct counters *counters_cpu(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&counters, &zero);
}

/* Counts an event and picks its commit flags: a wake-up only every
 * cfg_wakeup_every-th event of the CPU and only when the consumer has
 * fallen behind; otherwise it finds the data at its next poll timeout. */
static __always_inline __u64 wake_flags(struct counters *c)
{
	if (!c)
		return BPF_RB_NO_WAKEUP;
	__u32 every = cfg_wakeup_every;
	__u64 n = ++c->sent;
	if (every <= 1)
		return BPF_RB_FORCE_WAKEUP;
	/* the default (256) is a power of two: a mask, not a division */
	__u64 rem = (every & (every - 1)) == 0 ? (n & (every - 1)) : (n % every);
	if (rem == 0 && bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= cfg_wakeup_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Fills missing parameters (so nparams always matches the lengths), writes
 * the event length and sends the record. */
static __always_inline void ev_submit(struct scratch *s)
{
	__u32 n = s->nparams;
	for (int i = 0; i < MAX_PARAMS; i++) {
		if (s->idx >= n)
			break;
		set_len(s, 0);
	}
	__u32 total = s->off;
	if (total > sizeof(s->buf))
		return;
	*(__u32 *)&s->buf[24] = total - REC_PREFIX;

	struct counters *c = counters_cpu();
	if (bpf_ringbuf_output(&events, s->buf, total, wake_flags(c)) != 0) {
		if (c)
			c->drops++;
	}
}

/* Small events whose size is known at compile time are written straight
 * into the ring (bpf_ringbuf_reserve + bpf_ringbuf_submit) instead of the
 * scratch buffer + bpf_ringbuf_output: no scratch lookup, no copy, no
 * length bookkeeping. `size` must be a constant (the verifier bounds every
 * write by it). */
#define FIX_HDR(np) (LENS_OFF + 2 * (np))

static __always_inline __u8 *fix_begin(__u32 size, __u16 type, __u32 nparams, __u64 tid)
{
	__u8 *r = bpf_ringbuf_reserve(&events, size, 0);
	if (!r) {
		struct counters *c = counters_cpu();
		if (c) {
			c->sent++;
			c->drops++;
		}
		return 0;
	}
	*(__u16 *)&r[0] = (__u16)bpf_get_smp_processor_id();
	*(__u16 *)&r[2] = REC_MAGIC;
	*(__u32 *)&r[4] = 0;
	*(__u64 *)&r[8] = bpf_ktime_get_boot_ns() + cfg_boot_offset;
	*(__u64 *)&r[16] = tid;
	*(__u32 *)&r[24] = size - REC_PREFIX;
	*(__u16 *)&r[28] = type;
	*(__u32 *)&r[30] = nparams;
	return r;
}

static __always_inline void fix_submit(__u8 *r)
{
	bpf_ringbuf_submit(r, wake_flags(counters_cpu()));
}

/* No parameters. */
static __always_inline void fix_none(__u16 type, __u64 tid)
{
	__u8 *r = fix_begin(FIX_HDR(0), type, 0, tid);
	if (r)
		fix_submit(r);
}

/* One i64 parameter (a return value, an fd). */
static __always_inline void fix_i64(__u16 type, __u64 tid, __s64 v)
{
	__u8 *r = fix_begin(FIX_HDR(1) + 8, type, 1, tid);
	if (!r)
		return;
	*(__u16 *)&r[LENS_OFF] = 8;
	*(__s64 *)&r[FIX_HDR(1)] = v;
	fix_submit(r);
}

/* An i64 (fd) then a u32 (size). */
static __always_inline void fix_i64_u32(__u16 type, __u64 tid, __s64 v, __u32 w)
{
	__u8 *r = fix_begin(FIX_HDR(2) + 12, type, 2, tid);
	if (!r)
		return;
	*(__u16 *)&r[LENS_OFF] = 8;
	*(__u16 *)&r[LENS_OFF + 2] = 4;
	*(__s64 *)&r[FIX_HDR(2)] = v;
	*(__u32 *)&r[FIX_HDR(2) + 8] = w;
	fix_submit(r);
}

/* One u16 (generic exit: ID). */
static __always_inline void fix_u16(__u16 type, __u64 tid, __u16 v)
{
	__u8 *r = fix_begin(FIX_HDR(1) + 2, type, 1, tid);
	if (!r)
		return;
	*(__u16 *)&r[LENS_OFF] = 2;
	*(__u16 *)&r[FIX_HDR(1)] = v;
	fix_submit(r);
}

/* Two u16 (generic enter: ID, nativeID). */
static __always_inline void fix_u16_u16(__u16 type, __u64 tid, __u16 v, __u16 w)
{
	__u8 *r = fix_begin(FIX_HDR(2) + 4, type, 2, tid);
	if (!r)
		return;
	*(__u16 *)&r[LENS_OFF] = 2;
	*(__u16 *)&r[LENS_OFF + 2] = 2;
	*(__u16 *)&r[FIX_HDR(2)] = v;
	*(__u16 *)&r[FIX_HDR(2) + 2] = w;
	fix_submit(r);
}
