#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent).
set -euo pipefail
if ! command -v cargo >/dev/null; then
  echo "cargo is required (rustup: https://rustup.rs)" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

# The browser tests (tests/api/browser/) drive headless Chromium through chromedriver; the
# screens are in Chinese, so a CJK font is needed for the screenshots to be readable.
browser_packages=(chromium chromium-driver fonts-wqy-microhei)
missing=()
for package in "${browser_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "the browser tests need these Debian packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "installing ${missing[*]} for the browser tests"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The scale-out tests (tests/api/scale_out.rs) run several app instances against one real
# SurrealDB server of the same release as the SDK. It is built once per machine from
# deploy/surreal-server into a cache outside the clone (a debug build, some minutes), and
# again only when that package changes.
tools="$HOME/.cache/qingfeng-tools"
server_dir="$(cd "$(dirname "$0")" && pwd)/surreal-server"
wanted="$(cat "$server_dir/Cargo.toml" "$server_dir/Cargo.lock" "$server_dir/src/main.rs" | sha256sum | cut -c1-16)"
if [ ! -x "$tools/bin/surreal" ] || [ "$(cat "$tools/surreal-server.stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "building the SurrealDB server for the scale-out tests (once per machine)"
  cargo install --quiet --locked --debug --force --path "$server_dir" \
    --root "$tools" --target-dir "$tools/target"
  echo "$wanted" > "$tools/surreal-server.stamp"
fi
