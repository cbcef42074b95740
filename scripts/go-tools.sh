#!/usr/bin/env bash
# Builds and caches the Go binaries the end-to-end tests run: the Telltale collector distribution (from
# deploy/collector/builder-config.yaml, with the OpenTelemetry Collector Builder), Jaeger v2, and Prometheus with
# promtool (the metrics path: span metrics and the apps' GenAI metrics, alert rules).
# Binaries live OUTSIDE the repository in $TELLTALE_CACHE/go/<name>-<version>/ and are reused when present,
# so only the first run on a machine pays for the build.
#
# Usage: bash scripts/go-tools.sh            prints `export TELLTALE_OTELCOL_BIN=… TELLTALE_JAEGER_BIN=…
#                                            TELLTALE_PROMETHEUS_BIN=… TELLTALE_PROMTOOL_BIN=…` on stdout
#        bash scripts/go-tools.sh --json     prints {"otelcol": "…", "jaeger": "…", "prometheus": "…", "promtool": "…"}
# Progress goes to stderr. Only the Go module proxy is needed (no release downloads, no Docker).
set -euo pipefail
shopt -s inherit_errexit

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TELLTALE_CACHE="${TELLTALE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/telltale}"
go_cache_root="$TELLTALE_CACHE/go"
manifest="$repo_root/deploy/collector/builder-config.yaml"

# The collector release comes from the manifest (one release for every component); the builder is that same release.
collector_version="$(sed -n 's/^  version: *//p' "$manifest" | head -n 1)"
builder_version="v$collector_version"

# Jaeger v2 tags (v2.x.y) cannot be fetched through the Go module proxy because the module path has no /v2 suffix,
# and the proxy reachable here refuses commit-hash and branch queries (403), so the v2 binary is built from the
# paired v1 tag. Jaeger releases v1.x and v2.x together: its CHANGELOG (as of v1.76.0) lists "v1.75.0 / v2.12.0
# (2025-11-18)". The v1.75.0 tag itself points at a commit of 2025-11-13, just before the release-preparation commit
# (CHANGELOG and UI submodule only), so its cmd/jaeger is the Jaeger v2.12.0 server code. v1.75.0 is the approved
# version in this environment's package list; newer tags are served by the proxy but are not approved releases.
# Override both variables to build another pairing.
jaeger_module="github.com/jaegertracing/jaeger"
jaeger_version="${TELLTALE_JAEGER_MODULE_VERSION:-v1.75.0}"
jaeger_release="${TELLTALE_JAEGER_RELEASE:-v2.12.0}"

# Prometheus 3.16.0 is the Go module github.com/prometheus/prometheus v0.316.0 (Prometheus 3.x.y is published as
# module version v0.3xx.y). Its go.mod has no replace directives, so `go install module/cmd/...@version` works.
prometheus_module="github.com/prometheus/prometheus"
prometheus_version="${TELLTALE_PROMETHEUS_MODULE_VERSION:-v0.316.0}"
prometheus_release="${TELLTALE_PROMETHEUS_RELEASE:-v3.16.0}"

# Two cores: no debug info, trimmed paths, and a shared Go build cache so the collector and Jaeger reuse common packages.
export GOFLAGS="${GOFLAGS:--trimpath}"
export CGO_ENABLED=0
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

log() { echo "go-tools: $*" >&2; }

require_go() {
  # A non-login shell (CI) may not have the toolchain's usual location on PATH.
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then export PATH="/usr/local/go/bin:$PATH"; fi
  command -v go >/dev/null 2>&1 || { log "the Go toolchain is required (go not on PATH or in /usr/local/go/bin)"; exit 1; }
}

# Comments do not change the binary: hash the manifest without them.
manifest_digest() { grep -v -E "^[[:space:]]*(#|$)" "$manifest" | sha256sum | cut -c1-10; }

build_collector() {
  # Keyed by release and by the manifest's content: changing the component list rebuilds.
  local dir="$go_cache_root/otelcol-telltale-$collector_version-$(manifest_digest)"
  local bin="$dir/otelcol-telltale"
  if [[ -x "$bin" ]]; then
    log "collector $collector_version cached at $bin"
    echo "$bin"
    return
  fi
  require_go
  local builder_dir="$go_cache_root/builder-$builder_version"
  local builder="$builder_dir/builder"
  if [[ ! -x "$builder" ]]; then
    log "installing the collector builder $builder_version"
    mkdir -p "$builder_dir"
    GOBIN="$builder_dir" go install "go.opentelemetry.io/collector/cmd/builder@$builder_version" >&2
  fi
  local started=$SECONDS
  log "building the collector $collector_version into $dir (a few minutes on 2 cores, once)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/src"
  # The builder writes sources and the binary to dist.output_path; point it at the cache, not the repo.
  sed "s|^dist:|dist:\n  output_path: $dir.tmp/src|" "$manifest" > "$dir.tmp/builder-config.yaml"
  # The module proxy occasionally answers 403 for a module it does serve; a retry resumes from the module cache.
  local attempt
  for attempt in 1 2 3; do
    if "$builder" --config "$dir.tmp/builder-config.yaml" >&2; then break; fi
    [[ $attempt -lt 3 ]] || { log "collector build failed"; exit 1; }
    log "collector build attempt $attempt failed; retrying"
  done
  mv "$dir.tmp/src/otelcol-telltale" "$dir.tmp/otelcol-telltale"
  rm -rf "$dir.tmp/src"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "collector built in $((SECONDS - started))s"
  echo "$bin"
}

build_jaeger() {
  local dir="$go_cache_root/jaeger-$jaeger_release"
  local bin="$dir/jaeger"
  if [[ -x "$bin" ]]; then
    log "jaeger $jaeger_release cached at $bin"
    echo "$bin"
    return
  fi
  require_go
  local started=$SECONDS
  log "building jaeger $jaeger_release ($jaeger_module@$jaeger_version cmd/jaeger) into $dir (several minutes on 2 cores, once)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  # Jaeger's go.mod has replace directives, so `go install module/cmd/jaeger@version` is refused: fetch the module
  # source through the proxy and build it as the main module, where its replaces (and go.sum) apply.
  local source_dir attempt
  for attempt in 1 2 3; do
    if source_dir="$(go mod download -json "$jaeger_module@$jaeger_version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')" \
      && [[ -n "$source_dir" ]]; then break; fi
    [[ $attempt -lt 3 ]] || { log "could not download $jaeger_module@$jaeger_version"; exit 1; }
  done
  cp -R "$source_dir" "$dir.tmp/src" && chmod -R u+w "$dir.tmp/src"
  local version_pkg="$jaeger_module/internal/version"
  for attempt in 1 2 3; do
    if (cd "$dir.tmp/src" && go build -mod=mod -o "$dir.tmp/jaeger" \
      -ldflags "-s -w -X $version_pkg.latestVersion=$jaeger_release -X $version_pkg.commitSHA=$jaeger_version" ./cmd/jaeger >&2); then
      break
    fi
    [[ $attempt -lt 3 ]] || { log "jaeger build failed"; exit 1; }
    log "jaeger build attempt $attempt failed; retrying"
  done
  rm -rf "$dir.tmp/src"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "jaeger built in $((SECONDS - started))s"
  echo "$bin"
}

build_prometheus() {
  local dir="$go_cache_root/prometheus-$prometheus_release"
  if [[ -x "$dir/prometheus" && -x "$dir/promtool" ]]; then
    log "prometheus $prometheus_release cached at $dir"
    echo "$dir"
    return
  fi
  require_go
  local started=$SECONDS
  log "building prometheus and promtool $prometheus_release ($prometheus_module@$prometheus_version) into $dir (minutes on 2 cores, once)"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  # remove_all_sd leaves out the cloud service-discovery plugins (AWS, Azure, GCE, ...): the tests push metrics over
  # OTLP and scrape nothing, and those SDKs are most of the build. The web UI's assets are not embedded either
  # (no builtinassets tag): the tests use the HTTP API.
  local version_pkg="github.com/prometheus/common/version"
  local ldflags="-s -w -X $version_pkg.Version=${prometheus_release#v} -X $version_pkg.Revision=$prometheus_version"
  local attempt
  for attempt in 1 2 3; do
    if GOBIN="$dir.tmp" go install -tags remove_all_sd -ldflags "$ldflags" \
      "$prometheus_module/cmd/prometheus@$prometheus_version" "$prometheus_module/cmd/promtool@$prometheus_version" >&2; then
      break
    fi
    [[ $attempt -lt 3 ]] || { log "prometheus build failed"; exit 1; }
    log "prometheus build attempt $attempt failed; retrying"
  done
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  log "prometheus built in $((SECONDS - started))s"
  echo "$dir"
}

mkdir -p "$go_cache_root"
# Concurrent `./run test` invocations must not build the same binary twice into the same directory:
# each build holds its own lock (so the collector and Jaeger may still build side by side).
locked() { local name="$1"; shift; ( flock 9; "$@" ) 9>"$go_cache_root/.$name.lock"; }

otelcol_bin="" jaeger_bin="" prometheus_dir=""
case "${1:-}" in
  --collector-only) otelcol_bin="$(locked otelcol build_collector)" ;;
  --jaeger-only) jaeger_bin="$(locked jaeger build_jaeger)" ;;
  --prometheus-only) prometheus_dir="$(locked prometheus build_prometheus)" ;;
  *)
    otelcol_bin="$(locked otelcol build_collector)"
    jaeger_bin="$(locked jaeger build_jaeger)"
    prometheus_dir="$(locked prometheus build_prometheus)"
    ;;
esac
prometheus_bin="${prometheus_dir:+$prometheus_dir/prometheus}"
promtool_bin="${prometheus_dir:+$prometheus_dir/promtool}"

if [[ " $* " == *" --json "* ]]; then
  printf '{"otelcol":"%s","jaeger":"%s","prometheus":"%s","promtool":"%s"}\n' "$otelcol_bin" "$jaeger_bin" "$prometheus_bin" "$promtool_bin"
else
  printf 'export TELLTALE_OTELCOL_BIN=%q\nexport TELLTALE_JAEGER_BIN=%q\nexport TELLTALE_PROMETHEUS_BIN=%q\nexport TELLTALE_PROMTOOL_BIN=%q\n' \
    "$otelcol_bin" "$jaeger_bin" "$prometheus_bin" "$promtool_bin"
fi
