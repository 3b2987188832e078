#!/bin/sh
# System packages some tests use: GStreamer (another muxer's chunk layout, another AAC encoder).
# Installs them with apt-get when this machine has it and we may use it (as root, or with sudo that needs no
# password, as on CI machines); otherwise those tests are skipped.
if command -v gst-launch-1.0 >/dev/null 2>&1 && gst-inspect-1.0 voaacenc >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u 2>/dev/null)" = 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
    as_root="sudo -n"
else
    as_root="no"
fi
if command -v apt-get >/dev/null 2>&1 && [ "$as_root" != no ]; then
    export DEBIAN_FRONTEND=noninteractive
    $as_root apt-get update -qq >/dev/null 2>&1
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gstreamer1.0-tools \
        gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly gstreamer1.0-plugins-bad >/dev/null 2>&1 \
        || echo "note: GStreamer could not be installed; its tests will be skipped"
else
    echo "note: GStreamer is not installed; its tests will be skipped (Debian: tests/setup-system.sh as root)"
fi
exit 0
