#!/usr/bin/env bash
# Builds the release: for each runtime, a self-contained single-file ReadyToRun kb4collector in a versioned
# tarball (binary, config examples, systemd unit, install script, README, LICENSE) with a SHA-256 file.
#
#   packaging/build-release.sh [--version 1.2.0] [--rid linux-x64] [--rid linux-arm64] [--output dist]
#
# Not trimmed: LiteDB's BsonMapper, Serilog's settings reader, the configuration binder and the emulator's
# scenario reader work by reflection (the trimmed build gives 6 IL2026 + 3 IL2104 warnings, and its demo fails).
set -euo pipefail
cd "$(dirname "$0")/.."

version=""
output="dist"
rids=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --rid) rids+=("$2"); shift 2 ;;
    --output) output="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "build-release.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ ${#rids[@]} -gt 0 ]] || rids=(linux-x64 linux-arm64)

commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
if [[ -z "$version" ]]; then
  # A tag v1.2.0 on the commit gives 1.2.0; otherwise a pre-release version that names the commit.
  version="$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null | sed 's/^v//' || true)"
  [[ -n "$version" ]] || version="0.1.0-dev.${commit:0:12}"
fi
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
  echo "build-release.sh: --version $version is not a semantic version (1.2.0 or 1.2.0-rc.1)" >&2
  exit 2
fi
# SOURCE_DATE_EPOCH (reproducible builds) wins over the clock.
build_date="$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)"

mkdir -p "$output"
output="$(cd "$output" && pwd)"
for rid in "${rids[@]}"; do
  name="kb4collector-${version}-${rid}"
  stage="$output/$name"
  rm -rf "$stage"
  mkdir -p "$stage/config"
  echo "== $name: dotnet publish (self-contained, single file, ReadyToRun)"
  dotnet publish src/Kb4Collector/Kb4Collector.csproj -c Release -r "$rid" --self-contained true \
    -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishTrimmed=false \
    -p:IncludeNativeLibrariesForSelfExtract=true -p:DebugType=none -p:GenerateDocumentationFile=false \
    -p:Version="$version" -p:SourceRevisionId="$commit" -p:BuildDate="$build_date" \
    -o "$stage/.publish" --nologo
  install -m 0755 "$stage/.publish/kb4collector" "$stage/kb4collector"
  rm -rf "$stage/.publish"
  install -m 0644 config/appsettings.json config/README.md "$stage/config/"
  mkdir -p "$stage/config/sources.example"
  install -m 0644 config/sources.example/*.json "$stage/config/sources.example/"
  install -m 0644 packaging/kb4collector.service README.md LICENSE "$stage/"
  install -m 0755 packaging/install.sh "$stage/"
  tar -C "$output" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
    -czf "$output/$name.tar.gz" "$name"
  rm -rf "$stage"
  (cd "$output" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
  echo "   $output/$name.tar.gz ($(du -h "$output/$name.tar.gz" | cut -f1)), sha256 $(cut -d' ' -f1 "$output/$name.tar.gz.sha256")"
done
