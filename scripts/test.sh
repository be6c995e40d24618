#!/usr/bin/env bash
# The full test suite: installs the pinned emulators (once), then runs every test.
# Integration tests start their own emulators on free 127.0.0.1 ports and stop them after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-emulators.sh
# The end-to-end TUI test drives the real binary in tmux.
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq tmux) >&2
  else
    echo "scripts/test.sh: tmux is needed for the end-to-end TUI test: install it (apt-get install tmux)" >&2
    exit 2
  fi
fi
cargo test --locked "$@"
