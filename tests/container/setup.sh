#!/usr/bin/env bash
# Prepare podman and a local Debian base image for the container test. Idempotent: installs the
# packages only when a tool is missing, and builds the base image only when it does not exist.
# Images cannot be pulled here, so the base is made with debootstrap (bare Debian, no Python: the
# Dockerfile installs Debian's python3 when the base has none).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
base_image="${CONTAINER_TEST_BASE:-localhost/newswatch-base:bookworm}"
suite="${DEBIAN_SUITE:-bookworm}"

missing=()
for tool in podman buildah runc debootstrap newuidmap fuse-overlayfs /usr/libexec/podman/catatonit; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        echo "container-test needs: ${missing[*]} (Debian: apt-get install podman buildah runc debootstrap uidmap fuse-overlayfs catatonit)" >&2
        exit 1
    fi
    echo "installing podman and friends (missing: ${missing[*]})"
    export DEBIAN_FRONTEND=noninteractive
    # wait for another apt (unattended upgrades, a parallel install) rather than fail
    apt-get -o DPkg::Lock::Timeout=900 update -q
    apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
        podman buildah runc debootstrap uidmap fuse-overlayfs catatonit
fi

if podman image exists "$base_image"; then
    echo "base image $base_image: cached"
    exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
    echo "building $base_image needs root (debootstrap and chroot)" >&2
    exit 1
fi
rootfs="$(mktemp -d /var/tmp/newswatch-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
echo "debootstrap $suite into $rootfs"
# shellcheck disable=SC2086 - DEBIAN_MIRROR is optional; debootstrap picks its default mirror
debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" ${DEBIAN_MIRROR:-} >"$rootfs.log" 2>&1 \
    || { tail -20 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"
# An intercepting HTTPS proxy's CA (if the host has one) must be trusted inside too, or pip fails.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/"
fi
chroot "$rootfs" update-ca-certificates >/dev/null
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
tar -C "$rootfs" -c . | podman import \
    --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' \
    - "$base_image" >/dev/null
echo "base image $base_image: built"
