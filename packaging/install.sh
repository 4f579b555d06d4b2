#!/bin/sh
# Installs (or upgrades) Kb4Collector from an unpacked release tarball. Run it as root from the unpacked folder.
#
#   ./install.sh                 install or upgrade: binary, unit, user, config and data folders; enable and (re)start
#   ./install.sh --uninstall     stop and remove the binary, the unit and the user; keep config and data
#   --prefix DIR                 where the binary goes (default /opt/kb4collector)
#   --no-start                   install and enable, but do not start or restart
#   DESTDIR=/tmp/root ./install.sh   install into a staging root (tests, packaging): no user, no systemctl
#
# Idempotent: running it again changes nothing but the binary and the unit. An upgrade never touches
# /etc/kb4collector (config, sources, environment) or /var/lib/kb4collector (checkpoints, ledgers).
set -eu

prefix=/opt/kb4collector
action=install
start=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    --uninstall) action=uninstall; shift ;;
    --no-start) start=no; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

root="${DESTDIR:-}"
here="$(cd "$(dirname "$0")" && pwd)"
user=kb4collector
config_dir="$root/etc/kb4collector"
data_dir="$root/var/lib/kb4collector"
unit="$root/etc/systemd/system/kb4collector.service"
bin_dir="$root$prefix"

# systemctl only on the real root of a machine that runs systemd.
use_systemd=no
if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  use_systemd=yes
fi
say() { echo "install.sh: $*"; }

if [ "$(id -u)" -ne 0 ] && [ -z "$root" ]; then
  echo "install.sh: run as root (or set DESTDIR to install into a staging folder)" >&2
  exit 1
fi

if [ "$action" = uninstall ]; then
  if [ "$use_systemd" = yes ]; then
    systemctl disable --now kb4collector.service 2>/dev/null || true
  fi
  rm -f "$unit"
  rm -rf "$bin_dir"
  [ "$use_systemd" = yes ] && systemctl daemon-reload
  removed="$bin_dir and the unit"
  if [ -z "$root" ] && id "$user" >/dev/null 2>&1; then
    if userdel "$user" 2>/dev/null; then removed="$removed and the $user user"; else say "could not remove the user $user"; fi
  fi
  say "removed $removed"
  say "kept $config_dir (config, sources, keys) and $data_dir (checkpoints, ledgers): delete them yourself if you want them gone"
  exit 0
fi

[ -x "$here/kb4collector" ] || { echo "install.sh: $here/kb4collector is missing: run this from the unpacked release" >&2; exit 1; }

# The system user: no login, no home of its own beyond the data folder.
owner=root
if [ -z "$root" ]; then
  if ! id "$user" >/dev/null 2>&1; then
    useradd --system --user-group --home-dir /var/lib/kb4collector --no-create-home --shell /usr/sbin/nologin "$user"
    say "created system user $user"
  fi
  owner="$user"
fi

# Config: created once, never overwritten by an upgrade.
install -d -m 0750 "$config_dir" "$config_dir/sources"
install -d -m 0755 "$config_dir/sources.example"
install -m 0644 "$here"/config/sources.example/*.json "$config_dir/sources.example/"
if [ ! -e "$config_dir/appsettings.json" ]; then
  sed 's#"DataDirectory": "data"#"DataDirectory": "/var/lib/kb4collector"#; s#"SourcesPath": "config/sources"#"SourcesPath": "/etc/kb4collector/sources"#' \
    "$here/config/appsettings.json" > "$config_dir/appsettings.json"
  chmod 0640 "$config_dir/appsettings.json"
  say "wrote $config_dir/appsettings.json"
fi
if [ ! -e "$config_dir/environment" ]; then
  umask 077
  cat > "$config_dir/environment" <<'ENVIRONMENT'
# Read by kb4collector.service (EnvironmentFile). Mode 0640, owner root, group kb4collector.
# Where events go (required):
#Collector__Sink__Url=https://endpoint.collection.sumologic.com/receiver/v1/http/...
# KnowBe4 keys referenced from source files as "apiKey": "env:KNOWBE4_EVENTS_API_KEY":
#KNOWBE4_EVENTS_API_KEY=
# Sharding (several machines): this one is replica 0 of 2.
#Collector__Shard=0/2
ENVIRONMENT
  umask 022
  chmod 0640 "$config_dir/environment"
  say "wrote $config_dir/environment: put the sink URL and the keys there"
fi
if [ -z "$root" ]; then
  chown root:"$user" "$config_dir" "$config_dir/sources" "$config_dir/appsettings.json" "$config_dir/environment"
fi

# Data: the unit's StateDirectory= also creates it; made here so that the CLI can be used before the first start.
install -d -m 0750 "$data_dir"
[ -z "$root" ] && chown "$user:$user" "$data_dir"

# Binary: replaced atomically, so a running daemon keeps its open file until the restart.
upgrade=no
[ -e "$bin_dir/kb4collector" ] && upgrade=yes
install -d -m 0755 "$bin_dir"
install -m 0755 "$here/kb4collector" "$bin_dir/kb4collector.new"
mv -f "$bin_dir/kb4collector.new" "$bin_dir/kb4collector"
for doc in README.md LICENSE; do
  [ -e "$here/$doc" ] && install -m 0644 "$here/$doc" "$bin_dir/$doc"
done

install -d -m 0755 "$(dirname "$unit")"
sed "s#/opt/kb4collector/#$prefix/#g" "$here/kb4collector.service" > "$unit.new"
chmod 0644 "$unit.new"
mv -f "$unit.new" "$unit"

if [ "$use_systemd" = yes ]; then
  systemctl daemon-reload
  systemctl enable kb4collector.service >/dev/null
  if [ "$start" = yes ]; then
    if [ "$upgrade" = yes ]; then systemctl restart kb4collector.service; else systemctl start kb4collector.service; fi
  fi
fi
if [ "$upgrade" = yes ]; then
  say "upgraded $bin_dir/kb4collector to $("$bin_dir/kb4collector" --version 2>/dev/null || echo '?'); config and data kept"
else
  say "installed $bin_dir/kb4collector; add sources to $config_dir/sources and the sink URL to $config_dir/environment"
fi
