#!/usr/bin/env bash
# Installs what syspect needs to build, test and be compared with sysdig:
# clang + libbpf headers (the eBPF probe), bpftool (vmlinux.h), sysdig
# 0.29.3 (the oracle), tmux (TUI tests), podman and containerd (container
# tests; containerd's package brings ctr and the runc shim), curl (a live
# socket test), netbase (/etc/services: port names in -R and filters).
set -euo pipefail
need=()
command -v clang >/dev/null || need+=(clang)
[ -e /usr/include/bpf/bpf_helpers.h ] || need+=(libbpf-dev)
command -v bpftool >/dev/null || need+=(bpftool)
command -v sysdig >/dev/null || need+=(sysdig)
command -v tmux >/dev/null || need+=(tmux)
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v containerd >/dev/null || need+=(containerd)
[ -x /bin/busybox ] || need+=(busybox-static)
command -v setpriv >/dev/null || need+=(util-linux)
command -v curl >/dev/null || need+=(curl)
[ -e /etc/services ] || need+=(netbase)
source "$(dirname "$0")/cargo-env.sh"
command -v cargo >/dev/null || { echo "deps: cargo (Rust 1.95) is required (rustup: https://rustup.rs)" >&2; exit 2; }
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${need[@]}" >/dev/null
fi
# tracefs is not needed (the probe uses BTF tracepoints) but mount it when
# possible, for tools that look there.
if [ ! -e /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
  mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
fi
