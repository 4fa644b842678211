/* syspect bench storm: a mix of cheap syscalls in a loop for N seconds.
 * Per iteration: getpid, 2 x read(/dev/zero, 1 byte), 2 x write(/dev/null,
 * 1 byte), openat + close of a small file = 7 syscalls (14 events).
 * Prints: syscalls, wall seconds, cpu seconds (user+sys of this process). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 3.0;
	const char *path = argc > 2 ? argv[2] : "/etc/hostname";
	int zero = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_WRONLY);
	if (zero < 0 || null < 0)
		return 1;
	char b[8];
	unsigned long iters = 0;
	double t0 = now(), t1 = t0;
	for (;;) {
		for (int i = 0; i < 256; i++) {
			syscall(SYS_getpid);
			if (read(zero, b, 1) != 1 || read(zero, b, 1) != 1)
				return 2;
			if (write(null, b, 1) != 1 || write(null, b, 1) != 1)
				return 3;
			int fd = open(path, O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
		iters += 256;
		t1 = now();
		if (t1 - t0 >= secs)
			break;
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		     ru.ru_stime.tv_usec / 1e6;
	printf("syscalls %lu\nwall %.6f\ncpu %.6f\n", iters * 7, t1 - t0, cpu);
	return 0;
}
