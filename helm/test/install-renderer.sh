#!/usr/bin/env bash
# Installs what the chart tests need and builds helm-render, the Go-template
# renderer that stands in for `helm template` (see helm/README.md, "Testing
# the chart"). Idempotent and non-interactive: when everything is in place and
# the binary is newer than its source, it does nothing.
#
#   - Debian packages: Go and the Debian-packaged Go libraries Helm itself
#     renders with (Sprig v3, ghodss/yaml, gojsonschema). No Go module proxy
#     is needed: the build uses GOPATH mode on /usr/share/gocode.
#   - Output: helm/test/.bin/helm-render (git-ignored).
#
# Needs root (or sudo) only when a package is missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$here/.bin/helm-render"
src="$here/renderer/main.go"

packages=(
  golang-go
  golang-github-masterminds-sprig-dev
  golang-github-ghodss-yaml-dev
  golang-github-xeipuuv-gojsonschema-dev
)

# One run at a time (jest may start several test files at once).
mkdir -p "$here/.bin"
exec 9>"$here/.bin/.lock"
flock 9

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "install-renderer: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo -n"; else
      echo "install-renderer: run as root, or install: apt-get install ${missing[*]}" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Refresh the package lists only if the first attempt cannot find a package.
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    $sudo apt-get update -q >/dev/null
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ -x "$bin" ] && [ "$bin" -nt "$src" ] && [ "$bin" -nt "${BASH_SOURCE[0]}" ]; then
  exit 0
fi

echo "install-renderer: building $bin" >&2
# GOPATH mode on Debian's Go source tree; nothing is downloaded.
(
  cd "$here/renderer"
  GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
    GOCACHE="${GOCACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/go-build}" \
    go build -trimpath -o "$bin.tmp.$$" .
)
mv -f "$bin.tmp.$$" "$bin"
