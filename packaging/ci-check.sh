#!/usr/bin/env bash
# CI packaging check (called by .ci/run): builds the linux-x64 release tarball, runs the unpacked binary, installs it
# into a staging root and checks what install.sh created, checks the systemd unit, and builds or lints the image.
# linux-arm64 is built by packaging/build-release.sh for releases; CI builds one runtime to stay within minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "ci-check: FAILED: $*" >&2; exit 1; }

echo "== release tarball (linux-x64)"
timeout 1800 packaging/build-release.sh --rid linux-x64 --output "$work/dist"
tarball="$(ls "$work"/dist/kb4collector-*-linux-x64.tar.gz)"
(cd "$work/dist" && sha256sum -c "$(basename "$tarball").sha256")
tar -C "$work" -xzf "$tarball"
unpacked="$(ls -d "$work"/kb4collector-*-linux-x64)"
for file in kb4collector install.sh kb4collector.service README.md LICENSE config/appsettings.json config/sources.example/us-source.json; do
  [[ -e "$unpacked/$file" ]] || fail "the tarball has no $file"
done

echo "== the unpacked binary"
version_line="$("$unpacked/kb4collector" --version)"
echo "$version_line"
[[ "$version_line" =~ ^kb4collector\ [0-9]+\.[0-9]+\.[0-9]+.*\(commit\ [0-9a-f]{40},\ built\ [0-9]{4}-[0-9]{2}-[0-9]{2}T ]] || fail "--version does not show version, commit and build date"
"$unpacked/kb4collector" validate "$unpacked/config/sources.example/us-source.json"

echo "== install.sh into a staging root"
root="$work/root"
DESTDIR="$root" "$unpacked/install.sh" --prefix /opt/kb4collector
DESTDIR="$root" "$unpacked/install.sh" --prefix /opt/kb4collector > "$work/second-run.log" # idempotent: runs again cleanly
grep -q "upgraded" "$work/second-run.log" || fail "a second install.sh run is not an upgrade"
mode() { stat -c %a "$1"; }
[[ -x "$root/opt/kb4collector/kb4collector" ]] || fail "no binary in /opt/kb4collector"
[[ "$(mode "$root/etc/kb4collector")" == 750 ]] || fail "/etc/kb4collector is not 0750"
[[ "$(mode "$root/etc/kb4collector/environment")" == 640 ]] || fail "the environment file is not 0640"
[[ "$(mode "$root/etc/kb4collector/appsettings.json")" == 640 ]] || fail "appsettings.json is not 0640"
[[ -d "$root/etc/kb4collector/sources" && -d "$root/var/lib/kb4collector" ]] || fail "sources or data folder missing"
[[ -f "$root/etc/systemd/system/kb4collector.service" ]] || fail "no unit installed"
echo '# kept' >> "$root/etc/kb4collector/environment"
touch "$root/var/lib/kb4collector/kb4collector.db"
DESTDIR="$root" "$unpacked/install.sh" --uninstall
[[ ! -e "$root/opt/kb4collector" && ! -e "$root/etc/systemd/system/kb4collector.service" ]] || fail "--uninstall left the binary or the unit"
grep -q '# kept' "$root/etc/kb4collector/environment" && [[ -e "$root/var/lib/kb4collector/kb4collector.db" ]] || fail "--uninstall removed config or data"
echo "install, upgrade and uninstall: ok"

echo "== systemd unit"
if ! command -v systemd-analyze > /dev/null; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get > /dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd > /dev/null
  fi
fi
if command -v systemd-analyze > /dev/null; then
  # verify resolves ExecStart: point it at the staged binary.
  DESTDIR="$root" "$unpacked/install.sh" --prefix /opt/kb4collector > /dev/null
  sed "s#/opt/kb4collector/#$root/opt/kb4collector/#g" "$root/etc/systemd/system/kb4collector.service" > "$work/kb4collector.service"
  systemd-analyze verify "$work/kb4collector.service"
  security="$(systemd-analyze security --offline=true "$work/kb4collector.service" 2>&1 | tail -n 1)"
  echo "$security"
  score="$(sed -n 's/.*exposure level for .*: \([0-9.]*\).*/\1/p' <<< "$security")"
  [[ -n "$score" ]] || fail "systemd-analyze security gave no score"
  awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || fail "systemd-analyze security rates the unit $score (above 2.0)"
else
  fail "systemd-analyze is missing and could not be installed"
fi

echo "== container image"
engine=""
for candidate in podman docker; do
  if command -v "$candidate" > /dev/null && "$candidate" info > /dev/null 2>&1; then engine="$candidate"; break; fi
done
if [[ -n "$engine" ]] && timeout 10 "$engine" pull -q mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled > /dev/null 2>&1; then
  "$engine" build -f packaging/Dockerfile -t kb4collector:ci --build-arg VERSION=0.0.0-ci --build-arg COMMIT="$(git rev-parse HEAD)" .
  "$engine" run --rm --read-only kb4collector:ci --version
else
  registry="reachable"
  [[ "$(timeout 10 curl -s -o /dev/null -w '%{http_code}' https://mcr.microsoft.com/v2/ 2>/dev/null || true)" =~ ^[1-5] ]] || registry="unreachable (no network beyond package registries)"
  echo "container build skipped: container engine: ${engine:-none that runs here (podman is installable from Debian, but the base layers of the image come from mcr.microsoft.com)}; mcr.microsoft.com: $registry. Linting the Dockerfile instead."
  dockerfile=packaging/Dockerfile
  if command -v hadolint > /dev/null; then hadolint "$dockerfile"; fi
  [[ "$(grep -c '^FROM ' "$dockerfile")" -ge 2 ]] || fail "the Dockerfile is not multi-stage"
  grep -Eq '^USER [1-9][0-9]*' "$dockerfile" || fail "the Dockerfile does not run as a numeric non-root user"
  grep -q '^HEALTHCHECK .*healthcheck' "$dockerfile" || fail "the Dockerfile has no HEALTHCHECK"
  grep -q '^VOLUME \["/var/lib/kb4collector"\]' "$dockerfile" || fail "the data directory is not a volume"
  grep -q 'readOnlyRootFilesystem: true' packaging/kubernetes/kb4collector.yaml || fail "the StatefulSet does not use a read-only root file system"
  echo "Dockerfile lint: ok"
fi
echo "== packaging: ok"
