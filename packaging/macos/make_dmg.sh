#!/usr/bin/env bash
# Turn the app bundle into a disk image: dist/otdesk.app -> dist/installer/otdesk-<version>-macos-<arch>.dmg
#
#     python packaging/build.py          # makes dist/otdesk.app and smoke-tests it
#     packaging/macos/make_dmg.sh        # signs (when configured), makes the .dmg, notarizes
#
# The .dmg holds otdesk.app and a link to /Applications: open it, drag otdesk onto
# Applications. The app is built for the Mac it is built on (arm64 on Apple silicon,
# x86_64 on Intel); the file name says which.
#
# Code signing and notarization (optional; unsigned builds work for testing, but Gatekeeper
# then asks the user to allow the app once: right-click > Open, or System Settings > Privacy
# & Security > Open Anyway). Set, e.g. from CI secrets:
#   OTDESK_CODESIGN_IDENTITY  a "Developer ID Application: Name (TEAMID)" identity in the
#                             keychain: every binary, the app and the .dmg are signed with the
#                             hardened runtime and a secure timestamp.
#   and, to notarize (needs the identity above), either
#   OTDESK_NOTARY_PROFILE     a keychain profile made with `xcrun notarytool store-credentials`
#   or all three of
#   OTDESK_NOTARY_APPLE_ID, OTDESK_NOTARY_TEAM_ID, OTDESK_NOTARY_PASSWORD (app-specific password)
# Unset variables skip their step with a note; nothing else changes.
set -euo pipefail
cd "$(dirname "$0")/../.."

app="dist/otdesk.app"
entitlements="packaging/macos/entitlements.plist"
if [ ! -d "$app" ]; then
    echo "make_dmg: $app is missing; run python packaging/build.py first" >&2
    exit 1
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml | head -n 1)
arch=$(uname -m)
mkdir -p dist/installer
dmg="dist/installer/otdesk-${version}-macos-${arch}.dmg"

identity="${OTDESK_CODESIGN_IDENTITY:-}"
if [ -n "$identity" ]; then
    echo "make_dmg: signing $app as $identity"
    # Inside out, never --deep: every Mach-O file first (libraries, Python extensions, Qt
    # plugins and frameworks), then the app, which seals its resources.
    while IFS= read -r -d '' file; do
        if file -b "$file" | grep -q "Mach-O"; then
            codesign --force --timestamp --options runtime --entitlements "$entitlements" \
                --sign "$identity" "$file"
        fi
    done < <(find "$app/Contents" -type f -print0)
    codesign --force --timestamp --options runtime --entitlements "$entitlements" \
        --sign "$identity" "$app"
    codesign --verify --strict --verbose=2 "$app"
    # the hardened runtime must not have broken anything
    "$app/Contents/MacOS/otdesk" --smoke-test
else
    echo "make_dmg: OTDESK_CODESIGN_IDENTITY is not set: the app and the .dmg stay unsigned"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
# hdiutil now and then fails with "Resource busy" on CI machines: try a few times
for attempt in 1 2 3; do
    if hdiutil create -volname "otdesk $version" -srcfolder "$staging" -fs HFS+ \
        -format UDZO -ov "$dmg"; then
        break
    fi
    if [ "$attempt" = 3 ]; then
        echo "make_dmg: hdiutil could not make $dmg" >&2
        exit 1
    fi
    sleep 5
done
hdiutil verify "$dmg"

if [ -n "$identity" ]; then
    codesign --force --timestamp --sign "$identity" "$dmg"
    notary=()
    if [ -n "${OTDESK_NOTARY_PROFILE:-}" ]; then
        notary=(--keychain-profile "$OTDESK_NOTARY_PROFILE")
    elif [ -n "${OTDESK_NOTARY_APPLE_ID:-}" ] && [ -n "${OTDESK_NOTARY_TEAM_ID:-}" ] \
        && [ -n "${OTDESK_NOTARY_PASSWORD:-}" ]; then
        notary=(--apple-id "$OTDESK_NOTARY_APPLE_ID" --team-id "$OTDESK_NOTARY_TEAM_ID"
            --password "$OTDESK_NOTARY_PASSWORD")
    fi
    if [ ${#notary[@]} -gt 0 ]; then
        echo "make_dmg: notarizing $dmg (this waits for Apple's answer)"
        xcrun notarytool submit "$dmg" "${notary[@]}" --wait
        xcrun stapler staple "$dmg"
        xcrun stapler validate "$dmg"
    else
        echo "make_dmg: no notary credentials: the .dmg is signed but not notarized"
    fi
fi
echo "make_dmg: wrote $dmg ($(du -h "$dmg" | cut -f1))"
