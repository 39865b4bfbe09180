#!/usr/bin/env bash
# Builds the .deb with cpack, checks its control data and contents, installs it on this machine,
# runs the installed `vipd --check` (as root and as the vipd user), then purges it and removes what
# the install created (the vipd user, /var/lib/vipd), leaving the machine as it was.
# Needs root and a complete build. Exit 77 = skipped (ctest SKIP_RETURN_CODE).
set -euo pipefail
build=${1:?usage: deb_test.sh BUILD_DIR VERSION HAS_VIPCTL}
version=${2:?}
has_vipctl=${3:-0}

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "needs root (dpkg -i)"
for tool in cpack dpkg-deb dpkg dpkg-shlibdeps; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool not installed (scripts/deps.sh)"
done
# Never touch an operator's vipd: a real install or configuration would be replaced and then purged.
if dpkg-query -W -f='${Status}' vipd 2>/dev/null | grep -q 'installed'; then
  skip "a vipd package is already installed here"
fi
[ -e /etc/vipd/vipd.yaml ] && skip "/etc/vipd/vipd.yaml exists (not ours to replace)"
[ -x "$build/src/daemon/vipd" ] || fail "$build/src/daemon/vipd not built"

had_user=0; getent passwd vipd >/dev/null && had_user=1
had_group=0; getent group vipd >/dev/null && had_group=1
had_state=0; [ -e /var/lib/vipd ] && had_state=1
out=$(mktemp -d /tmp/vipd-deb-test.XXXXXX)
installed=0
cleanup() {
  if [ "$installed" = 1 ]; then dpkg --purge vipd >/dev/null 2>&1 || echo "warning: dpkg --purge vipd failed"; fi
  if [ "$had_user" = 0 ] && getent passwd vipd >/dev/null; then userdel vipd 2>/dev/null || true; fi
  if [ "$had_group" = 0 ] && getent group vipd >/dev/null; then groupdel vipd 2>/dev/null || true; fi
  if [ "$had_state" = 0 ]; then rm -rf /var/lib/vipd; fi
  rm -rf "$out"
}
trap cleanup EXIT

echo "== cpack -G DEB"
(cd "$build" && cpack -G DEB -B "$out" --config "$build/CPackConfig.cmake") >"$out/cpack.log" 2>&1 \
  || { cat "$out/cpack.log"; fail "cpack failed"; }
deb="$out/vipd_${version}_amd64.deb"
[ -f "$deb" ] || { ls -l "$out"; fail "expected $deb"; }

echo "== dpkg-deb -I"
info=$(dpkg-deb -I "$deb")
printf '%s\n' "$info" | sed -n '/^ [A-Z][A-Za-z-]*:/,$p'
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libstdc\\+\\+6 libpcap0.8 libnl-3-200 libnl-route-3-200 'libyaml-cpp[0-9.]+' 'libspdlog[0-9a-z.-]+' 'libfmt[0-9]+'; do
  printf '%s\n' "$depends" | grep -Eq "(^|, )${lib}( |,|$)" || fail "Depends lacks $lib: $depends"
done
[ "$(dpkg-deb -f "$deb" Package)" = vipd ] || fail "Package is not vipd"
[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "Version is not $version"
[ "$(dpkg-deb -f "$deb" Architecture)" = amd64 ] || fail "Architecture is not amd64"
[ -n "$(dpkg-deb -f "$deb" Maintainer)" ] || fail "no Maintainer"
[ -n "$(dpkg-deb -f "$deb" Description)" ] || fail "no Description"
dpkg-deb -I "$deb" conffiles | grep -qx /etc/vipd/vipd.yaml || fail "/etc/vipd/vipd.yaml is not a conffile"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >/dev/null || fail "no $script"
done

echo "== dpkg-deb -c"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
expected=(./usr/sbin/vipd ./etc/vipd/vipd.yaml ./usr/lib/systemd/system/vipd.service
          ./usr/lib/sysusers.d/vipd.conf ./usr/lib/tmpfiles.d/vipd.conf
          ./usr/share/doc/vipd/operations.md ./usr/share/doc/vipd/vipd.example.yaml)
[ "$has_vipctl" = 1 ] && expected+=(./usr/bin/vipctl)
for path in "${expected[@]}"; do
  printf '%s\n' "$contents" | grep -qx -- "$path" || fail "package lacks $path"
done
printf '%s\n' "$contents" | grep -q '^\./usr/local' && fail "package installs under /usr/local"
mkdir "$out/x" && dpkg-deb -x "$deb" "$out/x"
grep -qx 'ExecStart=/usr/sbin/vipd --config /etc/vipd/vipd.yaml --state-dir /var/lib/vipd' \
  "$out/x/usr/lib/systemd/system/vipd.service" || fail "packaged unit does not start /usr/sbin/vipd"

echo "== dpkg -i"
installed=1
DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"
getent passwd vipd >/dev/null || fail "postinst did not create the vipd user"
[ "$(stat -c '%a %U %G' /var/lib/vipd)" = "750 vipd vipd" ] || fail "/var/lib/vipd: $(stat -c '%a %U %G' /var/lib/vipd)"
[ "$(stat -c '%a %G' /etc/vipd/vipd.yaml)" = "640 vipd" ] || fail "/etc/vipd/vipd.yaml: $(stat -c '%a %G' /etc/vipd/vipd.yaml)"
/usr/sbin/vipd --version
/usr/sbin/vipd --check --config /etc/vipd/vipd.yaml || fail "installed vipd --check failed"
# What ExecStartPre= runs, as the unit's user: the daemon user must be able to read its config.
setpriv --reuid=vipd --regid=vipd --init-groups /usr/sbin/vipd --check --config /etc/vipd/vipd.yaml \
  --state-dir /var/lib/vipd >/dev/null || fail "vipd --check as user vipd failed"
if systemd-analyze --help >/dev/null 2>&1; then
  systemd-analyze verify /usr/lib/systemd/system/vipd.service || fail "systemd-analyze verify of the installed unit"
fi

echo "== dpkg --purge"
dpkg --purge vipd
installed=0
for path in /usr/sbin/vipd /etc/vipd /usr/lib/systemd/system/vipd.service /var/lib/vipd; do
  [ -e "$path" ] && fail "$path left after purge"
done
echo "PASS: $(basename "$deb") builds, installs a working vipd --check and purges cleanly"
