#!/bin/bash
# The deb's postinst. It replaces electron-builder's default (templates/linux/after-install.tpl in
# app-builder-lib 26.17), so that script's steps come first, unchanged; Suanpan's follow.
#
# electron-builder fills in dollar-brace macros (executable, sanitizedProductName) and fails the
# build on any other name between braces: shell variables here are written $NAME, without braces.

if type update-alternatives >/dev/null 2>&1; then
    # Remove previous link if it doesn't use update-alternatives
    if [ -L '/usr/bin/${executable}' -a -e '/usr/bin/${executable}' -a "`readlink '/usr/bin/${executable}'`" != '/etc/alternatives/${executable}' ]; then
        rm -f '/usr/bin/${executable}'
    fi
    update-alternatives --install '/usr/bin/${executable}' '${executable}' '/opt/${sanitizedProductName}/${executable}' 100 || ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
else
    ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
fi

# Check if user namespaces are supported by the kernel and working with a quick test:
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    # Use SUID chrome-sandbox only on systems without user namespaces:
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi

if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi

# Install apparmor profile. (Ubuntu 24+)
# Without it Ubuntu 24.04 refuses the unprivileged user namespace Chromium's sandbox needs.
if apparmor_status --enabled > /dev/null 2>&1; then
  APPARMOR_PROFILE_SOURCE='/opt/${sanitizedProductName}/resources/apparmor-profile'
  APPARMOR_PROFILE_TARGET='/etc/apparmor.d/${executable}'
  if apparmor_parser --skip-kernel-load --debug "$APPARMOR_PROFILE_SOURCE" > /dev/null 2>&1; then
    cp -f "$APPARMOR_PROFILE_SOURCE" "$APPARMOR_PROFILE_TARGET"
    if ! { [ -x '/usr/bin/ischroot' ] && /usr/bin/ischroot; } && hash apparmor_parser 2>/dev/null; then
      apparmor_parser --replace --write-cache --skip-read-cache "$APPARMOR_PROFILE_TARGET"
    fi
  else
    echo "Skipping the installation of the AppArmor profile as this version of AppArmor does not seem to support the bundled profile"
  fi
fi

# --- Suanpan: the terminal's account may open its scanner, printer and serial ports ---
# (60-suanpan.rules says who gets access and why.) Nothing here may fail the installation: a
# terminal without udev rules still runs, its drivers report "permission denied" and what to do.
RULES_SOURCE='/opt/${sanitizedProductName}/resources/udev/60-suanpan.rules'
RULES_TARGET='/etc/udev/rules.d/60-suanpan.rules'

if ! getent group suanpan > /dev/null 2>&1; then
    groupadd --system suanpan || echo "Suanpan: could not create the group suanpan" >&2
fi

if [ -f "$RULES_SOURCE" ]; then
    install -D -m 0644 "$RULES_SOURCE" "$RULES_TARGET" || echo "Suanpan: could not install $RULES_TARGET" >&2
    # Only where udev runs: not in a chroot or an image being built (it applies at first boot there).
    if command -v udevadm > /dev/null 2>&1 && [ -d /run/udev ]; then
        # Devices already plugged in get the new permissions now, not at the next replug.
        udevadm control --reload-rules && udevadm trigger --action=change \
            --subsystem-match=hidraw --subsystem-match=usb --subsystem-match=usbmisc --subsystem-match=tty \
            || echo "Suanpan: udev did not reload its rules; replug the devices or reboot" >&2
    fi
fi

echo "Suanpan: a kiosk session on the terminal's screen gets device access by itself. For a terminal run"
echo "as a service, add its account to the device groups: usermod -aG suanpan,dialout ACCOUNT"
exit 0
