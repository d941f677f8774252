#!/usr/bin/env bash
# Installs the Debian 12 packages Custodian needs, only those that are missing.
# Usage: scripts/install-deps.sh [build|demo|bench|fuzz]...   (default: build)
set -euo pipefail

build_pkgs=(g++ cmake ninja-build ccache pkg-config make python3
            libgmime-3.0-dev libsqlite3-dev libzstd-dev libsodium-dev libssl-dev libre2-dev libstemmer-dev libgtest-dev libgmock-dev
            libpoppler-cpp-dev libzip-dev libunbound-dev libunbound8 libevent-dev nettle-dev
            # the static archives and libraries CUSTODIAN_STATIC_DEPS links (GMime's GLib stack)
            libglib2.0-dev libffi-dev libpcre2-dev zlib1g-dev libidn2-dev libmount-dev libselinux1-dev)
demo_pkgs=(npm)
bench_pkgs=(notmuch maildir-utils ripgrep time)
fuzz_pkgs=(clang libclang-rt-14-dev)

want=()
for set in "${@:-build}"; do
  case "$set" in
    build) want+=("${build_pkgs[@]}") ;;
    demo) want+=("${build_pkgs[@]}" "${demo_pkgs[@]}") ;;
    bench) want+=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
    fuzz) want+=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    *) echo "install-deps: unknown set '$set'" >&2; exit 2 ;;
  esac
done

# Tools that may come from elsewhere (e.g. Node.js with its own npm) count when their command exists.
declare -A provides=([npm]=npm [ripgrep]=rg [notmuch]=notmuch [maildir-utils]=mu [clang]=clang)
missing=()
for p in "${want[@]}"; do
  cmd=${provides[$p]:-}
  [ -n "$cmd" ] && command -v "$cmd" >/dev/null 2>&1 && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
