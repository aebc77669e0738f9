#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent).
set -euo pipefail
if ! command -v cargo >/dev/null; then
  echo "cargo is required (rustup: https://rustup.rs)" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
