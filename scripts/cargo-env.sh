# Sourced by the fresh-machine scripts: finds cargo when `sudo` reset PATH
# (sudo's secure_path drops ~/.cargo/bin). Looks in this user's, the
# invoking user's (SUDO_USER) and root's rustup installation.
if ! command -v cargo >/dev/null 2>&1; then
  for home in "${HOME:-}" "$(getent passwd "${SUDO_USER:-}" 2>/dev/null | cut -d: -f6)" /root; do
    if [ -n "$home" ] && [ -x "$home/.cargo/bin/cargo" ]; then
      export PATH="$home/.cargo/bin:$PATH"
      export CARGO_HOME="${CARGO_HOME:-$home/.cargo}"
      [ -d "$home/.rustup" ] && export RUSTUP_HOME="${RUSTUP_HOME:-$home/.rustup}"
      break
    fi
  done
fi
