#!/usr/bin/env bash
# Sourced by ./run: makes sure this shell has Node >= 22 and the pnpm version pinned in package.json,
# installing both into a cache outside the repository when the machine lacks them.
# The machines this project runs on ship Node 20; the npm package `node@24` carries a real Node binary,
# so the machine's own npm can fetch it from the registry (no other download source is reachable).
set -euo pipefail

TELLTALE_CACHE="${TELLTALE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telltale}"
export TELLTALE_CACHE
mkdir -p "$TELLTALE_CACHE/bin"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
required_node_major=22
node_package="node@24"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local system_node
  system_node="$(command -v node || true)"
  if [[ -n "$system_node" && "$(node_major "$system_node")" -ge $required_node_major ]]; then
    return
  fi
  local prefix="$TELLTALE_CACHE/node24"
  local bin="$prefix/node_modules/node/bin/node"
  local link="$TELLTALE_CACHE/bin/node"
  if [[ -x "$link" && "$(node_major "$link")" -ge $required_node_major ]]; then
    export PATH="$TELLTALE_CACHE/bin:$PATH"
    return
  fi
  if [[ ! -x "$bin" || "$(node_major "$bin")" -lt $required_node_major ]]; then
    echo "telltale: machine Node is ${system_node:-missing}${system_node:+ $("$system_node" --version)}; installing $node_package into $prefix" >&2
    rm -rf "$prefix" && mkdir -p "$prefix"
    # The package's preinstall links in the binary of its platform package (node-<os>-<arch>).
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "$node_package" >&2 || true
    if [[ ! -x "$bin" ]]; then
      # Where npm refuses install scripts, take the same binary from the platform package directly.
      local version os arch
      version="$(npm view "$node_package" version 2>/dev/null | grep -oE "[0-9]+\.[0-9]+\.[0-9]+" | sort -V | tail -n 1)"
      os="$(uname -s | tr '[:upper:]' '[:lower:]')"
      case "$(uname -m)" in x86_64) arch=x64 ;; aarch64|arm64) arch=arm64 ;; *) arch="$(uname -m)" ;; esac
      npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "node-$os-$arch@$version" >&2
      bin="$prefix/node_modules/node-$os-$arch/bin/node"
    fi
    [[ -x "$bin" ]] || { echo "telltale: could not install Node >= $required_node_major from the npm registry" >&2; exit 1; }
  fi
  ln -sf "$bin" "$link"
  export PATH="$TELLTALE_CACHE/bin:$PATH"
}

ensure_pnpm() {
  local spec version
  spec="$(node -p 'require(process.argv[1]).packageManager' "$repo_root/package.json")"
  version="${spec#pnpm@}"
  if command -v pnpm >/dev/null 2>&1 && [[ "$(pnpm --version 2>/dev/null)" == "$version" ]]; then
    return
  fi
  local prefix="$TELLTALE_CACHE/pnpm-$version"
  if [[ ! -f "$prefix/node_modules/pnpm/bin/pnpm.cjs" ]]; then
    echo "telltale: installing pnpm $version into $prefix" >&2
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error "pnpm@$version" >&2
  fi
  cat > "$TELLTALE_CACHE/bin/pnpm" <<SH
#!/usr/bin/env bash
exec node "$prefix/node_modules/pnpm/bin/pnpm.cjs" "\$@"
SH
  chmod +x "$TELLTALE_CACHE/bin/pnpm"
  export PATH="$TELLTALE_CACHE/bin:$PATH"
}

ensure_node
ensure_pnpm
# pnpm would otherwise ask corepack (absent from the npm-installed Node) to manage itself.
export COREPACK_ENABLE_STRICT=0
export npm_config_manage_package_manager_versions=false
