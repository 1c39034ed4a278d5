#!/bin/bash
# The deb's postrm. It replaces electron-builder's default (templates/linux/after-remove.tpl in
# app-builder-lib 26.17), so that script's steps come first, unchanged; Suanpan's follow.
#
# electron-builder fills in dollar-brace macros (executable, sanitizedProductName) and fails the
# build on any other name between braces: shell variables here are written $NAME, without braces.

# Delete the link to the binary
if type update-alternatives >/dev/null 2>&1; then
    update-alternatives --remove '${executable}' '/opt/${sanitizedProductName}/${executable}'
else
    rm -f '/usr/bin/${executable}'
fi

APPARMOR_PROFILE_DEST='/etc/apparmor.d/${executable}'

# Remove and unload apparmor profile.
if [ -f "$APPARMOR_PROFILE_DEST" ]; then
  if apparmor_status --enabled > /dev/null 2>&1; then
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --remove "$APPARMOR_PROFILE_DEST" || true
    fi
  fi
  rm -f "$APPARMOR_PROFILE_DEST"
fi

# --- Suanpan: the udev rules after-install.sh installed ---
# On upgrade the new version's postinst installs its own copy: remove only when the package goes.
# The group suanpan stays: files and accounts may still refer to it.
RULES_TARGET='/etc/udev/rules.d/60-suanpan.rules'
case "$1" in
    remove|purge)
        rm -f "$RULES_TARGET"
        if command -v udevadm > /dev/null 2>&1 && [ -d /run/udev ]; then
            udevadm control --reload-rules || true
        fi
        ;;
esac
exit 0
