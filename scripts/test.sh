#!/usr/bin/env bash
# The full test suite: installs the pinned emulators (once), then runs every test.
# Integration tests start their own emulators on free 127.0.0.1 ports and stop them after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/install-emulators.sh
cargo test --locked "$@"
