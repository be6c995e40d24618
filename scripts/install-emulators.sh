#!/usr/bin/env bash
# Installs the pinned emulators the tests and the demo run against into .tools/ (git-ignored).
# Idempotent: a second run with everything in place only checks the versions.
set -euo pipefail

KINESIS_LOCAL_VERSION=0.6.2
MOTO_VERSION=5.2.5

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
mkdir -p "$tools"

installed_kinesis_local() {
  node -e "process.stdout.write(require('$tools/node_modules/kinesis-local/package.json').version)" 2>/dev/null || true
}

if [ "$(installed_kinesis_local)" != "$KINESIS_LOCAL_VERSION" ]; then
  echo "installing kinesis-local@$KINESIS_LOCAL_VERSION into .tools/" >&2
  [ -f "$tools/package.json" ] || echo '{"name":"kinspect-tools","private":true}' > "$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "kinesis-local@$KINESIS_LOCAL_VERSION" >&2
fi

venv="$tools/venv"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('moto') != '$MOTO_VERSION')" 2>/dev/null; then
  echo "installing moto[server]==$MOTO_VERSION into .tools/venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
fi
