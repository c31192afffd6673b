#!/usr/bin/env bash
# CI for the VS Code extension (called by .ci/run): install, build (esbuild + the bundled djvet
# copy), unit + integration tests, package the .vsix, and the real-VS-Code end-to-end test.
#   DJVET_PYTHON      a Python with djvet installed (required; also builds the bundle)
#   DJVET_E2E_CACHE   where the e2e keeps node 24 and code-server (default ~/.cache/djvet-e2e)
set -euo pipefail
cd "$(dirname "$0")"
: "${DJVET_PYTHON:?set DJVET_PYTHON to a Python with djvet installed}"
export DJVET_BUNDLE_PYTHON=${DJVET_BUNDLE_PYTHON:-$DJVET_PYTHON}

timed() {  # name command...
  local start=$SECONDS
  echo "--- vscode-extension: $1"
  "${@:2}"
  echo "--- vscode-extension: $1 done in $((SECONDS - start))s"
}

timed "npm ci" npm ci --no-audit --no-fund
timed "build" npm run build
timed "unit + integration tests" npm test
rm -f djvet-*.vsix
timed "package" npx @vscode/vsce package
version=$(node -p "require('./package.json').version")
timed "end-to-end test in VS Code" env DJVET_VSIX="$PWD/djvet-$version.vsix" bash e2e/run.sh
