# shellcheck shell=bash
# Step 40: install fleetpos as a release: a venv made with the image's python3 under
# /opt/fleetpos/releases/<version>, the wheel and its dependencies installed offline from
# the wheelhouse of step 10 (by name==version, so that pip freeze records it as such), and
# /opt/fleetpos/current pointing at it. An upgrade installs the next release beside it
# and moves the link.

RELEASE_DIR="/opt/fleetpos/releases/$FLEETPOS_VERSION"
chroot_wheelhouse="/var/tmp/fleetpos-wheelhouse"
CLEANUP_FILES+=("$ROOTFS$chroot_wheelhouse")
rm -rf "$ROOTFS$chroot_wheelhouse"
cp -r "$WHEELHOUSE" "$ROOTFS$chroot_wheelhouse"

# --system-site-packages: the Debian-provided modules (python-from-debian.map) are seen.
in_chroot "$ROOTFS" python3 -m venv --system-site-packages "$RELEASE_DIR"
in_chroot "$ROOTFS" "$RELEASE_DIR/bin/python" -m pip install \
    --no-index --find-links "$chroot_wheelhouse" --no-cache-dir --disable-pip-version-check \
    --quiet "fleetpos==$FLEETPOS_WHEEL_VERSION"
in_chroot "$ROOTFS" "$RELEASE_DIR/bin/python" -m pip check ||
    die "the release venv has broken requirements (see pip check above)"
rm -rf "$ROOTFS$chroot_wheelhouse"

# Relative, so that it resolves the same in the image and with the image mounted elsewhere.
ln -sfn "releases/$FLEETPOS_VERSION" "$ROOTFS/opt/fleetpos/current"
[ -x "$ROOTFS/opt/fleetpos/current/bin/fleetpos" ] ||
    die "the fleetpos wheel installed no 'fleetpos' command into $RELEASE_DIR/bin"
printf '%s\n' "$FLEETPOS_VERSION" >"$ROOTFS$RELEASE_DIR/VERSION"
