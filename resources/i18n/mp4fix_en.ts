<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="619"/>
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="620"/>
        <source>The reference %1 may not fit %n file(s): %2.</source>
        <translation>
            <numerusform>The reference %1 may not fit one file: %2.</numerusform>
            <numerusform>The reference %1 may not fit %n files: %2.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="816"/>
        <source>Repair %n file(s)</source>
        <translation>
            <numerusform>Repair %n file</numerusform>
            <numerusform>Repair %n files</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="844"/>
        <source>Checking %n file(s)…</source>
        <translation>
            <numerusform>Checking %n file…</numerusform>
            <numerusform>Checking %n files…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="851"/>
        <source>%n repaired</source>
        <translation>
            <numerusform>%n repaired</numerusform>
            <numerusform>%n repaired</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="853"/>
        <source>%n repaired with gaps</source>
        <translation>
            <numerusform>%n repaired with gaps</numerusform>
            <numerusform>%n repaired with gaps</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="855"/>
        <source>%n failed</source>
        <translation>
            <numerusform>%n failed</numerusform>
            <numerusform>%n failed</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="858"/>
        <source>%n file(s) ready</source>
        <translation>
            <numerusform>%n file ready</numerusform>
            <numerusform>%n files ready</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="888"/>
        <source>%n file(s) are still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the originals stay as they are.</source>
        <translation>
            <numerusform>%n file is still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the original stays as it is.</numerusform>
            <numerusform>%n files are still being repaired. If you close now, the repairs stop and nothing half-finished is left behind; the originals stay as they are.</numerusform>
        </translation>
    </message>
</context>
</TS>
